// Time from a security-group rule change (the API POST sent) to an agent's parked watch
// returning the new state, over the unix socket and over RabbitMQ (a private rabbitmq-server,
// test/support/rabbitmq.ts), one server serving both; alternating, N changes each (default 50).
// No root needed: the API and the channels only.  node bench/channel-latency.ts [N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedDefaults, loadConfigSources } from '../src/config/load.ts';
import { selectTransport, type RabbitTransport } from '../src/config/transport.ts';
import { connect } from '../src/db/connect.ts';
import { upgrade } from '../src/db/migrate.ts';
import { startServer } from '../src/api/server.ts';
import { httpChannel } from '../src/agents/channel/http-channel.ts';
import { amqpChannel } from '../src/agents/channel/amqp-channel.ts';
import type { AgentChannel } from '../src/feed/channel.ts';
import { silentLogger } from '../src/services/log.ts';
import { startRabbit } from '../test/support/rabbitmq.ts';

const n = Number(process.argv[2] ?? 50);
const dir = mkdtempSync(join(tmpdir(), 'muon-bench-channel-'));
const broker = await startRabbit();
const conn = connect(`sqlite:///${join(dir, 'b.sqlite')}`);
try {
  await broker.addUser('openstack', 'opst');
  const { config } = loadConfigSources([{ file: '<bench>', text: `[DEFAULT]\nauth_strategy = noauth\ntransport_url = ${broker.url('openstack', 'opst')}\n[quotas]\nquota_security_group_rule = -1\n` }], { defaults: embeddedDefaults() });
  await upgrade(conn);
  const transport = selectTransport(config) as RabbitTransport;
  const server = await startServer({ config, conn, host: '127.0.0.1', port: 0, agentSocket: join(dir, 'agent.sock'), amqp: transport });
  const api = async (method: string, path: string, body?: unknown) => (await (await fetch(server.url + path, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json()) as any;
  const channels: Record<string, AgentChannel> = { 'unix socket': httpChannel(join(dir, 'agent.sock')), RabbitMQ: amqpChannel(transport, silentLogger) };
  try {
    const conf = { interface_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: '192.0.2.1', l2_population: true };
    // the server's consumer connects in the background: retry as an agent would
    for (let t = 0; ; t++) {
      try {
        await channels.RabbitMQ.report({ agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', topic: 'N/A', host: 'compute', configurations: conf, start_flag: true });
        break;
      } catch (e) { if (t > 50) throw e; await new Promise((r) => setTimeout(r, 200)); }
    }
    const net = (await api('POST', '/v2.0/networks', { network: { name: 'private' } })).network.id;
    await api('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '172.16.1.0/24', ip_version: 4 } });
    const port = (await api('POST', '/v2.0/ports', { port: { network_id: net, 'binding:host_id': 'compute', device_owner: 'compute:nova' } })).port;
    const sg = port.security_groups[0] as string;
    const times: Record<string, number[]> = { 'unix socket': [], RabbitMQ: [] };
    for (let i = 0; i < n; i++) {
      for (const [name, ch] of Object.entries(channels)) {
        const cur = (await ch.watch('compute', -1, 0))!;
        if (i === 0 && !cur.ports.length) throw new Error(`no port bound to compute: ${JSON.stringify(port)}`);
        const waiting = ch.watch('compute', cur.revision, 20_000, cur.digest);
        waiting.catch(() => { /* awaited below; not unhandled if the POST throws first */ });
        await new Promise((r) => setTimeout(r, 5)); // the watch is parked at the server
        const t0 = performance.now();
        const made = await api('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg, direction: 'ingress', protocol: 'tcp', port_range_min: 1000 + i * 2 + (name === 'RabbitMQ' ? 1 : 0), port_range_max: 1000 + i * 2 + (name === 'RabbitMQ' ? 1 : 0) } });
        if (!made.security_group_rule) throw new Error(JSON.stringify(made));
        const next = await waiting;
        if (!next) throw new Error(`${name}: the watch returned no change`);
        times[name].push(performance.now() - t0);
      }
    }
    const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
    for (const [name, xs] of Object.entries(times)) {
      console.log(`rule change → watch returns, ${name.padEnd(11)}: p50 ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (${xs.length} changes)`);
    }
  } finally {
    for (const ch of Object.values(channels)) ch.close();
    await server.close();
  }
} finally {
  await conn.close();
  await broker.destroy();
  rmSync(dir, { recursive: true, force: true });
}
