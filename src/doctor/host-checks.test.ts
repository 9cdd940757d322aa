import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHost, compareVersions, type AgentKind, type HostCheckOptions } from './host-checks.ts';
import { TOOLS, type HostFacts } from '../linux/host-facts.ts';

function healthy(): HostFacts {
  return {
    kernelRelease: '6.1.0-18-amd64', isRoot: true,
    tools: Object.fromEntries(TOOLS.map((t) => [t, `/usr/sbin/${t}`])),
    dnsmasqVersion: '2.89',
    kernel: { vxlan: true, bridge: true, veth: true, nftables: true, conntrack: true, br_netfilter: true, netns: true },
    sysctls: { 'net.bridge.bridge-nf-call-iptables': '1', 'net.bridge.bridge-nf-call-ip6tables': '1' },
    netnsReadable: true, interfaces: [],
  };
}
const ALL = new Set<AgentKind>(['linuxbridge', 'dhcp', 'l3', 'metadata']);
const opts = (agents = ALL): HostCheckOptions => ({ agents, vxlan: true, securityGroups: true, host: 'controller' });
const codes = (f: HostFacts, o = opts()) => checkHost(f, o).map((x) => `${x.severity} ${x.code} ${x.object.id}`);

test('a healthy network node has no finding', () => {
  assert.deepEqual(checkHost(healthy(), opts()), []);
});

test('versions compare numerically', () => {
  assert.equal(compareVersions('2.9', '2.67'), -1);
  assert.equal(compareVersions('2.90', '2.67'), 1);
  assert.equal(compareVersions('3.10.0-327.el7', '3.13'), -1);
  assert.equal(compareVersions('4.5.0-1.el7', '3.13'), 1);
});

test('a missing tool is named with the agent that needs it and the package; only for agents this host runs', () => {
  const f = healthy();
  f.tools.dnsmasq = null;
  f.tools.dhcp_release = null;
  assert.deepEqual(codes(f), ['error tool-missing dnsmasq', 'warning tool-missing dhcp_release']);
  assert.match(checkHost(f, opts())[0].fix, /apt-get install dnsmasq-base/);
  assert.deepEqual(codes(f, opts(new Set(['linuxbridge']))), []);
  f.tools.arping = null;
  f.tools.busybox = null;
  assert.ok(codes(f).includes('warning tool-missing arping'));
});

test("the seed's kernel: too old for VXLAN, and a kernel that refuses VXLAN devices", () => {
  const f = healthy();
  f.kernelRelease = '3.10.0-327.10.1.el7.x86_64';
  assert.deepEqual(codes(f), ['error kernel-too-old-for-vxlan controller']);
  f.kernelRelease = '6.1.0';
  f.kernel.vxlan = 'ip link add muon-probe-vx type vxlan …: Error: Unknown device type.';
  const [v] = checkHost(f, opts());
  assert.equal(v.code, 'kernel-no-vxlan');
  assert.match(v.evidence, /Unknown device type/);
  assert.deepEqual(codes(f, { ...opts(), vxlan: false }), []);
});

test('no br_netfilter, no conntrack, no nftables', () => {
  const f = healthy();
  Object.assign(f.kernel, { br_netfilter: 'no /proc/sys/net/bridge', conntrack: 'no nf_conntrack', nftables: 'nft refused' });
  assert.deepEqual(codes(f), ['error kernel-no-nftables controller', 'error kernel-no-conntrack controller', 'error kernel-no-br-netfilter controller']);
});

test('bridge netfilter off before the agent starts is only info', () => {
  const f = healthy();
  f.sysctls['net.bridge.bridge-nf-call-iptables'] = '0';
  assert.deepEqual(codes(f), ['info bridge-netfilter-off controller']);
});

test('dnsmasq older than 2.67', () => {
  const f = healthy();
  f.dnsmasqVersion = '2.66';
  assert.deepEqual(codes(f), ['error dnsmasq-too-old dnsmasq']);
});

test('not root: the kernel was not probed, said as info', () => {
  const f = healthy();
  f.isRoot = false;
  for (const k of ['vxlan', 'bridge', 'veth', 'nftables']) f.kernel[k] = null;
  assert.deepEqual(codes(f), ['info kernel-not-probed controller']);
});
