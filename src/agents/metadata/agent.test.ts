// The metadata agent against a real HTTP Nova double and an in-process channel, spoken to
// over its unix socket as haproxy would (X-Forwarded-For, X-Neutron-Router/Network-ID).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { loadConfigSources } from '../../config/load.ts';
import { metadataAgent, type MetadataAgent } from './agent.ts';
import { signInstanceId } from './handler.ts';
import { fakeChannel, memoryLog, startNovaDouble, type FakeChannel, type MemoryLog, type NovaDouble } from './nova-double.ts';

const ROUTER = 'r0000000-1111-4222-8333-444444444444';
const NETWORK = 'n0000000-1111-4222-8333-444444444444';
const INSTANCE = '9a8b7c6d-0000-4000-8000-000000000001';
const SECRET = 'Test(shared)';

function ask(socketPath: string, path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('metadata agent', () => {
  let dir = '';
  let nova: NovaDouble;
  let channel: FakeChannel;
  let log: MemoryLog;
  let agent: MetadataAgent;
  let socket = '';

  const make = (secret: string, novaPort: number): MetadataAgent => {
    const { config } = loadConfigSources([{ file: 'metadata_agent.ini', text: `[DEFAULT]\nstate_path = ${dir}\nnova_metadata_host = 127.0.0.1\nnova_metadata_port = ${novaPort}\nmetadata_proxy_shared_secret = ${secret}\n` }]);
    return metadataAgent(config, channel, log);
  };

  before(async () => {
    dir = await mkdtemp(`${tmpdir()}/muon-metadata-`);
    nova = await startNovaDouble(SECRET);
    channel = fakeChannel({
      [`router:${ROUTER}:172.16.1.10`]: { instance_id: INSTANCE, project_id: 'proj-1', port_id: 'port-1' },
      [`network:${NETWORK}:172.16.1.20`]: { instance_id: 'inst-2', project_id: 'proj-2', port_id: 'port-2' },
    });
    log = memoryLog();
    agent = make(SECRET, nova.port);
    socket = `${dir}/metadata_proxy`;
    await agent.listen();
  });

  after(async () => {
    await agent?.close();
    await nova?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('reports as Neutron\'s metadata agent and has nothing to reconcile', async () => {
    assert.equal(agent.identity.agent_type, 'Metadata agent');
    assert.equal(agent.identity.binary, 'neutron-metadata-agent');
    assert.deepEqual(agent.configurations(), { metadata_proxy_socket: socket, nova_metadata_host: '127.0.0.1', nova_metadata_port: nova.port, log_agent_heartbeats: false });
    assert.deepEqual(await agent.reconcile({} as never), {});
    const mode = (await stat(socket)).mode & 0o777;
    assert.ok(mode === 0o660 || mode === 0o600, `socket mode ${mode.toString(8)} is not open to everyone`);
  });

  test('a router proxy\'s request reaches Nova signed, with the instance, project and VM address', async () => {
    const r = await ask(socket, '/latest/meta-data/instance-id?x=1', { 'X-Forwarded-For': '172.16.1.10', 'X-Neutron-Router-ID': ROUTER });
    assert.equal(r.status, 200);
    assert.equal(r.body, INSTANCE);
    const seen = nova.seen.at(-1)!;
    assert.equal(seen.url, '/latest/meta-data/instance-id?x=1');
    assert.equal(seen.headers['x-forwarded-for'], '172.16.1.10');
    assert.equal(seen.headers['x-instance-id'], INSTANCE);
    assert.equal(seen.headers['x-tenant-id'], 'proj-1');
    // the HMAC, computed independently of the agent's own function
    const { createHmac } = await import('node:crypto');
    assert.equal(seen.headers['x-instance-id-signature'], createHmac('sha256', SECRET).update(INSTANCE).digest('hex'));
    assert.equal(signInstanceId(SECRET, INSTANCE), seen.headers['x-instance-id-signature']);
    assert.deepEqual(channel.queries.at(-1), { router_id: ROUTER, ip: '172.16.1.10' });
  });

  test('a DHCP proxy\'s request is looked up by network; a POST body goes through', async () => {
    const r = await ask(socket, '/openstack/latest/password', { 'X-Forwarded-For': '172.16.1.20', 'X-Neutron-Network-ID': NETWORK, 'Content-Type': 'text/plain' }, 'POST', 'secret-pw');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'inst-2');
    assert.equal(nova.seen.at(-1)!.method, 'POST');
    assert.equal(nova.seen.at(-1)!.body, 'secret-pw');
    assert.deepEqual(channel.queries.at(-1), { network_id: NETWORK, ip: '172.16.1.20' });
  });

  test('the VM address is the one haproxy appended, not one the VM sent', async () => {
    const r = await ask(socket, '/', { 'X-Forwarded-For': '172.16.1.99, 172.16.1.10', 'X-Neutron-Router-ID': ROUTER });
    assert.equal(r.status, 200);
    assert.equal(nova.seen.at(-1)!.headers['x-forwarded-for'], '172.16.1.10');
  });

  test('lookups are cached for a few seconds', async () => {
    const before = channel.queries.length;
    for (let i = 0; i < 5; i++) assert.equal((await ask(socket, '/latest', { 'X-Forwarded-For': '172.16.1.20', 'X-Neutron-Network-ID': NETWORK })).status, 200);
    assert.equal(channel.queries.length - before, 0, 'answered from the cache (the POST above looked it up)');
    await ask(socket, '/latest', { 'X-Forwarded-For': '172.16.1.30', 'X-Neutron-Network-ID': NETWORK });
    assert.equal(channel.queries.length - before, 1, 'another address is another lookup');
  });

  test('no port behind the address: 404, Nova not asked', async () => {
    const n = nova.seen.length;
    const r = await ask(socket, '/latest', { 'X-Forwarded-For': '172.16.1.77', 'X-Neutron-Router-ID': ROUTER });
    assert.equal(r.status, 404);
    assert.equal(nova.seen.length, n);
  });

  test('not from a proxy (no router or network id): 400', async () => {
    assert.equal((await ask(socket, '/latest', { 'X-Forwarded-For': '172.16.1.10' })).status, 400);
  });

  test('Nova 5xx: 500 to the VM and a log line', async () => {
    nova.failWith = 502;
    try {
      const r = await ask(socket, '/latest', { 'X-Forwarded-For': '172.16.1.10', 'X-Neutron-Router-ID': ROUTER });
      assert.equal(r.status, 500);
      assert.match(log.lines.at(-1)!.msg, /answered 502 for instance 9a8b7c6d/);
    } finally {
      nova.failWith = undefined;
    }
  });

  test('a secret that differs from Nova\'s: 403 to the VM and a log line saying which secrets', async () => {
    const other = make('not-the-same', nova.port);
    await agent.close();
    await other.listen();
    try {
      const r = await ask(socket, '/latest/meta-data/', { 'X-Forwarded-For': '172.16.1.10', 'X-Neutron-Router-ID': ROUTER });
      assert.equal(r.status, 403);
      const line = log.lines.find((l) => l.level === 'error' && l.msg.startsWith('Nova refused'));
      assert.equal(line?.msg, `Nova refused the instance id signature for ${INSTANCE} (172.16.1.10): the metadata_proxy_shared_secret in metadata_agent.ini and [neutron] metadata_proxy_shared_secret in nova.conf usually differ when this happens`);
    } finally {
      await other.close();
      await agent.listen();
    }
  });

  test('Nova unreachable: 503 and a log line naming host:port and the options', async () => {
    const dead = await startNovaDouble(SECRET);
    const port = dead.port;
    await dead.close(); // nothing listens on this port now
    const other = make(SECRET, port);
    await agent.close();
    await other.listen();
    try {
      const r = await ask(socket, '/latest', { 'X-Forwarded-For': '172.16.1.10', 'X-Neutron-Router-ID': ROUTER });
      assert.equal(r.status, 503);
      const line = log.lines.filter((l) => l.level === 'error').at(-1)!.msg;
      assert.match(line, new RegExp(`cannot reach Nova metadata at 127\\.0\\.0\\.1:${port} .*nova_metadata_host / nova_metadata_port`));
    } finally {
      await other.close();
      await agent.listen();
    }
  });

  test('a second agent on a live socket refuses to take it over', async () => {
    await assert.rejects(make(SECRET, nova.port).listen(), /is in use: another metadata agent serves it/);
  });
});
