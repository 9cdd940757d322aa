// `muon server` with a database it cannot use says so in one line and exits 1. It used to print
// the error and then wait for ever: the pool's sockets kept the process alive.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dbSkipReason, freshDatabase, type TestDatabase } from '../../test/support/test-db.ts';
import { freePort } from '../../test/support/muon-server.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('muon server: a MariaDB it cannot use', { skip: dbSkipReason('mysql'), timeout: 90_000 }, () => {
  let tdb: TestDatabase;
  let dir: string;
  before(async () => {
    tdb = await freshDatabase('mysql', 'startup');
    dir = mkdtempSync(`${tmpdir()}/muon-startup-`);
  });
  after(async () => { await tdb?.drop(); rmSync(dir, { recursive: true, force: true }); });

  async function serverWith(database: string): Promise<{ code: number | null; errors: string[] }> {
    const conf = `${dir}/neutron.conf`;
    writeFileSync(conf, `[DEFAULT]\nauth_strategy = noauth\nbind_host = 127.0.0.1\nbind_port = ${await freePort()}\nstate_path = ${dir}/state\n[database]\n${database}\n`);
    const r = spawnSync(process.execPath, [MAIN, 'server', '--quiet', '--config-file', conf], { encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, errors: r.stderr.split('\n').filter((l) => l.startsWith('error') || l.startsWith('    at ')) };
  }

  it('an sql_mode the server refuses: names the option, exit 1', async () => {
    const r = await serverWith(`connection = ${tdb.url}\nmysql_sql_mode = NOT_A_MODE`);
    assert.equal(r.code, 1, r.errors.join('\n'));
    assert.equal(r.errors.length, 1, `one line, no stack trace:\n${r.errors.join('\n')}`);
    assert.match(r.errors[0], /^error: cannot use the database mysql:\/\/[^:]+:\*\*\*@.*: Variable 'sql_mode' can't be set .*\(check \[database\] mysql_sql_mode\)$/);
  });

  it('a wrong password: the server\'s own answer, the password hidden, exit 1', async () => {
    const u = new URL(tdb.url);
    u.password = 'not-the-password';
    const r = await serverWith(`connection = ${u.href}`);
    assert.equal(r.code, 1, r.errors.join('\n'));
    assert.equal(r.errors.length, 1, r.errors.join('\n'));
    assert.match(r.errors[0], /^error: cannot use the database mysql:\/\/[^:]+:\*\*\*@.*Access denied/);
    assert.doesNotMatch(r.errors[0], /not-the-password/);
  });
});
