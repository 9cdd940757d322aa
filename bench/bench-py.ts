// Runs the anchors' bench.py (../shared/anchors/bench.py, the workload Zed was measured with)
// against a `muon server` child process (noauth, quotas lifted) on SQLite, MariaDB or
// PostgreSQL, and prints bench.py's table. MariaDB/PostgreSQL are private throwaway servers
// with a normal Debian install's durability settings (test/support/db-servers.ts); put their
// data on disk rather than /dev/shm with MUON_TEST_DB_TMPDIR=/tmp, or use a server of your
// own with MUON_TEST_MYSQL_URL / MUON_TEST_PG_URL.
//
//   node bench/bench-py.ts [--db sqlite|mysql|postgres] [--bench path/to/bench.py] [-- bench.py options]
//   e.g. node bench/bench-py.ts --db mysql -- --networks 100 --ports 1000 --concurrency 8 --bulk 200 --runs 1
//
// Profile the server with MUON_BENCH_PROF=<dir> (--cpu-prof into <dir>).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '../src/db/connect.ts';
import { upgrade } from '../src/db/migrate.ts';
import { freshDatabase, type TestDbKind } from '../test/support/test-db.ts';
import { freePort } from '../test/support/muon-server.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const { values, positionals } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    // the anchors sit in ../shared beside the checkout (or beside the worktrees' folder)
    bench: { type: 'string', default: [join(ROOT, '../shared/anchors/bench.py'), join(ROOT, '../../shared/anchors/bench.py')].find((p) => existsSync(p)) },
  },
  allowPositionals: true,
});
const kind = (values.db === 'mariadb' ? 'mysql' : values.db === 'pg' || values.db === 'postgresql' ? 'postgres' : values.db) as TestDbKind;
if (!['sqlite', 'mysql', 'postgres'].includes(kind)) throw new Error(`--db ${values.db}: sqlite, mysql or postgres`);
if (!values.bench) throw new Error('bench.py not found: give --bench path/to/bench.py');

const dir = mkdtempSync(join(tmpdir(), 'muon-bench-py-'));
const db = await freshDatabase(kind, 'bench_py');
{
  const conn = connect(db.url);
  await upgrade(conn);
  await conn.close();
}
const port = await freePort();
writeFileSync(join(dir, 'neutron.conf'), [
  '[DEFAULT]', 'bind_host = 127.0.0.1', `bind_port = ${port}`, 'auth_strategy = noauth', 'core_plugin = ml2', 'service_plugins = router',
  `state_path = ${dir}/state`,
  '[database]', `connection = ${db.url}`,
  '[quotas]', 'quota_port = -1', 'quota_network = -1', 'quota_subnet = -1',
  '[ml2]', 'type_drivers = flat,vlan,vxlan', 'tenant_network_types = vxlan', 'mechanism_drivers = linuxbridge,l2population',
  'extension_drivers = port_security', '[ml2_type_flat]', 'flat_networks = public', '[ml2_type_vxlan]', 'vni_ranges = 1:10000', '',
].join('\n'));
const prof = process.env.MUON_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.MUON_BENCH_PROF}`] : [];
const server = spawn(join(ROOT, 'node_modules/.bin/node'), [...prof, join(ROOT, 'src/cli/main.ts'), 'server', '--quiet', '--config-file', join(dir, 'neutron.conf')],
  { stdio: ['ignore', 'ignore', 'inherit'] });
const url = `http://127.0.0.1:${port}`;
try {
  for (let t = 0; ; t++) {
    try { if ((await fetch(`${url}/v2.0/networks?limit=1`)).ok) break; } catch (e) { if (t > 300) throw e; }
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`bench.py on muon/${kind} (${db.url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@')}), machine load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const code = await new Promise<number | null>((resolve) => {
    const py = spawn('python3', [values.bench!, '--url', url, '--token', 'x', '--label', `muon-${kind}`, ...positionals], { stdio: 'inherit' });
    py.once('exit', resolve);
  });
  if (code !== 0) process.exitCode = 1;
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
}
