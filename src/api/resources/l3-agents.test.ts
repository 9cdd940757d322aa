// L3 scheduling through the agent channel, on every database: routers go to a live L3 agent,
// their ports are bound to its host, the host's feed carries them (qr/qg, floating IPs, port
// forwardings), floating IP status follows the agent's report, router status says when no
// live agent hosts it, failover moves routers, the l3_agent_scheduler API, metadata lookups.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { startApi, type Api } from '../../../test/support/api.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../../test/support/test-db.ts';
import { httpChannel } from '../../agents/channel/http-channel.ts';
import type { AgentChannel } from '../../feed/channel.ts';
import type { HostState } from '../../feed/host-state.ts';
import { failoverL3 } from '../../services/l3-scheduling.ts';

const LB = (host: string, ip: string) => ({
  agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', host, topic: 'N/A', start_flag: true,
  configurations: { interface_mappings: { public: 'eno1' }, bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: ip, l2_population: true },
});
const L3 = (host: string) => ({ agent_type: 'L3 agent', binary: 'neutron-l3-agent', host, topic: 'l3_agent', start_flag: true, configurations: { agent_mode: 'legacy' } });

for (const kind of TEST_DB_KINDS) describe(`L3 scheduling and the routers feed [${kind}]`, { skip: dbSkipReason(kind) }, () => {
  let db: TestDatabase;
  let api: Api;
  let dir: string;
  let ch: AgentChannel;
  let pub: string;
  let priv: string;
  let privSubnet: string;
  const state = async (host: string): Promise<HostState> => (await ch.watch(host, -1, 0))!;

  before(async () => {
    dir = await mkdtemp(`${tmpdir()}/muon-l3-`);
    db = await freshDatabase(kind, 'l3');
    api = await startApi('[DEFAULT]\nallow_automatic_l3agent_failover = true\n[ml2]\ntenant_network_types = vxlan\n[ml2_type_flat]\nflat_networks = public\n', db.url, { agentSocket: `${dir}/agent.sock` });
    ch = httpChannel(`${dir}/agent.sock`);
    pub = (await api.req('POST', '/v2.0/networks', {
      network: { name: 'public', 'provider:network_type': 'flat', 'provider:physical_network': 'public', 'router:external': true, shared: true },
    })).body.network.id;
    await api.req('POST', '/v2.0/subnets', { subnet: { network_id: pub, cidr: '192.168.81.0/24', ip_version: 4, gateway_ip: '192.168.81.254',
      allocation_pools: [{ start: '192.168.81.100', end: '192.168.81.200' }], enable_dhcp: false } });
    priv = (await api.req('POST', '/v2.0/networks', { network: { name: 'private' } })).body.network.id;
    privSubnet = (await api.req('POST', '/v2.0/subnets', { subnet: { network_id: priv, cidr: '172.16.1.0/24', ip_version: 4, gateway_ip: '172.16.1.1' } })).body.subnet.id;
  });
  after(async () => {
    ch?.close();
    await api?.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('without any L3 agent a router stays ACTIVE and unscheduled, as Zed answers', async () => {
    const r = (await api.req('POST', '/v2.0/routers', { router: { name: 'early' } })).body.router;
    assert.equal(r.status, 'ACTIVE');
    assert.deepEqual((await api.req('GET', `/v2.0/routers/${r.id}/l3-agents`)).body.agents, []);
    await api.req('DELETE', `/v2.0/routers/${r.id}`);
  });

  let router: string;
  let agentId: string;
  it('schedules the router to the live L3 agent and binds its ports to that host', async () => {
    await ch.report(LB('controller', '192.168.81.66'));
    await ch.report(LB('compute', '192.168.81.65'));
    agentId = (await ch.report(L3('controller'))).id;
    router = (await api.req('POST', '/v2.0/routers', { router: { name: 'router', external_gateway_info: { network_id: pub } } })).body.router.id;
    const add = await api.req('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: privSubnet });
    assert.equal(add.status, 200);
    const hosting = (await api.req('GET', `/v2.0/routers/${router}/l3-agents`)).body.agents;
    assert.deepEqual(hosting.map((a: any) => [a.host, a.agent_type, a.alive]), [['controller', 'L3 agent', true]]);
    assert.deepEqual((await api.req('GET', `/v2.0/agents/${agentId}/l3-routers`)).body.routers.map((r: any) => r.id), [router]);
    const ports = (await api.req('GET', `/v2.0/ports?device_id=${router}`)).body.ports;
    assert.equal(ports.length, 2);
    for (const p of ports) {
      assert.equal(p['binding:host_id'], 'controller');
      assert.equal(p['binding:vif_type'], 'bridge');
    }
    assert.equal((await api.req('GET', `/v2.0/routers/${router}`)).body.router.status, 'ACTIVE');
  });

  it('gives the L3 host its router in the feed (qr, qg, routes), and the router ports to its Linux bridge agent', async () => {
    await api.req('PUT', `/v2.0/routers/${router}`, { router: { routes: [{ destination: '10.9.0.0/24', nexthop: '172.16.1.50' }] } });
    const s = await state('controller');
    assert.equal(s.routers.length, 1);
    const r = s.routers[0];
    assert.equal(r.namespace, `qrouter-${router}`);
    assert.equal(r.enable_snat, true);
    assert.match(r.gw_port!.device, /^qg-[0-9a-f-]{11}$/);
    assert.equal(r.gw_port!.subnets[0].gateway_ip, '192.168.81.254');
    assert.equal(r.gw_port!.mtu, 1500);
    assert.deepEqual(r.interfaces.map((i) => [i.fixed_ips[0].ip_address, i.subnets[0].cidr, i.mtu, i.device.slice(0, 3)]), [['172.16.1.1', '172.16.1.0/24', 1450, 'qr-']]);
    assert.deepEqual(r.routes, [{ destination: '10.9.0.0/24', nexthop: '172.16.1.50' }]);
    // the Linux bridge agent of the same host wires the taps
    assert.deepEqual(s.ports.map((p) => p.device).sort(), [r.gw_port!.tap, r.interfaces[0].tap].sort());
    assert.deepEqual((await state('compute')).routers, []);
    // l2population reaches only hosts with a port on the network: compute has none yet
    const peer = (await state('compute')).l2pop;
    assert.equal(peer.length, 0, 'no bound port on compute yet: no l2pop for it');
  });

  let fip: string;
  let vmPort: string;
  it('carries associated floating IPs and port forwardings; their status follows the agent', async () => {
    vmPort = (await api.req('POST', '/v2.0/ports', { port: { network_id: priv, device_owner: 'compute:nova', device_id: 'c0ffee00-0000-4000-8000-000000000001', 'binding:host_id': 'compute' } })).body.port.id;
    const f = (await api.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub, port_id: vmPort } })).body.floatingip;
    fip = f.id;
    assert.equal(f.status, 'DOWN');
    const pfFip = (await api.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub } })).body.floatingip;
    const vmIp = (await api.req('GET', `/v2.0/ports/${vmPort}`)).body.port.fixed_ips[0].ip_address;
    const vm2 = (await api.req('POST', '/v2.0/ports', { port: { network_id: priv, device_owner: 'compute:nova', device_id: 'c0ffee00-0000-4000-8000-000000000002' } })).body.port;
    const vm2Ip = vm2.fixed_ips[0].ip_address;
    const pf = await api.req('POST', `/v2.0/floatingips/${pfFip.id}/port_forwardings`, { port_forwarding: {
      protocol: 'tcp', internal_port_id: vm2.id, internal_ip_address: vm2Ip, internal_port: 22, external_port: 2222 } });
    assert.equal(pf.status, 201, JSON.stringify(pf.body));
    const r = (await state('controller')).routers[0];
    assert.deepEqual(r.floating_ips.map((x) => [x.id, x.fixed_ip_address, x.fixed_port_id]), [[fip, vmIp, vmPort]]);
    assert.deepEqual(r.port_forwardings.map((x) => [x.floating_ip_address, x.protocol, x.external_port_start, x.internal_ip_address, x.internal_port_start]),
      [[pfFip.floating_ip_address, 'tcp', 2222, vm2Ip, 22]]);

    // a report from another host does not count; the hosting host's does
    assert.deepEqual(await ch.devices('compute', { floatingips: { [fip]: 'ACTIVE' } }), []);
    assert.deepEqual(await ch.devices('controller', { floatingips: { [fip]: 'ACTIVE' } }), [fip]);
    assert.equal((await api.req('GET', `/v2.0/floatingips/${fip}`)).body.floatingip.status, 'ACTIVE');
    const bad = await api.req('GET', '/v2.0/floatingips'); // still fine to list
    assert.equal(bad.status, 200);
    // disassociated: DOWN at once, gone from the feed
    await api.req('PUT', `/v2.0/floatingips/${fip}`, { floatingip: { port_id: null } });
    assert.equal((await api.req('GET', `/v2.0/floatingips/${fip}`)).body.floatingip.status, 'DOWN');
    assert.deepEqual((await state('controller')).routers[0].floating_ips, []);
    await api.req('PUT', `/v2.0/floatingips/${fip}`, { floatingip: { port_id: vmPort } });
  });

  it('refuses malformed floating IP statuses', async () => {
    await assert.rejects(ch.devices('controller', { floatingips: { [fip]: 'UP' as 'ACTIVE' } }), /floatingips must map/);
  });

  it('answers the metadata agent: the port behind an address, by router or by network', async () => {
    const vmIp = (await api.req('GET', `/v2.0/ports/${vmPort}`)).body.port.fixed_ips[0].ip_address;
    const byRouter = await ch.lookupInstance({ router_id: router, ip: vmIp });
    assert.deepEqual(byRouter && [byRouter.instance_id, byRouter.port_id], ['c0ffee00-0000-4000-8000-000000000001', vmPort]);
    assert.equal((await ch.lookupInstance({ network_id: priv, ip: vmIp }))?.port_id, vmPort);
    assert.equal(await ch.lookupInstance({ network_id: priv, ip: '172.16.1.254' }), null);
    assert.equal(await ch.lookupInstance({ router_id: router, ip: 'not-an-ip' }), null);
    await assert.rejects(ch.lookupInstance({ ip: 5 as unknown as string }), /body must be/);
  });

  it('says ERROR when the hosting agent dies, and fails the router over to a live agent', async () => {
    const silence = (host: string) => api.deps.conn.db.updateTable('agents').set({ heartbeat_timestamp: '2020-01-01T00:00:00Z' })
      .where('host', '=', host).where('agent_type', '=', 'L3 agent').execute();
    await silence('controller');
    // only controller's agent, and it is dead: nowhere to go
    assert.deepEqual(await failoverL3(api.deps), []);
    assert.equal((await api.req('GET', `/v2.0/routers/${router}`)).body.router.status, 'ERROR');
    // a second L3 agent appears: the router moves there (allow_automatic_l3agent_failover)
    await ch.report(L3('compute'));
    const moves = await failoverL3(api.deps);
    assert.deepEqual(moves.map((m) => [m.router_id, m.from, m.to]), [[router, 'controller', 'compute']]);
    assert.equal((await api.req('GET', `/v2.0/routers/${router}`)).body.router.status, 'ACTIVE');
    assert.ok((await api.req('GET', `/v2.0/ports?device_id=${router}`)).body.ports.every((p: any) => p['binding:host_id'] === 'compute'));
    assert.equal((await state('compute')).routers[0].id, router);
    assert.deepEqual((await state('controller')).routers, []);
    // controller comes back
    await ch.report({ ...L3('controller'), start_flag: false });
  });

  it('moves routers between agents by hand (l3_agent_scheduler) and refuses what Neutron refuses', async () => {
    const agents = (await api.req('GET', '/v2.0/agents?agent_type=L3%20agent')).body.agents as any[];
    const byHost = Object.fromEntries(agents.map((a) => [a.host, a.id]));
    const current = (await api.req('GET', `/v2.0/routers/${router}/l3-agents`)).body.agents[0];
    const other = current.host === 'compute' ? byHost.controller : byHost.compute;
    // hosted by a live agent: adding another is refused
    const dup = await api.req('POST', `/v2.0/agents/${current.id}/l3-routers`, { router_id: router });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.NeutronError.type, 'RouterHostedByL3Agent');
    assert.equal((await api.req('DELETE', `/v2.0/agents/${other}/l3-routers/${router}`)).body.NeutronError.type, 'RouterNotHostedByL3Agent');
    assert.equal((await api.req('DELETE', `/v2.0/agents/${current.id}/l3-routers/${router}`)).status, 204);
    assert.equal((await api.req('GET', `/v2.0/routers/${router}`)).body.router.status, 'ERROR');
    const ports = (await api.req('GET', `/v2.0/ports?device_id=${router}`)).body.ports;
    assert.ok(ports.every((p: any) => p['binding:host_id'] === ''));
    const added = await api.req('POST', `/v2.0/agents/${other}/l3-routers`, { router_id: router });
    // Neutron's controller returns None: a JSON `null` body (openstack's CLI parses it)
    assert.deepEqual([added.status, added.body], [201, null]);
    assert.equal((await api.req('GET', `/v2.0/routers/${router}`)).body.router.status, 'ACTIVE');
    const host = agents.find((a) => a.id === other).host;
    assert.ok((await api.req('GET', `/v2.0/ports?device_id=${router}`)).body.ports.every((p: any) => p['binding:host_id'] === host));
    assert.equal((await state(host)).routers[0].id, router);
    // not an L3 agent
    const lb = agents.length ? (await api.req('GET', '/v2.0/agents?agent_type=Linux%20bridge%20agent')).body.agents[0].id : '';
    assert.equal((await api.req('POST', `/v2.0/agents/${lb}/l3-routers`, { router_id: router })).body.NeutronError.type, 'InvalidL3Agent');
    // members may not see or move scheduling
    assert.equal((await api.as('demo')('GET', `/v2.0/routers/${router}/l3-agents`)).status, 403);
    assert.equal((await api.req('GET', `/v2.0/routers/${'0'.repeat(8)}-0000-4000-8000-000000000000/l3-agents`)).status, 404);
  });

  it('advertises l3_agent_scheduler', async () => {
    const ext = (await api.req('GET', '/v2.0/extensions/l3_agent_scheduler')).body.extension;
    assert.equal(ext.name, 'L3 Agent Scheduler');
  });
});
