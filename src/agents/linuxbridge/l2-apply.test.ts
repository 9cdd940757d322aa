// The L2 agent for real: two scratch hosts joined by a veth "cable" (a0 192.168.99.1 on hostA,
// b0 192.168.99.2 on hostB), VMs as nested namespaces plugged with veth taps the way Nova /
// the seed does, and packets between them (root only; under CI=true as root it must run).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HostState, L2popPeer, NetworkState, PortState } from '../../feed/host-state.ts';
import { gratuitousArp } from '../../linux/arping.ts';
import { fdb } from '../../linux/bridge.ts';
import { exec, tryExec, type Place } from '../../linux/exec.ts';
import { addresses, batch, links, neighbours, routes } from '../../linux/ip.ts';
import { monitorLinks, type LinkEvent } from '../../linux/link-monitor.ts';
import { add as addNetns } from '../../linux/netns.ts';
import { get as getSysctl } from '../../linux/sysctl.ts';
import { rootSkip, scratchHost, type ScratchHost } from '../../linux/testing.ts';
import { applyL2, applyPlan, observeL2 } from './l2-apply.ts';
import { bridgeName, isEmptyPlan, planL2, type L2Settings } from './l2-plan.ts';
import { pluggedTaps, tapsChanged } from './port-plan.ts';

const VX: NetworkState = { id: '77777777-aaaa-4bbb-8ccc-000000000077', network_type: 'vxlan', physical_network: null, segmentation_id: 77, mtu: 1450, admin_state_up: true };
const FLAT: NetworkState = { id: 'f1a7f1a7-0000-4000-8000-000000000001', network_type: 'flat', physical_network: 'physnet1', segmentation_id: null, mtu: 1500, admin_state_up: true };
const BR_VX = bridgeName(VX.id);
const BR_FLAT = bridgeName(FLAT.id);

function port(id: string, net: NetworkState, mac: string, ip: string): PortState {
  return {
    id, network_id: net.id, mac_address: mac, fixed_ips: [{ subnet_id: 'sub', ip_address: ip }], admin_state_up: true,
    device_owner: 'compute:nova', port_security_enabled: false, security_groups: [], allowed_address_pairs: [],
    device: `tap${id.slice(0, 11)}`,
  };
}
const PA = port('aaaaaaaa-0001-4000-8000-000000000001', VX, 'fa:16:3e:77:00:01', '10.7.0.1');
const PB = port('bbbbbbbb-0002-4000-8000-000000000002', VX, 'fa:16:3e:77:00:02', '10.7.0.2');
const PF = port('ffffffff-0003-4000-8000-000000000003', FLAT, 'fa:16:3e:99:00:10', '192.168.99.10');

const peer = (vtep: string, ...ports: PortState[]): L2popPeer =>
  ({ network_id: VX.id, segmentation_id: 77, vtep, ports: ports.map((p) => [p.mac_address, p.fixed_ips[0].ip_address]) });

function state(host: string, networks: NetworkState[], ports: PortState[], l2pop: L2popPeer[]): HostState {
  return { host, revision: 1, networks, ports, security_groups: [], remote_groups: {}, address_groups: {}, l2pop, dhcp: [], routers: [] };
}

const settings = (iface: string, localIp: string): L2Settings => ({
  physicalInterfaceMappings: { physnet1: iface },
  bridgeMappings: {},
  vxlan: { enabled: true, localIp, udpDstport: 4789, ttl: null, tos: null },
});
const SA = settings('a0', '192.168.99.1');
const SB = settings('b0', '192.168.99.2');

async function ping(place: Place, ip: string, ...opts: string[]): Promise<boolean> {
  return (await tryExec(['ping', '-c', '1', '-W', '2', '-n', ...opts, ip], { place })).code === 0;
}

