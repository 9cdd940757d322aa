// The two-host lab, for real (root only; under CI=true as root it must run).
// It uses its own lab root /run/muon-lab-test-<pid> (never a user's /run/muon-lab) and
// removes labs left by crashed runs of this test first.
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { which } from '../linux/exec.ts';
import { addresses, batch, links, routes } from '../linux/ip.ts';
import { mounts, mountsUnder } from '../linux/mount.ts';
import { list as listNetns } from '../linux/netns.ts';
import { isAlive } from '../linux/proc.ts';
import { rulesetText } from '../linux/nft.ts';
import { assertRoot, rootSkip } from '../linux/testing.ts';
import { sweepStaleLabs } from './hosts.ts';
import { Lab, type UpReport } from './topology.ts';

const PREFIX = 'muon-lab-test-';
const inCi = process.env.CI === 'true';

/** The machine's own network namespace, as seen from this process. */
async function machineSnapshot() {
  const strip = <T extends Record<string, unknown>>(xs: T[]) => xs.map((x) => JSON.stringify(x));
  let realNetns: string[] = [];
  try { realNetns = (await readdir('/run/netns')).sort(); } catch { /* absent */ }
  return {
    links: strip(await links()).map((s) => s.replace(/"operstate":"[A-Z]+",?/, '')),
    addresses: strip(await addresses()),
    routes4: strip(await routes(undefined, { family: 4, table: 'all' })),
    routes6: strip(await routes(undefined, { family: 6, table: 'all' })),
    nft: await rulesetText(),
    realNetns,
  };
}

/** Everything up() must leave alone on a second call: ifindexes, addresses, routes, ns inodes. */
async function labSnapshot(lab: Lab) {
  const out: Record<string, unknown> = {};
  for (const h of lab.hosts) {
    const p = lab.place(h);
    out[h] = {
      net: (await stat(`${lab.paths.nsDir}/${h}.net`)).ino,
      mnt: (await stat(`${lab.paths.nsDir}/${h}.mnt`)).ino,
      // carrier flags and IPv6 link-local addresses settle asynchronously: compare what up() sets
      links: (await links(p)).map((l) => `${l.ifindex} ${l.ifname} ${l.master ?? ''} ${l.flags.includes('UP')} ${l.mtu}`),
      addrs: (await addresses(p)).map((a) => `${a.ifname} ${a.addr_info.filter((i) => i.family === 'inet').map((i) => `${i.local}/${i.prefixlen}`).join(' ')}`),
      routes: (await routes(p, { family: 4 })).map((r) => JSON.stringify(r)),
      netns: await listNetns(p),
    };
  }
  return out;
}

async function ping(lab: Lab, host: string, ip: string): Promise<boolean> {
  const r = await lab.tryRunOn(host, ['ping', '-c', '1', '-W', '1', '-n', ip]);
  return r.code === 0;
}

