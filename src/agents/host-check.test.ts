// An agent's check of its own host, each fault injected into the config or the host facts; and
// the runner: the first report carries the verdict, a change is reported at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { loadConfigSources } from '../config/load.ts';
import { TOOLS, type HostFacts, type InterfaceFact } from '../linux/host-facts.ts';
import type { HostState } from '../feed/host-state.ts';
import { selfCheck, type SelfCheckInput } from './host-check.ts';
import { hostCheckRunner } from './host-check-runner.ts';
import type { AgentDefinition } from './loop.ts';

const lbIni = (extra = '', mapping = 'public:eno1', ip = '192.168.81.65') =>
  `[DEFAULT]\nhost = compute\n[linux_bridge]\nphysical_interface_mappings = ${mapping}\n[vxlan]\nenable_vxlan = True\nlocal_ip = ${ip}\nl2_population = True\n${extra}`;
const config = (text: string) => loadConfigSources([{ file: 'agent.ini', text }]).config;

const compute = (mtu = 1500): InterfaceFact[] => [
  { name: 'lo', mtu: 65536, up: true, addresses: [] },
  { name: 'eno1', mtu, up: true, addresses: ['192.168.81.65/24'] },
];
function facts(interfaces = compute()): HostFacts {
  return {
    kernelRelease: '6.1.0-18-amd64', isRoot: true,
    tools: Object.fromEntries(TOOLS.map((t) => [t, `/usr/sbin/${t}`])),
    dnsmasqVersion: '2.89',
    kernel: { vxlan: true, bridge: true, veth: true, nftables: true, conntrack: true, br_netfilter: true, netns: true },
    sysctls: { 'net.bridge.bridge-nf-call-iptables': '1', 'net.bridge.bridge-nf-call-ip6tables': '1' },
    netnsReadable: true, interfaces,
  };
}
const lb = (text: string, f = facts()): SelfCheckInput => ({ kind: 'linuxbridge', config: config(text), facts: f });
const codes = (i: SelfCheckInput) => selfCheck(i).map((x) => `${x.severity} ${x.code}`);

test('a healthy host: no problem for any agent', () => {
  assert.deepEqual(selfCheck(lb(lbIni())), []);
  for (const kind of ['dhcp', 'l3', 'metadata'] as const) assert.deepEqual(selfCheck({ kind, config: config('[DEFAULT]\nhost = controller\n'), facts: facts() }), []);
});

test('a mapped interface the host lacks is named, with the one it has', () => {
  const [p] = selfCheck(lb(lbIni('', 'public:eno2')));
  assert.equal(p.code, 'mapping-interface-missing');
  assert.equal(p.object.name, 'public:eno2');
  assert.match(p.evidence, /maps physical network 'public' to eno2, but host compute has no interface eno2 \(it has eno1\)/);
  assert.match(p.fix, /public:eno1/);
});

