// 1,000 agents (issue 10, item 4): N simulated Linux bridge hosts, each a real agent-channel
// client over RabbitMQ with its own AMQP connection (bench/agents/fleet.ts), spread over a
// few load-generator processes, against one `muon server` process (SQLite) and a private
// broker (test/support/rabbitmq.ts). Each host gets its share of ports, bound to it through
// the API, on a few VXLAN networks, all in the default security group. Prints:
//   - idle: server / broker / load-generator CPU (user+sys from /proc/<pid>/stat deltas, % of
//     one core) and RSS while the N agents heartbeat at report_interval and keep their watches
//     parked;
//   - heartbeat cost: extra heartbeats at a known rate (each host's own report through its own
//     connection) → server CPU per heartbeat → the cost of N agents at report_interval;
//   - fan-out: a rule added to the shared group, time until each host's agent has it
//     (p50 / p99 / max over hosts, per rep), server CPU spent on it, snapshot size per host.
//
//   node bench/agents.ts [--count 1000] [--ports-per-host 4] [--networks 4] [--workers 2]
//        [--reps 5] [--report-interval 30] [--idle 60] [--burst-rate 250] [--burst-seconds 20] [--api-workers W]
//        [--bulk B: ports per bulk create, default all of them in one]
//
// MUON_BENCH_PROF=<dir> runs the server and the load generators with --cpu-prof into <dir>.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '../src/db/connect.ts';
import { upgrade } from '../src/db/migrate.ts';
import { parseTransportUrl, type RabbitTransport } from '../src/config/transport.ts';
import { startRabbit } from '../test/support/rabbitmq.ts';
import { freePort } from '../test/support/muon-server.ts';
import { cpuPercent, usageOf, usageOfGroup, usageOfTree, type Usage } from './agents/proc-stat.ts';
import { BENCH_ML2_INI, simHosts } from './agents/server-config.ts';
import { buildTopology, fetchApi } from './agents/topology.ts';
import { fanOut, percentile } from './agents/fanout.ts';
import { FleetWorker } from './agents/worker-client.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    'ports-per-host': { type: 'string', default: '4' },
    networks: { type: 'string', default: '4' },
    workers: { type: 'string', default: '2' },
    reps: { type: 'string', default: '5' },
    'report-interval': { type: 'string', default: '30' },
    idle: { type: 'string', default: '60' },
    'burst-rate': { type: 'string', default: '250' },
    'burst-seconds': { type: 'string', default: '20' },
    'api-workers': { type: 'string' },
    bulk: { type: 'string' },
  },
});
const N = Number(values.count);
const portsPerHost = Number(values['ports-per-host']);
const nWorkers = Math.max(1, Math.min(N, Number(values.workers)));
const reps = Number(values.reps);
const reportInterval = Number(values['report-interval']);
const idleSeconds = Number(values.idle);
const burstRate = Number(values['burst-rate']);
const burstSeconds = Number(values['burst-seconds']);
const ROOT = new URL('../', import.meta.url).pathname;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const t0 = performance.now();
const say = (msg: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

const dir = mkdtempSync(join(tmpdir(), 'muon-bench-agents-'));
const broker = await startRabbit();
await broker.addUser('openstack', 'opst');
const dbUrl = `sqlite:///${join(dir, 'muon.sqlite')}`;
{
  const conn = connect(dbUrl);
  await upgrade(conn);
  await conn.close();
}
const port = await freePort();
const transportUrl = broker.url('openstack', 'opst');
writeFileSync(join(dir, 'neutron.conf'), [
  '[DEFAULT]', 'bind_host = 127.0.0.1', `bind_port = ${port}`, 'auth_strategy = noauth', 'core_plugin = ml2', `state_path = ${dir}/state`,
  `transport_url = ${transportUrl}`, ...(values['api-workers'] ? [`api_workers = ${values['api-workers']}`] : []),
  '[database]', `connection = ${dbUrl}`,
  BENCH_ML2_INI,
].join('\n'));
const prof = process.env.MUON_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.MUON_BENCH_PROF}`] : [];
const server = spawn(join(ROOT, 'node_modules/.bin/node'), [...prof, join(ROOT, 'src/cli/main.ts'), 'server', '--quiet', '--config-file', join(dir, 'neutron.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
const api = fetchApi(`http://127.0.0.1:${port}`);
const { brokers, vhost } = parseTransportUrl(transportUrl, { username: 'guest', password: 'guest', vhost: '/' });
const transport: RabbitTransport = { kind: 'rabbit', brokers, vhost, heartbeatSeconds: 60, callTimeoutMs: 60_000, source: '[DEFAULT] transport_url' };
const workers = Array.from({ length: nWorkers }, () => new FleetWorker());
// interrupted: no server or load generator left behind (the broker's own hooks remove it)
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    server.kill('SIGKILL');
    for (const w of workers) w.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, sig);
  });
}

