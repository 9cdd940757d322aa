import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileDhcp, compileNetwork, dhcpDir, leasablePairs, type DesiredDhcpNetwork } from './desired.ts';
import { DHCP_MAC, NET_ID, network, subnet, VM1, VM2 } from './fixtures.ts';
import type { ObservedDhcp, ObservedDhcpNetwork } from './observe.ts';
import { planDhcp, type DhcpAction } from './plan.ts';

const OPTS = { stateDir: '/var/lib/muon' };
const DIR = `/var/lib/muon/dhcp/${NET_ID}`;
const TAP = 'tap0d1c2b3a-33';
const NS = 'ns-0d1c2b3a-33';
const NETNS = `qdhcp-${NET_ID}`;

const desired = (over = {}): DesiredDhcpNetwork => compileNetwork(network(over), OPTS)!;
const dirOf = (id: string) => dhcpDir(OPTS.stateDir, id);
const plan = (d: DesiredDhcpNetwork[], o: ObservedDhcpNetwork[]): DhcpAction[] =>
  planDhcp(d, new Map(o.map((x) => [x.id, x])) as ObservedDhcp, dirOf);

/** What the host looks like once `d` is realised, dnsmasq running as pid 4242. */
function realised(d: DesiredDhcpNetwork): ObservedDhcpNetwork {
  return {
    id: d.id,
    netnsInode: 777,
    tap: { name: d.tap, kind: 'veth', mac: '5e:00:00:00:00:01', mtu: d.mtu, up: true, addresses: [] },
    ns: { name: d.ns, mac: d.mac, mtu: d.mtu, up: true, addresses: [...d.addresses, ...d.extraAddresses] },
    loUp: true,
    strayNs: [],
    dirExists: true,
    files: { ...d.files },
    dnsmasq: { pid: 4242, argv: [...d.argv], netInode: 777 },
    leases: [],
    others: [],
  };
}

test('compile: names, addresses, lease cap; admin-down or DHCP-less networks are not served', () => {
  const d = desired();
  assert.equal(d.netns, NETNS);
  assert.equal(d.tap, TAP);
  assert.equal(d.ns, NS);
  assert.equal(d.mac, DHCP_MAC);
  assert.equal(d.mtu, 1450);
  assert.deepEqual(d.addresses, ['172.16.1.2/24']);
  assert.equal(d.dir, DIR);
  assert.deepEqual(d.ports, [VM1.id]);
  assert.ok(d.argv.includes('--dhcp-lease-max=256'));
  assert.ok(d.argv.includes(`--dhcp-range=set:subnet-${subnet().id},172.16.1.0,static,255.255.255.0,86400s`));
  assert.ok(compileNetwork(network(), { ...OPTS, leaseMax: 100, leaseDuration: -1 })!.argv.includes('--dhcp-lease-max=100'));
  assert.equal(compileNetwork(network({ subnets: [subnet({ enable_dhcp: false })] }), OPTS), undefined);
  const down = network();
  down.network.admin_state_up = false;
  assert.equal(compileNetwork(down, OPTS), undefined);
  // an IPv6 subnet wider than /64 gets no range (dnsmasq cannot serve it); SLAAC none either
  const v6 = subnet({ id: 'v6', ip_version: 6, cidr: '2001:db8::/56', gateway_ip: null, ipv6_address_mode: 'dhcpv6-stateful' });
  assert.equal(compileNetwork(network({ subnets: [v6] }), OPTS), undefined);
  assert.ok(compileNetwork(network({ subnets: [{ ...v6, cidr: '2001:db8::/64' }] }), OPTS)!.argv.includes('--dhcp-range=set:subnet-v6,2001:db8::,static,64,86400s'));
  assert.equal(compileDhcp({ dhcp: [network(), network()] }, OPTS).length, 1);
  assert.throws(() => compileNetwork(network({}, '../etc'), OPTS), /invalid network id/);
});

