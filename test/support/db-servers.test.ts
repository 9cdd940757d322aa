import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { type DbServer, type ServerKind, createDatabase, dropDatabase, listDatabases, startMariaDb, startPostgres } from './db-servers.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase } from './test-db.ts';

function gone(pid: number): boolean {
  try { process.kill(pid, 0); return false; } catch (e) { return (e as NodeJS.ErrnoException).code === 'ESRCH'; }
}

async function queryOne(url: string, sql: string): Promise<unknown> {
  if (url.startsWith('mysql:')) {
    const c = await createConnection(url);
    try {
      const [rows] = await c.query(sql) as [Array<Record<string, unknown>> | object, unknown];
      return Array.isArray(rows) && rows.length ? Object.values(rows[0])[0] : undefined;
    } finally { await c.end(); }
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(sql);
    return rows.length ? Object.values(rows[0])[0] : undefined;
  } finally { await c.end(); }
}

const starters: Record<ServerKind, () => Promise<DbServer>> = { mysql: startMariaDb, postgres: startPostgres };

for (const kind of ['mysql', 'postgres'] as const) {
  describe(`private ${kind} server`, { skip: dbSkipReason(kind) }, () => {
    let srv: DbServer | undefined;
    after(async () => { await srv?.stop(); });

    it('starts, serves two fresh databases, stops and leaves nothing behind', async (t) => {
      srv = await starters[kind]();
      t.diagnostic(`${kind} started in ${srv.startupMs} ms at ${srv.url}`);
      assert.match(srv.url, kind === 'mysql'
        ? /^mysql:\/\/neutron:neutron@127\.0\.0\.1:\d+\/neutron$/
        : /^postgresql:\/\/neutron:neutron@127\.0\.0\.1:\d+\/neutron$/);
      assert.ok(existsSync(srv.dir));
      assert.equal(await queryOne(srv.url, 'SELECT 1 + 1 AS two'), 2);

      const a = await createDatabase(srv.url, 'muon_selftest_a');
      const b = await createDatabase(srv.url, 'muon_selftest_b');
      assert.equal(new URL(a).pathname, '/muon_selftest_a');
      const current = kind === 'mysql' ? 'SELECT DATABASE()' : 'SELECT current_database()';
      assert.equal(await queryOne(a, current), 'muon_selftest_a');
      assert.equal(await queryOne(b, current), 'muon_selftest_b');
      // Fresh means empty, and separate.
      await queryOne(a, 'CREATE TABLE t (id INTEGER PRIMARY KEY)');
      await queryOne(a, 'INSERT INTO t VALUES (42)');
      assert.equal(await queryOne(a, 'SELECT id FROM t'), 42);
      const tables = kind === 'mysql'
        ? 'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE()'
        : "SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'";
      assert.equal(Number(await queryOne(b, tables)), 0);
      // Re-creating gives an empty database again.
      await createDatabase(srv.url, 'muon_selftest_a');
      assert.equal(Number(await queryOne(a, tables)), 0);

      await dropDatabase(b);
      assert.deepEqual(await listDatabases(srv.url, 'muon_selftest_'), ['muon_selftest_a']);

      const { pid, dir } = srv;
      await srv.stop();
      await srv.stop(); // idempotent
      assert.ok(gone(pid), `server pid ${pid} still running`);
      assert.ok(gone(-pid), `processes of group ${pid} still running`);
      assert.ok(!existsSync(dir), `${dir} still exists`);
      srv = undefined;
    });
  });
}

// The run's shared servers (global-db.ts), or private ones when this file runs alone.
for (const kind of TEST_DB_KINDS) {
  describe(`freshDatabase [${kind}]`, { skip: dbSkipReason(kind) }, () => {
    it('gives distinct empty databases', async () => {
      const one = await freshDatabase(kind, 'selftest');
      const two = await freshDatabase(kind, 'selftest');
      try {
        assert.notEqual(one.url, two.url);
        if (kind === 'sqlite') {
          assert.match(one.url, /^sqlite:\/\/\/\/.+\/muon\.sqlite$/);
          const { DatabaseSync } = await import('node:sqlite');
          const db = new DatabaseSync(one.url.slice('sqlite:///'.length));
          assert.deepEqual({ ...db.prepare('SELECT 1 AS x').get() }, { x: 1 });
          db.close();
        } else {
          assert.equal(await queryOne(one.url, 'SELECT 1 AS x'), 1);
          assert.equal(await queryOne(two.url, 'SELECT 1 AS x'), 1);
        }
      } finally {
        await one.drop();
        await two.drop();
      }
      if (kind === 'sqlite') assert.ok(!existsSync(one.url.slice('sqlite:///'.length)));
    });
  });
}
