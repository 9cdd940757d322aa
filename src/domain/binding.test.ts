// Binding by what the agent reports of its own host: a mapping to an interface the host lacks,
// or a local_ip that is not the host's, fails the binding with the agent's words and fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindPort, type BindingAgent, type BindingRequest, type HostProblem } from './binding.ts';

const agent = (host_problems: HostProblem[] = []): BindingAgent => ({
  host: 'compute', alive: true, admin_state_up: true, heartbeat_timestamp: '2026-12-03 00:00:00',
  configurations: { interface_mappings: { public: 'eno2', provider: 'eth1' }, bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: '192.168.81.99', host_problems },
});
const req = (a: BindingAgent, network_type: string, physical_network: string | null = null): BindingRequest => ({
  host: 'compute', vnic_type: 'normal', segments: [{ network_type, physical_network, segmentation_id: network_type === 'vxlan' ? 1 : null }],
  agent: a, knownHosts: ['compute'], portFilter: true, agentDownTime: 75,
});
const missingEno2: HostProblem = {
  code: 'mapping-interface-missing', object: { id: 'physical_interface_mappings', name: 'public:eno2' },
  evidence: "[linux_bridge] physical_interface_mappings maps physical network 'public' to eno2, but host compute has no interface eno2 (it has eno1): ports on 'public' fail to bind",
  fix: 'set physical_interface_mappings = public:eno1',
};
const foreignIp: HostProblem = {
  code: 'local-ip-not-assigned', object: { id: 'local_ip', name: '192.168.81.99' },
  evidence: '[vxlan] local_ip = 192.168.81.99, but no interface of host compute has that address (it has 192.168.81.65/24 on eno1)',
  fix: 'set [vxlan] local_ip to this host\'s address on the tunnel network (e.g. 192.168.81.65)',
};

test('without reported problems, flat and vxlan ports bind (as before)', () => {
  assert.equal(bindPort(req(agent(), 'flat', 'public')).bound, true);
  assert.equal(bindPort(req(agent(), 'vxlan')).bound, true);
});

test('a port on a physical network whose interface the agent reports missing fails, naming the interface', () => {
  const r = bindPort(req(agent([missingEno2]), 'flat', 'public'));
  assert.equal(r.bound, false);
  assert.match((r as { reason: string }).reason, /^the Linux bridge agent on host 'compute' reports: .*to eno2, but host compute has no interface eno2 .*; fix: set physical_interface_mappings = public:eno1$/);
  // other physical networks and VXLAN are not concerned
  assert.equal(bindPort(req(agent([missingEno2]), 'flat', 'provider')).bound, true);
  assert.equal(bindPort(req(agent([missingEno2]), 'vxlan')).bound, true);
});

test('a local_ip that is not the host\'s fails VXLAN ports, not flat ones', () => {
  const r = bindPort(req(agent([foreignIp]), 'vxlan'));
  assert.equal(r.bound, false);
  assert.match((r as { reason: string }).reason, /local_ip = 192\.168\.81\.99, but no interface of host compute has that address.*; fix: set \[vxlan\] local_ip/);
  assert.equal(bindPort(req(agent([foreignIp]), 'flat', 'provider')).bound, true);
});

test('host_problems that are not a list of findings are ignored, not trusted', () => {
  const a = agent();
  (a.configurations as Record<string, unknown>).host_problems = 'eno2 is missing';
  assert.equal(bindPort(req(a, 'flat', 'public')).bound, true);
  (a.configurations as Record<string, unknown>).host_problems = [null, { code: 'mapping-interface-missing' }];
  assert.equal(bindPort(req(a, 'flat', 'public')).bound, true);
});
