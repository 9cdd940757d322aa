import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostState, NetworkState, PortState } from '../../feed/host-state.ts';
import type { FdbEntry } from '../../linux/bridge.ts';
import type { Link, LinkAddresses, Neighbour, Route } from '../../linux/ip.ts';
import { bridgeName, isEmptyPlan, planL2, realise, type L2Observed, type L2Settings } from './l2-plan.ts';
import { portLinksAfter, presentPorts } from './port-plan.ts';

// the seed's controller: eno1 192.168.81.66/24 (physnet public), vxlan local .66, peer compute .65
const PUB: NetworkState = { id: 'a1b2c3d4-e5f6-4711-8a9b-0c1d2e3f4a5b', network_type: 'flat', physical_network: 'public', segmentation_id: null, mtu: 1500, admin_state_up: true };
const PRIV: NetworkState = { id: '3f2c1a5e-9b8d-4c7e-a6f5-e4d3c2b1a090', network_type: 'vxlan', physical_network: null, segmentation_id: 10, mtu: 1450, admin_state_up: true };
const BR_PUB = 'brqa1b2c3d4-e5';
const BR_PRIV = 'brq3f2c1a5e-9b';
const ENO1_MAC = '52:54:00:12:34:56';

const SETTINGS: L2Settings = {
  physicalInterfaceMappings: { public: 'eno1' },
  bridgeMappings: {},
  // arp_responder on: these tests cover the neighbour entries; the default (off) has its own tests
  vxlan: { enabled: true, localIp: '192.168.81.66', udpDstport: 4789, ttl: null, tos: null, arpResponder: true },
};

function port(id: string, network: NetworkState, mac: string, ip: string, extra: Partial<PortState> = {}): PortState {
  return {
    id, network_id: network.id, mac_address: mac, fixed_ips: [{ subnet_id: 's', ip_address: ip }], admin_state_up: true,
    device_owner: 'compute:nova', port_security_enabled: true, security_groups: [], allowed_address_pairs: [],
    device: `tap${id.slice(0, 11)}`, ...extra,
  };
}

const VM2 = port('6b6b6b6b-0120-4000-8000-000000000020', PRIV, 'fa:16:3e:6b:01:20', '172.16.1.20');
const QG = port('1a2b3c4d-5555-4000-8000-000000000055', PUB, 'fa:16:3e:1a:2b:3c', '192.168.81.101', { device_owner: 'network:router_gateway' });

function hostState(extra: Partial<HostState> = {}): HostState {
  return {
    host: 'controller', revision: 1, networks: [PUB, PRIV], ports: [VM2, QG], security_groups: [],
    remote_groups: {}, address_groups: {}, dhcp: [], routers: [],
    l2pop: [
      { network_id: PRIV.id, segmentation_id: 10, vtep: '192.168.81.65', ports: [['FA:16:3E:5A:01:10', '172.16.1.10'], ['fa:16:3e:5a:01:11', '']] },
      { network_id: PRIV.id, segmentation_id: 10, vtep: '192.168.81.66', ports: [['fa:16:3e:00:00:66', '172.16.1.66']] }, // ourselves
    ],
    ...extra,
  };
}

let ifindex = 1;
function link(ifname: string, o: Partial<Link> & { kind?: string; data?: Record<string, unknown>; up?: boolean } = {}): Link {
  const { kind, data, up = true, ...rest } = o;
  return {
    ifindex: ifindex++, ifname, flags: ['BROADCAST', 'MULTICAST', ...(up ? ['UP', 'LOWER_UP'] : [])], mtu: 1500, operstate: up ? 'UP' : 'DOWN',
    address: `02:00:00:00:00:${(ifindex % 256).toString(16).padStart(2, '0')}`,
    ...(kind ? { linkinfo: { info_kind: kind, ...(data ? { info_data: data } : {}) } } : {}),
    ...rest,
  };
}
const inet = (ifname: string, ...cidrs: string[]): LinkAddresses => ({
  ifindex: 0, ifname,
  addr_info: cidrs.map((c) => ({ family: 'inet', local: c.split('/')[0], prefixlen: Number(c.split('/')[1]), scope: 'global', label: ifname })),
});
const BRIDGE_DATA = { stp_state: 0, forward_delay: 0 };
const VXLAN_DATA = { id: 10, local: '192.168.81.66', port: 4789, learning: false, proxy: true, ttl: 64 };