test('a local_ip that is not this host\'s (the other machine\'s, copied with its file)', () => {
  const [p] = selfCheck(lb(lbIni('', 'public:eno1', '192.168.81.66')));
  assert.equal(p.code, 'local-ip-not-assigned');
  assert.match(p.evidence, /local_ip = 192\.168\.81\.66, but no interface of host compute has that address \(it has 192\.168\.81\.65\/24 on eno1/);
});

test('an underlay smaller than the network MTU plus the VXLAN overhead', () => {
  assert.deepEqual(codes(lb(lbIni(), facts(compute(1450)))), ['error mtu-underlay-smaller', 'warning mtu-uplink-smaller']);
});

test('a kernel without VXLAN', () => {
  const f = facts();
  f.kernel.vxlan = 'ip link add muon-probe-vx type vxlan …: Error: Unknown device type.';
  assert.deepEqual(codes(lb(lbIni(), f)), ['error kernel-no-vxlan']);
  // with VXLAN off, it is not this host's problem
  assert.deepEqual(codes(lb(lbIni().replace('enable_vxlan = True', 'enable_vxlan = False'), f)), []);
});

test('the DHCP agent: a dnsmasq_config_file forcing option 26 above a served network\'s MTU (the seed\'s 1454)', () => {
  const dhcp = (text: string | Error, served = [{ id: 'net-private', mtu: 1450 }, { id: 'net-public', mtu: 1500 }]): SelfCheckInput => ({
    kind: 'dhcp', config: config('[DEFAULT]\nhost = controller\n'), facts: facts(), dnsmasqConfig: { path: '/etc/neutron/dnsmasq-neutron.conf', text }, served,
  });
  const [p] = selfCheck(dhcp('dhcp-option-force=26,1454\n'));
  assert.equal(p.code, 'dhcp-mtu-too-big');
  assert.match(p.evidence, /forces DHCP option 26 \(MTU\) = 1454 on every network, more than network net-private \(MTU 1450\) carries/);
  assert.match(p.fix, /lower it to 1450/);
  // no bigger than any network: nothing to report (doctor notes it as info)
  assert.deepEqual(selfCheck(dhcp('dhcp-option-force=26,1400\n')), []);
  assert.deepEqual(selfCheck(dhcp('dhcp-option-force=26,1454\n', [])), []);
  assert.deepEqual(codes(dhcp(new Error('ENOENT: no such file'))), ['warning dnsmasq-config-unreadable']);
});

test('the runner: the first report carries the verdict; a change is logged and reported at once', async () => {
  let f = facts(compute().filter((i) => i.name !== 'eno1'));
  let changes = 0;
  const warned: string[] = [];
  const log = { info() {}, warn: (m: string) => { warned.push(m); }, error: (m: string) => { warned.push(m); } };
  const r = hostCheckRunner({ kind: 'linuxbridge', config: config(lbIni()), log, gather: async () => f, onChange: () => changes++ });
  await r.refresh();
  assert.equal(changes, 0, 'the first check is carried by the registration itself');
  assert.deepEqual(r.problems.map((p) => p.code), ['mapping-interface-missing', 'local-ip-not-assigned']);
  assert.equal(warned.length, 2);
  const def: AgentDefinition = { host: 'compute', identity: { agent_type: 'Linux bridge agent', binary: 'x' }, configurations: () => ({ devices: 0 }), reconcile: async () => ({}) };
  assert.deepEqual((r.wrap(def).configurations().host_problems as { code: string }[]).map((p) => p.code), ['mapping-interface-missing', 'local-ip-not-assigned']);
  await r.refresh();
  assert.equal(changes, 0, 'the same verdict again is no change');
  f = facts();
  await r.refresh();
  assert.equal(changes, 1);
  assert.deepEqual(r.wrap(def).configurations().host_problems, []);
});

test('the runner feeds the DHCP agent\'s networks to the check and reads its dnsmasq_config_file', async () => {
  const dir = await mkdtemp(`${tmpdir()}/muon-hostcheck-`);
  try {
    await writeFile(`${dir}/dnsmasq-neutron.conf`, 'dhcp-option-force=26,1454\n');
    let changes = 0;
    const log = { info() {}, warn() {}, error() {} };
    const r = hostCheckRunner({ kind: 'dhcp', config: config(`[DEFAULT]\nhost = controller\ndnsmasq_config_file = ${dir}/dnsmasq-neutron.conf\n`), log, gather: async () => facts(), onChange: () => changes++ });
    await r.refresh();
    assert.equal(r.problems.length, 0, 'no network served yet');
    const def = r.wrap<AgentDefinition>({ host: 'controller', identity: { agent_type: 'DHCP agent', binary: 'x' }, configurations: () => ({}), reconcile: async () => ({}) });
    const net = { id: 'net-private', network_type: 'vxlan', physical_network: null, segmentation_id: 1, mtu: 1450, admin_state_up: true };
    await def.reconcile({ dhcp: [{ network: net }] } as unknown as HostState);
    assert.equal(changes, 1);
    assert.deepEqual(r.problems.map((p) => p.code), ['dhcp-mtu-too-big']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
