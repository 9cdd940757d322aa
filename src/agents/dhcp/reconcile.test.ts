// Real DHCP in a scratch host: reconcile a network, put the tap on a bridge (the linuxbridge
// agent's job), and let busybox udhcpc in VM namespaces ask dnsmasq for leases.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { exec, start, toolEnv, tryExec } from '../../linux/exec.ts';
import { addresses, batch, links } from '../../linux/ip.ts';
import { list as listNetns } from '../../linux/netns.ts';
import { isAlive } from '../../linux/proc.ts';
import { rootSkip, scratchHost, type ScratchHost } from '../../linux/testing.ts';
import { DHCP_MAC, DHCP_PORT_ID, NET_ID, network, subnet, VM1, VM2 } from './fixtures.ts';
import { reconcileDhcp, type DhcpReconcileReport } from './reconcile.ts';

const TAP = `tap${DHCP_PORT_ID.slice(0, 11)}`;
const NS = `ns-${DHCP_PORT_ID.slice(0, 11)}`;
const NETNS = `qdhcp-${NET_ID}`;

// the seed's minimal udhcpc script: configure the interface, record what the server sent
const SCRIPT = `#!/bin/sh
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    [ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
    echo "ip=$ip mask=$mask router=$router dns=$dns mtu=$mtu domain=$domain" > "$UDHCPC_OUT"
    ;;
esac
exit 0
`;

