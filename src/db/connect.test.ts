// [database] max_pool_size, max_overflow and mysql_sql_mode reach the real engines: a process
// opens no more connections than the two allow, and its MariaDB sessions run in the sql_mode
// oslo.db gives them (TRADITIONAL by default: a value that does not fit is refused, not cut).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { connect, type Db } from './connect.ts';
import { upgrade } from './migrate.ts';
import { inTransaction } from './transaction.ts';
import { sendLater } from './send-later.ts';
import { loadConfigSources } from '../config/load.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../test/support/test-db.ts';

/** The connection ids that `count` statements running at once were served by. */
async function sessionsUsed(db: Db, count: number): Promise<Set<string>> {
  const ids = await Promise.all(Array.from({ length: count }, () => sql<{ id: string }>`select ${sql.raw(db.kind === 'mysql'
    ? 'connection_id() as id, sleep(0.2) as s' : 'pg_backend_pid()::text as id, pg_sleep(0.2) as s')}`.execute(db.db)));
  return new Set(ids.map((r) => String(r.rows[0].id)));
}

it('[database] defaults: 10 connections kept, none beyond, TRADITIONAL sessions, 10 retries 10 s apart', () => {
  const { config } = loadConfigSources([{ file: 'n.conf', text: '[database]\nconnection = mysql://u:p@db/neutron\n' }]);
  assert.deepEqual(config.database, { poolSize: 10, overflow: 0, sqlMode: 'TRADITIONAL', maxRetries: 10, retryInterval: 10 });
  const set = loadConfigSources([{ file: 'n.conf', text: '[database]\nmax_pool_size = 3\nmax_overflow = 2\nmysql_sql_mode =\nmax_retries = -1\nretry_interval = 2\n' }]).config;
  assert.deepEqual(set.database, { poolSize: 3, overflow: 2, sqlMode: null, maxRetries: -1, retryInterval: 2 });
});

for (const kind of TEST_DB_KINDS.filter((k) => k !== 'sqlite')) {
  describe(`connect on ${kind}: the pool's bounds`, { skip: dbSkipReason(kind), timeout: 60_000 }, () => {
    let tdb: TestDatabase;
    before(async () => { tdb = await freshDatabase(kind, 'connect_pool'); });
    after(async () => { await tdb?.drop(); });

    it('opens at most max_pool_size + max_overflow connections', async () => {
      const db = connect(tdb.url, { poolSize: 2, overflow: 1 });
      try {
        assert.equal((await sessionsUsed(db, 8)).size, 3);
      } finally {
        await db.close();
      }
    });

    it('max_pool_size = 0 sets no limit', async () => {
      const db = connect(tdb.url, { poolSize: 0 });
      try {
        assert.equal((await sessionsUsed(db, 12)).size, 12);
      } finally {
        await db.close();
      }
    });
  });
}

describe('connect on MariaDB: mysql_sql_mode', { skip: dbSkipReason('mysql'), timeout: 60_000 }, () => {
  let tdb: TestDatabase;
  before(async () => {
    tdb = await freshDatabase('mysql', 'connect_mode');
    const db = connect(tdb.url);
    await upgrade(db);
    await db.close();
  });
  after(async () => { await tdb?.drop(); });

  const modeOf = async (db: Db) => (await sql<{ m: string }>`select @@session.sql_mode as m`.execute(db.db)).rows[0].m;

  it('sets the sessions\' sql_mode, so an over-long value is refused even on a lenient server', async () => {
    const db = connect(tdb.url, { sqlMode: 'TRADITIONAL' });
    const lenient = connect(tdb.url, { sqlMode: '' });
    try {
      assert.match(await modeOf(db), /STRICT_ALL_TABLES/);
      assert.equal(await modeOf(lenient), '');
      // a name past the column's 255 characters: cut to fit under the lenient mode, refused under TRADITIONAL
      const long = 'x'.repeat(300);
      await assert.rejects(inTransaction(db, async (tx) => { await sendLater(tx, tx.insertInto('locks').values({ name: long })); }),
        (e: { errno?: number }) => e.errno === 1406 || (e as { cause?: { errno?: number } }).cause?.errno === 1406);
      await inTransaction(lenient, async (tx) => { await tx.insertInto('locks').values({ name: long }).execute(); });
      const kept = await lenient.db.selectFrom('locks').select('name').where('name', 'like', 'xxx%').execute();
      assert.deepEqual(kept.map((r) => r.name.length), [255], 'the lenient session cut it: what TRADITIONAL prevents');
    } finally {
      await db.close();
      await lenient.close();
    }
  });

  it('null leaves the server\'s own sql_mode', async () => {
    const mine = connect(tdb.url, { sqlMode: null });
    try {
      const [[{ g }]] = [(await sql<{ g: string }>`select @@global.sql_mode as g`.execute(mine.db)).rows];
      // (mysql2's handshake asks for IGNORE_SPACE on top of the server's mode)
      const modes = (m: string) => m.split(',').filter((x) => x && x !== 'IGNORE_SPACE').sort();
      assert.deepEqual(modes(await modeOf(mine)), modes(g));
    } finally {
      await mine.close();
    }
  });
});
