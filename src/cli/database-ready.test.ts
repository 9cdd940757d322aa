// [database] max_retries / retry_interval: a database that cannot be reached yet is waited for
// at start-up, one that refuses (a password, a setting) is not. The last case is real: `muon
// server` starts before its MariaDB accepts connections, waits, and then serves.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isUnreachable, onceReachable } from './database-ready.ts';
import { connect } from '../db/connect.ts';
import { upgrade } from '../db/migrate.ts';
import type { Logger } from '../services/log.ts';
import { dbSkipReason, freshDatabase, type TestDatabase } from '../../test/support/test-db.ts';
import { freePort } from '../../test/support/muon-server.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

function recorder(): Logger & { warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = [];
  return { warnings, info() {}, error() {}, warn: (_m, f) => { warnings.push(f ?? {}); } };
}
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });

describe('onceReachable', () => {
  it('tries again while the database cannot be reached, max_retries times, retry_interval apart', async () => {
    const log = recorder();
    const slept: number[] = [];
    let calls = 0;
    const v = await onceReachable(async () => { if (++calls < 3) throw refused(); return 'up'; },
      { retries: 5, intervalS: 2, log, database: 'db', sleep: async (ms) => { slept.push(ms); } });
    assert.equal(v, 'up');
    assert.deepEqual(slept, [2000, 2000]);
    assert.deepEqual(log.warnings.map((w) => [w.attempt, w.of]), [[1, 6], [2, 6]]);
  });

  it('gives up after max_retries more attempts with the last error', async () => {
    let calls = 0;
    await assert.rejects(onceReachable(async () => { calls++; throw refused(); }, { retries: 2, intervalS: 0, log: recorder(), database: 'db', sleep: async () => {} }),
      /ECONNREFUSED/);
    assert.equal(calls, 3);
  });

  it('does not wait out a refusal: a wrong password, a refused sql_mode', async () => {
    for (const e of [Object.assign(new Error('Access denied'), { errno: 1045 }), Object.assign(new Error("Variable 'sql_mode'"), { errno: 1231 })]) {
      let calls = 0;
      await assert.rejects(onceReachable(async () => { calls++; throw e; }, { retries: -1, intervalS: 0, log: recorder(), database: 'db', sleep: async () => {} }));
      assert.equal(calls, 1);
    }
    assert.equal(isUnreachable(Object.assign(new Error('starting up'), { code: '57P03' })), true);
    assert.equal(isUnreachable(Object.assign(new Error('lost'), { errno: 2013 })), true);
  });
});

describe('muon server before its MariaDB answers', { skip: dbSkipReason('mysql'), timeout: 90_000 }, () => {
  let tdb: TestDatabase;
  let dir: string;
  let late: Server | undefined;
  before(async () => {
    tdb = await freshDatabase('mysql', 'late_db');
    const conn = connect(tdb.url);
    await upgrade(conn);
    await conn.close();
    dir = mkdtempSync(`${tmpdir()}/muon-late-db-`);
  });
  after(async () => {
    late?.close();
    await tdb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits (a warning per attempt) and serves once the database accepts connections', async () => {
    // the database's address: nothing listens there until a forwarder to the real server opens it
    const dbPort = await freePort();
    const real = new URL(tdb.url);
    const u = new URL(tdb.url);
    u.port = String(dbPort);
    const apiPort = await freePort();
    const conf = `${dir}/neutron.conf`;
    writeFileSync(conf, `[DEFAULT]\nauth_strategy = noauth\napi_workers = 1\nbind_host = 127.0.0.1\nbind_port = ${apiPort}\nstate_path = ${dir}/state\n`
      + `[database]\nconnection = ${u.href}\nmax_retries = 20\nretry_interval = 1\n`);
    const server = spawn(process.execPath, [MAIN, 'server', '--config-file', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    server.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    try {
      const waited = () => stderr.split('\n').filter((l) => l.includes('database not reachable yet'));
      for (let t = 0; waited().length < 2; t++) {
        assert.ok(t < 300 && server.exitCode === null, `two attempts refused, still running:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(waited()[0], /"database":"mysql:\/\/[^:]+:\*\*\*@127\.0\.0\.1:\d+\/[^"]+".*"attempt":1,"of":21,"retry_in_s":1/);
      late = createServer((c) => { const s = tcpConnect(Number(real.port), real.hostname); c.pipe(s).pipe(c); s.on('error', () => c.destroy()); c.on('error', () => s.destroy()); });
      await new Promise<void>((r) => late!.listen(dbPort, '127.0.0.1', r));
      for (let t = 0; ; t++) {
        const ok = await fetch(`http://127.0.0.1:${apiPort}/v2.0/networks`).then((r) => r.status === 200, () => false);
        if (ok) break;
        assert.ok(t < 300 && server.exitCode === null, `serving once the database answers (exit ${server.exitCode}):\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => (server.exitCode !== null ? r(null) : server.once('exit', r)));
    }
  });
});
