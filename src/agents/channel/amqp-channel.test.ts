// The agent channel over a real, private RabbitMQ (test/support/rabbitmq.ts): a Muon server
// consuming it and an agent-side channel calling through it, a broker restart, and the errors
// an operator gets for a wrong password, an unreachable broker and a vhost without permissions.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { embeddedDefaults, loadConfigSources } from '../../config/load.ts';
import { selectTransport, type RabbitTransport } from '../../config/transport.ts';
import { connect, type Db } from '../../db/connect.ts';
import { upgrade } from '../../db/migrate.ts';
import { startServer, type RunningServer } from '../../api/server.ts';
import { startAmqpAgentChannel } from '../../api/agent-channel-amqp.ts';
import type { ChannelHandlers } from '../../api/agent-channel-handlers.ts';
import type { AgentChannel } from '../../feed/channel.ts';
import type { HostState } from '../../feed/host-state.ts';
import { AgentLoop } from '../loop.ts';
import { amqpChannel } from './amqp-channel.ts';
import { ChannelError } from './http-channel.ts';
import { freePort } from '../../../test/support/db-servers.ts';
import { rabbitSkipReason, startRabbit, type RabbitBroker } from '../../../test/support/rabbitmq.ts';

interface Line { level: string; msg: string; fields?: Record<string, unknown> }
function capture(): { lines: Line[]; info(m: string, f?: Record<string, unknown>): void; warn(m: string, f?: Record<string, unknown>): void; error(m: string, f?: Record<string, unknown>): void } {
  const lines: Line[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => { lines.push({ level, msg, fields }); if (process.env.MUON_TEST_LOG) console.error(level, msg, fields ?? ''); };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

const transportFor = (url: string): RabbitTransport => {
  const t = selectTransport(loadConfigSources([{ file: '<test>', text: `[DEFAULT]\ntransport_url = ${url}\nrpc_response_timeout = 10\n[oslo_messaging_rabbit]\nheartbeat_timeout_threshold = 10\n` }]).config);
  assert.equal(t.kind, 'rabbit');
  return t as RabbitTransport;
};

const LB = { agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', topic: 'N/A' };
const CONF = { interface_mappings: { public: 'eno1' }, bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: '192.168.81.65', l2_population: true, devices: 0 };

async function until<T>(what: string, ms: number, f: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('agent channel over RabbitMQ', { skip: rabbitSkipReason(), timeout: 240_000 }, () => {
  let broker: RabbitBroker;
  let conn: Db;
  let server: RunningServer;
  let ch: AgentChannel;
  let api: (method: string, path: string, body?: unknown) => Promise<any>;
  const serverLog = capture();
  const agentLog = capture();
  let net: string;
  let sg: string;
  let vm: { id: string; ip: string };
  let dir: string;
  let url: string;

  before(async () => {
    broker = await startRabbit();
    await broker.addUser('openstack', 'op@st:/%');
    await broker.addUser('lonely', 'pw', 'secluded', false);
    url = broker.url('openstack', 'op@st:/%'); // percent-encoded user and password, decoded by the parser
    dir = await mkdtemp(`${tmpdir()}/muon-amqp-`);
    const { config } = loadConfigSources([
      { file: '<test>', text: `[DEFAULT]\nauth_strategy = noauth\ntransport_url = ${url}\nrpc_response_timeout = 10\n[oslo_messaging_rabbit]\nheartbeat_timeout_threshold = 10\n` },
    ], { defaults: embeddedDefaults() });
    conn = connect(`sqlite:///${dir}/muon.sqlite`); // a file: a second server shares it below
    await upgrade(conn);
    server = await startServer({ config, conn, host: '127.0.0.1', port: 0, log: serverLog, amqp: selectTransport(config) as RabbitTransport });
    api = async (method, path, body) => {
      const res = await fetch(server.url + path, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    ch = amqpChannel(transportFor(url), agentLog);
  });
  after(async () => {
    ch?.close();
    await server?.close();
    await conn?.close();
    await broker?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('registers and heartbeats an agent through the broker', async () => {
    // the server's consumer connects in the background: until it has, calls fail (503) and the agent retries
    const first = await until('the server consuming the queue', 20_000, () => ch.report({ ...LB, host: 'compute', configurations: CONF, start_flag: true })
      .catch((e: unknown) => { if (e instanceof ChannelError && (e.status === 503 || e.status === 0)) return undefined; throw e; }));
    assert.equal(first.outcome, 'new');
    assert.equal((await ch.report({ ...LB, host: 'compute', configurations: CONF })).outcome, 'alive');
    const agents = (await api('GET', '/v2.0/agents')).body.agents;
    assert.deepEqual(agents.map((a: any) => [a.host, a.alive]), [['compute', true]]);
    // the server logged its connection, and only info lines so far
    assert.ok(serverLog.lines.some((l) => l.msg === 'connected to RabbitMQ' && l.fields?.role === 'server'));
  });

  it('heartbeats as [oslo_messaging_rabbit] heartbeat_timeout_threshold says (the broker shows the negotiated timeout)', async () => {
    const rows = (await broker.ctl('list_connections', '--silent', 'client_properties', 'timeout')).trim().split('\n');
    const muon = rows.filter((r) => r.includes('muon '));
    assert.ok(muon.length >= 2, `the server's and the agent's connections: ${rows.join(' | ')}`);
    for (const r of muon) assert.match(r, /\t10$/, r);
  });

  it('a NeutronError of the handlers comes back as a ChannelError', async () => {
    await assert.rejects(ch.report(null as never), (e: unknown) => e instanceof ChannelError && e.status === 400 && /HTTPBadRequest: body must be/.test(e.message));
  });

  it('watch: a snapshot, then the next change (a security-group rule) as soon as it is made', async () => {
    net = (await api('POST', '/v2.0/networks', { network: { name: 'private' } })).body.network.id;
    await api('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '172.16.1.0/24', ip_version: 4 } });
    const port = (await api('POST', '/v2.0/ports', { port: { network_id: net, 'binding:host_id': 'compute', device_owner: 'compute:nova', device_id: 'vm-1' } })).body.port;
    vm = { id: port.id, ip: port.fixed_ips[0].ip_address };
    sg = port.security_groups[0];
    const snap = (await ch.watch('compute', -1, 0))!;
    assert.deepEqual(snap.ports.map((p) => p.id), [vm.id]);
    assert.ok(snap.digest);
    const waiting = ch.watch('compute', snap.revision, 20_000, snap.digest);
    const t0 = Date.now();
    const rule = (await api('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 } })).body.security_group_rule;
    const next = (await waiting)!;
    assert.ok(Date.now() - t0 < 5000, 'the change arrives at once, not at the end of the wait');
    assert.ok(next.revision > snap.revision);
    assert.ok(next.security_groups.find((g) => g.id === sg)!.rules.some((r) => r.id === rule.id));
    // nothing new: a short watch answers null
    assert.equal(await ch.watch('compute', next.revision, 200, next.digest), null);
    // the sections an agent reads travel too: the L3 agent's digest covers its routers only
    const routers = (await ch.watch('compute', -1, 0, undefined, ['routers']))!;
    assert.notEqual(routers.digest, next.digest);
    assert.equal(await ch.watch('compute', routers.revision, 200, routers.digest, ['routers']), null);
    await assert.rejects(ch.watch('compute', -1, 0, undefined, ['bogus' as never]), /parts must be a list/);
  });

  it('devices and lookupInstance', async () => {
    assert.deepEqual(await ch.devices('compute', { up: [vm.id] }), [vm.id]);
    assert.equal((await api('GET', `/v2.0/ports/${vm.id}`)).body.port.status, 'ACTIVE');
    assert.deepEqual(await ch.lookupInstance({ network_id: net, ip: vm.ip }), { instance_id: 'vm-1', project_id: (await api('GET', `/v2.0/ports/${vm.id}`)).body.port.project_id, port_id: vm.id });
    assert.equal(await ch.lookupInstance({ network_id: net, ip: '172.16.1.250' }), null);
  });

  it('survives a broker restart: the agent loop carries on alone and gets what changed meanwhile', async () => {
    const seen: HostState[] = [];
    const loop = new AgentLoop(ch, {
      host: 'compute', identity: LB, configurations: () => CONF,
      reconcile: async (d) => { seen.push(d); return {}; },
    }, { reportIntervalMs: 2000, watchWaitMs: 3000, log: agentLog });
    await loop.start();
    try {
      await until('the first reconcile', 10_000, () => seen.length ? true : undefined);

      await broker.stop();
      // while it is down, calls fail with a reason (not hang)
      await assert.rejects(ch.report({ ...LB, host: 'compute' }), (e: unknown) => e instanceof ChannelError && /RabbitMQ at 127\.0\.0\.1:\d+|lost the connection/.test(e.message));
      const rule = (await api('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg, direction: 'ingress', protocol: 'icmp' } })).body.security_group_rule;
      await broker.start();

      const got = await until('the change made while the broker was down', 60_000, () =>
        seen.find((s) => s.security_groups.find((g) => g.id === sg)?.rules.some((r) => r.id === rule.id)));
      assert.ok(got);
    } finally {
      loop.stop(); // closes ch: the remaining tests make their own channels
    }
    assert.ok(agentLog.lines.some((l) => l.msg === 'connected to RabbitMQ again'), 'the agent reconnected by itself');
    assert.ok(serverLog.lines.some((l) => l.msg === 'connected to RabbitMQ again'), 'the server reconnected by itself');
  });

  it('a wrong password says so, naming the user, the broker and the option', async () => {
    const log = capture();
    const bad = amqpChannel(transportFor(broker.url('openstack', 'wrong')), log);
    try {
      await assert.rejects(bad.report({ ...LB, host: 'x' }), (e: unknown) => {
        assert.ok(e instanceof ChannelError);
        assert.match(e.message, new RegExp(`RabbitMQ at 127\\.0\\.0\\.1:${broker.port} refused the login of user 'openstack' \\(ACCESS_REFUSED\\): check the password in \\[DEFAULT\\] transport_url`));
        return true;
      });
      assert.ok(log.lines.some((l) => l.level === 'error' && /refused the login of user 'openstack'/.test(l.msg)), 'and logs it');
    } finally { bad.close(); }
  });

  it('an unreachable broker says which host:port and which option', async () => {
    const port = await freePort();
    const bad = amqpChannel(transportFor(`rabbit://openstack:x@127.0.0.1:${port}/`), capture());
    try {
      await assert.rejects(bad.report({ ...LB, host: 'x' }), new RegExp(`cannot reach RabbitMQ at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED: nothing listens there\\).*\\[DEFAULT\\] transport_url`));
    } finally { bad.close(); }
  });

  it('a vhost the user has no permissions on says how to grant them', async () => {
    const bad = amqpChannel(transportFor(broker.url('lonely', 'pw', 'secluded')), capture());
    try {
      await assert.rejects(bad.report({ ...LB, host: 'x' }), /refused user 'lonely' access to virtual host 'secluded' \(NOT_ALLOWED\): grant it with rabbitmqctl set_permissions -p secluded lonely "\.\*" "\.\*" "\.\*"/);
    } finally { bad.close(); }
    const missing = amqpChannel(transportFor(broker.url('openstack', 'op@st:/%', 'nosuch')), capture());
    try {
      await assert.rejects(missing.report({ ...LB, host: 'x' }), /access to virtual host 'nosuch'.*rabbitmqctl add_vhost nosuch/);
    } finally { missing.close(); }
  });

  it('no server on the vhost: the call fails at once saying so', async () => {
    await broker.ctl('add_vhost', 'empty');
    await broker.ctl('set_permissions', '-p', 'empty', 'openstack', '.*', '.*', '.*');
    const lonely = amqpChannel(transportFor(broker.url('openstack', 'op@st:/%', 'empty')), capture());
    try {
      const t0 = Date.now();
      await assert.rejects(lonely.report({ ...LB, host: 'x' }), (e: unknown) => e instanceof ChannelError && e.status === 503
        && /no Muon server serves the agent channel on RabbitMQ at 127\.0\.0\.1:\d+ \(vhost empty\) \(queue muon\.agent-channel does not exist\)/.test(e.message));
      assert.ok(Date.now() - t0 < 5000);
    } finally { lonely.close(); }
  });

  it('the server logs the same explanations for its side', async () => {
    const log = capture();
    const none = {} as ChannelHandlers;
    const s = startAmqpAgentChannel(transportFor(broker.url('openstack', 'wrong')), none, log);
    try {
      await until('the server-side error line', 10_000, () => log.lines.find((l) => l.level === 'error' && /refused the login of user 'openstack' \(ACCESS_REFUSED\)/.test(l.msg)));
    } finally { await s.close(); }
  });

  it('a cluster URL whose first broker is down: the channel uses the next one', async () => {
    const dead = await freePort();
    const pw = encodeURIComponent('op@st:/%');
    const clustered = amqpChannel(transportFor(`rabbit://openstack:${pw}@127.0.0.1:${dead},openstack:${pw}@127.0.0.1:${broker.port}/`), capture());
    try {
      assert.equal((await clustered.report({ ...LB, host: 'compute', configurations: CONF })).outcome, 'alive');
    } finally { clustered.close(); }
  });

  it('servers share the queue: with the first server gone, a second one (same database) answers the same agent', async () => {
    const { config } = loadConfigSources([
      { file: '<test>', text: `[DEFAULT]\nauth_strategy = noauth\ntransport_url = ${url}\n` },
    ], { defaults: embeddedDefaults() });
    const conn2 = connect(`sqlite:///${dir}/muon.sqlite`);
    const log2 = capture();
    const second = await startServer({ config, conn: conn2, host: '127.0.0.1', port: 0, log: log2, amqp: selectTransport(config) as RabbitTransport });
    const agent = amqpChannel(transportFor(url), capture());
    try {
      await until('the second server consuming', 20_000, () => log2.lines.find((l) => l.msg === 'connected to RabbitMQ'));
      await server.close();
      const snap = (await agent.watch('compute', -1, 0))!;
      assert.deepEqual(snap.ports.map((p) => p.id), [vm.id], 'the second server reads the same database');
      assert.equal((await agent.report({ ...LB, host: 'compute', configurations: CONF })).outcome, 'alive');
    } finally {
      agent.close();
      await second.close();
      await conn2.close();
    }
  });
});
