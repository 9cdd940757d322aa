// Each deployment check against facts with one fault injected; the healthy seed has no finding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDeployment, type DeploymentFacts } from './deployment-checks.ts';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const iso = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

const lb = (id: string, host: string, addrs: string[], extra: Record<string, unknown> = {}) => ({
  id, agent_type: 'Linux bridge agent', host, alive: true, admin_state_up: true, heartbeat_timestamp: iso(5),
  configurations: { interface_mappings: { public: 'eno1' }, tunneling_ip: addrs[0]?.split('/')[0], physical_network_addresses: { public: addrs }, tunneling_interface_mtu: 1500, ...extra },
});

/** The seed after the operator's fix: public 192.168.81.0/24 on eno1, private VXLAN, one router, one FIP. */
function seed(): DeploymentFacts {
  return {
    nowMs: NOW, agentDownTime: 75, buildGraceSeconds: 60,
    agents: [
      lb('lb-ctl', 'controller', ['192.168.81.66/24']),
      lb('lb-cmp', 'compute', ['192.168.81.65/24']),
      { id: 'dhcp-ctl', agent_type: 'DHCP agent', host: 'controller', alive: true, admin_state_up: true, heartbeat_timestamp: iso(5), configurations: {} },
      { id: 'l3-ctl', agent_type: 'L3 agent', host: 'controller', alive: true, admin_state_up: true, heartbeat_timestamp: iso(5), configurations: {} },
    ],
    networks: [
      { id: 'net-pub', name: 'public', router_external: true, mtu: 1500, segments: [{ network_type: 'flat', physical_network: 'public' }] },
      { id: 'net-prv', name: 'private', router_external: false, mtu: 1450, segments: [{ network_type: 'vxlan', physical_network: null }] },
    ],
    subnets: [
      { id: 'sub-pub', name: 'public', network_id: 'net-pub', cidr: '192.168.81.0/24', gateway_ip: '192.168.81.254', enable_dhcp: false, ip_version: 4 },
      { id: 'sub-prv', name: 'private', network_id: 'net-prv', cidr: '172.16.1.0/24', gateway_ip: '172.16.1.1', enable_dhcp: true, ip_version: 4 },
    ],
    ports: [{
      id: 'port-vm1', name: '', network_id: 'net-prv', status: 'ACTIVE', device_owner: 'compute:nova', device_id: 'vm1',
      binding_host_id: 'compute', binding_vif_type: 'bridge', binding_failure: null, updated_at: iso(600), blocks: [],
      fixed_ips: [{ subnet_id: 'sub-prv', ip_address: '172.16.1.4' }],
    }],
    routers: [{ id: 'r1', name: 'router', admin_state_up: true, gw_network_id: 'net-pub', interface_subnet_ids: ['sub-prv'] }],
    floatingips: [{ id: 'fip1', floating_ip_address: '192.168.81.102', floating_network_id: 'net-pub', fixed_port_id: 'port-vm1', fixed_ip_address: '172.16.1.4', router_id: 'r1' }],
    dhcpAgentsByNetwork: { 'net-prv': ['dhcp-ctl'] },
    l3AgentsByRouter: { r1: ['l3-ctl'] },
  };
}

const codes = (f: DeploymentFacts) => checkDeployment(f).map((x) => `${x.severity} ${x.code} ${x.object.type}:${x.object.id}`);

test('the healthy seed has no finding', () => {
  assert.deepEqual(checkDeployment(seed()), []);
});

test('a dead agent: since when, how to revive it; administratively down is only info', () => {
  const f = seed();
  Object.assign(f.agents[1], { alive: false, heartbeat_timestamp: iso(300) });
  const [d] = checkDeployment(f);
  assert.equal(d.code, 'agent-dead');
  assert.equal(d.severity, 'error');
  assert.match(d.evidence, /Linux bridge agent on host compute is dead since 2026-12-02T11:55:00.000Z \(last heartbeat 5 min ago; agent_down_time 75 s\)/);
  assert.match(d.fix, /muon agent linuxbridge/);
  f.agents[1].admin_state_up = false;
  assert.deepEqual(codes(f), ['info agent-dead agent:lb-cmp']);
});