test('plan: a new network is plumbed, written and started, in that order', () => {
  const d = desired();
  const acts = plan([d], []);
  assert.deepEqual(acts.map((a) => a.kind), ['ip', 'ip', 'mkdir', 'write', 'write', 'write', 'start']);
  assert.deepEqual(acts[0], {
    kind: 'ip', network: NET_ID, commands: [
      ['netns', 'add', NETNS],
      ['link', 'add', TAP, 'mtu', '1450', 'type', 'veth', 'peer', 'name', NS, 'address', DHCP_MAC, 'mtu', '1450', 'netns', NETNS],
      ['link', 'set', TAP, 'addrgenmode', 'none'],
      ['link', 'set', TAP, 'up'],
    ],
  });
  assert.deepEqual(acts[1], {
    kind: 'ip', network: NET_ID, netns: NETNS, commands: [
      ['link', 'set', 'lo', 'up'], ['link', 'set', NS, 'up'], ['addr', 'add', '172.16.1.2/24', 'dev', NS],
    ],
  });
  assert.deepEqual(acts.filter((a) => a.kind === 'write').map((a) => a.kind === 'write' && a.path), [`${DIR}/host`, `${DIR}/addn_hosts`, `${DIR}/opts`]);
  assert.deepEqual(acts[6], { kind: 'start', network: NET_ID, netns: NETNS, argv: d.argv, logFile: `${DIR}/log` });
});

test('plan: nothing to do when the host matches', () => {
  const d = desired();
  assert.deepEqual(plan([d], [realised(d)]), []);
});

test('plan: a changed hosts file is rewritten and dnsmasq gets SIGHUP (same pid)', () => {
  const before = desired();
  const after = desired({ hosts: [VM1, VM2] });
  const acts = plan([after], [realised(before)]);
  assert.deepEqual(acts.map((a) => a.kind), ['write', 'write', 'reload']);
  assert.deepEqual(acts[2], { kind: 'reload', network: NET_ID, pid: 4242 });
});

test('plan: a new subnet changes the command line and the addresses: restart', () => {
  const before = desired();
  const b = subnet({ id: 'b', cidr: '172.16.2.0/24', gateway_ip: '172.16.2.1' });
  const after = desired({ subnets: [subnet(), b] });
  after.addresses.push('172.16.2.2/24');
  const acts = plan([after], [realised(before)]);
  assert.deepEqual(acts.find((a) => a.kind === 'ip'), { kind: 'ip', network: NET_ID, netns: NETNS, commands: [['addr', 'add', '172.16.2.2/24', 'dev', NS]] });
  const r = acts.at(-1)!;
  assert.equal(r.kind, 'restart');
  assert.ok(r.kind === 'restart' && r.pid === 4242 && r.argv === after.argv);
  // command line only (e.g. lease duration): restart, nothing else
  const longer = compileNetwork(network(), { ...OPTS, leaseDuration: 3600 })!;
  const only = plan([longer], [realised(before)]);
  assert.deepEqual(only.map((a) => a.kind), ['restart']);
  assert.ok(only[0].kind === 'restart' && /command line/.test(only[0].why));
});

test('plan: a dnsmasq outside the namespace, or a lost namespace, means restart in the new one', () => {
  const d = desired();
  const o = realised(d);
  o.dnsmasq!.netInode = 1;
  const acts = plan([d], [o]);
  assert.deepEqual(acts.map((a) => a.kind), ['restart']);
  assert.ok(acts[0].kind === 'restart' && /outside/.test(acts[0].why));
  const lost = { ...realised(d), netnsInode: undefined, ns: undefined, loUp: false, tap: undefined };
  assert.deepEqual(plan([d], [lost]).map((a) => a.kind), ['ip', 'ip', 'restart']);
});