/** L2Observed with mutable lists, so tests can adjust a fixture. */
interface Observed extends L2Observed { links: Link[]; addrs: LinkAddresses[]; routes: Route[]; fdb: FdbEntry[]; neigh: Neighbour[] }

/** A bare controller: eno1 with the host address and default route, the VM's tap just plugged by Nova. */
function bareHost(): Observed {
  return {
    links: [link('lo'), link('eno1', { kind: undefined, address: ENO1_MAC }), link(VM2.device, { kind: 'veth', up: false })],
    addrs: [inet('lo', '127.0.0.1/8'), inet('eno1', '192.168.81.66/24')],
    routes: [
      { dst: 'default', gateway: '192.168.81.254', dev: 'eno1', flags: [] },
      { dst: '10.99.0.0/16', gateway: '192.168.81.253', dev: 'eno1', metric: 50, flags: [] },
      { dst: '192.168.81.0/24', dev: 'eno1', protocol: 'kernel', scope: 'link', prefsrc: '192.168.81.66', flags: [] },
    ],
    fdb: [],
    neigh: [],
  };
}

/** The same controller once the plan of bareHost() has been applied. */
function syncedHost(): Observed {
  return {
    links: [
      link('lo'),
      link('eno1', { address: ENO1_MAC, master: BR_PUB }),
      link(VM2.device, { kind: 'veth', master: BR_PRIV, mtu: 1450 }),
      link(BR_PUB, { kind: 'bridge', data: BRIDGE_DATA, address: ENO1_MAC, ifalias: `muon:${PUB.id}` }),
      link(BR_PRIV, { kind: 'bridge', data: BRIDGE_DATA, mtu: 1450, ifalias: `muon:${PRIV.id}` }),
      link('vxlan-10', { kind: 'vxlan', data: VXLAN_DATA, mtu: 1450, master: BR_PRIV }),
    ],
    addrs: [inet('lo', '127.0.0.1/8'), inet('eno1'), inet(BR_PUB, '192.168.81.66/24'), inet(BR_PRIV), inet('vxlan-10')],
    routes: [
      { dst: 'default', gateway: '192.168.81.254', dev: BR_PUB, flags: [] },
      { dst: '10.99.0.0/16', gateway: '192.168.81.253', dev: BR_PUB, metric: 50, flags: [] },
      { dst: '192.168.81.0/24', dev: BR_PUB, protocol: 'kernel', scope: 'link', prefsrc: '192.168.81.66', flags: [] },
    ],
    fdb: [
      // the bridge's own entry and a learned one: not l2pop's
      { mac: '6a:64:18:db:5e:92', ifname: 'vxlan-10', master: BR_PRIV, state: 'permanent', flags: [] },
      { mac: '00:00:00:00:00:00', ifname: 'vxlan-10', dst: '192.168.81.65', state: 'permanent', flags: ['self'] },
      { mac: 'fa:16:3e:5a:01:10', ifname: 'vxlan-10', dst: '192.168.81.65', state: 'permanent', flags: ['self'] },
      { mac: 'fa:16:3e:5a:01:11', ifname: 'vxlan-10', dst: '192.168.81.65', state: 'permanent', flags: ['self'] },
      { mac: 'fa:16:3e:6b:01:20', ifname: VM2.device, master: BR_PRIV, flags: [] },
    ],
    neigh: [
      { dst: '172.16.1.10', dev: 'vxlan-10', lladdr: 'fa:16:3e:5a:01:10', state: ['PERMANENT'] },
      { dst: '192.168.81.254', dev: BR_PUB, lladdr: '02:aa:00:00:00:01', state: ['REACHABLE'] },
    ],
  };
}

const ip = (s: string) => s.split(' ');

