// insertRows against the real engines: the rows stored are the rows given, in one statement
// whose text is reused for the next insert of the same shape, and rows Kysely would treat
// differently (an undefined value: the column left out) go through Kysely.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Db } from './connect.ts';
import { upgrade } from './migrate.ts';
import { insertRows } from './insert-rows.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../test/support/test-db.ts';

for (const kind of TEST_DB_KINDS) describe(`insertRows [${kind}]`, { skip: dbSkipReason(kind) }, () => {
  let tdb: TestDatabase;
  let conn: Db;
  before(async () => {
    tdb = await freshDatabase(kind, 'insert_rows');
    conn = connect(tdb.url);
    await upgrade(conn);
  });
  after(async () => {
    await conn?.close();
    await tdb?.drop();
  });

  const read = async (type: string) => (await conn.db.selectFrom('changes').select(['resource_type', 'resource_id', 'revision_number', 'op', 'created_at'])
    .where('resource_type', '=', type).orderBy('seq').execute()).map((r) => ({ ...r, revision_number: Number(r.revision_number) }));
  const row = (type: string, i: number) => ({ resource_type: type, resource_id: `id-${i}'"\\`, revision_number: i, op: 'create' as const, created_at: '2026-12-03T00:00:00Z' });

  it('stores every row as given, twice with one shape', async () => {
    const first = Array.from({ length: 3 }, (_, i) => row('t1', i));
    const second = Array.from({ length: 3 }, (_, i) => row('t1', i + 10));
    await insertRows(conn.db, 'changes', first);
    await conn.db.transaction().execute((tx) => insertRows(tx, 'changes', second));
    assert.deepEqual(await read('t1'), [...first, ...second]);
  });

  it('leaves a row with an undefined value to Kysely, which drops the column', async () => {
    // through the shortcut the undefined column would be sent (and does not exist)
    await insertRows(conn.db, 'locks', [{ name: 'a', not_a_column: undefined }, { name: 'b', not_a_column: undefined }] as never);
    assert.deepEqual((await conn.db.selectFrom('locks').select('name').where('name', 'in', ['a', 'b']).orderBy('name').execute()).map((r) => r.name), ['a', 'b']);
  });

  it('does nothing for no rows', async () => {
    await insertRows(conn.db, 'changes', []);
  });
});