test('plan: drift in MTU, MAC, link state and addresses is corrected', () => {
  const d = desired();
  const o = realised(d);
  o.tap = { ...o.tap!, mtu: 1500, up: false };
  o.ns = { ...o.ns!, mac: 'fa:16:3e:99:99:99', mtu: 1500, addresses: ['172.16.1.99/24', '172.16.1.2/24'] };
  o.loUp = false;
  o.strayNs = ['ns-old0000000'];
  const acts = plan([d], [o]);
  assert.deepEqual(acts, [
    { kind: 'ip', network: NET_ID, netns: NETNS, commands: [['link', 'del', 'ns-old0000000']] },
    { kind: 'ip', network: NET_ID, commands: [['link', 'set', TAP, 'mtu', '1450'], ['link', 'set', TAP, 'up']] },
    { kind: 'ip', network: NET_ID, netns: NETNS, commands: [
      ['link', 'set', 'lo', 'up'],
      ['link', 'set', NS, 'address', DHCP_MAC],
      ['link', 'set', NS, 'mtu', '1450'],
      ['addr', 'del', '172.16.1.99/24', 'dev', NS],
    ] },
    { kind: 'restart', network: NET_ID, netns: NETNS, pid: 4242, argv: d.argv, logFile: `${DIR}/log`, why: `its interface ${NS} was (re)configured` },
  ]);
  // a tap that is not a veth (or has lost its peer) is replaced
  const lone = { ...realised(d), tap: { ...o.tap!, kind: 'tun' } };
  const acts2 = plan([d], [lone]);
  assert.deepEqual(acts2[0], { kind: 'ip', network: NET_ID, netns: NETNS, commands: [['link', 'del', NS]] });
  assert.deepEqual((acts2[1] as { commands: string[][] }).commands.slice(0, 2).map((c) => c.slice(0, 3)), [['link', 'del', TAP], ['link', 'add', TAP]]);
});

test('plan: networks no longer desired lose dnsmasq, leftovers, namespace and directory — first', () => {
  const gone: ObservedDhcpNetwork = {
    id: 'old-net', netnsInode: 5, loUp: true, strayNs: [], dirExists: true, files: {}, leases: [], others: [77],
    dnsmasq: { pid: 66, argv: ['dnsmasq'], netInode: 5 },
  };
  const d = desired();
  const acts = plan([d], [realised(d), gone, { ...gone, id: 'dir-only', netnsInode: undefined, dnsmasq: undefined, others: [] }]);
  assert.deepEqual(acts, [
    { kind: 'rmdir', network: 'dir-only', path: '/var/lib/muon/dhcp/dir-only' },
    { kind: 'kill', network: 'old-net', pids: [66, 77] },
    { kind: 'ip', network: 'old-net', commands: [['netns', 'del', 'qdhcp-old-net']] },
    { kind: 'rmdir', network: 'old-net', path: '/var/lib/muon/dhcp/old-net' },
  ]);
});

test('plan: leases whose (MAC, address) is no longer a host entry are released, before the SIGHUP or after a (re)start', () => {
  const before = desired({ hosts: [VM1, VM2] });
  const lease = (mac: string, ip: string) => ({ expiry: 0, mac, ip });
  const o = { ...realised(before), leases: [lease(VM1.mac_address, '172.16.1.10'), lease(VM2.mac_address, '172.16.1.20'), lease('fa:16:3e:00:00:99', '172.16.1.99')] };
  const after = desired({ hosts: [VM2] });
  const acts = plan([after], [o]);
  assert.deepEqual(acts.map((a) => a.kind), ['write', 'write', 'release', 'reload']);
  const rel = acts[2] as Extract<DhcpAction, { kind: 'release' }>;
  assert.deepEqual(rel, { kind: 'release', network: NET_ID, netns: NETNS, interface: NS, leases: [lease(VM1.mac_address, '172.16.1.10'), lease('fa:16:3e:00:00:99', '172.16.1.99')] });
  // a port whose address changed: the old pair goes; the unchanged one stays
  const moved = desired({ hosts: [{ ...VM2, fixed_ips: [{ ...VM2.fixed_ips[0], ip_address: '172.16.1.21' }] }] });
  assert.deepEqual((plan([moved], [{ ...realised(moved), leases: [lease(VM2.mac_address, '172.16.1.20')] }])[0] as { leases: unknown[] }).leases, [lease(VM2.mac_address, '172.16.1.20')]);
  // a lease on a subnet the DHCP port is not on cannot be released (and is not served): left alone
  assert.deepEqual(plan([after], [{ ...realised(after), leases: [lease(VM2.mac_address, '172.16.1.20'), lease(VM1.mac_address, '10.9.9.9')] }]), []);
  // nothing stale: nothing to do
  assert.deepEqual(plan([after], [{ ...realised(after), leases: [lease(VM2.mac_address, '172.16.1.20')] }]), []);
  // dnsmasq not running: released once it runs again
  const stopped = plan([after], [{ ...realised(after), dnsmasq: undefined, leases: [lease(VM1.mac_address, '172.16.1.10')] }]);
  assert.deepEqual(stopped.map((a) => a.kind), ['start', 'release']);
});