test('a bare host: the full plan, in an order where no device is named before it exists', () => {
  const p = planL2(hostState(), SETTINGS, bareHost());
  assert.deepEqual(p.problems, []);
  assert.deepEqual(p.ip, [
    ip(`link add ${BR_PUB} type bridge stp_state 0 forward_delay 0`),
    ip(`link set ${BR_PUB} address ${ENO1_MAC} alias muon:${PUB.id} mtu 1500 up`),
    ip(`addr add 192.168.81.66/24 dev ${BR_PUB}`),
    ip(`link set eno1 master ${BR_PUB}`),
    ip(`route replace default via 192.168.81.254 dev ${BR_PUB}`),
    ip(`route replace 10.99.0.0/16 via 192.168.81.253 dev ${BR_PUB} metric 50`),
    ip('addr del 192.168.81.66/24 dev eno1'),
    ip(`link add ${BR_PRIV} type bridge stp_state 0 forward_delay 0`),
    ip(`link set ${BR_PRIV} alias muon:${PRIV.id} mtu 1450 up`),
    ip('link add vxlan-10 type vxlan id 10 dstport 4789 local 192.168.81.66 ttl 64 nolearning proxy'),
    ip(`link set vxlan-10 mtu 1450 master ${BR_PRIV} up`),
    ip(`link set ${VM2.device} master ${BR_PRIV} mtu 1450 up`),
    ip('neigh replace 172.16.1.10 lladdr fa:16:3e:5a:01:10 dev vxlan-10 nud permanent'),
  ]);
  assert.deepEqual(p.fdb, [
    { op: 'append', mac: '00:00:00:00:00:00', dev: 'vxlan-10', dst: '192.168.81.65' },
    { op: 'replace', mac: 'fa:16:3e:5a:01:10', dev: 'vxlan-10', dst: '192.168.81.65' },
    { op: 'replace', mac: 'fa:16:3e:5a:01:11', dev: 'vxlan-10', dst: '192.168.81.65' },
  ]);
  assert.deepEqual(p.sysctls, {
    [`net.ipv6.conf.${BR_PUB}.disable_ipv6`]: '1',
    [`net.ipv6.conf.${BR_PRIV}.disable_ipv6`]: '1',
    'net.ipv6.conf.vxlan-10.disable_ipv6': '1',
  });
  assert.deepEqual(p.bridges, { [PUB.id]: BR_PUB, [PRIV.id]: BR_PRIV });
  assert.deepEqual(p.absentPorts, [QG.id], 'the router gateway tap is not plugged yet');
  // the generic order rule, checked on every command: a device is added before any other use
  const created = new Map<string, number>();
  p.ip.forEach((c, i) => { if (c[0] === 'link' && c[1] === 'add') created.set(c[2], i); });
  p.ip.forEach((c, i) => {
    for (const dev of c) if (created.has(dev)) assert.ok(created.get(dev)! <= i, `${c.join(' ')} names ${dev} before it is created`);
  });
});

test('in sync: the plan is empty (also with kernel-made fdb and neighbour entries around)', () => {
  const p = planL2(hostState(), SETTINGS, syncedHost());
  assert.deepEqual(p.problems, []);
  assert.ok(isEmptyPlan(p), JSON.stringify(p, null, 1));
  assert.deepEqual(p.absentPorts, [QG.id]);
});

test('arp_responder off (Neutron\'s default): vxlan without proxy, no neighbour entries, ours removed', () => {
  const off: L2Settings = { ...SETTINGS, vxlan: { ...SETTINGS.vxlan, arpResponder: false } };
  const bare = planL2(hostState(), off, bareHost());
  assert.ok(bare.ip.some((c) => c.join(' ') === 'link add vxlan-10 type vxlan id 10 dstport 4789 local 192.168.81.66 ttl 64 nolearning'));
  assert.ok(!bare.ip.some((c) => c[0] === 'neigh'), 'ARP floods to the VTEPs: no proxy entries');
  assert.equal(bare.fdb.length, 3, 'the flood and unicast fdb entries are still made');
  // a device made with proxy (arp_responder was on) is made again without it, and the
  // permanent neighbour we had written goes
  const o = syncedHost();
  const p = planL2(hostState(), off, o);
  assert.deepEqual(p.ip.slice(0, 2), [ip('link del vxlan-10'), ip('link add vxlan-10 type vxlan id 10 dstport 4789 local 192.168.81.66 ttl 64 nolearning')]);
  o.links = o.links.map((l) => (l.ifname === 'vxlan-10' ? { ...l, linkinfo: { info_kind: 'vxlan', info_data: (({ proxy: _, ...rest }) => rest)(VXLAN_DATA) } } : l));
  assert.deepEqual(planL2(hostState(), off, o).ip, [ip('neigh del 172.16.1.10 dev vxlan-10')]);
  o.neigh = o.neigh.filter((n) => n.dev !== 'vxlan-10');
  assert.ok(isEmptyPlan(planL2(hostState(), off, o)));
});

