// Real packets through a router namespace in a scratch host: an "upstream" namespace on an
// external bridge (192.168.81.254/24, "internet" 203.0.113.1/32 on lo, no route back to the
// tenant network) and two VM namespaces on a tenant bridge (172.16.1.11/.12, default route via
// 172.16.1.1). No Linux bridge agent runs here: the test enslaves the router's taps itself.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { start, tryExec, type Place } from '../../linux/exec.ts';
import { addresses, batch, links, routes } from '../../linux/ip.ts';
import { list as listNetns } from '../../linux/netns.ts';
import { rootSkip, type ScratchHost } from '../../linux/testing.ts';
import { findRadvd } from '../../linux/radvd.ts';
import { INTERNET, l3Testbed, type L3Testbed } from './testbed.ts';
import { radvdFiles } from './desired.ts';
import type { RouterState } from '../../feed/host-state.ts';
import { FIP, GW_IP, INT6_SUBNET, INT_NET, INT_SUBNET, IF_PORT_ID, ROUTER_ID, VM1_IP, VM2_IP, fip, router, routerPort } from './fixtures.ts';
import { newMemory, type L3Memory } from './plan.ts';
import { reconcileL3, type L3ReconcileReport } from './reconcile.ts';
import { l3Agent } from './agent.ts';

const NETNS = `qrouter-${ROUTER_ID}`;
const PF_FIP = '192.168.81.103';

