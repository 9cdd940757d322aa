// The anchors' bench.py against `muon server` with a given api_workers, on SQLite or on a private
// MariaDB (test/support/db-servers.ts), started and removed here:
//
//   node bench/api-workers.ts --db sqlite|mariadb --workers 1|2 [bench.py options …]
//   e.g. node bench/api-workers.ts --db mariadb --workers 2 --networks 20 --ports 200 --runs 1
//
// bench.py (../shared/anchors/bench.py, or $MUON_BENCH_PY) prints its own table of figures.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../src/db/connect.ts';
import { upgrade } from '../src/db/migrate.ts';
import { createDatabase, freePort, startServer, type DbServer } from '../test/support/db-servers.ts';
import { httpJson, spawnMuon } from '../test/support/muon-process.ts';

const argv = process.argv.slice(2);
const take = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
};
const kind = take('db', 'sqlite');
const workers = Number(take('workers', '1'));
const benchPy = process.env.MUON_BENCH_PY ?? new URL('../../shared/anchors/bench.py', import.meta.url).pathname;
if (!existsSync(benchPy)) throw new Error(`bench.py not found at ${benchPy}: set MUON_BENCH_PY`);

const dir = mkdtempSync(join(tmpdir(), 'muon-bench-workers-'));
let db: DbServer | undefined;
try {
  let url = `sqlite:///${dir}/muon.sqlite`;
  if (kind === 'mariadb' || kind === 'mysql') {
    db = await startServer('mysql');
    url = await createDatabase(db.url, 'muon_bench');
    const c = connect(url);
    await upgrade(c);
    await c.close();
  } else if (kind !== 'sqlite') throw new Error(`--db sqlite or mariadb, not ${kind}`);
  const port = await freePort();
  writeFileSync(join(dir, 'neutron.conf'), [
    '[DEFAULT]', 'bind_host = 127.0.0.1', `bind_port = ${port}`, 'auth_strategy = noauth', 'core_plugin = ml2', `state_path = ${dir}/state`,
    `api_workers = ${workers}`, '[database]', `connection = ${url}`, '[quotas]', 'quota_network = -1', 'quota_subnet = -1', 'quota_port = -1',
    '[ml2]', 'type_drivers = flat,vxlan', 'tenant_network_types = vxlan', 'mechanism_drivers = linuxbridge', '[ml2_type_vxlan]', 'vni_ranges = 1:100000', '',
  ].join('\n'));
  const muon = spawnMuon(['--quiet', '--config-file', join(dir, 'neutron.conf')]);
  try {
    // --quiet: no log line per request (nor a listening line): ask until it answers
    const base = `http://127.0.0.1:${port}`;
    for (let t = Date.now(); (await httpJson(base, 'GET', '/healthcheck').catch(() => ({ status: 0 }))).status !== 200;) {
      if (Date.now() - t > 60_000) throw new Error(`muon server did not answer in 60 s:\n${muon.text()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // the other workers start alongside the first
    if (workers > 1) await new Promise((r) => setTimeout(r, 5000));
    const label = `muon ${kind} api_workers=${workers}`;
    console.log(`# ${label}, bench.py ${argv.join(' ')}`);
    const py = spawn('python3', [benchPy, '--url', `http://127.0.0.1:${port}`, '--token', 'x', '--label', label, ...argv], { stdio: 'inherit' });
    const code = await new Promise<number>((r) => py.once('exit', (c) => r(c ?? 1)));
    if (code !== 0) process.exitCode = code;
  } finally {
    await muon.stop();
  }
} finally {
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
}
