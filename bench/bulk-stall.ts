// Does one huge request stall everyone else? A `muon server` child process (noauth, on
// SQLite, MariaDB or PostgreSQL), a network with a /16 subnet, then one bulk create of N
// ports (default 10,000) while another client keeps a steady stream of small requests
// going (GET /v2.0/networks/{id}, GET /v2.0/ports?limit=1, POST a network). Prints the
// bulk's duration and the small requests' latency during it, and the same small requests
// with nothing else running (baseline). Issue 10's goal: p99 during the bulk <= 100 ms.
//
//   node bench/bulk-stall.ts [--db sqlite|mysql|postgres] [--ports N] [--runs R] [--clients C] [--workers W]
//
// --workers: the server's api_workers (default 1; with 2 the bulk and the small requests
// usually land on different processes).
//
// The server runs in its own process so that a stalled server loop never delays the
// load generator's clock. MariaDB/PostgreSQL are private throwaway servers
// (test/support/db-servers.ts). Profile the server with MUON_BENCH_PROF=<dir>
// (passes --cpu-prof --cpu-prof-dir=<dir> to it).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '../src/db/connect.ts';
import { upgrade } from '../src/db/migrate.ts';
import { freshDatabase, type TestDbKind } from '../test/support/test-db.ts';
import { freePort } from '../test/support/muon-server.ts';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    ports: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '1' },
    clients: { type: 'string', default: '2' },
    workers: { type: 'string', default: '1' },
    baseline: { type: 'string', default: '5' },
  },
});
const kind = (values.db === 'mariadb' ? 'mysql' : values.db === 'pg' || values.db === 'postgresql' ? 'postgres' : values.db) as TestDbKind;
if (!['sqlite', 'mysql', 'postgres'].includes(kind)) throw new Error(`--db ${values.db}: sqlite, mysql or postgres`);
const nPorts = Number(values.ports);
const runs = Number(values.runs);
const clients = Number(values.clients);
const baselineSeconds = Number(values.baseline);
const ROOT = new URL('../', import.meta.url).pathname;

const dir = mkdtempSync(join(tmpdir(), 'muon-bench-stall-'));
const db = await freshDatabase(kind, 'bulk_stall');
const dbUrl = db.url;
{
  const conn = connect(dbUrl);
  await upgrade(conn);
  await conn.close();
}
const port = await freePort();
writeFileSync(join(dir, 'neutron.conf'), [
  '[DEFAULT]', 'bind_host = 127.0.0.1', `bind_port = ${port}`, 'auth_strategy = noauth', 'core_plugin = ml2', 'service_plugins = router',
  `state_path = ${dir}/state`, `api_workers = ${values.workers}`,
  '[database]', `connection = ${dbUrl}`,
  '[quotas]', 'quota_port = -1', 'quota_network = -1',
  '[ml2]', 'type_drivers = flat,vlan,vxlan', 'tenant_network_types = vxlan', 'mechanism_drivers = linuxbridge,l2population',
  'extension_drivers = port_security', '[ml2_type_vxlan]', 'vni_ranges = 1:1000000', '',
].join('\n'));
const prof = process.env.MUON_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.MUON_BENCH_PROF}`] : [];
const server = spawn(join(ROOT, 'node_modules/.bin/node'), [...prof, join(ROOT, 'src/cli/main.ts'), 'server', '--quiet', '--config-file', join(dir, 'neutron.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
const url = `http://127.0.0.1:${port}`;

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(url + path, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** Small requests, one after another on each of `clients` loops, until stop() — each one's latency. */
function smallLoad(networkId: string) {
  const samples: Sample[] = [];
  let running = true;
  let n = 0;
  const kinds: [string, () => Promise<unknown>][] = [
    ['GET network', () => api('GET', `/v2.0/networks/${networkId}`)],
    ['GET ports?limit=1', () => api('GET', '/v2.0/ports?limit=1')],
    ['POST network', () => api('POST', '/v2.0/networks', { network: { name: `small-${n}` } })],
  ];
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      const start = performance.now();
      const [what, call] = kinds[n++ % kinds.length];
      await call();
      samples.push({ what, start, ms: performance.now() - start });
    }
  });
  return { samples, stop: async () => { running = false; await Promise.all(loops); } };
}

interface Sample { what: string; start: number; ms: number }

function report(label: string, samples: Sample[]): void {
  console.log(`  ${label}: ${figures(samples.map((s) => s.ms))}`);
  for (const what of [...new Set(samples.map((s) => s.what))]) console.log(`      ${what.padEnd(18)} ${figures(samples.filter((s) => s.what === what).map((s) => s.ms))}`);
}

function figures(ms: number[]): string {
  if (!ms.length) return 'no requests';
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)].toFixed(1);
  return `n ${s.length}, p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, p99 ${q(0.99)} ms, max ${s[s.length - 1].toFixed(1)} ms`;
}

try {
  for (let t = 0; ; t++) {
    try { await api('GET', '/v2.0/networks?limit=1'); break; } catch (e) { if (t > 300) throw e; await new Promise((r) => setTimeout(r, 100)); }
  }
  // the first worker answers: give the others (started alongside) time to be serving too
  if (Number(values.workers) > 1) await new Promise((r) => setTimeout(r, 5000));
  console.log(`bulk-stall on ${kind}, api_workers ${values.workers}: ${nPorts} ports in one bulk create, ${clients} small-request client(s); machine load ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const probe = (await api('POST', '/v2.0/networks', { network: { name: 'probe' } })).network.id;
  {
    const load = smallLoad(probe);
    await new Promise((r) => setTimeout(r, baselineSeconds * 1000));
    await load.stop();
    report(`baseline (no bulk, ${baselineSeconds} s), small requests`, load.samples);
  }
  for (let run = 1; run <= runs; run++) {
    const net = (await api('POST', '/v2.0/networks', { network: { name: `bulk-${run}` } })).network.id;
    await api('POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: `10.${run}.0.0/16` } });
    const load = smallLoad(probe);
    await new Promise((r) => setTimeout(r, 300)); // the stream is flowing before the bulk starts
    const t0 = performance.now();
    const created = await api('POST', '/v2.0/ports', { ports: Array.from({ length: nPorts }, (_, i) => ({ network_id: net, name: `b${i}` })) });
    const bulkMs = performance.now() - t0;
    await load.stop();
    if (created.ports.length !== nPorts) throw new Error(`bulk created ${created.ports.length} ports`);
    // every small request that was in flight at some point of the bulk's life
    console.log(`  run ${run}: bulk create of ${nPorts} ports ${(bulkMs / 1000).toFixed(2)} s`);
    report(`run ${run}: small requests during the bulk`, load.samples.filter((s) => s.start < t0 + bulkMs && s.start + s.ms > t0));
  }
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
}
