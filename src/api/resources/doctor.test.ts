// GET /v2.0/muon/doctor on a real server: admin only; each deployment fault injected (through the
// API and the agent channel where they can make it, in the database where only time or a
// since-removed object can) is named with its fix, and a healthy deployment has no finding.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { startApi, type Api } from '../../../test/support/api.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../../test/support/test-db.ts';
import { httpChannel } from '../../agents/channel/http-channel.ts';
import type { AgentChannel } from '../../feed/channel.ts';

const LB = (host: string, ip: string) => ({
  agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', host, topic: 'N/A', start_flag: true,
  configurations: {
    interface_mappings: { public: 'eno1' }, bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: ip, l2_population: true, devices: 0,
    physical_network_addresses: { public: [`${ip}/24`] }, tunneling_interface_mtu: 1500,
  },
});
const DHCP = { agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', host: 'controller', topic: 'dhcp_agent', configurations: {}, start_flag: true };
const L3 = { agent_type: 'L3 agent', binary: 'neutron-l3-agent', host: 'controller', topic: 'l3_agent', configurations: {}, start_flag: true };

for (const kind of TEST_DB_KINDS) describe(`GET /v2.0/muon/doctor [${kind}]`, { skip: dbSkipReason(kind) }, () => {
  let db: TestDatabase;
  let api: Api;
  let dir: string;
  let ch: AgentChannel;
  const ids: Record<string, string> = {};
  const doctor = async () => {
    const r = await api.req('GET', '/v2.0/muon/doctor');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as { findings: { severity: string; code: string; object: { type: string; id: string }; evidence: string; fix: string }[]; summary: Record<string, number> };
  };
  const codes = async () => (await doctor()).findings.map((f) => `${f.code} ${f.object.type}:${f.object.id}`);

  before(async () => {
    dir = await mkdtemp(`${tmpdir()}/muon-doctor-`);
    db = await freshDatabase(kind, 'doctor');
    api = await startApi('[ml2]\ntenant_network_types = vxlan\n[ml2_type_flat]\nflat_networks = public\n', db.url, { agentSocket: `${dir}/agent.sock` });
    ch = httpChannel(`${dir}/agent.sock`);
    await ch.report(LB('controller', '192.168.81.66'));
    await ch.report(LB('compute', '192.168.81.65'));
    await ch.report(DHCP);
    await ch.report(L3);
    const post = async (path: string, body: unknown) => {
      const r = await api.req('POST', path, body);
      assert.ok(r.status < 300, JSON.stringify(r.body));
      return Object.values(r.body as Record<string, { id: string }>)[0].id;
    };
    ids.pub = await post('/v2.0/networks', { network: { name: 'public', 'provider:network_type': 'flat', 'provider:physical_network': 'public', 'router:external': true } });
    ids.pubSub = await post('/v2.0/subnets', { subnet: { name: 'public', ip_version: 4, network_id: ids.pub, cidr: '192.168.81.0/24', gateway_ip: '192.168.81.254', enable_dhcp: false, allocation_pools: [{ start: '192.168.81.100', end: '192.168.81.200' }] } });
    ids.prv = await post('/v2.0/networks', { network: { name: 'private' } });
    ids.prvSub = await post('/v2.0/subnets', { subnet: { name: 'private', ip_version: 4, network_id: ids.prv, cidr: '172.16.1.0/24', gateway_ip: '172.16.1.1' } });
    ids.router = await post('/v2.0/routers', { router: { name: 'router', external_gateway_info: { network_id: ids.pub } } });
    assert.equal((await api.req('PUT', `/v2.0/routers/${ids.router}/add_router_interface`, { subnet_id: ids.prvSub })).status, 200);
    ids.vm = await post('/v2.0/ports', { port: { network_id: ids.prv, 'binding:host_id': 'compute', device_owner: 'compute:nova', device_id: 'vm1' } });
    ids.fip = await post('/v2.0/floatingips', { floatingip: { floating_network_id: ids.pub, port_id: ids.vm } });
    // the router's and the DHCP port's taps are up; the VM's is wired and served
    for (const p of (await api.req('GET', '/v2.0/ports')).body.ports) if (p['binding:host_id']) await ch.devices(p['binding:host_id'], { up: [p.id] });
    await ch.devices('controller', { dhcp_ready: [ids.vm] });
    ids.dhcpAgent = (await api.req('GET', '/v2.0/agents?agent_type=DHCP%20agent')).body.agents[0].id;
    ids.l3Agent = (await api.req('GET', '/v2.0/agents?agent_type=L3%20agent')).body.agents[0].id;
  });
  after(async () => {
    ch?.close();
    await api?.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('is for admins only', async () => {
    const r = await api.as('demo')('GET', '/v2.0/muon/doctor');
    assert.equal(r.status, 403);
    assert.equal(r.body.NeutronError.type, 'PolicyNotAuthorized');
    assert.equal((await api.req('POST', '/v2.0/muon/doctor', {})).status, 405);
    assert.equal((await api.req('GET', '/v2.0/muon/nothing')).status, 404);
  });

  it('finds nothing wrong in the healthy seed', async () => {
    const d = await doctor();
    assert.deepEqual(d.findings, []);
    assert.deepEqual(d.summary, { error: 0, warning: 0, info: 0 });
  });

  it('names a dead agent and since when', async () => {
    await ch.report(LB('compute2', '192.168.81.67'));
    await api.deps.conn.db.updateTable('agents').set({ heartbeat_timestamp: '2026-01-01T00:00:00Z' }).where('host', '=', 'compute2').execute();
    const dead = (await doctor()).findings.find((f) => f.code === 'agent-dead')!;
    assert.equal(dead.severity, 'error');
    assert.match(dead.evidence, /Linux bridge agent on host compute2 is dead since 2026-01-01T00:00:00Z/);
    await api.req('DELETE', `/v2.0/agents/${dead.object.id}`);
    assert.deepEqual(await codes(), []);
  });

  it('finds a port stuck in BUILD and what it waits for, a DHCP network with no agent and a router with none', async () => {
    const port = await api.req('POST', '/v2.0/ports', { port: { network_id: ids.prv, 'binding:host_id': 'compute', device_owner: 'compute:nova', device_id: 'vm2' } });
    await ch.devices('compute', { up: [port.body.port.id] });
    assert.equal((await api.req('GET', `/v2.0/ports/${port.body.port.id}`)).body.port.status, 'BUILD');
    assert.equal((await api.req('DELETE', `/v2.0/agents/${ids.dhcpAgent}/dhcp-networks/${ids.prv}`)).status, 204);
    assert.equal((await api.req('DELETE', `/v2.0/agents/${ids.l3Agent}/l3-routers/${ids.router}`)).status, 204);
    // stuck: it has waited for longer than a wiring takes
    await api.deps.conn.db.updateTable('ports').set({ updated_at: '2026-01-01T00:00:00Z' }).where('id', '=', port.body.port.id).execute();
    const d = await doctor();
    assert.deepEqual(d.findings.map((f) => `${f.severity} ${f.code} ${f.object.id}`).sort(), [
      `error network-no-dhcp-agent ${ids.prv}`, `error router-no-l3-agent ${ids.router}`, `warning port-stuck-build ${port.body.port.id}`,
    ].sort());
    assert.match(d.findings.find((f) => f.code === 'port-stuck-build')!.evidence, /waiting for DHCP: no DHCP agent hosts its network/);
    assert.match(d.findings.find((f) => f.code === 'network-no-dhcp-agent')!.fix, new RegExp(`dhcp-agent-network-add ${ids.dhcpAgent} private`));
    assert.match(d.findings.find((f) => f.code === 'router-no-l3-agent')!.fix, new RegExp(`l3-agent-router-add ${ids.l3Agent} router`));
    assert.deepEqual(d.summary, { error: 2, warning: 1, info: 0 });
    // the fixes the findings name clear them
    assert.equal((await api.req('POST', `/v2.0/agents/${ids.dhcpAgent}/dhcp-networks`, { network_id: ids.prv })).status, 201);
    assert.equal((await api.req('POST', `/v2.0/agents/${ids.l3Agent}/l3-routers`, { router_id: ids.router })).status, 201);
    await ch.devices('controller', { dhcp_ready: [port.body.port.id] });
    assert.deepEqual(await codes(), []);
  });

  it("finds the seed's CIDR mismatch from the addresses the agents report on the mapped interface", async () => {
    await api.deps.conn.db.updateTable('subnets').set({ cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1' }).where('id', '=', ids.pubSub).execute();
    const d = await doctor();
    assert.deepEqual(d.findings.map((f) => `${f.code} ${f.object.id}`), [`external-subnet-off-link ${ids.pubSub}`]);
    assert.match(d.findings[0].evidence, /10\.0\.0\.0\/24 of external network 'public' is not the segment of physical network 'public': eno1 on host compute carries 192\.168\.81\.65\/24; eno1 on host controller carries 192\.168\.81\.66\/24/);
    assert.match(d.findings[0].fix, /--subnet-range 192\.168\.81\.0\/24/);
    await api.deps.conn.db.updateTable('subnets').set({ cidr: '192.168.81.0/24', gateway_ip: '192.168.81.254' }).where('id', '=', ids.pubSub).execute();
    assert.deepEqual(await codes(), []);
  });

  it('finds a floating IP whose port has no router to the external network', async () => {
    // Neutron refuses to remove an interface a floating IP uses; a second private network shows the state
    const other = await api.req('POST', '/v2.0/networks', { network: { name: 'other' } });
    const sub = await api.req('POST', '/v2.0/subnets', { subnet: { name: 'other', ip_version: 4, network_id: other.body.network.id, cidr: '10.9.0.0/24' } });
    const p = await api.req('POST', '/v2.0/ports', { port: { network_id: other.body.network.id } });
    await api.deps.conn.db.updateTable('floatingips').set({ fixed_port_id: p.body.port.id, fixed_ip_address: p.body.port.fixed_ips[0].ip_address }).where('id', '=', ids.fip).execute();
    const d = await doctor();
    const f = d.findings.find((x) => x.code === 'floatingip-no-route')!;
    assert.equal(f.object.id, ids.fip);
    assert.match(f.evidence, /maps to 10\.9\.0\.\d+ on subnet 'other', but no router joins that subnet to external network 'public'/);
    assert.match(f.fix, /openstack router add subnet <router> other/);
    assert.equal(sub.status, 201);
  });
});