test("the seed's CIDR mismatch: an external subnet that is not the uplink's segment", () => {
  const f = seed();
  Object.assign(f.subnets[0], { cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1' });
  const all = checkDeployment(f);
  assert.deepEqual(all.map((x) => x.code), ['external-subnet-off-link']);
  assert.match(all[0].evidence, /10\.0\.0\.0\/24 of external network 'public' is not the segment of physical network 'public': eno1 on host controller carries 192\.168\.81\.66\/24; eno1 on host compute carries 192\.168\.81\.65\/24/);
  assert.match(all[0].fix, /--subnet-range 192\.168\.81\.0\/24/);
});

test('an external network on a physical network no live agent maps', () => {
  const f = seed();
  f.networks[0].segments[0].physical_network = 'provider';
  assert.deepEqual(codes(f), ['error physnet-unmapped network:net-pub']);
});

test("an external gateway that is the host's own address, and none at all", () => {
  const f = seed();
  f.subnets[0].gateway_ip = '192.168.81.66';
  assert.deepEqual(codes(f), ['error external-gateway-is-host subnet:sub-pub']);
  f.subnets[0].gateway_ip = null;
  assert.deepEqual(codes(f), ['warning external-subnet-no-gateway subnet:sub-pub']);
});

test('a gateway outside its subnet: an error on the external network, a warning elsewhere', () => {
  const f = seed();
  f.subnets[1].gateway_ip = '172.16.2.1';
  assert.deepEqual(codes(f), ['warning gateway-not-on-link subnet:sub-prv']);
  f.subnets[0].gateway_ip = '192.168.82.254';
  assert.deepEqual(codes(f), ['error gateway-not-on-link subnet:sub-pub', 'warning gateway-not-on-link subnet:sub-prv']);
});

test('a VXLAN network whose MTU does not fit the underlay', () => {
  const f = seed();
  f.agents[1].configurations.tunneling_interface_mtu = 1400;
  const [m] = checkDeployment(f);
  assert.equal(m.code, 'network-mtu-exceeds-underlay');
  assert.match(m.evidence, /MTU 1450 .*host compute has MTU 1400: frames over 1350 bytes/);
  assert.match(m.fix, /--mtu 1350/);
});

test('a port stuck in BUILD says what it waits for; a fresh one is not stuck', () => {
  const f = seed();
  Object.assign(f.ports[0], { status: 'BUILD', blocks: ['L2', 'DHCP'], updated_at: iso(30) });
  assert.deepEqual(codes(f), []);
  f.ports[0].updated_at = iso(400);
  Object.assign(f.agents[1], { alive: false, heartbeat_timestamp: iso(200) });
  const stuck = checkDeployment(f).find((x) => x.code === 'port-stuck-build')!;
  assert.equal(stuck.severity, 'warning');
  assert.match(stuck.evidence, /in BUILD for 7 min, waiting for L2: the Linux bridge agent on 'compute' is dead since .*; DHCP: the DHCP agent on controller has not reported the port served/);
  f.ports[0].binding_host_id = 'compute-1';
  assert.match(checkDeployment(f).find((x) => x.code === 'port-stuck-build')!.evidence, /no Linux bridge agent on host 'compute-1'/);
});

test('a port whose binding failed gives the reason', () => {
  const f = seed();
  Object.assign(f.ports[0], { binding_vif_type: 'binding_failed', status: 'DOWN', binding_failure: "no agent registered on host 'compute-1'" });
  const [b] = checkDeployment(f);
  assert.equal(b.code, 'port-binding-failed');
  assert.match(b.evidence, /no agent registered on host 'compute-1'/);
});

test('a DHCP network with no DHCP agent, or only a dead one', () => {
  const f = seed();
  f.dhcpAgentsByNetwork = {};
  assert.deepEqual(codes(f), ['error network-no-dhcp-agent network:net-prv']);
  assert.match(checkDeployment(f)[0].fix, /dhcp-agent-network-add dhcp-ctl private/);
  f.dhcpAgentsByNetwork = { 'net-prv': ['dhcp-ctl'] };
  f.agents[2].alive = false;
  assert.deepEqual(codes(f), ['error agent-dead agent:dhcp-ctl', 'error network-no-dhcp-agent network:net-prv']);
  assert.match(checkDeployment(f)[1].fix, /start a DHCP agent/);
});

test('a router with no L3 agent, or a dead one', () => {
  const f = seed();
  f.l3AgentsByRouter = {};
  assert.deepEqual(codes(f), ['error router-no-l3-agent router:r1']);
  assert.match(checkDeployment(f)[0].fix, /l3-agent-router-add l3-ctl router/);
  f.l3AgentsByRouter = { r1: ['l3-ctl'] };
  f.agents[3].alive = false;
  assert.deepEqual(codes(f), ['error agent-dead agent:l3-ctl', 'error router-no-l3-agent router:r1']);
  f.routers[0].admin_state_up = false;
  assert.deepEqual(codes(f), ['error agent-dead agent:l3-ctl']);
});

test('a floating IP whose port subnet has no router to the external network', () => {
  const f = seed();
  f.routers[0].interface_subnet_ids = [];
  const [x] = checkDeployment(f);
  assert.equal(x.code, 'floatingip-no-route');
  assert.match(x.evidence, /192\.168\.81\.102 maps to 172\.16\.1\.4 on subnet 'private', but no router joins that subnet to external network 'public'/);
  f.routers[0].interface_subnet_ids = ['sub-prv'];
  f.routers[0].gw_network_id = null;
  assert.deepEqual(codes(f), ['error floatingip-no-route floatingip:fip1']);
});

test('what a live agent reports of its own host is a finding on that agent; a dead agent\'s report is stale', () => {
  const f = seed();
  const problem = { severity: 'error', code: 'mapping-interface-missing', object: { type: 'config', id: 'physical_interface_mappings', name: 'public:eno2' }, evidence: "… maps physical network 'public' to eno2, but host compute has no interface eno2", fix: 'set physical_interface_mappings = public:eno1' };
  f.agents[1].configurations = { ...f.agents[1].configurations, host_problems: [problem] };
  assert.deepEqual(codes(f), ['error mapping-interface-missing agent:lb-cmp']);
  const [x] = checkDeployment(f);
  assert.match(x.evidence, /^the Linux bridge agent on host compute reports: … maps physical network 'public' to eno2/);
  assert.equal(x.fix, 'on compute: set physical_interface_mappings = public:eno1');
  f.agents[1].alive = false;
  assert.deepEqual(codes(f), ['error agent-dead agent:lb-cmp']);
});

test('two hosts with one local_ip (a file copied from the other machine)', () => {
  const f = seed();
  f.agents[1].configurations.tunneling_ip = '192.168.81.66';
  assert.deepEqual(codes(f), ['error tunneling-ip-duplicate config:local_ip']);
  assert.match(checkDeployment(f)[0].evidence, /agents on controller and compute all report \[vxlan\] local_ip = 192\.168\.81\.66/);
});