describe('the seed\'s two-host lab', { skip: rootSkip }, () => {
  const lab = new Lab({ root: `/run/${PREFIX}${process.pid}` });
  let machineBefore: Awaited<ReturnType<typeof machineSnapshot>>;
  let first: UpReport;
  let hasPing = true;
  let hasSocat = true;

  before(async () => {
    assertRoot();
    await sweepStaleLabs('/run', PREFIX);
    hasPing = !!(await which('ping'));
    hasSocat = !!(await which('socat'));
    machineBefore = await machineSnapshot();
    first = await lab.up();
  });

  after(async () => {
    await lab.down(); // also after a failure; a no-op when the test below already ran down()
  });

  test('up builds the hosts, the switch and the addresses', async (t) => {
    t.diagnostic(`up: ${first.ms} ms, ${first.changes.length} changes${first.notes.length ? `; ${first.notes.join('; ')}` : ''}`);
    assert.ok(first.changes.includes('create host controller'));
    const st = await lab.status();
    assert.equal(st.up, true);
    const host = (n: string) => st.hosts.find((h) => h.name === n);
    const addr = (n: string, dev: string) => host(n)?.links.find((l) => l.name === dev)?.addresses.filter((a) => !a.includes(':'));
    assert.deepEqual(addr('controller', 'eno1'), ['192.168.81.66/24']);
    assert.deepEqual(addr('compute', 'eno1'), ['192.168.81.65/24']);
    assert.deepEqual(addr('upstream', 'eth0'), ['192.168.81.254/24']);
    assert.ok(addr('upstream', 'lo')?.includes('203.0.113.1/32'));
    assert.ok(!host('upstream')?.routes.some((r) => r.dst === 'default' || r.dst.startsWith('172.16.1.')), 'upstream has no route to the tenant network');
    for (const h of ['controller', 'compute']) {
      assert.ok(host(h)?.routes.some((r) => r.dst === 'default' && r.gateway === '192.168.81.254'));
    }
    const ports = host('fabric')?.links.filter((l) => l.master === 'br-phys').map((l) => l.name).sort();
    assert.deepEqual(ports, ['p-compute', 'p-controller', 'p-upstream']);
    // each host's /sys shows its own devices (private sysfs)
    const sys = (await lab.runOn('compute', ['ls', '/sys/class/net'])).stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(sys, ['eno1', 'lo']);
    // sysctls as the facts say
    const sc = async (h: string, k: string) => (await lab.runOn(h, ['sysctl', '-n', k])).stdout.trim();
    assert.equal(await sc('controller', 'net.bridge.bridge-nf-call-iptables'), '1');
    assert.equal(await sc('compute', 'net.bridge.bridge-nf-call-ip6tables'), '1');
    assert.equal(await sc('fabric', 'net.bridge.bridge-nf-call-iptables'), '0');
  });

  test('controller reaches compute and upstream over eno1', async (t) => {
    if (!hasPing) {
      if (inCi) assert.fail('CI=true but ping (iputils-ping) is not installed');
      t.skip('ping is not installed (apt-get install iputils-ping)');
      return;
    }
    const via = (await lab.runOn('controller', ['ip', '-j', 'route', 'get', '192.168.81.65'])).stdout;
    assert.equal(JSON.parse(via)[0].dev, 'eno1');
    assert.ok(await ping(lab, 'controller', '192.168.81.65'), 'controller → compute');
    assert.ok(await ping(lab, 'controller', '192.168.81.254'), 'controller → upstream');
    assert.ok(await ping(lab, 'controller', '203.0.113.1'), 'controller → 203.0.113.1 via the default route');
    assert.ok(await ping(lab, 'compute', '192.168.81.66'), 'compute → controller');
    assert.equal(await ping(lab, 'upstream', '172.16.1.10'), false, 'upstream cannot route to tenant addresses');
  });

  test('upstream whoami service sees the client address', async (t) => {
    if (!hasSocat) {
      if (inCi) assert.fail('CI=true but socat is not installed');
      t.skip('socat is not installed');
      return;
    }
    const r = await lab.runOn('compute', ['socat', '-T', '2', '-', 'TCP:203.0.113.1:8080'], { timeoutMs: 5000 });
    assert.equal(r.stdout.trim(), '192.168.81.65');
  });

  test('a nested namespace on the controller is invisible on compute and in the real /run/netns', async () => {
    await lab.runOn('controller', ['ip', 'netns', 'add', 'qdhcp-x']);
    assert.deepEqual(await listNetns(lab.place('controller')), ['qdhcp-x']);
    assert.deepEqual(await listNetns(lab.place('compute')), []);
    assert.deepEqual((await machineSnapshot()).realNetns, machineBefore.realNetns);
    // it works as Neutron uses it: a device inside, commands via ip netns exec
    await lab.runIn('controller', 'qdhcp-x', ['ip', 'link', 'set', 'lo', 'up']);
    const inside = (await lab.runIn('controller', 'qdhcp-x', ['ip', '-j', 'addr', 'show', 'lo'])).stdout;
    assert.equal(JSON.parse(inside)[0].addr_info[0].local, '127.0.0.1');
  });

  test('up a second time finds everything in place and changes nothing', async (t) => {
    const before = await labSnapshot(lab);
    const again = await lab.up();
    t.diagnostic(`second up: ${again.ms} ms`);
    assert.deepEqual(again.changes, []);
    assert.deepEqual(await labSnapshot(lab), before);
  });

  test('up leaves the controller address where the linuxbridge agent moved it (brq)', async () => {
    // what the agent does for the flat "public" network (facts: _update_interface_ip_details)
    const br = 'brqa1b2c3d4-e5';
    const mac = JSON.parse((await lab.runOn('controller', ['ip', '-j', 'link', 'show', 'eno1'])).stdout)[0].address as string;
    await batch(lab.place('controller'), [
      ['link', 'add', br, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0'],
      ['link', 'set', br, 'address', mac],
      ['link', 'set', br, 'up'],
      ['addr', 'del', '192.168.81.66/24', 'dev', 'eno1'],
      ['link', 'set', 'eno1', 'master', br],
      ['addr', 'add', '192.168.81.66/24', 'dev', br],
      ['route', 'replace', 'default', 'via', '192.168.81.254', 'dev', br],
    ]);
    const again = await lab.up();
    assert.deepEqual(again.changes, []);
    if (hasPing) assert.ok(await ping(lab, 'controller', '192.168.81.65'), 'controller → compute through the bridge');
  });

  test('down removes namespaces, mounts and processes; the machine is as before', async (t) => {
    const sleeper1 = await lab.startOn('controller', ['sleep', '600'], { netns: 'qdhcp-x', settleMs: 20 });
    const sleeper2 = await lab.startOn('compute', ['sleep', '600'], { settleMs: 20 });
    const st = await lab.status();
    assert.ok(st.hosts.find((h) => h.name === 'compute')?.processes.some((p) => p.pid === sleeper2));
    const d = await lab.down();
    t.diagnostic(`down: ${d.ms} ms; killed ${d.killed.map((p) => `${p.comm}:${p.pid}`).join(' ')}`);
    const killed = d.killed.map((p) => p.pid);
    assert.ok(killed.includes(sleeper1) && killed.includes(sleeper2));
    if (hasSocat) assert.ok(d.killed.some((p) => p.comm === 'socat'));
    for (const p of killed) assert.equal(await isAlive(p), false, `pid ${p} is gone`);
    assert.deepEqual(d.nestedDeleted, ['qdhcp-x']);
    assert.deepEqual(mountsUnder(await mounts(), lab.paths.root), [], 'no mounts left under the lab root');
    await assert.rejects(stat(lab.paths.root), /ENOENT/, 'the lab root is removed');
    const st2 = await lab.status();
    assert.equal(st2.up, false);
    assert.ok(st2.hosts.every((h) => !h.exists));
    assert.deepEqual(await machineSnapshot(), machineBefore, 'the machine\'s own network namespace is unchanged');
    // down again is a no-op
    const d2 = await lab.down();
    assert.deepEqual([d2.killed, d2.nestedDeleted, d2.unmounted], [[], [], []]);
  });
});