test('isolated metadata: 169.254.169.254/32 on ns- and haproxy in qdhcp; added, stopped and re-placed without restarting dnsmasq', () => {
  const meta = { enableIsolated: true, force: false, socketPath: '/var/lib/muon/metadata_proxy' };
  const withMeta = (over = {}) => compileNetwork(network(over), { ...OPTS, metadata: meta })!;
  const d = withMeta();
  assert.deepEqual(d.extraAddresses, ['169.254.169.254/32']);
  assert.ok(d.metadataProxy);
  assert.equal(d.metadataProxy.files.config, `${dhcpDir(OPTS.stateDir, NET_ID)}/metadata-proxy.conf`);
  assert.match(d.metadataProxy.config, /bind 169\.254\.169\.254:80/);
  assert.match(d.metadataProxy.config, new RegExp(`set-header X-Neutron-Network-ID ${NET_ID}`));
  // a router on the (only) subnet: no proxy, the address stays
  const routed = withMeta({ subnets: [subnet({ has_router: true })] });
  assert.equal(routed.metadataProxy, undefined);
  assert.deepEqual(routed.extraAddresses, ['169.254.169.254/32']);
  assert.equal(compileNetwork(network(), OPTS)!.metadataProxy, undefined, 'options off: nothing');

  // options turned on for a running network: address added and the proxy started, dnsmasq only reloaded (opts changed)
  const before = desired();
  const acts = plan([d], [realised(before)]);
  assert.deepEqual(acts.map((a) => a.kind), ['ip', 'write', 'reload', 'proxy']);
  assert.deepEqual((acts[0] as { commands: string[][] }).commands, [['addr', 'add', '169.254.169.254/32', 'dev', NS]]);
  assert.equal((acts[3] as Extract<DhcpAction, { kind: 'proxy' }>).step.kind, 'start');

  // realised: nothing to do
  const running = { pid: 99, argv: ['haproxy'], netInode: 777 };
  const done = { ...realised(d), proxy: { config: d.metadataProxy.config, running } };
  assert.deepEqual(plan([d], [done]), []);
  // haproxy in another namespace (qdhcp re-made behind its back): restarted
  assert.equal((plan([d], [{ ...done, proxy: { ...done.proxy, running: { ...running, netInode: 1 } } }])[0] as { step: { kind: string } }).step.kind, 'restart');
  // a router now serves the subnet: the proxy stops, the address stays, dnsmasq is only reloaded
  const acts2 = plan([routed], [done]);
  assert.deepEqual(acts2.map((a) => a.kind), ['write', 'reload', 'proxy-stop']);
  assert.equal((acts2[2] as Extract<DhcpAction, { kind: 'proxy-stop' }>).pid, 99);
  // options turned off: the address goes without a dnsmasq restart
  const acts3 = plan([before], [{ ...done, ns: { ...done.ns!, addresses: [...d.addresses, ...d.extraAddresses] } }]);
  assert.deepEqual(acts3.map((a) => a.kind), ['ip', 'write', 'reload', 'proxy-stop']);
});

test('leasable pairs come from the hosts file: MAC and IPv4 address, after an optional client id; tag-only and IPv6 lines are not leases', () => {
  assert.deepEqual(leasablePairs([
    'fa:16:3e:5a:01:10,host-172-16-1-10.openstacklocal,172.16.1.10',
    'FA:16:3E:5A:01:11,id:01:aa,1.2.3.4,172.16.1.11,set:port-x',
    'fa:16:3e:5a:01:12,set:port-y',
    'fa:16:3e:5a:01:13,host-2001-db8--5,[2001:db8::5]',
    '',
  ].join('\n')), ['fa:16:3e:5a:01:10 172.16.1.10', 'fa:16:3e:5a:01:11 172.16.1.11']);
});
