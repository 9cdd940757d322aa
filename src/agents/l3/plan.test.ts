// Pure tests: compile, nft rendering and the plan against hand-made observations (no root).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileL3, compileRouter, inCidr, routeDst, type L3Options } from './desired.ts';
import { natChains, parseFipMap, pfDnat, renderNatTable } from './nat.ts';
import { newMemory, planL3, planRouter, type L3Step } from './plan.ts';
import type { ObservedL3, ObservedRouter } from './observe.ts';
import { EXT_SUBNET, FIP, GW_IP, INT6_SUBNET, INT_SUBNET, IF_PORT_ID, ROUTER_ID, VM1_IP, VM2_IP, fip, router, routerPort, INT_NET, EXT_NET, GW_PORT_ID } from './fixtures.ts';
import { radvdConfig } from '../../linux/radvd.ts';
import { deleteArgv, deletedCount } from '../../linux/conntrack.ts';

const OPTS: L3Options = { stateDir: '/var/lib/muon', agentMode: 'legacy', handleInternalOnlyRouters: true };
const ops = (steps: L3Step[]): string[] => steps.map((s) => s.op);

/** What the kernel would show once `d` is fully realised (and the nft table as last applied). */
function realised(r = router()): { obs: ObservedL3; memory: ReturnType<typeof newMemory> } {
  const d = compileRouter(r, OPTS);
  const o: ObservedRouter = {
    id: d.id, netns: d.netns, netnsInode: 42, loUp: true,
    devices: new Map(d.ports.map((p) => [p.device, { name: p.device, kind: 'veth', mac: p.mac, mtu: p.mtu, up: p.up, addresses: [...p.addresses] }])),
    routes: d.routes.map((x) => ({ ...x })),
    sysctls: new Map(Object.entries(d.sysctls)),
    nft: `listed:${d.nft}`,
    radvdConf: d.radvd || undefined,
    radvd: d.radvd ? { pid: 99, netInode: 42 } : undefined,
  };
  const hostLinks = new Map(d.ports.map((p) => [p.tap, { name: p.tap, kind: 'veth', mtu: p.mtu, up: true, addresses: [] }]));
  const memory = newMemory();
  memory.nft.set(d.id, d.nft);
  memory.sysctls.add(d.id);
  return { obs: { routers: new Map([[d.id, o]]), hostLinks }, memory };
}

