// compiledOnce against the real engines: the text is compiled once, and each call's values land
// where their arguments belong (whatever order the compiler emits them in), beside constants of
// the builder's own; a builder that uses an argument as anything but a value is refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Db } from './connect.ts';
import { upgrade } from './migrate.ts';
import { compiledOnce } from './compiled-once.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../test/support/test-db.ts';

// arguments used out of order (b is compared before a in the text), plus a constant
const namesBetween = compiledOnce((q, a: string, b: string) => q.selectFrom('locks').select('name')
  .where((eb) => eb.and([eb('name', '<=', b), eb('name', '>=', a), eb('name', '!=', 'zz-never')])).orderBy('name'));
const rename = compiledOnce((q, from: string, to: string) => q.updateTable('locks').set({ name: to }).where('name', '=', from));

for (const kind of TEST_DB_KINDS) {
  describe(`compiledOnce on ${kind}`, { skip: dbSkipReason(kind) }, () => {
    let tdb: TestDatabase;
    let db: Db;
    before(async () => {
      tdb = await freshDatabase(kind, 'compiled_once');
      db = connect(tdb.url);
      await upgrade(db);
      await db.db.insertInto('locks').values(['a', 'b', 'c', 'd', 'e'].map((name) => ({ name }))).execute();
    });
    after(async () => { await db?.close(); await tdb?.drop(); });

    it('puts each call\'s values in their places', async () => {
      const names = async (a: string, b: string) => (await db.db.executeQuery<{ name: string }>(namesBetween(db.db, a, b))).rows.map((r) => r.name);
      assert.deepEqual(await names('b', 'd'), ['b', 'c', 'd']);
      assert.deepEqual(await names('a', 'b'), ['a', 'b']);
      assert.equal(namesBetween(db.db, 'x', 'y').sql, namesBetween(db.db, 'p', 'q').sql);
      await db.db.executeQuery(rename(db.db, 'e', 'f'));
      assert.deepEqual(await names('d', 'z'), ['d', 'f']);
    });

    it('refuses a builder that does not use an argument as a value', () => {
      const bad = compiledOnce((q, n: number) => q.selectFrom('locks').select('name').limit(Number.isInteger(n) ? n : 1));
      assert.throws(() => bad(db.db, 3), /not a plain value/);
    });
  });
}
