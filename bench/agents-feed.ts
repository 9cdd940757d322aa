// The server's own share of a 1,000-host fan-out, without the broker and the simulated agents
// (bench/agents.ts measures all of it together, on a machine where they compete for two
// cores): one `muon server` in this process on SQLite, N Linux bridge agents registered and
// their ports bound through the API as in bench/agents.ts, N watches parked on the agent
// channel's handlers (what both transports call), then per rep a rule added to the group every
// port is in. Prints per rep: the time until every watch was answered and its answer encoded
// as the RabbitMQ transport sends it, this process's CPU for that (API request included), and
// the CPU for the N watches coming back to park again.
//
//   node bench/agents-feed.ts [--count 1000] [--ports-per-host 4] [--networks 4] [--reps 10]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { embeddedDefaults, loadConfigSources } from '../src/config/load.ts';
import { connect } from '../src/db/connect.ts';
import { upgrade } from '../src/db/migrate.ts';
import { startServer } from '../src/api/server.ts';
import { channelHandlers } from '../src/api/agent-channel-handlers.ts';
import { encode } from '../src/transport/agent-channel-protocol.ts';
import { silentLogger } from '../src/services/log.ts';
import { AGENT_IDENTITIES } from '../src/domain/agent-types.ts';
import { LINUXBRIDGE_PARTS } from '../src/agents/linuxbridge/agent.ts';
import { withKeptSections, type HostState } from '../src/feed/host-state.ts';
import { BENCH_ML2_INI, simHosts } from './agents/server-config.ts';
import { buildTopology, fetchApi } from './agents/topology.ts';
import { percentile } from './agents/fanout.ts';

const { values } = parseArgs({ options: {
  count: { type: 'string', default: '1000' }, 'ports-per-host': { type: 'string', default: '4' }, networks: { type: 'string', default: '4' }, reps: { type: 'string', default: '10' },
} });
const N = Number(values.count);
const reps = Number(values.reps);
const dir = mkdtempSync(join(tmpdir(), 'muon-bench-feed-'));
const conn = connect(`sqlite:///${join(dir, 'muon.sqlite')}`);
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
try {
  await upgrade(conn);
  const { config } = loadConfigSources([{ file: '<bench>', text: `[DEFAULT]\nauth_strategy = noauth\n${BENCH_ML2_INI}` }], { defaults: embeddedDefaults() });
  const server = await startServer({ config, conn, host: '127.0.0.1', port: 0, log: silentLogger });
  try {
    const h = channelHandlers(server.deps, server.watch, silentLogger);
    const hosts = simHosts(N);
    for (const s of hosts) {
      await h.report({ agent_state: { ...AGENT_IDENTITIES.linuxbridge, host: s.name, start_flag: true,
        configurations: { interface_mappings: {}, bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: s.tunnelIp, l2_population: true } } });
    }
    const api = fetchApi(server.url);
    const topo = await buildTopology(api, hosts.map((s) => s.name), { networks: Number(values.networks), portsPerHost: Number(values['ports-per-host']) });
    // every host's whole state, as its agent holds it after its first snapshot
    const held = new Map<string, HostState>();
    for (const s of hosts) held.set(s.name, (await h.watch(s.name, -1, 0, null, LINUXBRIDGE_PARTS))!);
    console.log(`${N} hosts, ${topo.ports} ports on ${topo.networks.length} networks; node ${process.version}`);
    const park = () => hosts.map((s) => {
      const had = held.get(s.name)!;
      return h.watch(s.name, had.revision, 25_000, had.digest, LINUXBRIDGE_PARTS).then((a) => {
        const bytes = encode({ result: a }).length; // what the RabbitMQ transport sends
        if (a) held.set(s.name, withKeptSections(had, a));
        return { at: performance.now(), bytes, got: !!a };
      });
    });
    let parked = park();
    await new Promise((r) => setTimeout(r, 100));
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let rep = 1; rep <= reps; rep++) {
      const c0 = cpuMs();
      const t0 = performance.now();
      await api('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: topo.sgId, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 30_000 + rep, port_range_max: 30_000 + rep } });
      const done = await Promise.all(parked);
      const c1 = cpuMs();
      if (!done.every((d) => d.got)) throw new Error(`rep ${rep}: ${done.filter((d) => !d.got).length} watches ended without the change`);
      const lat = done.map((d) => d.at - t0);
      // the agents come back with the digest they were given
      parked = park();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 50));
      const c2 = cpuMs();
      walls.push(Math.max(...lat));
      cpus.push(c1 - c0);
      console.log(`rep ${rep}: all ${N} answered in ${Math.max(...lat).toFixed(0)} ms (p50 ${percentile(lat, 50).toFixed(0)} ms), CPU ${(c1 - c0).toFixed(0)} ms `
        + `(${((c1 - c0) / N * 1000).toFixed(0)} µs per host), ${(done.reduce((a, d) => a + d.bytes, 0) / 1024 / N).toFixed(1)} KiB per answer; `
        + `${N} watches parked again: CPU ${(c2 - c1).toFixed(0)} ms`);
    }
    console.log(`over ${reps} reps: last answer p50 ${percentile(walls, 50).toFixed(0)} ms, max ${Math.max(...walls).toFixed(0)} ms; CPU p50 ${percentile(cpus, 50).toFixed(0)} ms per change`);
    server.watch.close();
    await Promise.all(parked);
  } finally {
    await server.close();
  }
} finally {
  await conn.close();
  rmSync(dir, { recursive: true, force: true });
}
