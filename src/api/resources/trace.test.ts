// POST /v2.0/muon/trace on a real server: admin only, bad input named, and the table of
// cases built through the API — each blocked case names its setting, and applying the fix it
// names (as the API call the command makes) turns it reachable.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { startApi, type Api } from '../../../test/support/api.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../../test/support/test-db.ts';
import { httpChannel } from '../../agents/channel/http-channel.ts';
import type { AgentChannel } from '../../feed/channel.ts';
import type { TraceResult } from '../../trace/model.ts';

const LB = (host: string, ip: string) => ({
  agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', host, topic: 'N/A', start_flag: true,
  configurations: { interface_mappings: { public: 'eno1' }, bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: ip, l2_population: true, devices: 0 },
});
const DHCP = { agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', host: 'controller', topic: 'dhcp_agent', configurations: {}, start_flag: true };
const L3 = { agent_type: 'L3 agent', binary: 'neutron-l3-agent', host: 'controller', topic: 'l3_agent', configurations: {}, start_flag: true };
const OUTSIDE = { ip_address: '203.0.113.1' };

for (const kind of TEST_DB_KINDS) describe(`POST /v2.0/muon/trace [${kind}]`, { skip: dbSkipReason(kind) }, () => {
  let db: TestDatabase;
  let api: Api;
  let dir: string;
  let ch: AgentChannel;
  const ids: Record<string, string> = {};
  let fipAddr = '';
  const post = async (path: string, body: unknown) => {
    const r = await api.req('POST', path, body);
    assert.ok(r.status < 300, JSON.stringify(r.body));
    return Object.values(r.body as Record<string, { id: string }>)[0].id;
  };
  const put = async (path: string, body: unknown) => {
    const r = await api.req('PUT', path, body);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  const trace = async (source: unknown, destination: unknown, protocol = 'icmp', port?: number) => {
    const r = await api.req('POST', '/v2.0/muon/trace', { trace: { source, destination, protocol, ...(port ? { destination_port: port } : {}) } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.trace as TraceResult;
  };
  const settings = (t: TraceResult) => t.blocking.map((b) => `${b.object.type} ${b.setting}`).sort();
  /** the ports' taps up on their hosts, DHCP served: the agents' reports */
  const wire = async () => {
    const ports = (await api.req('GET', '/v2.0/ports')).body.ports as { id: string; 'binding:host_id': string }[];
    for (const p of ports) if (p['binding:host_id']) await ch.devices(p['binding:host_id'], { up: [p.id] });
    await ch.devices('controller', { dhcp_ready: ports.map((p) => p.id) });
  };

  before(async () => {
    dir = await mkdtemp(`${tmpdir()}/muon-trace-`);
    db = await freshDatabase(kind, 'trace');
    api = await startApi('[ml2]\ntenant_network_types = vxlan\n[ml2_type_flat]\nflat_networks = public\n', db.url, { agentSocket: `${dir}/agent.sock` });
    ch = httpChannel(`${dir}/agent.sock`);
    for (const a of [LB('controller', '192.168.81.66'), LB('compute', '192.168.81.65'), DHCP, L3]) await ch.report(a);
    ids.pub = await post('/v2.0/networks', { network: { name: 'public', 'provider:network_type': 'flat', 'provider:physical_network': 'public', 'router:external': true } });
    ids.pubSub = await post('/v2.0/subnets', { subnet: { name: 'public', ip_version: 4, network_id: ids.pub, cidr: '192.168.81.0/24', gateway_ip: '192.168.81.254', enable_dhcp: false, allocation_pools: [{ start: '192.168.81.100', end: '192.168.81.200' }] } });
    ids.prv = await post('/v2.0/networks', { network: { name: 'private' } });
    ids.prvSub = await post('/v2.0/subnets', { subnet: { name: 'private', ip_version: 4, network_id: ids.prv, cidr: '172.16.1.0/24', gateway_ip: '172.16.1.1' } });
    ids.router = await post('/v2.0/routers', { router: { name: 'router', external_gateway_info: { network_id: ids.pub } } });
    await put(`/v2.0/routers/${ids.router}/add_router_interface`, { subnet_id: ids.prvSub });
    ids.web = await post('/v2.0/security-groups', { security_group: { name: 'web' } });
    for (const rule of [{ protocol: 'icmp' }, { protocol: 'tcp', port_range_min: 22, port_range_max: 22 }]) {
      await post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: ids.web, direction: 'ingress', ethertype: 'IPv4', ...rule } });
    }
    ids.default = (await api.req('GET', '/v2.0/security-groups?name=default&project_id=admin')).body.security_groups[0].id;
    ids.vm1 = await post('/v2.0/ports', { port: { name: 'vm1', network_id: ids.prv, 'binding:host_id': 'compute', device_owner: 'compute:nova', device_id: 'vm1' } });
    ids.vm2 = await post('/v2.0/ports', { port: { name: 'vm2', network_id: ids.prv, 'binding:host_id': 'controller', device_owner: 'compute:nova', device_id: 'vm2', security_groups: [ids.default, ids.web] } });
    const fip = (await api.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ids.pub, port_id: ids.vm2 } })).body.floatingip;
    ids.fip = fip.id;
    fipAddr = fip.floating_ip_address;
    await wire();
  });
  after(async () => {
    ch?.close();
    await api?.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('is for admins only, answers POST only, and names what is wrong with a request', async () => {
    const body = { trace: { source: { port_id: ids.vm1 }, destination: OUTSIDE, protocol: 'icmp' } };
    const r = await api.as('demo')('POST', '/v2.0/muon/trace', body);
    assert.equal(r.status, 403);
    assert.equal(r.body.NeutronError.type, 'PolicyNotAuthorized');
    assert.equal((await api.req('GET', '/v2.0/muon/trace')).status, 405);
    const bad = async (b: unknown, status: number, type: string, msg: RegExp) => {
      const x = await api.req('POST', '/v2.0/muon/trace', b);
      assert.equal(x.status, status, JSON.stringify(x.body));
      assert.equal(x.body.NeutronError.type, type);
      assert.match(x.body.NeutronError.message, msg);
    };
    await bad({}, 400, 'HTTPBadRequest', /the body must be \{"trace"/);
    await bad({ trace: { ...body.trace, protocol: 'sctp' } }, 400, 'HTTPBadRequest', /protocol must be one of icmp, tcp, udp, any/);
    await bad({ trace: { ...body.trace, destination_port: 22 } }, 400, 'HTTPBadRequest', /destination_port is for tcp or udp/);
    await bad({ trace: { ...body.trace, protocol: 'tcp', destination_port: 70000 } }, 400, 'HTTPBadRequest', /from 1 to 65535/);
    await bad({ trace: { ...body.trace, source: { ip_address: 'nowhere' } } }, 400, 'HTTPBadRequest', /source\.ip_address must be an IPv4 or IPv6 address/);
    await bad({ trace: { ...body.trace, source: { name: 'vm1' } } }, 400, 'HTTPBadRequest', /unknown attribute name/);
    await bad({ trace: { ...body.trace, source: OUTSIDE } }, 400, 'HTTPBadRequest', /at least one end must be a port/);
    await bad({ trace: { ...body.trace, source: { port_id: '8c4a3a4e-0000-4000-8000-000000000000' } } }, 404, 'PortNotFound', /Port 8c4a3a4e-0000-4000-8000-000000000000 could not be found/);
  });

  it('reachable: same network, to the outside through SNAT, from the outside to an allowed port of a floating IP', async () => {
    const same = await trace({ port_id: ids.vm1 }, { port_id: ids.vm2 });
    assert.equal(same.reachable, true, JSON.stringify(same.blocking));
    assert.deepEqual(same.hops.map((h) => h.step), ['source_port', 'security_group_egress', 'network', 'security_group_ingress', 'destination_port']);
    assert.deepEqual(same.hops.map((h) => h.realised.state), ['yes', 'yes', 'yes', 'yes', 'yes']);
    assert.equal(same.hops[0].realised.host, 'compute');

    const out = await trace({ port_id: ids.vm1 }, OUTSIDE, 'tcp', 8080);
    assert.equal(out.reachable, true, JSON.stringify(out.blocking));
    assert.deepEqual(out.hops.map((h) => `${h.step} ${h.object.type}`), [
      'source_port port', 'security_group_egress security_group_rule', 'network network', 'router_interface router', 'route router', 'snat router',
      'external_network network', 'destination_port address']);
    assert.equal(out.hops.find((h) => h.step === 'router_interface')!.object.id, ids.router);
    assert.equal(out.hops.find((h) => h.step === 'router_interface')!.realised.host, 'controller');

    const ssh = await trace(OUTSIDE, { ip_address: fipAddr }, 'tcp', 22);
    assert.equal(ssh.reachable, true, JSON.stringify(ssh.blocking));
    const ingress = ssh.hops.find((h) => h.step === 'security_group_ingress')!;
    assert.equal(ingress.object.type, 'security_group_rule');
    assert.match(ingress.object.name, /^web: ingress IPv4 tcp 22/);
    assert.equal(ssh.hops.find((h) => h.step === 'floating_ip')!.object.id, ids.fip);
  });

  it('a security group without the rule', async () => {
    const t = await trace(OUTSIDE, { ip_address: fipAddr }, 'tcp', 80);
    assert.equal(t.reachable, false);
    assert.equal(t.blocking.length, 1);
    assert.equal(t.blocking[0].object.type, 'security_group');
    assert.match(t.blocking[0].setting, /no ingress rule for tcp 80 from 203\.0\.113\.1/);
    assert.match(t.blocking[0].fix, /openstack security group rule create --ingress --ethertype IPv4 --protocol tcp --dst-port 80 --remote-ip 203\.0\.113\.1\/32 (web|default)/);
    const rule = await post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: ids.web, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_ip_prefix: '203.0.113.1/32' } });
    assert.equal((await trace(OUTSIDE, { ip_address: fipAddr }, 'tcp', 80)).reachable, true);
    assert.equal((await api.req('DELETE', `/v2.0/security-group-rules/${rule}`)).status, 204);
  });

  it('port security off: past every group (and anti-spoofing)', async () => {
    await put(`/v2.0/ports/${ids.vm2}`, { port: { port_security_enabled: false, security_groups: [] } });
    const t = await trace(OUTSIDE, { ip_address: fipAddr }, 'tcp', 80);
    assert.equal(t.reachable, true, JSON.stringify(t.blocking));
    assert.match(t.hops.find((h) => h.step === 'security_group_ingress')!.reason, /port_security_enabled=false/);
    const spoof = await trace({ port_id: ids.vm2, ip_address: '172.16.1.250' }, { port_id: ids.vm1 });
    assert.equal(spoof.hops[0].verdict, 'pass');
    await put(`/v2.0/ports/${ids.vm2}`, { port: { port_security_enabled: true, security_groups: [ids.default, ids.web] } });
    const blocked = await trace({ port_id: ids.vm2, ip_address: '172.16.1.250' }, { port_id: ids.vm1 });
    // and vm1's default group admits only its members' addresses: two blockers
    assert.deepEqual(settings(blocked), ['port source 172.16.1.250 is not a fixed IP or allowed address pair (anti-spoofing)',
      'security_group no ingress rule for icmp (echo request) from 172.16.1.250 (groups of port vm1: default)']);
  });

  it('no floating IP: the outside cannot reach the port', async () => {
    const t = await trace(OUTSIDE, { port_id: ids.vm1 }, 'icmp');
    assert.equal(t.reachable, false);
    assert.deepEqual(settings(t), ['port no floating IP', 'security_group no ingress rule for icmp (echo request) from 203.0.113.1 (groups of port vm1: default)']);
    assert.equal(t.blocking.find((b) => b.object.type === 'port')!.fix, `openstack floating ip create --port ${ids.vm1} public`);
  });

  it('a floating IP with port forwardings: the forwarded port is judged by its internal port; the rest named with the command', async () => {
    const fip = (await api.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ids.pub } })).body.floatingip;
    const vm1Ip = (await api.req('GET', `/v2.0/ports/${ids.vm1}`)).body.port.fixed_ips[0].ip_address;
    const pf = await post(`/v2.0/floatingips/${fip.id}/port_forwardings`, { port_forwarding: { protocol: 'tcp', internal_port_id: ids.vm1, internal_ip_address: vm1Ip, internal_port: 22, external_port: 2222 } });
    const t = await trace(OUTSIDE, { ip_address: fip.floating_ip_address }, 'tcp', 2222);
    assert.equal(t.flow.destination_ip, vm1Ip);
    assert.ok(t.hops.some((h) => h.step === 'floating_ip' && h.verdict === 'pass' && h.reason.includes(`to ${vm1Ip}:22 (port forwarding ${pf})`)), JSON.stringify(t.hops));
    assert.deepEqual(settings(t), ['security_group no ingress rule for tcp 22 from 203.0.113.1 (groups of port vm1: default)']);
    const udp = await trace(OUTSIDE, { ip_address: fip.floating_ip_address }, 'udp', 2222);
    assert.deepEqual(settings(udp), ['floatingip no port forwarding for udp 2222']);
    assert.match(udp.blocking[0].fix, /^openstack floating ip port forwarding create .* --external-protocol-port 2222 --protocol udp /);
    assert.equal((await api.req('DELETE', `/v2.0/floatingips/${fip.id}/port_forwardings/${pf}`)).status, 204);
    assert.equal((await api.req('DELETE', `/v2.0/floatingips/${fip.id}`)).status, 204);
  });

  it('a disabled port', async () => {
    await put(`/v2.0/ports/${ids.vm2}`, { port: { admin_state_up: false } });
    const t = await trace(OUTSIDE, { ip_address: fipAddr }, 'tcp', 22);
    assert.equal(t.reachable, false);
    assert.deepEqual(settings(t), ['port admin_state_up=false']);
    assert.equal(t.blocking[0].fix, `openstack port set --enable ${ids.vm2}`);
    assert.equal(t.hops.at(-1)!.step, 'destination_port');
    assert.equal(t.hops.at(-1)!.verdict, 'block');
    await put(`/v2.0/ports/${ids.vm2}`, { port: { admin_state_up: true } });
    assert.equal((await trace(OUTSIDE, { ip_address: fipAddr }, 'tcp', 22)).reachable, true);
  });

  it('no router interface, then no router gateway: each named, each fixed by what it names', async () => {
    // a second network (an interface a floating IP uses cannot be removed)
    const net = await post('/v2.0/networks', { network: { name: 'other' } });
    const sub = await post('/v2.0/subnets', { subnet: { name: 'other', ip_version: 4, network_id: net, cidr: '10.9.0.0/24' } });
    const vm3 = await post('/v2.0/ports', { port: { name: 'vm3', network_id: net, 'binding:host_id': 'compute', device_owner: 'compute:nova', device_id: 'vm3' } });
    await wire();
    const noIface = await trace({ port_id: vm3 }, OUTSIDE, 'icmp');
    assert.equal(noIface.reachable, false);
    assert.deepEqual(settings(noIface), ['subnet no router interface on subnet other 10.9.0.0/24']);
    assert.match(noIface.blocking[0].fix, /openstack router add subnet <router> other/);
    const r2 = await post('/v2.0/routers', { router: { name: 'r2' } });
    await put(`/v2.0/routers/${r2}/add_router_interface`, { subnet_id: sub });
    const noGw = await trace({ port_id: vm3 }, OUTSIDE, 'icmp');
    assert.deepEqual(settings(noGw), ['router external_gateway_info=null (no gateway)']);
    assert.equal(noGw.blocking[0].fix, 'openstack router set --external-gateway public r2');
    await put(`/v2.0/routers/${r2}`, { router: { external_gateway_info: { network_id: ids.pub } } });
    const ok = await trace({ port_id: vm3 }, OUTSIDE, 'icmp');
    assert.equal(ok.reachable, true, JSON.stringify(ok.blocking));
    // r2 was scheduled to the live L3 agent: the path is realised there
    assert.equal(ok.hops.find((h) => h.step === 'router_interface')!.realised.host, 'controller');
    // east-west between the two routers' networks: no router joins both subnets
    const ew = await trace({ port_id: vm3 }, { port_id: ids.vm1 }, 'icmp');
    assert.deepEqual(settings(ew), ['subnet no router interface on subnet private 172.16.1.0/24']);
    assert.equal(ew.blocking[0].fix, 'openstack router add subnet r2 private');
  });
});
