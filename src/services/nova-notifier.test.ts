// Nova notifications end to end: a Muon API with the agent channel, the embedded identity as
// the Keystone the [nova] user authenticates to, and an HTTP server in this test standing in
// for Nova's os-server-external-events (which checks the token against that identity).
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { startApi, type Api } from '../../test/support/api.ts';
import { loadConfigSources, embeddedDefaults } from '../config/load.ts';
import { httpChannel } from '../agents/channel/http-channel.ts';
import type { AgentChannel } from '../feed/channel.ts';
import { startEmbeddedIdentity, type RunningIdentity } from '../identity/embedded/server.ts';
import { computeEndpoint, createNovaSession, novaAuthSettings } from '../identity/service-session.ts';
import type { Logger } from './log.ts';
import type { NovaEvent } from '../domain/nova-events.ts';
import { startNovaNotifier, type NovaNotifier } from './nova-notifier.ts';

type Behaviour = 'ok' | '500' | '401' | 'hang';
interface Received { token: string; tokenValid: boolean; events: NovaEvent[] }

/** Nova's os-server-external-events: answers per `script` (then 'ok'), records every POST. */
async function fakeNova(identity: RunningIdentity) {
  const received: Received[] = [];
  const script: Behaviour[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v2.1/os-server-external-events') { res.writeHead(404).end(); return; }
      const token = String(req.headers['x-auth-token'] ?? '');
      let tokenValid = true;
      try { identity.identity.validate(token, { catalog: false }); } catch { tokenValid = false; }
      const events = (JSON.parse(body) as { events: NovaEvent[] }).events;
      received.push({ token, tokenValid, events });
      const b = script.shift() ?? 'ok';
      if (b === 'hang') { hanging.push(res); return; }
      if (b === '500') { res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"computeFault": {"code": 500}}'); return; }
      if (b === '401' || !tokenValid) { res.writeHead(401).end(); return; }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ events: events.map((e) => ({ ...e, code: 200 })) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, received, script,
    close: () => new Promise<void>((r) => { hanging.forEach((h) => h.destroy()); server.closeAllConnections(); server.close(() => r()); }),
  };
}

function captureLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (level: string) => (m: string, f?: Record<string, unknown>) => { lines.push(`${level}: ${m}${f ? ' ' + JSON.stringify(f) : ''}`); };
  return { lines, info: put('info'), warn: put('warn'), error: put('error') };
}