/** Nova's part: a VM namespace whose eth0 (port MAC, given MTU) pairs with the port's tap on the host. */
async function plugVm(h: ScratchHost, vm: string, p: PortState, cidr: string, mtu: number): Promise<void> {
  await addNetns(h.place, vm);
  await batch(h.place, [['link', 'add', p.device, 'type', 'veth', 'peer', 'name', 'eth0', 'address', p.mac_address, 'mtu', String(mtu), 'netns', vm]]);
  await batch(h.nested(vm), [['link', 'set', 'lo', 'up'], ['addr', 'add', cidr, 'dev', 'eth0'], ['link', 'set', 'eth0', 'up']]);
}

const linkIds = async (place: Place) => (await links(place)).map((l) => `${l.ifindex}:${l.ifname}`).sort();
const linkOf = async (place: Place, dev: string) => (await links(place)).find((l) => l.ifname === dev);
const inet4 = async (place: Place, dev: string) =>
  (await addresses(place)).find((a) => a.ifname === dev)?.addr_info.filter((i) => i.family === 'inet').map((i) => `${i.local}/${i.prefixlen}`) ?? [];

describe('linuxbridge L2 on two hosts', { skip: rootSkip }, () => {
  let A: ScratchHost;
  let B: ScratchHost;
  let rootLinks: string[] = [];
  const timings: string[] = [];

  async function apply(h: ScratchHost, name: string, hs: HostState, s: L2Settings) {
    const r = await applyL2(h.place, hs, s);
    timings.push(`${name}: ${r.ms} ms, ${r.changed.length} changes`);
    assert.deepEqual(r.problems, [], `${name}: ${r.problems.join('\n')}`);
    return r;
  }

  before(async () => {
    rootLinks = await linkIds({});
    A = await scratchHost();
    B = await scratchHost();
    // the cable, made from hostA's net namespace with the root mount namespace (hostB's ns path resolves here)
    await exec(['ip', 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0', 'netns', B.pair.net], { place: { nsenter: { net: A.pair.net } } });
    await batch(A.place, [['addr', 'add', '192.168.99.1/24', 'dev', 'a0'], ['link', 'set', 'a0', 'up'], ['route', 'add', 'default', 'via', '192.168.99.2']]);
    await batch(B.place, [['addr', 'add', '192.168.99.2/24', 'dev', 'b0'], ['link', 'set', 'b0', 'up']]);
    await plugVm(A, 'vma', PA, '10.7.0.1/24', 1450);
    await plugVm(B, 'vmb', PB, '10.7.0.2/24', 1450);
  });

  after(async (t) => {
    await A?.teardown();
    await B?.teardown();
    t.diagnostic(`apply timings: ${timings.join('; ')}`);
    assert.deepEqual(await linkIds({}), rootLinks, 'the machine\'s own links are unchanged');
  });

  test('vxlan network with l2pop: VMs on two hosts ping each other; the MTU is 1450 end to end', async () => {
    const ra = await apply(A, 'A first', state('hostA', [VX], [PA], [peer('192.168.99.2', PB)]), SA);
    const rb = await apply(B, 'B first', state('hostB', [VX], [PB], [peer('192.168.99.1', PA)]), SB);
    assert.deepEqual(ra.presentPorts, [PA.id]);
    assert.deepEqual(rb.presentPorts, [PB.id]);
    assert.ok(ra.changed.some((c) => c.startsWith('ip link add vxlan-77 type vxlan id 77 dstport 4789 local 192.168.99.1')));
    const tap = await linkOf(A.place, PA.device);
    assert.equal(tap?.master, BR_VX);
    assert.equal(tap?.mtu, 1450);
    assert.equal(await getSysctl(A.place, `net.ipv6.conf.${BR_VX}.disable_ipv6`), '1');
    // arp_responder off (Neutron's default): no ARP proxy, ARP floods to the peer's VTEP
    assert.equal((await linkOf(A.place, 'vxlan-77'))?.linkinfo?.info_data?.proxy, undefined);
    assert.deepEqual((await neighbours(A.place, 'vxlan-77')).filter((n) => n.state?.includes('PERMANENT')), []);

    assert.ok(await ping(A.nested('vma'), '10.7.0.2'), 'vma → vmb across vxlan');
    assert.ok(await ping(B.nested('vmb'), '10.7.0.1'), 'vmb → vma across vxlan');
    assert.ok(await ping(A.nested('vma'), '10.7.0.2', '-M', 'do', '-s', '1422'), 'a 1450-byte packet passes');
    // refused in the guest (eth0 MTU 1450) with "local error: message too long"; no need to wait for a reply
    const big = await tryExec(['ping', '-c', '1', '-W', '0.2', '-n', '-M', 'do', '-s', '1423', '10.7.0.2'], { place: A.nested('vma') });
    assert.notEqual(big.code, 0, 'a 1451-byte packet does not pass');
    assert.match(big.stderr + big.stdout, /message too long, mtu=1450/);
    // a gratuitous ARP crosses the tunnel (a router re-created behind the same address is
    // learnt at once by VMs on other hosts)
    await batch(B.nested('vmb'), [['neigh', 'replace', '10.7.0.1', 'lladdr', '02:00:00:00:00:99', 'dev', 'eth0', 'nud', 'stale']]);
    await gratuitousArp(A.nested('vma'), 'eth0', '10.7.0.1', 1);
    const n = (await neighbours(B.nested('vmb'), 'eth0')).find((x) => x.dst === '10.7.0.1');
    assert.equal(n?.lladdr, PA.mac_address, 'vmb learnt vma from its gratuitous ARP');
  });

  test('a second apply is a no-op: empty plan, same ifindexes', async () => {
    const before = [await linkIds(A.place), await linkIds(B.place)];
    const ra = await apply(A, 'A again', state('hostA', [VX], [PA], [peer('192.168.99.2', PB)]), SA);
    const rb = await apply(B, 'B again', state('hostB', [VX], [PB], [peer('192.168.99.1', PA)]), SB);
    assert.deepEqual(ra.changed, []);
    assert.deepEqual(rb.changed, []);
    assert.deepEqual(ra.presentPorts, [PA.id]);
    assert.ok(isEmptyPlan(planL2(state('hostA', [VX], [PA], [peer('192.168.99.2', PB)]), SA, await observeL2(A.place))));
    assert.deepEqual([await linkIds(A.place), await linkIds(B.place)], before);
  });

  test('the link events of its own plug show the tap as plugged (no new look); someone else\'s change does not', async () => {
    const PC = port('cccccccc-0004-4000-8000-000000000004', VX, 'fa:16:3e:77:00:03', '10.7.0.3');
    await plugVm(B, 'vmc', PC, '10.7.0.3/24', 1450); // the tap: no bridge, MTU 1500, down
    const events: LinkEvent[] = [];
    const mon = await monitorLinks(B.place, { filter: (n) => n === PC.device, onChange: (_n, evs) => { events.push(...evs); } });
    const until = async (what: string, ok: () => boolean) => {
      for (const end = Date.now() + 3000; !ok(); await new Promise((r) => setTimeout(r, 5))) {
        if (Date.now() > end) assert.fail(`no link event ${what}: ${JSON.stringify(events)}`);
      }
    };
    try {
      const hs = state('hostB', [VX], [PB, PC], [peer('192.168.99.1', PA)]);
      const mtus = new Map([[VX.id, VX.mtu]]);
      const r = await applyL2(B.place, hs, SB);
      assert.deepEqual([...r.presentPorts].sort(), [PB.id, PC.id].sort());
      await until('with the tap in its bridge and up', () => events.at(-1)?.master === BR_VX && events.at(-1)?.up === true);
      assert.ok(events.length > 1, 'the plug changed bridge, MTU and state');
      // what the agent keeps after this reconcile
      const present = pluggedTaps(hs.ports, mtus, r, new Set(r.presentPorts));
      assert.equal(tapsChanged(events, present), false, `our own plug coming back: ${JSON.stringify(events)}`);
      assert.equal(tapsChanged(events, new Map()), true, 'a tap the agent has not plugged is looked at');
      events.length = 0;
      await batch(B.place, [['link', 'set', PC.device, 'nomaster']]);
      await until('after nomaster', () => events.length > 0);
      assert.equal(tapsChanged(events, present), true, `taken out of its bridge: ${JSON.stringify(events)}`);
    } finally {
      await mon.stop();
      await batch(B.place, [['netns', 'del', 'vmc']]); // its eth0 goes, and the tap with it
      await apply(B, 'B without vmc', state('hostB', [VX], [PB], [peer('192.168.99.1', PA)]), SB);
    }
  });

  test('l2pop entries of a peer that left are removed, and come back with it', async () => {
    await apply(A, 'A peer gone', state('hostA', [VX], [PA], []), SA);
    assert.deepEqual((await fdb(A.place, { dev: 'vxlan-77' })).filter((e) => e.dst), []);
    assert.deepEqual((await neighbours(A.place, 'vxlan-77')).filter((n) => n.state?.includes('PERMANENT')), []);
    await apply(A, 'A peer back', state('hostA', [VX], [PA], [peer('192.168.99.2', PB)]), SA);
    const e = await fdb(A.place, { dev: 'vxlan-77' });
    assert.deepEqual(e.filter((x) => x.dst).map((x) => `${x.mac} ${x.dst}`).sort(), ['00:00:00:00:00:00 192.168.99.2', `${PB.mac_address} 192.168.99.2`]);
    assert.ok(await ping(A.nested('vma'), '10.7.0.2'));
  });

  test('the l2pop entries it left stand in for the forwarding database, only while its vxlan device is the same', async () => {
    const dstEntries = async () => (await fdb(A.place, { dev: 'vxlan-77' })).filter((x) => x.dst).map((x) => `${x.mac} ${x.dst}`).sort();
    const withPeer = state('hostA', [VX], [PA], [peer('192.168.99.2', PB)]);
    const r0 = await applyL2(A.place, withPeer, SA);
    assert.ok(r0.fdbMemory, 'an apply that went in whole is remembered');
    const r1 = await applyL2(A.place, state('hostA', [VX], [PA], []), SA, r0.fdbMemory);
    assert.deepEqual(await dstEntries(), [], 'removed by a plan made from the memory');
    const r2 = await applyL2(A.place, withPeer, SA, r1.fdbMemory);
    assert.deepEqual(await dstEntries(), ['00:00:00:00:00:00 192.168.99.2', `${PB.mac_address} 192.168.99.2`]);
    assert.deepEqual(r2.fdbMemory?.entries.map((x) => `${x.mac} ${x.dst}`).sort(), await dstEntries());
    // a memory of another device by that name (deleted and made again) is not believed
    await applyL2(A.place, state('hostA', [VX], [PA], []), SA, r2.fdbMemory);
    const stale = { entries: r2.fdbMemory!.entries, devices: new Map([['vxlan-77', 999_999]]) };
    await applyL2(A.place, withPeer, SA, stale);
    assert.deepEqual(await dstEntries(), ['00:00:00:00:00:00 192.168.99.2', `${PB.mac_address} 192.168.99.2`], 'read again, and planned from what is there');
    assert.ok(await ping(A.nested('vma'), '10.7.0.2'));
  });

  test('flat network: the interface is enslaved, its address, MAC and default route move to the bridge', async () => {
    const hs = state('hostA', [VX, FLAT], [PA, PF], [peer('192.168.99.2', PB)]);
    const early = await apply(A, 'A flat, VM not plugged yet', hs, SA);
    assert.deepEqual(early.absentPorts, [PF.id]);
    assert.deepEqual(early.presentPorts, [PA.id]);
    await plugVm(A, 'vmf', PF, '192.168.99.10/24', 1500);
    const r = await apply(A, 'A flat, VM plugged', hs, SA);
    assert.deepEqual(r.absentPorts, []);
    assert.deepEqual(r.presentPorts.sort(), [PA.id, PF.id].sort());
    const a0 = await linkOf(A.place, 'a0');
    const br = await linkOf(A.place, BR_FLAT);
    assert.equal(a0?.master, BR_FLAT);
    assert.equal(br?.address, a0?.address, 'the bridge has the interface MAC');
    assert.equal(br?.ifalias, `muon:${FLAT.id}`);
    assert.deepEqual(await inet4(A.place, BR_FLAT), ['192.168.99.1/24']);
    assert.deepEqual(await inet4(A.place, 'a0'), []);
    const def = (await routes(A.place, { family: 4 })).filter((x) => x.dst === 'default');
    assert.deepEqual(def.map((x) => `${x.gateway} ${x.dev}`), [`192.168.99.2 ${BR_FLAT}`]);

    assert.ok(await ping(B.place, '192.168.99.1'), 'hostB still reaches hostA at its address');
    assert.ok(await ping(A.place, '192.168.99.2'), 'and hostA hostB');
    assert.ok(await ping(A.nested('vmf'), '192.168.99.2'), 'a VM on the flat network reaches the physical segment');
    assert.ok(await ping(A.nested('vma'), '10.7.0.2'), 'vxlan still works, now through the bridge');

    assert.deepEqual((await apply(A, 'A flat again', hs, SA)).changed, []);
  });

  test('removing the flat network gives the interface its address and route back; the VM tap stays', async () => {
    await apply(A, 'A flat removed', state('hostA', [VX], [PA], [peer('192.168.99.2', PB)]), SA);
    assert.equal(await linkOf(A.place, BR_FLAT), undefined);
    assert.equal((await linkOf(A.place, 'a0'))?.master, undefined);
    assert.deepEqual(await inet4(A.place, 'a0'), ['192.168.99.1/24']);
    const def = (await routes(A.place, { family: 4 })).filter((x) => x.dst === 'default');
    assert.deepEqual(def.map((x) => `${x.gateway} ${x.dev}`), ['192.168.99.2 a0']);
    assert.ok(await ping(B.place, '192.168.99.1'));
    assert.ok(await ping(A.nested('vma'), '10.7.0.2'));
    const tap = await linkOf(A.place, PF.device);
    assert.ok(tap, 'the tap of the removed network is left alone');
    assert.equal(tap.master, undefined);
  });

  test('a failing command becomes a problem, not an exception, and the rest of the batch still runs', async () => {
    const problems: string[] = [];
    await applyPlan(A.place, {
      ip: [['link', 'set', 'no-such-dev', 'up'], ['link', 'set', PF.device, 'mtu', '1400']],
      fdb: [{ op: 'del', mac: 'fa:16:3e:ff:ff:ff', dev: 'vxlan-77', dst: '192.168.99.9' }],
      sysctls: {}, problems: [], bridges: {}, absentPorts: [],
    }, problems);
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0], /no-such-dev/);
    assert.match(problems[1], /bridge fdb del fa:16:3e:ff:ff:ff/);
    assert.equal((await linkOf(A.place, PF.device))?.mtu, 1400);
  });

  test('removing the vxlan network deletes its bridge and vxlan device, never the tap', async () => {
    const r = await apply(A, 'A all removed', state('hostA', [], [], []), SA);
    assert.deepEqual(r.presentPorts, []);
    const names = (await links(A.place)).map((l) => l.ifname);
    assert.ok(!names.includes(BR_VX));
    assert.ok(!names.includes('vxlan-77'));
    assert.ok(names.includes(PA.device));
    assert.ok(names.includes(PF.device));
    assert.deepEqual(await inet4(A.place, 'a0'), ['192.168.99.1/24']);
    assert.deepEqual((await apply(A, 'A empty again', state('hostA', [], [], []), SA)).changed, []);
  });
});