test('IPv6 seen on our bridge or vxlan device: only the sysctl is planned', () => {
  const o = syncedHost();
  o.addrs = o.addrs.map((a) => a.ifname === BR_PRIV ? { ...a, addr_info: [{ family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' }] } : a);
  const p = planL2(hostState(), SETTINGS, o);
  assert.deepEqual(p.ip, []);
  assert.deepEqual(p.fdb, []);
  assert.deepEqual(p.sysctls, { [`net.ipv6.conf.${BR_PRIV}.disable_ipv6`]: '1' });
});

test('removal: our bridges go with their vxlan device; the flat interface gets its address and routes back; taps stay', () => {
  const o = syncedHost();
  o.links.push(link('brq00000000-00', { kind: 'bridge', data: BRIDGE_DATA }));                   // not ours: no alias
  o.links.push(link('br-other', { kind: 'bridge', data: BRIDGE_DATA, ifalias: 'something else' }));
  o.links.push(link('vxlan-99', { kind: 'vxlan', data: { ...VXLAN_DATA, id: 99 } }));           // not a port of our bridges
  const p = planL2(hostState({ networks: [], ports: [], l2pop: [] }), SETTINGS, o);
  assert.deepEqual(p.problems, []);
  assert.deepEqual(p.ip, [
    ip('link set eno1 nomaster'),
    ip('addr add 192.168.81.66/24 dev eno1'),
    ip('route replace default via 192.168.81.254 dev eno1'),
    ip('route replace 10.99.0.0/16 via 192.168.81.253 dev eno1 metric 50'),
    ip(`link del ${BR_PUB}`),
    ip('link del vxlan-10'),
    ip(`link del ${BR_PRIV}`),
  ]);
  assert.deepEqual(p.fdb, [], 'fdb entries go with the device');
  assert.ok(!p.ip.some((c) => c.includes(VM2.device)), 'the tap is never touched');
});

test('a network moving from one flat bridge to another: the interface is released, then moved again', () => {
  const NEW = { ...PUB, id: 'c0ffee00-1111-4222-8333-444455556666' };
  const p = planL2(hostState({ networks: [NEW], ports: [], l2pop: [] }), SETTINGS, syncedHost());
  const NEW_BR = bridgeName(NEW.id);
  assert.deepEqual(p.ip.slice(0, 5), [
    ip('link set eno1 nomaster'),
    ip('addr add 192.168.81.66/24 dev eno1'),
    ip('route replace default via 192.168.81.254 dev eno1'),
    ip('route replace 10.99.0.0/16 via 192.168.81.253 dev eno1 metric 50'),
    ip(`link del ${BR_PUB}`),
  ]);
  const rest = p.ip.slice(5).map((c) => c.join(' '));
  assert.ok(rest.includes(`addr add 192.168.81.66/24 dev ${NEW_BR}`));
  assert.ok(rest.includes(`link set eno1 master ${NEW_BR}`));
  assert.ok(rest.includes(`route replace default via 192.168.81.254 dev ${NEW_BR}`));
  assert.equal(rest.at(-1), 'addr del 192.168.81.66/24 dev eno1');
});

test('l2pop: entries follow the peers; stale ones of ours go; kernel entries are left alone', () => {
  const o = syncedHost();
  o.fdb = [
    ...o.fdb,
    { mac: '00:00:00:00:00:00', ifname: 'vxlan-10', dst: '192.168.81.70', state: 'permanent', flags: ['self'] }, // gone peer
    { mac: 'fa:16:3e:99:99:99', ifname: 'vxlan-10', dst: '192.168.81.70', state: 'permanent', flags: ['self'] },
    { mac: 'fa:16:3e:77:77:77', ifname: 'vxlan-10', master: BR_PRIV, flags: [] }, // learned by the bridge
  ];
  o.neigh = [
    ...o.neigh,
    { dst: '172.16.1.99', dev: 'vxlan-10', lladdr: 'fa:16:3e:99:99:99', state: ['PERMANENT'] },
    { dst: '172.16.1.98', dev: 'vxlan-10', lladdr: 'fa:16:3e:98:98:98', state: ['STALE'] },
  ];
  // vm1 (…:10) migrated to a new host .67, which also gets a port with an IPv6 address
  const hs = hostState({
    l2pop: [
      { network_id: PRIV.id, segmentation_id: 10, vtep: '192.168.81.65', ports: [['fa:16:3e:5a:01:11', '']] },
      { network_id: PRIV.id, segmentation_id: 10, vtep: '192.168.81.67', ports: [['fa:16:3e:5a:01:10', '172.16.1.10'], ['fa:16:3e:00:00:67', 'fd00::67']] },
    ],
  });
  const p = planL2(hs, SETTINGS, o);
  assert.deepEqual(p.fdb, [
    { op: 'append', mac: '00:00:00:00:00:00', dev: 'vxlan-10', dst: '192.168.81.67' },
    { op: 'replace', mac: 'fa:16:3e:5a:01:10', dev: 'vxlan-10', dst: '192.168.81.67' },
    { op: 'replace', mac: 'fa:16:3e:00:00:67', dev: 'vxlan-10', dst: '192.168.81.67' },
    { op: 'del', mac: 'fa:16:3e:99:99:99', dev: 'vxlan-10', dst: '192.168.81.70' },
    { op: 'del', mac: '00:00:00:00:00:00', dev: 'vxlan-10', dst: '192.168.81.70' },
  ]);
  assert.deepEqual(p.ip, [
    ip('neigh replace fd00::67 lladdr fa:16:3e:00:00:67 dev vxlan-10 nud permanent'),
    ip('neigh del 172.16.1.99 dev vxlan-10'),
  ]);
});

test('l2pop data that would break a batch line is refused with a problem', () => {
  const hs = hostState({ l2pop: [
    { network_id: PRIV.id, segmentation_id: 10, vtep: '192.168.81.65', ports: [['fa:16:3e:5a:01:10', '172.16.1.10'], ['fa:16:3e:5a:01:11', '']] },
    { network_id: PRIV.id, segmentation_id: 10, vtep: '192.168.81.65', ports: [['nomac', '172.16.1.30'], ['fa:16:3e:00:00:31', 'dev lo']] },
    { network_id: PRIV.id, segmentation_id: 10, vtep: 'bogus', ports: [] },
  ] });
  const p = planL2(hs, SETTINGS, syncedHost());
  assert.deepEqual(p.problems, [
    'l2pop: invalid port entry ["nomac","172.16.1.30"] behind 192.168.81.65 on vxlan-10',
    'l2pop: invalid port entry ["fa:16:3e:00:00:31","dev lo"] behind 192.168.81.65 on vxlan-10',
    'l2pop: invalid VTEP address "bogus" on vxlan-10',
  ]);
  assert.ok(isEmptyPlan(p));
});

test('vxlan tos is given to ip in hex, as ip parses and prints it', () => {
  const s: L2Settings = { ...SETTINGS, vxlan: { ...SETTINGS.vxlan, tos: 16 } };
  const p = planL2(hostState({ networks: [PRIV], ports: [], l2pop: [] }), s, bareHost());
  assert.ok(p.ip.some((c) => c.join(' ') === 'link add vxlan-10 type vxlan id 10 dstport 4789 local 192.168.81.66 ttl 64 tos 0x10 nolearning proxy'));
  const o = syncedHost();
  o.links = o.links.map((l) => l.ifname === 'vxlan-10' ? { ...l, linkinfo: { info_kind: 'vxlan', info_data: { ...VXLAN_DATA, tos: '0x10' } } } : l);
  assert.ok(isEmptyPlan(planL2(hostState({ networks: [PUB, PRIV] }), s, o)));
});

test('a unicast MAC behind several VTEPs is cut down to the desired one', () => {
  const o = syncedHost();
  o.fdb.push({ mac: 'fa:16:3e:5a:01:10', ifname: 'vxlan-10', dst: '192.168.81.70', state: 'permanent', flags: ['self'] });
  const p = planL2(hostState(), SETTINGS, o);
  assert.deepEqual(p.fdb, [{ op: 'del', mac: 'fa:16:3e:5a:01:10', dev: 'vxlan-10', dst: '192.168.81.70' }]);
});

test('a vxlan device with other parameters is re-created, and its l2pop entries with it', () => {
  const o = syncedHost();
  o.links = o.links.map((l) => l.ifname === 'vxlan-10' ? { ...l, linkinfo: { info_kind: 'vxlan', info_data: { ...VXLAN_DATA, port: 8472 } } } : l);
  const p = planL2(hostState(), SETTINGS, o);
  assert.deepEqual(p.ip, [
    ip('link del vxlan-10'),
    ip('link add vxlan-10 type vxlan id 10 dstport 4789 local 192.168.81.66 ttl 64 nolearning proxy'),
    ip(`link set vxlan-10 mtu 1450 master ${BR_PRIV} up`),
    ip('neigh replace 172.16.1.10 lladdr fa:16:3e:5a:01:10 dev vxlan-10 nud permanent'),
  ]);
  assert.equal(p.fdb.length, 3);
  assert.deepEqual(p.sysctls, { 'net.ipv6.conf.vxlan-10.disable_ipv6': '1' });
});

test('ports: admin down sets the tap down; a tap on the wrong bridge is moved; present ports', () => {
  const o = syncedHost();
  const down = { ...VM2, admin_state_up: false };
  let p = planL2(hostState({ ports: [down] }), SETTINGS, o);
  assert.deepEqual(p.ip, [ip(`link set ${VM2.device} down`)]);
  assert.deepEqual(presentPorts([down], p.bridges, o.links), [], 'an admin-down port is not "up"');
  assert.deepEqual(presentPorts([VM2, QG], p.bridges, o.links), [VM2.id]);

  o.links = o.links.map((l) => l.ifname === VM2.device ? { ...l, master: BR_PUB } : l);
  p = planL2(hostState(), SETTINGS, o);
  assert.deepEqual(p.ip, [ip(`link set ${VM2.device} master ${BR_PRIV}`)]);
  assert.deepEqual(presentPorts([VM2], p.bridges, o.links), []);
  // once that batch has gone in, the tap is known to be in its bridge without reading it back
  assert.deepEqual(presentPorts([VM2], p.bridges, portLinksAfter([VM2], p, o.links)), [VM2.id]);
  const downTap = o.links.map((l) => l.ifname === VM2.device ? { ...l, flags: l.flags.filter((f) => f !== 'UP') } : l);
  p = planL2(hostState({ ports: [VM2] }), SETTINGS, { ...o, links: downTap });
  assert.deepEqual(presentPorts([VM2], p.bridges, portLinksAfter([VM2], p, downTap)), [VM2.id], 'set up by the batch');
  p = planL2(hostState({ ports: [down] }), SETTINGS, o);
  assert.deepEqual(presentPorts([down], p.bridges, portLinksAfter([down], p, o.links)), [], 'set down by the batch');
});

test('bridge_mappings: the existing bridge is used, never created, changed or deleted', () => {
  const s: L2Settings = { ...SETTINGS, physicalInterfaceMappings: {}, bridgeMappings: { public: 'br-ex' } };
  const o = bareHost();
  o.links.push(link('br-ex', { kind: 'bridge', data: { stp_state: 1, forward_delay: 1500 } }), link(QG.device, { kind: 'veth' }));
  const p = planL2(hostState({ networks: [PUB], ports: [QG], l2pop: [] }), s, o);
  assert.deepEqual(p.problems, []);
  assert.deepEqual(p.ip, [ip(`link set ${QG.device} master br-ex`)]);
  assert.deepEqual(p.bridges, { [PUB.id]: 'br-ex' });
  assert.deepEqual(p.sysctls, {});
  // and without that bridge: a problem, and nothing is done
  const missing = planL2(hostState({ networks: [PUB], ports: [QG], l2pop: [] }), s, bareHost());
  assert.deepEqual(missing.ip, []);
  assert.deepEqual(missing.problems, [`network ${PUB.id} is flat on physnet 'public': bridge_mappings names bridge 'br-ex', which does not exist on this host`]);
});

test('problems say why a network cannot be served; its bridge is kept meanwhile', () => {
  const foo = { ...PUB, id: 'f0f0f0f0-0000-4000-8000-000000000001', physical_network: 'foo' };
  const vlan = { ...PUB, id: 'f0f0f0f0-0000-4000-8000-000000000002', network_type: 'vlan', segmentation_id: 100 };
  const gre = { ...PUB, id: 'f0f0f0f0-0000-4000-8000-000000000003', network_type: 'gre' };
  const orphan = port('77777777-0000-4000-8000-000000000077', { ...PRIV, id: 'not-in-state' }, 'fa:16:3e:77:00:77', '10.0.0.7');
  const noVxlan: L2Settings = { ...SETTINGS, vxlan: { enabled: false, localIp: null } };
  const p = planL2(hostState({ networks: [PUB, PRIV, foo, vlan, gre], ports: [VM2, orphan] }), noVxlan, syncedHost());
  assert.deepEqual(p.problems, [
    `network ${PRIV.id} is vxlan (vni 10) but [vxlan] enable_vxlan is false on this host`,
    `network ${foo.id} is flat on physnet 'foo' but physical_interface_mappings has only public`,
    `network ${foo.id.replace(/1$/, '2')} is vlan (physnet 'public', vlan 100): VLAN networks are not supported by Muon's linuxbridge agent`,
    `network ${gre.id} has network_type 'gre', which the linuxbridge agent cannot serve`,
    `port ${orphan.id}: its network not-in-state is not in the host state`,
  ]);
  assert.ok(!p.ip.some((c) => c.includes(BR_PRIV) && c[1] === 'del'), 'the unserved network keeps its bridge');
  assert.deepEqual(p.ip, []);

  const links = new Map([['eno1', link('eno1')]]);
  assert.deepEqual(realise({ ...PUB, physical_network: 'public' }, { ...SETTINGS, physicalInterfaceMappings: { public: 'eno9' } }, links),
    { problem: `network ${PUB.id} is flat on physnet 'public': interface 'eno9' of physical_interface_mappings does not exist on this host` });
  assert.match((realise(PRIV, { ...SETTINGS, vxlan: { enabled: true, localIp: null } }, links) as { problem: string }).problem, /local_ip is not set/);
  assert.match((realise(PUB, { ...SETTINGS, physicalInterfaceMappings: {} }, links) as { problem: string }).problem, /physical_interface_mappings is empty/);
});

test('a foreign device named like our vxlan device is not touched', () => {
  const o = bareHost();
  o.links.push(link('vxlan-10', { kind: 'veth' }));
  const p = planL2(hostState({ networks: [PRIV], ports: [] }), SETTINGS, o);
  assert.deepEqual(p.problems, [`network ${PRIV.id} needs device vxlan-10, but a veth device of that name exists`]);
  assert.ok(!p.ip.some((c) => c.includes('vxlan-10')));
  assert.deepEqual(p.fdb, []);
});

test('two flat networks on one physnet: the second is a problem', () => {
  const again = { ...PUB, id: 'b0b0b0b0-0000-4000-8000-000000000001' };
  const p = planL2(hostState({ networks: [PUB, again], ports: [], l2pop: [] }), SETTINGS, syncedHost());
  assert.deepEqual(p.problems, [`network ${again.id} is flat on physnet 'public', which network ${PUB.id} already uses on this host`]);
  assert.deepEqual(p.ip, [ip(`link del vxlan-10`), ip(`link del ${BR_PRIV}`)]);
});

test('an interface held by a bridge that is not ours is not taken', () => {
  const o = bareHost();
  o.links = o.links.map((l) => l.ifname === 'eno1' ? { ...l, master: 'br-ops' } : l);
  o.links.push(link('br-ops', { kind: 'bridge' }));
  const p = planL2(hostState({ networks: [PUB], ports: [], l2pop: [] }), SETTINGS, o);
  assert.deepEqual(p.problems, [`network ${PUB.id} is flat on physnet 'public', but interface eno1 is a port of bridge br-ops, which is not Muon's for this network`]);
  assert.ok(!p.ip.some((c) => c.includes('eno1')));
});