async function waitFor<T>(what: string, f: () => T | undefined | false, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Nova notifier', () => {
  let dir: string;
  let identity: RunningIdentity;
  let nova: Awaited<ReturnType<typeof fakeNova>>;
  let api: Api;
  let ch: AgentChannel;
  let notifier: NovaNotifier;
  let log: ReturnType<typeof captureLog>;
  let net: string;
  let subnet: string;
  let novaIni: string;

  /** the notifier under test, with short intervals */
  function useNotifier(ini: string, intervalMs = 200): void {
    const { config } = loadConfigSources([{ file: '<nova>', text: ini }], { defaults: embeddedDefaults() });
    log = captureLog();
    notifier = startNovaNotifier(config, log, { intervalMs, retryDelaysMs: [50, 50], timeoutMs: 10_000 })!;
    assert.ok(notifier, log.lines.join('\n'));
    api.deps.nova = notifier;
  }

  async function computePort(host = 'compute', owner = 'compute:nova'): Promise<{ id: string; device_id: string }> {
    const device = randomUUID();
    const r = await api.req('POST', '/v2.0/ports', {
      port: { network_id: net, 'binding:host_id': host, device_owner: owner, device_id: owner.startsWith('compute:') ? device : `dhcp${device}` },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.port;
  }

  before(async () => {
    dir = await mkdtemp(`${tmpdir()}/muon-nova-`);
    identity = await startEmbeddedIdentity({ stateDir: dir, host: '127.0.0.1', port: 0, networkUrl: 'http://127.0.0.1:9696', initialPasswords: { admin: 'admin-secret', demo: 'demo-secret' } });
    nova = await fakeNova(identity);
    novaIni = `[nova]\nauth_url = ${identity.url}\nauth_type = password\nusername = admin\npassword = admin-secret\nproject_name = admin\n`
      + `user_domain_name = Default\nproject_domain_name = Default\nregion_name = RegionOne\nendpoint_override = ${nova.url}/v2.1\n`;
    api = await startApi('[ml2]\ntenant_network_types = vxlan\n', 'sqlite://', { agentSocket: `${dir}/agent.sock` });
    ch = httpChannel(`${dir}/agent.sock`);
    await ch.report({
      agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', host: 'compute', topic: 'N/A', start_flag: true,
      configurations: { interface_mappings: { public: 'eno1' }, bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: '192.168.81.65', l2_population: true, devices: 0 },
    });
    net = (await api.req('POST', '/v2.0/networks', { network: { name: 'private' } })).body.network.id;
    subnet = (await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '172.16.1.0/24', ip_version: 4 } })).body.subnet.id;
  });
  beforeEach(async () => {
    await notifier?.close();
    nova.received.length = 0;
    nova.script.length = 0;
    useNotifier(novaIni);
  });
  after(async () => {
    await notifier?.close();
    ch?.close();
    await api?.close();
    await nova?.close();
    await identity?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends the status changes of one interval in one POST, with a Keystone token', async () => {
    await notifier.close();
    useNotifier(novaIni, 1500); // room for two device reports on a busy machine
    const a = await computePort();
    const b = await computePort();
    await ch.devices('compute', { up: [a.id] });
    await ch.devices('compute', { up: [b.id] });
    await waitFor('a POST', () => nova.received.length > 0);
    await sleep(500);
    assert.equal(nova.received.length, 1);
    assert.ok(nova.received[0].tokenValid, 'the token is one the identity issued');
    assert.deepEqual(nova.received[0].events, [
      { name: 'network-vif-plugged', server_uuid: a.device_id, tag: a.id, status: 'completed' },
      { name: 'network-vif-plugged', server_uuid: b.device_id, tag: b.id, status: 'completed' },
    ]);
    nova.received.length = 0;
    await ch.devices('compute', { down: [a.id] });
    const [got] = await waitFor('vif-unplugged', () => nova.received.length > 0 && nova.received);
    assert.deepEqual(got.events, [{ name: 'network-vif-unplugged', server_uuid: a.device_id, tag: a.id, status: 'completed' }]);
  });

  it('sends network-changed when fixed IPs change, network-vif-deleted when the port goes', async () => {
    const p = await computePort();
    const r = await api.req('PUT', `/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ subnet_id: subnet, ip_address: '172.16.1.77' }] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await api.req('PUT', `/v2.0/ports/${p.id}`, { port: { name: 'renamed' } }); // not a data change Nova cares about
    assert.equal((await api.req('DELETE', `/v2.0/ports/${p.id}`)).status, 204);
    await waitFor('two events', () => nova.received.flatMap((x) => x.events).length >= 2);
    await sleep(300);
    assert.deepEqual(nova.received.flatMap((x) => x.events), [
      { name: 'network-changed', server_uuid: p.device_id, tag: p.id, status: 'completed' },
      { name: 'network-vif-deleted', server_uuid: p.device_id, tag: p.id, status: 'completed' },
    ]);
  });

  it('sends network-changed when a floating IP is associated and disassociated', async () => {
    const pub = (await api.req('POST', '/v2.0/networks', {
      network: { name: 'public', 'provider:network_type': 'flat', 'provider:physical_network': 'public', 'router:external': true },
    })).body.network.id;
    await api.req('POST', '/v2.0/subnets', { subnet: { network_id: pub, cidr: '192.168.81.0/24', ip_version: 4, gateway_ip: '192.168.81.254' } });
    const router = (await api.req('POST', '/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: pub } } })).body.router.id;
    assert.equal((await api.req('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: subnet })).status, 200);
    const p = await computePort();
    const fip = await api.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub, port_id: p.id } });
    assert.equal(fip.status, 201, JSON.stringify(fip.body));
    await waitFor('associate', () => nova.received.length);
    assert.equal((await api.req('PUT', `/v2.0/floatingips/${fip.body.floatingip.id}`, { floatingip: { port_id: null } })).status, 200);
    await waitFor('disassociate', () => nova.received.length >= 2);
    for (const x of nova.received) assert.deepEqual(x.events, [{ name: 'network-changed', server_uuid: p.device_id, tag: p.id, status: 'completed' }]);
  });

  it('sends nothing for ports that are not an instance\'s', async () => {
    const dhcp = await computePort('compute', 'network:dhcp');
    const plain = await computePort('compute', '');
    await ch.devices('compute', { up: [dhcp.id, plain.id] });
    await api.req('DELETE', `/v2.0/ports/${plain.id}`);
    await sleep(500);
    assert.equal(nova.received.length, 0);
  });

  it('retries a batch Nova failed with a 500', async () => {
    nova.script.push('500');
    const p = await computePort();
    await ch.devices('compute', { up: [p.id] });
    await waitFor('the retry', () => nova.received.length >= 2);
    assert.deepEqual(nova.received[1].events, nova.received[0].events);
    assert.ok(log.lines.some((l) => /sending events to Nova failed \(attempt 1\), retrying: Nova at .* answered HTTP 500/.test(l)), log.lines.join('\n'));
    await sleep(200);
    assert.equal(nova.received.length, 2);
  });

  it('authenticates again when Nova answers 401', async () => {
    nova.script.push('401');
    const p = await computePort();
    await ch.devices('compute', { up: [p.id] });
    await waitFor('the second POST', () => nova.received.length >= 2);
    assert.notEqual(nova.received[1].token, nova.received[0].token, 'a fresh token');
    assert.ok(nova.received[1].tokenValid);
    assert.ok(!log.lines.some((l) => l.startsWith('error') || l.startsWith('warn')), 'no retry needed: ' + log.lines.join('\n'));
  });

  it('never slows the API while Nova does not answer', async () => {
    nova.script.push('hang', 'hang', 'hang');
    const p = await computePort();
    await ch.devices('compute', { up: [p.id] });
    await waitFor('the hanging POST', () => nova.received.length);
    const t0 = Date.now();
    const r = await api.req('PUT', `/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ subnet_id: subnet }] } });
    const d = await api.req('DELETE', `/v2.0/ports/${p.id}`);
    assert.equal(r.status, 200);
    assert.equal(d.status, 204);
    // Nova is given 10 s (timeoutMs): an API waiting for it would take that long
    assert.ok(Date.now() - t0 < 5000, `the API took ${Date.now() - t0} ms`);
    assert.equal(nova.received.length, 1, 'Nova still holds the first batch');
  });

  it('keeps its Keystone token until shortly before it expires', async () => {
    const r = novaAuthSettings(loadConfigSources([{ file: '<nova>', text: novaIni }], { defaults: embeddedDefaults() }).config);
    assert.ok('settings' in r);
    let clock = Date.now();
    const session = createNovaSession(r.settings, () => clock);
    const first = await session.auth();
    assert.equal((await session.auth()).token, first.token, 'cached');
    assert.equal(first.endpoint, `${nova.url}/v2.1`);
    clock += 3600_000 - 60_000; // a minute before the embedded identity's one-hour token expires
    const renewed = await session.auth();
    assert.notEqual(renewed.token, first.token, 'renewed near expiry');
    session.invalidate();
    assert.notEqual((await session.auth()).token, renewed.token, 'renewed after a 401');
  });

  it('drops a batch with an error naming the cause: unreachable Nova, bad credentials, no compute endpoint', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const cases: [string, RegExp][] = [
      [novaIni.replace(/endpoint_override = .*/, `endpoint_override = http://127.0.0.1:${deadPort}/v2.1`), /cannot reach Nova at http:\/\/127\.0\.0\.1:\d+\/v2\.1\/os-server-external-events \(ECONNREFUSED\).*\[nova\] endpoint_override/],
      [novaIni.replace('password = admin-secret', 'password = wrong'), /Keystone at .* refused the credentials in \[nova\] \(\[nova\] username = admin, project_name = admin\): HTTP 401; fix \[nova\] username, password/],
      [novaIni.replace(/endpoint_override = .*\n/, ''), /the Keystone catalog has no compute endpoint \(interface public in region RegionOne\).*\[nova\] endpoint_override/],
    ];
    for (const [ini, expected] of cases) {
      await notifier.close();
      useNotifier(ini, 0);
      const p = await computePort();
      await ch.devices('compute', { up: [p.id] });
      const line = await waitFor('the error', () => log.lines.find((l) => l.startsWith('error')));
      assert.match(line, /^error: dropped 1 Nova event\(s\): /);
      assert.match(line, expected);
      assert.equal(log.lines.filter((l) => l.startsWith('warn: sending events to Nova failed')).length, 2, 'two retries before');
    }
  });
});