interface Sample { at: number; server: Usage; broker: Usage; gen: Usage }
const sample = (): Sample => ({
  at: performance.now(), server: usageOfTree(server.pid!), broker: usageOfGroup(broker.pid()!),
  gen: workers.map((w) => usageOf(w.pid)).reduce((a, b) => ({ cpuMs: a.cpuMs + b.cpuMs, rssKb: a.rssKb + b.rssKb }), usageOf(process.pid)),
});
const usageLine = (a: Sample, b: Sample) => {
  const ms = b.at - a.at;
  return `server ${cpuPercent(a.server, b.server, ms).toFixed(1)} % CPU, RSS ${mb(b.server.rssKb)}; `
    + `broker ${cpuPercent(a.broker, b.broker, ms).toFixed(1)} % CPU, RSS ${mb(b.broker.rssKb)}; `
    + `load generators ${cpuPercent(a.gen, b.gen, ms).toFixed(1)} % CPU, RSS ${mb(b.gen.rssKb)}`;
};
const counters = async () => {
  const all = await Promise.all(workers.map((w) => w.counters()));
  return {
    reports: all.reduce((s, c) => s + c.reports, 0), watches: all.reduce((s, c) => s + c.watches, 0),
    snapshots: all.reduce((s, c) => s + c.snapshots, 0), warnings: all.reduce((s, c) => s + c.warnings, 0),
    firstWarnings: all.flatMap((c) => c.firstWarnings),
  };
};