describe('DHCP agent data plane: dnsmasq in qdhcp, leases to VMs', { skip: rootSkip }, () => {
  let h: ScratchHost;
  let work = '';
  let stateDir = '';
  let rootLinks: string[] = [];
  let pid = 0;

  const reconcile = (dhcp: ReturnType<typeof network>[]): Promise<DhcpReconcileReport> => reconcileDhcp(h.place, { dhcp }, { stateDir });

  async function plugVm(vm: string, mac: string): Promise<void> {
    await batch(h.place, [
      ['netns', 'add', vm],
      ['link', 'add', `t${vm}`, 'mtu', '1450', 'type', 'veth', 'peer', 'name', 'eth0', 'address', mac, 'netns', vm],
      ['link', 'set', `t${vm}`, 'master', 'brqtest', 'up'],
    ]);
    await batch(h.nested(vm), [['link', 'set', 'lo', 'up'], ['link', 'set', 'eth0', 'up']]);
  }

  /** One udhcpc run; the variables the script saw, or undefined when no lease came. */
  async function dhcp(vm: string, args: string[] = ['-t', '10', '-O', 'mtu']): Promise<Record<string, string> | undefined> {
    const out = `${work}/${vm}.lease`;
    const r = await tryExec(['busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-T', '1', '-A', '1', ...args, '-s', `${work}/udhcpc.sh`],
      { place: h.nested(vm), env: toolEnv({ UDHCPC_OUT: out }), timeoutMs: 15_000 });
    if (r.code !== 0) return undefined;
    const text = await readFile(out, 'utf8');
    return Object.fromEntries(text.trim().split(' ').map((kv) => kv.split('=') as [string, string]));
  }

  before(async () => {
    rootLinks = (await links()).map((l) => l.ifname).sort();
    h = await scratchHost();
    work = await mkdtemp('/tmp/muon-dhcp-test-');
    await chmod(work, 0o755); // dnsmasq (nobody) must reach the state dir
    stateDir = `${work}/state`;
    await writeFile(`${work}/udhcpc.sh`, SCRIPT, { mode: 0o755 });
    await batch(h.place, [
      ['link', 'add', 'brqtest', 'mtu', '1450', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0'],
      ['link', 'set', 'brqtest', 'up'],
    ]);
  });

  after(async () => {
    await h?.teardown();
    if (work) await rm(work, { recursive: true, force: true });
    assert.deepEqual((await links()).map((l) => l.ifname).sort(), rootLinks, 'the machine\'s own links are unchanged');
  });

  test('first reconcile plumbs qdhcp and starts dnsmasq; a second one changes nothing', async (t) => {
    const r = await reconcile([network()]);
    t.diagnostic(`first reconcile: ${r.ms} ms`);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.ready, [VM1.id]);
    pid = r.networks[0].pid!;
    assert.ok(pid > 0 && (await isAlive(pid)));
    assert.deepEqual(await listNetns(h.place), [NETNS]);

    const [ns] = await addresses(h.nested(NETNS), NS);
    assert.equal(ns.address, DHCP_MAC);
    assert.equal(ns.mtu, 1450);
    assert.ok(ns.addr_info.some((a) => a.local === '172.16.1.2' && a.prefixlen === 24));
    const [tap] = await links(h.place, TAP);
    assert.equal(tap.mtu, 1450);
    assert.ok(tap.flags.includes('UP'));
    assert.equal(tap.master, undefined, 'the linuxbridge agent enslaves the tap, not the DHCP agent');

    const dir = `${stateDir}/dhcp/${NET_ID}`;
    assert.equal((await stat(dir)).mode & 0o777, 0o755);
    assert.equal((await stat(`${dir}/host`)).mode & 0o777, 0o644);
    assert.equal(await readFile(`${dir}/host`, 'utf8'), 'fa:16:3e:5a:01:10,host-172-16-1-10.openstacklocal,172.16.1.10\n');
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    assert.ok(cmdline.includes('--dhcp-option-force=option:mtu,1450'));

    const mtime = (await stat(`${dir}/host`)).mtimeMs;
    const again = await reconcile([network()]);
    t.diagnostic(`idle reconcile: ${again.ms} ms`);
    assert.deepEqual(again.actions, []);
    assert.equal(again.networks[0].pid, pid, 'the running dnsmasq is found through its pid file');
    assert.equal((await stat(`${dir}/host`)).mtimeMs, mtime, 'no rewrite');

    await batch(h.place, [['link', 'set', TAP, 'master', 'brqtest']]);
  });

  test('a VM gets its lease: address, router, DNS and the network MTU', async () => {
    await plugVm('vm1', VM1.mac_address);
    const lease = await dhcp('vm1');
    assert.ok(lease, 'vm1 got a lease');
    assert.equal(lease.ip, '172.16.1.10');
    assert.equal(lease.mask, '24');
    assert.equal(lease.router, '172.16.1.1');
    assert.equal(lease.dns, '172.16.1.2');
    assert.equal(lease.mtu, '1450');
    assert.equal(lease.domain, 'openstacklocal');
    const [eth0] = await addresses(h.nested('vm1'), 'eth0');
    assert.equal(eth0.mtu, 1450);
    assert.ok(eth0.addr_info.some((a) => a.local === '172.16.1.10'));
    // and it reaches the DHCP port through the bridge
    await exec(['ping', '-c', '1', '-W', '2', '172.16.1.2'], { place: h.nested('vm1') });
  });

  test('a new host entry: files rewritten, SIGHUP (same pid), and the second VM gets its lease with the MTU forced', async () => {
    const r = await reconcile([network({ hosts: [VM1, VM2] })]);
    assert.deepEqual(r.actions.map((a) => a.kind), ['write', 'write', 'reload']);
    assert.deepEqual(r.ready, [VM1.id, VM2.id]);
    assert.equal(r.networks[0].pid, pid);
    await plugVm('vm2', VM2.mac_address);
    const lease = await dhcp('vm2', ['-t', '10']); // without -O mtu: option 26 is forced
    assert.equal(lease?.ip, '172.16.1.20');
    assert.equal(lease?.mtu, '1450');
  });

  test('an unknown MAC gets no lease', async () => {
    await plugVm('vm3', 'fa:16:3e:00:99:99');
    assert.equal(await dhcp('vm3', ['-t', '1']), undefined);
    const log = await readFile(`${stateDir}/dhcp/${NET_ID}/log`, 'utf8');
    assert.match(log, /fa:16:3e:00:99:99 no address available/);
  });

  test('a new subnet changes the command line: dnsmasq restarts with both ranges', async () => {
    const b = subnet({ id: 'subnet-b', cidr: '172.16.2.0/24', gateway_ip: '172.16.2.1' });
    const net = network({ subnets: [subnet(), b], hosts: [VM1, VM2] });
    net.port.fixed_ips.push({ subnet_id: 'subnet-b', ip_address: '172.16.2.2' });
    const r = await reconcile([net]);
    assert.deepEqual(r.errors, []);
    const kinds = r.actions.map((a) => a.kind);
    assert.equal(kinds.at(-1), 'restart');
    const next = r.networks[0].pid!;
    assert.notEqual(next, pid);
    assert.equal(await isAlive(pid), false);
    pid = next;
    assert.ok((await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes('--dhcp-range=set:subnet-subnet-b,172.16.2.0,static,255.255.255.0,86400s'));
    assert.deepEqual((await reconcile([net])).actions, []);
    assert.equal((await dhcp('vm1'))?.ip, '172.16.1.10');
  });

  test('a namespace deleted behind the agent\'s back is rebuilt and dnsmasq restarted inside it', async () => {
    const net = network({ hosts: [VM1, VM2] });
    await batch(h.place, [['netns', 'del', NETNS]]);
    const r = await reconcile([net]);
    assert.deepEqual(r.errors, []);
    assert.equal(r.actions.at(-1)?.kind, 'restart');
    const next = r.networks[0].pid!;
    assert.notEqual(next, pid);
    assert.equal(await isAlive(pid), false, 'the dnsmasq left in the unnamed namespace is stopped');
    pid = next;
    await batch(h.place, [['link', 'set', TAP, 'master', 'brqtest']]); // the linuxbridge agent's part
    assert.equal((await dhcp('vm2'))?.ip, '172.16.1.20');
  });

  test('a network no longer desired: dnsmasq, namespace, tap and state dir are gone', async () => {
    const straggler = await start(['sleep', '300'], { place: h.nested(NETNS) });
    // start() returns at spawn; wait until nsenter and ip netns exec have exec()ed into sleep
    // (until then the process is not in the namespace yet)
    for (let i = 0; i < 200 && (await readFile(`/proc/${straggler}/comm`, 'utf8').catch(() => '')).trim() !== 'sleep'; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const r = await reconcile([]);
    assert.equal(await isAlive(straggler), false, 'whatever else ran in qdhcp- is ended too');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.removed, [NET_ID]);
    assert.equal(await isAlive(pid), false);
    assert.deepEqual((await listNetns(h.place)).filter((n) => n.startsWith('qdhcp-')), []);
    assert.deepEqual(await links(h.place).then((l) => l.filter((x) => x.ifname === TAP)), []);
    await assert.rejects(stat(`${stateDir}/dhcp/${NET_ID}`));
    assert.deepEqual((await reconcile([])).actions, []);
  });
});