describe('L3 agent data plane: a router namespace with real packets', { skip: rootSkip }, () => {
  let h: ScratchHost;
  let plug: L3Testbed['plug'];
  let stateDir = '';
  let memory: L3Memory = newMemory();
  const metadataCalls: string[] = [];
  const metadata = {
    async ensure(id: string, ns: string) { metadataCalls.push(`ensure ${id} ${ns}`); },
    async remove(id: string) { metadataCalls.push(`remove ${id}`); },
  };

  const reconcile = (routers: RouterState[]): Promise<L3ReconcileReport> =>
    reconcileL3(h.place, { routers }, { stateDir, agentMode: 'legacy', handleInternalOnlyRouters: true, memory, metadata, awaitGarp: false });
  const ops = (r: L3ReconcileReport): string[] => r.plans.flatMap((p) => p.steps.map((s) => s.op));

  const ping = async (place: Place, addr: string, count = 1): Promise<boolean> =>
    (await tryExec(['ping', '-n', '-c', String(count), '-i', '0.2', '-W', '1', addr], { place })).code === 0;

  /** A TCP request's answer (socat client), or '' when nothing answered. */
  const ask = async (place: Place, addr: string, port: number): Promise<string> =>
    (await tryExec(['socat', '-T', '2', '-', `TCP:${addr}:${port},connect-timeout=2`], { place, timeoutMs: 5000 })).stdout.trim();

  const fipAt = (fixed: string, extra: Partial<RouterState> = {}): RouterState => router({ floating_ips: [fip('fip-1', FIP, fixed)], ...extra });

  before(async () => {
    const tb = await l3Testbed();
    h = tb.h;
    plug = tb.plug;
    stateDir = await mkdtemp('/tmp/muon-l3-test-');
    // whoami on the "internet" address; TCP servers in the VMs answering with their names
    await start(['socat', `TCP-LISTEN:8080,bind=${INTERNET},fork,reuseaddr`, 'EXEC:printenv SOCAT_PEERADDR'], { place: h.nested('upstream'), settleMs: 30 });
    await start(['socat', 'TCP-LISTEN:80,fork,reuseaddr', 'SYSTEM:echo vm1'], { place: h.nested('vm1'), settleMs: 30 });
    await start(['socat', 'TCP-LISTEN:80,fork,reuseaddr', 'SYSTEM:echo vm2'], { place: h.nested('vm2'), settleMs: 30 });
  });

  after(async () => {
    await h?.teardown();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  test('a router with a gateway and one interface: the namespace, veths, addresses, sysctls, default route', async () => {
    const r = await reconcile([fipAt(VM2_IP)]);
    assert.deepEqual(r.failed.size, 0, r.problems.join('\n'));
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.floatingips, { 'fip-1': 'ACTIVE' });
    assert.deepEqual(metadataCalls, [`ensure ${ROUTER_ID} ${NETNS}`]);
    await plug(router());
    const place = h.nested(NETNS);
    const addrs = await addresses(place);
    const qg = addrs.find((l) => l.ifname.startsWith('qg-'))!;
    assert.deepEqual(qg.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`).sort(), [`${GW_IP}/24`, `${FIP}/32`]);
    assert.equal(qg.address, 'fa:16:3e:00:00:01');
    const qr = addrs.find((l) => l.ifname.startsWith('qr-'))!;
    assert.equal(qr.mtu, 1450);
    const tap = (await links(h.place)).find((l) => l.ifname === router().interfaces[0].tap)!;
    assert.equal(tap.mtu, 1450);
    assert.ok(tap.flags.includes('UP'));
    const sys = await tryExec(['sysctl', '-n', 'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding', 'net.ipv4.conf.all.send_redirects'], { place });
    assert.deepEqual(sys.stdout.trim().split('\n'), ['1', '1', '0']);
    assert.deepEqual((await routes(place)).filter((x) => x.dst === 'default').map((x) => x.gateway), ['192.168.81.254']);
  });

  test('pings: upstream → router gateway address; router → its qr address and a VM', async () => {
    assert.ok(await ping(h.nested('upstream'), GW_IP));
    assert.ok(await ping(h.nested(NETNS), '172.16.1.1'));
    assert.ok(await ping(h.nested(NETNS), VM1_IP));
    assert.ok(await ping(h.nested(NETNS), '192.168.81.254'));
  });

  test('SNAT: vm1 reaches the internet as the gateway address; vm2 as its floating IP', async () => {
    assert.equal(await ask(h.nested('vm1'), INTERNET, 8080), GW_IP);
    assert.equal(await ask(h.nested('vm2'), INTERNET, 8080), FIP);
  });

  test('floating IP: upstream reaches vm2 (ICMP, TCP); hairpin vm1 → vm2 via the floating IP', async () => {
    assert.ok(await ping(h.nested('upstream'), FIP));
    assert.equal(await ask(h.nested('upstream'), FIP, 80), 'vm2', 'upstream TCP');
    const hp = await ask(h.nested('vm1'), FIP, 80);
    if (hp !== 'vm2') {
      for (const [pl, argv] of [[NETNS, ['conntrack', '-L']], ['vm1', ['ip', 'route', 'get', FIP]], ['vm1', ['ip', 'neigh']], [NETNS, ['sysctl', '-a', '--pattern', 'redirects|rp_filter']], [NETNS, ['nft', 'list', 'ruleset']], ['vm2', ['ip', 'neigh']]] as [string, string[]][]) {
        const x = await tryExec(argv, { place: h.nested(pl) });
        console.log(`== ${pl}: ${argv.join(' ')}\n${x.stdout}${x.stderr}`);
      }
    }
    assert.equal(hp, 'vm2', 'hairpin');
    assert.equal(await ask(h.nested(NETNS), FIP, 80), 'vm2', 'from the router itself (output DNAT)');
  });

  test('metadata: 169.254.169.254:80 from a qr- interface is redirected to 9697; other 9697 is dropped', async () => {
    const r = h.nested(NETNS);
    const nft = await tryExec(['nft', 'list', 'table', 'ip', 'neutron-l3'], { place: r });
    assert.match(nft.stdout, /iifname "qr-\*" ip daddr 169\.254\.169\.254 tcp dport 80 redirect to :9697/);
    await start(['socat', 'TCP-LISTEN:9697,fork,reuseaddr', 'SYSTEM:echo metadata'], { place: r, settleMs: 50 });
    await batch(h.nested('vm1'), [['route', 'add', '169.254.169.254', 'via', '172.16.1.1']]).catch(() => {});
    assert.equal(await ask(h.nested('vm1'), '169.254.169.254', 80), 'metadata');
    assert.equal(await ask(h.nested('vm1'), '172.16.1.1', 9697), '', 'direct 9697 is dropped');
    assert.equal(await ask(h.nested('upstream'), GW_IP, 9697), '');
  });

  test('reconciling again changes nothing', async () => {
    const r = await reconcile([fipAt(VM2_IP)]);
    assert.deepEqual(r.plans, []);
    assert.deepEqual(r.floatingips, { 'fip-1': 'ACTIVE' });
  });

  test('moving the floating IP to vm1 moves the traffic (conntrack flushed); removing it stops it', async () => {
    let r = await reconcile([fipAt(VM1_IP)]);
    assert.deepEqual(ops(r), ['nft', 'conntrack-flush']);
    assert.equal(await ask(h.nested('upstream'), FIP, 80), 'vm1');
    assert.equal(await ask(h.nested('vm1'), INTERNET, 8080), FIP);
    assert.equal(await ask(h.nested('vm2'), INTERNET, 8080), GW_IP);
    r = await reconcile([router()]);
    assert.deepEqual(ops(r), ['ns-ip', 'nft', 'conntrack-flush']);
    assert.deepEqual(r.floatingips, {});
    assert.ok(!(await ping(h.nested('upstream'), FIP)));
    assert.equal(await ask(h.nested('upstream'), FIP, 80), '');
    assert.equal(await ask(h.nested('vm1'), INTERNET, 8080), GW_IP);
  });

  test('an extra route and a port forwarding', async () => {
    await batch(h.nested('vm1'), [['addr', 'add', '10.99.0.1/32', 'dev', 'lo']]);
    const pf = { id: 'pf-1', floating_ip_address: PF_FIP, protocol: 'tcp' as const, internal_ip_address: VM2_IP, external_port_start: 2222, external_port_end: 2222, internal_port_start: 80, internal_port_end: 80 };
    const r = await reconcile([router({ routes: [{ destination: '10.99.0.0/24', nexthop: VM1_IP }], port_forwardings: [pf] })]);
    assert.equal(r.failed.size, 0, r.problems.join('\n'));
    assert.ok((await routes(h.nested(NETNS))).some((x) => x.dst === '10.99.0.0/24' && x.gateway === VM1_IP));
    assert.ok(await ping(h.nested(NETNS), '10.99.0.1'));
    assert.equal(await ask(h.nested('upstream'), PF_FIP, 2222), 'vm2');
    assert.equal(await ask(h.nested('upstream'), PF_FIP, 80), '', 'only the forwarded port');
    const again = await reconcile([router()]);
    assert.ok(!(await routes(h.nested(NETNS))).some((x) => x.dst === '10.99.0.0/24'));
    assert.equal(again.failed.size, 0);
    assert.equal(await ask(h.nested('upstream'), PF_FIP, 2222), '');
  });

  test('an agent restart (new process, same kernel) rebuilds nothing; a ping flow through the floating IP loses nothing', async () => {
    await reconcile([fipAt(VM2_IP)]);
    const before = new Map((await links(h.nested(NETNS))).map((l) => [l.ifname, l.ifindex]));
    const flow = tryExec(['ping', '-n', '-c', '40', '-i', '0.05', '-W', '1', FIP], { place: h.nested('upstream'), timeoutMs: 20_000 });
    await new Promise((res) => setTimeout(res, 300));
    memory = newMemory();
    metadataCalls.length = 0;
    const def = l3Agent({ host: 'h', statePath: stateDir, values: { DEFAULT: { agent_mode: 'legacy', handle_internal_only_routers: true }, agent: {} } } as never, { metadata, place: h.place });
    const out = await def.reconcile({ routers: [fipAt(VM2_IP)] } as never);
    assert.deepEqual(out.report, { floatingips: { 'fip-1': 'ACTIVE' } });
    assert.deepEqual(out.problems, []);
    assert.deepEqual(metadataCalls, [`ensure ${ROUTER_ID} ${NETNS}`], 'the new process ensures the proxy once');
    const cfg = def.configurations();
    assert.equal(cfg.routers, 1); assert.equal(cfg.ex_gw_ports, 1); assert.equal(cfg.interfaces, 1); assert.equal(cfg.floating_ips, 1);
    const second = await reconcileL3(h.place, { routers: [fipAt(VM2_IP)] }, { stateDir, agentMode: 'legacy', handleInternalOnlyRouters: true, memory: newMemory() });
    assert.deepEqual(ops(second), ['nft'], 'a fresh process replaces only the nft table');
    const p = await flow;
    assert.match(p.stdout, / 40 received, 0% packet loss/, p.stdout);
    const after = new Map((await links(h.nested(NETNS))).map((l) => [l.ifname, l.ifindex]));
    assert.deepEqual(after, before);
  });

  test('gratuitous ARP: a new floating IP corrects upstream\'s stale neighbour entry', async () => {
    const FIP2 = '192.168.81.104';
    await batch(h.nested('upstream'), [['neigh', 'replace', FIP2, 'lladdr', '02:00:00:00:00:99', 'dev', 'eth0', 'nud', 'stale']]);
    const r = await reconcileL3(h.place, { routers: [router({ floating_ips: [fip('fip-1', FIP, VM2_IP), fip('fip-2', FIP2, VM1_IP)] })] },
      { stateDir, agentMode: 'legacy', handleInternalOnlyRouters: true, memory, metadata, awaitGarp: true });
    assert.deepEqual(r.plans.flatMap((p) => p.steps.filter((s) => s.op === 'garp')), [{ op: 'garp', device: router().gw_port!.device, tap: router().gw_port!.tap, addresses: [FIP2] }]);
    const n = await tryExec(['ip', 'neigh', 'show', FIP2, 'dev', 'eth0'], { place: h.nested('upstream') });
    assert.match(n.stdout, /lladdr fa:16:3e:00:00:01/, n.stdout);
  });

  test('IPv6 slaac: radvd in the namespace gives vm1 an autoconf address', async () => {
    const r6 = router({ interfaces: [routerPort(IF_PORT_ID, 'qr', INT_NET, 'fa:16:3e:00:00:02', [['sub-int', '172.16.1.1'], ['sub-int6', '2001:db8:1::1']], [INT_SUBNET, INT6_SUBNET], 1450)] });
    const r = await reconcile([r6]);
    assert.equal(r.failed.size, 0, r.problems.join('\n'));
    assert.ok(ops(r).includes('radvd'));
    assert.ok(await findRadvd(radvdFiles(stateDir, ROUTER_ID).pid), 'radvd runs, found by its pid file');
    // make vm1 solicit at once
    await batch(h.nested('vm1'), [['link', 'set', 'eth0', 'down'], ['link', 'set', 'eth0', 'up']]);
    let got = '';
    for (let i = 0; i < 100 && !got; i++) {
      const a = (await addresses(h.nested('vm1'), 'eth0'))[0]?.addr_info.find((x) => x.family === 'inet6' && x.local.startsWith('2001:db8:1:'));
      if (a) got = a.local; else await new Promise((res) => setTimeout(res, 200));
    }
    assert.ok(got, 'vm1 got a SLAAC address from radvd');
    await batch(h.nested('vm1'), [['route', 'add', 'default', 'via', '172.16.1.1']]).catch(() => {});
    assert.equal((await reconcile([r6])).plans.length, 0, 'radvd running with the same config: nothing to do');
  });

  test('removing the router removes its namespace, taps, radvd and rules', async () => {
    metadataCalls.length = 0;
    const r = await reconcile([]);
    assert.deepEqual(r.removed, [ROUTER_ID]);
    assert.deepEqual(metadataCalls, [`remove ${ROUTER_ID}`]);
    assert.ok(!(await listNetns(h.place)).includes(NETNS));
    const taps = (await links(h.place)).filter((l) => l.ifname.startsWith('tap'));
    assert.deepEqual(taps, []);
    assert.equal(await findRadvd(radvdFiles(stateDir, ROUTER_ID).pid), undefined, 'radvd stopped, its files gone');
    assert.equal(await ask(h.nested('vm1'), INTERNET, 8080), '');
    assert.deepEqual((await reconcile([])).plans, []);
  });
  test('announcements wait for the Linux bridge agent to plug the taps', async () => {
    // a router made anew whose taps are plugged only later: announcing at once would reach
    // no one, and vm1, still resolving its gateway, would wait for its own next ARP
    await reconcile([]);
    const stale = (place: Place, addr: string) => batch(place, [['neigh', 'replace', addr, 'lladdr', '02:00:00:00:00:99', 'dev', 'eth0', 'nud', 'stale']]);
    await stale(h.nested('upstream'), GW_IP);
    await stale(h.nested('vm1'), '172.16.1.1');
    const r = await reconcile([router()]);
    assert.equal(r.failed.size, 0, r.problems.join('\n'));
    await new Promise((res) => setTimeout(res, 2500)); // past all three of an arping started at once
    await plug(router());
    const learnt = async (place: Place, addr: string, mac: string): Promise<boolean> => {
      for (let i = 0; i < 60; i++) {
        if ((await tryExec(['ip', 'neigh', 'show', addr, 'dev', 'eth0'], { place })).stdout.includes(mac)) return true;
        await new Promise((res) => setTimeout(res, 50));
      }
      return false;
    };
    assert.ok(await learnt(h.nested('upstream'), GW_IP, 'fa:16:3e:00:00:01'), 'upstream learnt the gateway port from its announcement');
    assert.ok(await learnt(h.nested('vm1'), '172.16.1.1', 'fa:16:3e:00:00:02'), 'vm1 learnt the router interface from its announcement');
    await reconcile([]);
  });
});