try {
  for (let t = 0; ; t++) {
    try { await api('GET', '/v2.0/networks?limit=1'); break; } catch (e) { if (t > 300) throw e; await sleep(100); }
  }
  say(`agents bench: ${N} hosts × ${portsPerHost} ports on ${values.networks} VXLAN networks, ${nWorkers} load generator(s), report_interval ${reportInterval} s, `
    + `server on SQLite with api_workers ${values['api-workers'] ?? 'default (one per core)'} (CPU and RSS: all its processes); `
    + `machine: ${(await import('node:os')).cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

  const hosts = simHosts(N);
  const s0 = sample();
  await Promise.all(workers.map((w, i) => w.start({
    transport, hosts: hosts.filter((_, k) => k % nWorkers === i), reportIntervalMs: reportInterval * 1000, startConcurrency: 10,
  })));
  const s1 = sample();
  say(`${N} agents connected and registered in ${((s1.at - s0.at) / 1000).toFixed(1)} s; ${usageLine(s0, s1)}`);

  // one bulk by default: each bulk changes every host's peers and group members, which then
  // travel whole to every host (see docs/agents-at-scale.md)
  const topo = await buildTopology(api, hosts.map((h) => h.name), { networks: Number(values.networks), portsPerHost, bulk: Number(values.bulk ?? N * portsPerHost) });
  const s2 = sample();
  say(`${topo.ports} ports bound through the API in ${((s2.at - s1.at) / 1000).toFixed(1)} s; ${usageLine(s1, s2)}`);
  await Promise.all(workers.map((w, i) => w.waitPorts(Object.fromEntries(hosts.filter((_, k) => k % nWorkers === i).map((h) => [h.name, portsPerHost])), 2_400_000)));
  for (let t = 0; ; t++) {
    const down = (await api('GET', '/v2.0/ports?status=DOWN&fields=id')).ports.length;
    if (down === 0) break;
    if (t > 4800) throw new Error(`${down} ports still DOWN after 40 min`);
    await sleep(500);
  }
  const s3 = sample();
  say(`every host has its ports and reported them up (all ACTIVE) ${((s3.at - s2.at) / 1000).toFixed(1)} s later; ${usageLine(s2, s3)}`);

  // idle: heartbeats at report_interval, watches parked (and renewed every 25 s), nothing else
  await sleep(5000);
  const c0 = await counters();
  const i0 = sample();
  await sleep(idleSeconds * 1000);
  const i1 = sample();
  const c1 = await counters();
  const idleMs = i1.at - i0.at;
  const idleServerPct = cpuPercent(i0.server, i1.server, idleMs);
  say(`idle ${(idleMs / 1000).toFixed(0)} s (${c1.reports - c0.reports} heartbeats, ${c1.watches - c0.watches} watch renewals): ${usageLine(i0, i1)}`);

  // heartbeat cost: a known number of extra heartbeats on top of idle
  const b0 = sample();
  const sent = (await Promise.all(workers.map((w) => w.heartbeatBurst(burstRate / nWorkers, burstSeconds)))).reduce((a, b) => a + b, 0);
  const b1 = sample();
  const burstMs = b1.at - b0.at;
  const perHeartbeatMs = ((b1.server.cpuMs - b0.server.cpuMs) - (idleServerPct / 100) * burstMs) / sent;
  const brokerPerHeartbeatMs = ((b1.broker.cpuMs - b0.broker.cpuMs) - (cpuPercent(i0.broker, i1.broker, idleMs) / 100) * burstMs) / sent;
  const atInterval = (N / reportInterval) * perHeartbeatMs / 10;
  say(`heartbeat burst: ${sent} heartbeats in ${(burstMs / 1000).toFixed(1)} s (${(sent / (burstMs / 1000)).toFixed(0)}/s); ${usageLine(b0, b1)}`);
  say(`heartbeat cost: server ${perHeartbeatMs.toFixed(3)} ms CPU each, broker ${brokerPerHeartbeatMs.toFixed(3)} ms → ${N} agents at report_interval ${reportInterval} s: `
    + `server ${atInterval.toFixed(2)} % of one core (goal ≤ 5 %), broker ${((N / reportInterval) * brokerPerHeartbeatMs / 10).toFixed(2)} %; idle server total (heartbeats + watch renewals) ${idleServerPct.toFixed(2)} %`);

  // fan-out
  const all: number[] = [];
  const lasts: number[] = [];
  for (let rep = 1; rep <= reps; rep++) {
    await sleep(3000);
    const f0 = sample();
    const r = await fanOut(api, topo.sgId, workers, 20_000 + rep, 600_000);
    const f1 = sample();
    all.push(...r.latenciesMs);
    lasts.push(Math.max(...r.latenciesMs));
    say(`fan-out ${rep}: ${r.latenciesMs.length} hosts, p50 ${percentile(r.latenciesMs, 50).toFixed(0)} ms, p99 ${percentile(r.latenciesMs, 99).toFixed(0)} ms, last ${Math.max(...r.latenciesMs).toFixed(0)} ms `
      + `(API request ${r.requestMs.toFixed(0)} ms); server CPU ${(f1.server.cpuMs - f0.server.cpuMs).toFixed(0)} ms, broker ${(f1.broker.cpuMs - f0.broker.cpuMs).toFixed(0)} ms, `
      + `load generators ${(f1.gen.cpuMs - f0.gen.cpuMs).toFixed(0)} ms; answer with the rule ${(percentile(r.bytes, 50) / 1024).toFixed(1)} KiB per host, ${(r.bytes.reduce((a, b) => a + b, 0) / 1048576).toFixed(1)} MiB in all`);
  }
  if (reps) say(`fan-out over ${reps} reps × ${N} hosts: p50 ${percentile(all, 50).toFixed(0)} ms, p99 ${percentile(all, 99).toFixed(0)} ms; last host p50 ${percentile(lasts, 50).toFixed(0)} ms, worst ${Math.max(...lasts).toFixed(0)} ms (goal p99 ≤ 1000 ms)`);
  const c2 = await counters();
  say(`load generators: ${c2.warnings} warnings${c2.firstWarnings.length ? `, first: ${c2.firstWarnings.join(' | ')}` : ''}; machine load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  await Promise.all(workers.map((w) => w.stop()));
  server.kill('SIGTERM');
  await new Promise((r) => server.exitCode !== null ? r(null) : server.once('exit', r));
  await broker.destroy();
  rmSync(dir, { recursive: true, force: true });
}