describe('Nova notifier settings', () => {
  const cfg = (ini: string) => loadConfigSources([{ file: '<t>', text: ini }], { defaults: embeddedDefaults() }).config;

  it('is off, saying why, without [nova] credentials or with both notify options off', () => {
    const log = captureLog();
    assert.equal(startNovaNotifier(cfg(''), log), null);
    assert.match(log.lines[0], /Nova is not notified of port changes: \[nova\] auth_url is not set/);
    const log1 = captureLog();
    assert.equal(startNovaNotifier(cfg('[nova]\nendpoint_override = http://127.0.0.1:8774/v2.1\n'), log1), null);
    assert.match(log1.lines[0], /endpoint_override alone gives no token.*auth_type = admin_token/);
    const log2 = captureLog();
    assert.equal(startNovaNotifier(cfg('[DEFAULT]\nnotify_nova_on_port_status_changes = false\nnotify_nova_on_port_data_changes = false\n[nova]\nauth_type = admin_token\nendpoint = http://127.0.0.1:1/v2.1\ntoken = t\n'), log2), null);
    assert.match(log2.lines[0], /notify_nova_on_port_status_changes and notify_nova_on_port_data_changes are off/);
  });

  it('takes keystoneauth\'s admin_token plugin (a fixed token and endpoint)', () => {
    const r = novaAuthSettings(cfg('[nova]\nauth_type = admin_token\nendpoint = http://127.0.0.1:8774/v2.1/\ntoken = lab\n'));
    assert.ok('settings' in r);
    assert.equal(r.settings.endpointOverride, 'http://127.0.0.1:8774/v2.1');
    assert.equal(r.settings.token, 'lab');
  });

  it('finds the compute endpoint of the catalog by interface and region', () => {
    const catalog = [{ type: 'compute', endpoints: [
      { interface: 'public', region_id: 'RegionOne', url: 'http://controller:8774/v2.1/' },
      { interface: 'internal', region_id: 'RegionTwo', url: 'http://nova2:8774' },
    ] }];
    assert.equal(computeEndpoint(catalog, { endpointType: 'public', regionName: null }), 'http://controller:8774/v2.1');
    assert.equal(computeEndpoint(catalog, { endpointType: 'internalURL', regionName: 'RegionTwo' }), 'http://nova2:8774/v2.1');
    assert.throws(() => computeEndpoint(catalog, { endpointType: 'admin', regionName: null }), /no compute endpoint \(interface admin\)/);
  });
});
