// The config checks on the seed's own files (its mistakes found) and with one fault injected each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { agentsOf, checkConfig, type ConfigCheckInput } from './config-checks.ts';
import type { InterfaceFact } from '../linux/host-facts.ts';

const dir = new URL('../config/fixtures/seed/', import.meta.url).pathname;
const seed = (f: string) => ({ file: `/etc/neutron/${f}`, text: readFileSync(dir + f, 'utf8') });
const CONTROLLER = ['neutron.conf', 'ml2_conf.ini', 'linuxbridge_agent.ini', 'dhcp_agent.ini', 'l3_agent.ini', 'metadata_agent.ini'];
const eno1 = (ip: string, mtu = 1500): InterfaceFact[] => [{ name: 'lo', mtu: 65536, up: true, addresses: [] }, { name: 'eno1', mtu, up: true, addresses: [`${ip}/24`] }];
const codes = (i: ConfigCheckInput) => checkConfig(i).findings.filter((f) => f.severity !== 'info').map((f) => `${f.severity} ${f.code}`);

/** A file as the lab writes it, fixed: the seed's values without the seed's mistakes. */
const goodLb = (extra = '') => ({ file: 'linuxbridge_agent.ini', text: `[DEFAULT]\nhost = controller\n[linux_bridge]\nphysical_interface_mappings = public:eno1\n[vxlan]\nenable_vxlan = True\nlocal_ip = 192.168.81.66\nl2_population = True\n${extra}` });
const ml2 = { file: 'ml2_conf.ini', text: '[ml2]\ntype_drivers = flat,vxlan\ntenant_network_types = vxlan\nmechanism_drivers = linuxbridge,l2population\n[ml2_type_vxlan]\nvni_ranges = 1:1000\n' };