describe('L3 compile', () => {
  test('addresses get the subnet prefix; floating IPs /32 on qg; default route via the gateway', () => {
    const d = compileRouter(router({ floating_ips: [fip('f1', FIP, VM2_IP)] }), OPTS);
    const qg = d.ports.find((p) => p.kind === 'qg')!;
    assert.deepEqual(qg.addresses, [`${GW_IP}/24`, `${FIP}/32`]);
    assert.deepEqual(d.ports.find((p) => p.kind === 'qr')!.addresses, ['172.16.1.1/24']);
    assert.deepEqual(d.routes, [{ dst: 'default', via: '192.168.81.254', family: 4 }]);
    assert.deepEqual(d.fips, { [FIP]: VM2_IP });
    assert.deepEqual(d.garp, { device: qg.device, tap: qg.tap, addresses: [GW_IP, FIP] });
  });

  test('an IPv6 external subnet gets its own default route', () => {
    const r = router();
    r.gw_port!.fixed_ips.push({ subnet_id: 'sub-ext6', ip_address: '2001:db8:81::10' });
    r.gw_port!.subnets.push({ id: 'sub-ext6', cidr: '2001:db8:81::/64', gateway_ip: '2001:db8:81::1', ip_version: 6, ipv6_ra_mode: null, ipv6_address_mode: null });
    const d = compileRouter(r, OPTS);
    assert.deepEqual(d.routes, [{ dst: 'default', via: '192.168.81.254', family: 4 }, { dst: 'default', via: '2001:db8:81::1', family: 6 }]);
    assert.deepEqual(d.garp?.addresses, [GW_IP], 'no ARP for IPv6');
    const p = planL3(compileL3({ routers: [r] }, OPTS), { routers: new Map(), hostLinks: new Map() }, newMemory(), false);
    const routes = p[0].steps.find((s) => s.op === 'routes');
    assert.deepEqual(routes?.op === 'routes' && routes.cmds, [
      ['route', 'replace', '0.0.0.0/0', 'via', '192.168.81.254', 'proto', 'static'],
      ['route', 'replace', '::/0', 'via', '2001:db8:81::1', 'proto', 'static'],
    ]);
  });

  test('a gateway subnet without gateway_ip is a problem, not a failure', () => {
    const r = router();
    r.gw_port!.subnets = [{ ...EXT_SUBNET, gateway_ip: null }];
    const d = compileRouter(r, OPTS);
    assert.deepEqual(d.routes, []);
    assert.deepEqual(d.problems, [`router ${ROUTER_ID}: external subnet sub-ext has no gateway_ip; no default route`]);
  });

  test('extra routes: on-link nexthops only; host routes as ip shows them', () => {
    const d = compileRouter(router({ routes: [{ destination: '10.99.0.0/24', nexthop: VM1_IP }, { destination: '10.1.1.1/32', nexthop: VM1_IP }, { destination: '10.2.0.0/16', nexthop: '10.9.9.9' }] }), OPTS);
    assert.deepEqual(d.routes.map((r) => `${r.dst} via ${r.via}`), ['default via 192.168.81.254', `10.99.0.0/24 via ${VM1_IP}`, `10.1.1.1 via ${VM1_IP}`]);
    assert.match(d.problems[0], /10\.2\.0\.0\/16 via 10\.9\.9\.9: the nexthop is on none/);
    assert.equal(routeDst('::/0'), 'default');
    assert.ok(inCidr('2001:db8:1::5', '2001:db8:1::/64'));
    assert.ok(!inCidr('2001:db8:2::5', '2001:db8:1::/64'));
    assert.ok(inCidr('172.16.1.200', '172.16.1.0/24'));
  });

  test('agent_mode other than legacy is a problem; admin-down and (optionally) internal-only routers are skipped', () => {
    const c = compileL3({ routers: [router(), router({ id: 'r2', admin_state_up: false }), router({ id: 'r3', gw_port: null })] }, { ...OPTS, agentMode: 'dvr', handleInternalOnlyRouters: false });
    assert.match(c.problems[0], /agent_mode 'dvr' is not supported/);
    assert.deepEqual(c.routers.map((r) => r.id), [ROUTER_ID]);
    assert.deepEqual(c.skipped.map((s) => s.id), ['r2', 'r3']);
  });

  test('radvd config for a slaac interface, as ra.py writes it', () => {
    const r = router();
    r.interfaces = [routerPort(IF_PORT_ID, 'qr', INT_NET, 'fa:16:3e:00:00:02', [['sub-int', '172.16.1.1'], ['sub-int6', '2001:db8:1::1']], [INT_SUBNET, INT6_SUBNET], 1450)];
    const d = compileRouter(r, OPTS);
    assert.equal(d.radvd, radvdConfig([{ device: r.interfaces[0].device, mtu: 1450, prefixes: [{ cidr: '2001:db8:1::/64', mode: 'slaac' }] }]));
    assert.match(d.radvd, /AdvSendAdvert on;\n   MinRtrAdvInterval 30;\n   MaxRtrAdvInterval 100;/);
    assert.match(d.radvd, /prefix 2001:db8:1::\/64\n   \{\n        AdvOnLink on;\n        AdvAutonomous on;/);
    const stateful = radvdConfig([{ device: 'qr-x', prefixes: [{ cidr: '2001:db8::/64', mode: 'dhcpv6-stateful' }] }]);
    assert.match(stateful, /AdvManagedFlag on;/);
    assert.match(stateful, /AdvAutonomous off;/);
    assert.match(radvdConfig([{ device: 'qr-x', prefixes: [{ cidr: '2001:db8::/64', mode: 'dhcpv6-stateless' }] }]), /AdvOtherConfigFlag on;/);
  });
});

describe('L3 nft rendering', () => {
  const qg = 'qg-a1b2c3d4-e5';
  test('Neutron rule order: no-NAT for internal, float-snat, SNAT, hairpin; DNAT in prerouting and output', () => {
    const c = natChains({ gwDevice: qg, gwIp: GW_IP, enableSnat: true, floatingIps: [{ floating_ip_address: FIP, fixed_ip_address: VM2_IP }], portForwardings: [], metadataPort: 9697 });
    assert.deepEqual(c.postrouting, [
      `oifname != "${qg}" ct status & dnat == 0 accept`,
      `ip saddr ${VM2_IP} snat to ${FIP} fully-random`,
      `oifname "${qg}" snat to ${GW_IP} fully-random`,
      `meta mark & 0x0000ffff != 0x2 ct status dnat snat to ${GW_IP}`,
    ]);
    assert.deepEqual(c.prerouting, ['iifname "qr-*" ip daddr 169.254.169.254 tcp dport 80 redirect to :9697', `ip daddr ${FIP} dnat to ${VM2_IP}`]);
    assert.deepEqual(c.output, [`ip daddr ${FIP} dnat to ${VM2_IP}`]);
    assert.deepEqual(c.input, ['meta mark & 0x0000ffff == 0x1 accept', 'tcp dport 9697 drop']);
    assert.deepEqual(c.mangle[1], `iifname "${qg}" meta mark set meta mark & 0xffff0000 | 0x2`);
  });

  test('enable_snat false: no SNAT to the gateway, floating IPs still work; no gateway: only metadata', () => {
    const c = natChains({ gwDevice: qg, gwIp: GW_IP, enableSnat: false, floatingIps: [], portForwardings: [], metadataPort: 9697 });
    assert.ok(!c.postrouting.some((r) => r.startsWith(`oifname "${qg}"`)));
    const none = natChains({ enableSnat: true, floatingIps: [], portForwardings: [], metadataPort: 9697 });
    assert.deepEqual(none.postrouting, []);
    assert.equal(none.prerouting.length, 1);
  });

  test('port forwardings: single port, same range, shifted range', () => {
    const pf = { id: 'p', floating_ip_address: FIP, protocol: 'tcp' as const, internal_ip_address: VM1_IP, external_port_start: 2222, external_port_end: 2222, internal_port_start: 22, internal_port_end: 22 };
    assert.equal(pfDnat(pf), `dnat to ${VM1_IP}:22`);
    assert.equal(pfDnat({ ...pf, external_port_start: 100, external_port_end: 101, internal_port_start: 100, internal_port_end: 101 }), `dnat to ${VM1_IP}`);
    assert.equal(pfDnat({ ...pf, external_port_start: 100, external_port_end: 101, internal_port_start: 200, internal_port_end: 201 }), `dnat to ${VM1_IP} : tcp dport map { 100 : 200, 101 : 201 }`);
  });

  test('the floating IP map is read back from a listed table', () => {
    const text = renderNatTable({ gwDevice: qg, gwIp: GW_IP, enableSnat: true, floatingIps: [{ floating_ip_address: FIP, fixed_ip_address: VM2_IP }], portForwardings: [], metadataPort: 9697 });
    assert.deepEqual([...parseFipMap(text)], [[FIP, VM2_IP]]);
  });

  test('conntrack helpers', () => {
    assert.deepEqual(deleteArgv({ replyDst: FIP }), ['conntrack', '-D', '-q', FIP]);
    assert.throws(() => deleteArgv({}));
    assert.equal(deletedCount('conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.'), 0);
  });
});

describe('L3 plan', () => {
  test('a new router: namespace, veths from the host, sysctls, addresses, routes, nft, garp', () => {
    const d = compileL3({ routers: [router({ floating_ips: [fip('f1', FIP, VM2_IP)] })] }, OPTS);
    const plans = planL3(d, { routers: new Map(), hostLinks: new Map() }, newMemory(), true);
    assert.equal(plans.length, 1);
    assert.deepEqual(ops(plans[0].steps), ['netns-add', 'sysctl', 'host-ip', 'ns-ip', 'routes', 'plug', 'nft', 'garp', 'garp', 'metadata-ensure']);
    const host = plans[0].steps.find((s) => s.op === 'host-ip')!;
    // the new taps into their networks' bridges, named as the Linux bridge agent names them
    const plug = plans[0].steps.find((s) => s.op === 'plug')!;
    assert.deepEqual(plug.op === 'plug' && plug.cmds.map((c) => c.join(' ')).sort(), [
      `link set dev tap${IF_PORT_ID.slice(0, 11)} master brq${INT_NET.slice(0, 11)}`,
      `link set dev tap${GW_PORT_ID.slice(0, 11)} master brq${EXT_NET.slice(0, 11)}`,
    ].sort());
    const [gw, internal] = plans[0].steps.filter((x) => x.op === 'garp');
    assert.deepEqual(gw.op === 'garp' && gw.addresses, [GW_IP, FIP]);
    // the gateway address behind qr- is announced too: a re-created router has a new MAC there
    assert.deepEqual(internal.op === 'garp' && [internal.device, internal.addresses], ['qr-b2c3d4e5-f6', ['172.16.1.1']]);
  });

  test('a realised router plans nothing (a restart with the table vouched for)', () => {
    const r = router({ floating_ips: [fip('f1', FIP, VM2_IP)], routes: [{ destination: '10.99.0.0/24', nexthop: VM1_IP }] });
    const { obs, memory } = realised(r);
    memory.metadata.add(ROUTER_ID);
    assert.deepEqual(planL3(compileL3({ routers: [r] }, OPTS), obs, memory, true), []);
  });

  test('a restarted agent (no memory) replaces only the nft table', () => {
    const r = router({ floating_ips: [fip('f1', FIP, VM2_IP)] });
    const { obs } = realised(r);
    const plans = planL3(compileL3({ routers: [r] }, OPTS), obs, newMemory(), false);
    assert.deepEqual(plans.map((p) => ops(p.steps)), [['nft']]);
  });

  test('moving a floating IP: nft replaced, conntrack flushed, no address change; removing: address off and flushed', () => {
    const before = router({ floating_ips: [fip('f1', FIP, VM2_IP)] });
    const { obs, memory } = realised(before);
    obs.routers.get(ROUTER_ID)!.nft = renderNatTable({ gwDevice: before.gw_port!.device, gwIp: GW_IP, enableSnat: true, floatingIps: [{ floating_ip_address: FIP, fixed_ip_address: VM2_IP }], portForwardings: [], metadataPort: 9697 });
    memory.nft.set(ROUTER_ID, compileRouter(before, OPTS).nft);
    const moved = planRouter(compileRouter(router({ floating_ips: [fip('f1', FIP, VM1_IP)] }), OPTS), obs.routers.get(ROUTER_ID), obs.hostLinks, memory, false);
    assert.deepEqual(ops(moved.steps), ['nft', 'conntrack-flush']);
    const gone = planRouter(compileRouter(router(), OPTS), obs.routers.get(ROUTER_ID), obs.hostLinks, memory, false);
    assert.deepEqual(ops(gone.steps), ['ns-ip', 'nft', 'conntrack-flush']);
    const ns = gone.steps[0];
    assert.deepEqual(ns.op === 'ns-ip' && ns.cmds, [['addr', 'del', `${FIP}/32`, 'dev', before.gw_port!.device]]);
  });

  test('MTU, MAC and admin state differences are fixed in place; stray devices deleted', () => {
    const { obs, memory } = realised();
    const o = obs.routers.get(ROUTER_ID)!;
    const qr = o.devices.get('qr-b2c3d4e5-f6')!;
    qr.mtu = 1500; qr.mac = 'fa:16:3e:99:99:99'; qr.up = false;
    o.devices.set('qr-deadbeef-00', { name: 'qr-deadbeef-00', kind: 'veth', mtu: 1500, up: true, addresses: [] });
    const p = planRouter(compileRouter(router(), OPTS), o, obs.hostLinks, memory, false);
    assert.deepEqual(p.steps.map((s) => ('cmds' in s ? s.cmds : s.op)), [
      [['link', 'del', 'dev', 'qr-deadbeef-00']],
      [['link', 'set', 'dev', 'qr-b2c3d4e5-f6', 'address', 'fa:16:3e:00:00:02'], ['link', 'set', 'dev', 'qr-b2c3d4e5-f6', 'mtu', '1450'], ['link', 'set', 'dev', 'qr-b2c3d4e5-f6', 'up']],
    ]);
  });

  test('a router no longer desired: radvd stopped, metadata removed, namespace deleted with its taps', () => {
    const { obs, memory } = realised();
    obs.routers.get(ROUTER_ID)!.radvd = { pid: 7, netInode: 42 };
    const plans = planL3(compileL3({ routers: [] }, OPTS), obs, memory, true);
    assert.deepEqual(plans.map((p) => [p.remove, ops(p.steps)]), [[true, ['radvd', 'metadata-remove', 'netns-del', 'radvd']]]);
    const del = plans[0].steps[2];
    assert.deepEqual(del.op === 'netns-del' && del.taps, ['tapa1b2c3d4-e5', 'tapb2c3d4e5-f6']);
  });
});

describe('L3 apply order', () => {
  test('every plan puts its kernel steps (one process, kernel-batch.ts) before the rest', async () => {
    const { KERNEL_OPS } = await import('./kernel-batch.ts');
    const d = compileL3({ routers: [router({ floating_ips: [fip('f1', FIP, VM2_IP)] })] }, OPTS);
    const plans = planL3(d, { routers: new Map(), hostLinks: new Map() }, newMemory(), true);
    const kinds = plans[0].steps.map((s) => KERNEL_OPS.has(s.op));
    assert.ok(kinds.includes(true) && kinds.includes(false));
    assert.equal(kinds.lastIndexOf(true) < kinds.indexOf(false), true, ops(plans[0].steps).join(' '));
  });
});