test("the seed controller's files: the firewall_driver typo, the metadata secret that differs from nova.conf, the hand-written MTU", () => {
  const r = checkConfig({ sources: CONTROLLER.map(seed), nova: seed('nova.conf'), interfaces: eno1('192.168.81.66'), readFile: () => 'dhcp-option-force=26,1450\n' });
  assert.deepEqual([...r.agents].sort(), ['dhcp', 'l3', 'linuxbridge', 'metadata']);
  const notInfo = r.findings.filter((f) => f.severity !== 'info');
  assert.deepEqual(notInfo.map((f) => `${f.severity} ${f.code}`), ['warning config-warning', 'error metadata-secret-mismatch']);
  assert.match(notInfo[0].evidence, /linuxbridge_agent\.ini:14 \[securitygroup\] firewall_driver: .*IptablesFirewallDrive' is not a known firewall driver/);
  assert.equal(notInfo[0].fix, "write 'neutron.agent.linux.iptables_firewall.IptablesFirewallDriver'");
  assert.match(notInfo[1].evidence, /\(58 characters, sha256 [0-9a-f]{8}\) differs from \/etc\/neutron\/nova\.conf:12 \[neutron\] metadata_proxy_shared_secret \(15 characters.*403.*a note written after the value is part of it/);
  assert.doesNotMatch(notInfo[1].evidence, /METADATA_SECRET/, 'secrets are never printed');
  const mtu = r.findings.find((f) => f.code === 'dhcp-mtu-forced')!;
  assert.equal(mtu.severity, 'info');
  assert.match(mtu.evidence, /option 26 \(MTU\) = 1450 for every network/);
  assert.ok(r.findings.some((f) => f.code === 'config-deprecated' && /verbose is deprecated/.test(f.evidence)));
});

test("the seed compute's local_ip with the note in it: the bad value, and the rest still checked", () => {
  const r = checkConfig({ sources: ['neutron.conf', 'compute-linuxbridge_agent.ini'].map(seed), interfaces: eno1('192.168.81.65') });
  const notInfo = r.findings.filter((f) => f.severity !== 'info');
  assert.deepEqual(notInfo.map((f) => `${f.severity} ${f.code} ${f.object.name ?? ''}`), ['error config-invalid-value [vxlan] local_ip', 'warning config-warning ']);
  assert.match(notInfo[0].evidence, /compute-linuxbridge_agent\.ini:6 \[vxlan\] local_ip: '192\.168\.81\.65\(compute IP地址\)' is not an IP address/);
});

test('unknown options and sections, with did-you-mean; an option in the wrong section', () => {
  const r = checkConfig({ sources: [goodLb('l2_populaton = True\n[linux_brigde]\nx = 1\n[agent]\nlocal_ip = 1.2.3.4\n')], interfaces: eno1('192.168.81.66') });
  const f = r.findings.filter((x) => x.severity !== 'info');
  assert.deepEqual(f.map((x) => x.code), ['config-unknown-section', 'config-unknown-option', 'config-unknown-option']);
  assert.equal(f[0].fix, 'rename it to [linux_bridge]');
  assert.equal(f[1].fix, "rename it to 'l2_population'");
  assert.match(f[2].fix, /move it: option 'local_ip' belongs in \[vxlan\], not \[agent\]/);
});

test('a mapping to an interface the host does not have, with the likely one', () => {
  const r = checkConfig({ sources: [{ ...goodLb(), text: goodLb().text.replace('public:eno1', 'public:eth1') }], interfaces: [{ name: 'eth0', mtu: 1500, up: true, addresses: ['192.168.81.66/24'] }] });
  const [m] = r.findings.filter((x) => x.code === 'mapping-interface-missing');
  assert.match(m.evidence, /maps physical network 'public' to eth1, but host controller has no interface eth1 \(it has eth0\)/);
  assert.equal(m.fix, 'set physical_interface_mappings = public:eth0');
});

test('local_ip assigned to no interface', () => {
  const r = checkConfig({ sources: [goodLb()], interfaces: eno1('192.168.81.65') });
  const [l] = r.findings.filter((x) => x.code === 'local-ip-not-assigned');
  assert.match(l.evidence, /local_ip = 192\.168\.81\.66, but no interface of host controller has that address \(it has 192\.168\.81\.65\/24 on eno1\)/);
  assert.match(l.fix, /e\.g\. 192\.168\.81\.65/);
});

test('the MTU chain: an underlay smaller than global_physnet_mtu; a DHCP MTU larger than VXLAN carries', () => {
  assert.deepEqual(codes({ sources: [goodLb()], interfaces: eno1('192.168.81.66', 1400) }), ['error mtu-underlay-smaller', 'warning mtu-uplink-smaller']);
  const r = checkConfig({ sources: [goodLb()], interfaces: eno1('192.168.81.66', 1400) });
  assert.match(r.findings[0].evidence, /VXLAN networks get MTU 1450 \(global_physnet_mtu\/path_mtu 1500 - 50 VXLAN overhead\), but eno1, which carries local_ip 192\.168\.81\.66, has MTU 1400/);
  assert.match(r.findings[0].fix, /global_physnet_mtu = 1400 .*get 1350/);
  // the operator's own answer: global_physnet_mtu lowered to the underlay's
  assert.deepEqual(codes({ sources: [{ file: 'neutron.conf', text: '[DEFAULT]\nglobal_physnet_mtu = 1400\n' }, goodLb()], interfaces: eno1('192.168.81.66', 1400) }), []);
  const dhcp = { file: 'dhcp_agent.ini', text: '[DEFAULT]\ndnsmasq_config_file = /etc/neutron/dnsmasq-neutron.conf\n' };
  assert.deepEqual(codes({ sources: [goodLb(), dhcp], interfaces: eno1('192.168.81.66'), readFile: () => 'dhcp-option-force=26,1500\n' }), ['error dhcp-mtu-too-big']);
  assert.deepEqual(codes({ sources: [goodLb(), dhcp], interfaces: eno1('192.168.81.66'), readFile: () => new Error('ENOENT') }), ['warning dnsmasq-config-unreadable']);
});

test('l2_population: the server and the agent, and the agents among themselves', () => {
  assert.deepEqual(codes({ sources: [ml2, goodLb()] }), []);
  const off = { ...goodLb(), text: goodLb().text.replace('l2_population = True', 'l2_population = False') };
  assert.deepEqual(codes({ sources: [ml2, off] }), ['warning l2pop-mismatch']);
  assert.deepEqual(codes({ sources: [{ ...ml2, text: ml2.text.replace(',l2population', '') }, goodLb()] }), ['warning l2pop-mismatch']);
  const peers = [{ agent_type: 'Linux bridge agent', host: 'controller', alive: true, configurations: {} }, { agent_type: 'Linux bridge agent', host: 'compute', alive: true, configurations: { l2_population: true } }];
  assert.deepEqual(codes({ sources: [off], serverAgents: peers }), ['warning l2pop-mismatch']);
});

test('the metadata secret: equal is fine, missing in nova.conf is an error; service_metadata_proxy', () => {
  const md = (secret: string) => ({ file: 'metadata_agent.ini', text: `[DEFAULT]\nmetadata_proxy_shared_secret = ${secret}\n` });
  const nova = (lines: string) => ({ file: 'nova.conf', text: `[neutron]\n${lines}\n` });
  assert.deepEqual(codes({ sources: [md('s3cret')], nova: nova('service_metadata_proxy = True\nmetadata_proxy_shared_secret = s3cret') }), []);
  assert.deepEqual(codes({ sources: [md('s3cret')], nova: nova('service_metadata_proxy = True') }), ['error metadata-secret-mismatch']);
  assert.deepEqual(codes({ sources: [md('s3cret')], nova: nova('metadata_proxy_shared_secret = s3cret') }), ['warning nova-metadata-proxy-off']);
});

test('host names against the agents the server knows: a near miss is an error, an unregistered agent a warning', () => {
  const known = [{ agent_type: 'Linux bridge agent', host: 'controller.example.org', alive: true, configurations: {} }];
  const r = checkConfig({ sources: [goodLb()], serverAgents: known });
  const [h] = r.findings.filter((f) => f.code === 'host-unknown-to-server');
  assert.equal(h.severity, 'error');
  assert.match(h.evidence, /no Linux bridge agent on host 'controller' .*it knows one on 'controller\.example\.org'/);
  assert.match(h.fix, /\[DEFAULT\] host = controller\.example\.org/);
  assert.deepEqual(codes({ sources: [goodLb()], serverAgents: [] }), ['warning host-unknown-to-server']);
  assert.deepEqual(codes({ sources: [goodLb()], serverAgents: [{ ...known[0], host: 'controller' }] }), []);
});

test('which agents the files configure', () => {
  assert.deepEqual([...agentsOf([{ file: '/etc/neutron/neutron.conf', text: '' }, { file: '/etc/neutron/plugins/ml2/ml2_conf.ini', text: '[ml2]\n' }])], []);
  assert.deepEqual([...agentsOf([{ file: 'x.ini', text: '[vxlan]\nlocal_ip = 1.2.3.4\n' }, { file: '/etc/neutron/l3_agent.ini', text: '' }])], ['linuxbridge', 'l3']);
});
