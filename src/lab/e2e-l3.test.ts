// End to end, as root, the seed's whole deployment: `muon up` with the L3 and metadata agents
// and the seed's router, then the operator's manual checks from the seed and what a user of
// routers expects on the wire: SNAT, floating IPs (ICMP, TCP allowed and refused by the
// security group, moved, removed, hairpin), extra routes, port forwardings, metadata through
// the router, Nova's vif-plugged events, an L3 agent restart that keeps traffic flowing, and a
// deleted router leaving nothing behind. Its own lab root, state directory and ports.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { assertRoot, rootSkip } from '../linux/testing.ts';
import { list as listNetns } from '../linux/netns.ts';
import { links } from '../linux/ip.ts';
import { rulesetText } from '../linux/nft.ts';
import { freePort } from '../../test/support/muon-server.ts';
import { LabRuntime, sweepStaleLabRuntimes } from './runtime.ts';
import { readOpenrc } from './api-client.ts';
import { bootVm, execInVm, findVm, serveTcpInVm } from './vm.ts';
import { isAlive } from '../linux/proc.ts';
import { SEED_INTERNET, SEED_GATEWAY } from './topology.ts';

const PREFIX = 'muon-lab-e2e3-';

describe('the seed deployment with routers, floating IPs and metadata, end to end', { skip: rootSkip }, () => {
  let rt: LabRuntime;
  let stateDir: string;
  let rootRuleset = '';
  let rootLinks: string[] = [];
  let routerId = '';
  let publicNet = '';
  let gwIp = '';
  /** processes started inside VMs: deleting a VM (muon down) must end them */
  const listeners: number[] = [];

  const api = () => rt.api();
  const ipOf = async (vm: string) => (await findVm(rt, vm)).ip_address!;
  const upstream = (argv: string[]) => rt.lab.tryRunOn('upstream', argv, { timeoutMs: 10_000 });
  const pingFrom = async (where: 'upstream' | string, ip: string) =>
    (where === 'upstream' ? await upstream(['ping', '-c', '1', '-W', '1', '-n', ip]) : await execInVm(rt, where, ['ping', '-c', '1', '-W', '1', '-n', ip], { timeoutMs: 5000 })).code === 0;
  /** The first line a TCP service sends (our VMs' listeners send their name), or '' when nothing answers. */
  const banner = async (ip: string, port: number) => {
    const r = await upstream(['socat', '-T', '2', '-u', `TCP:${ip}:${port},connect-timeout=2`, 'STDOUT']);
    return r.code === 0 ? r.stdout.trim() : '';
  };
  const eventually = async (what: string, f: () => Promise<boolean>, ms = 8000) => {
    const until = Date.now() + ms;
    while (!(await f())) {
      if (Date.now() > until) assert.fail(`${what}: not true after ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  /** A TCP listener in a VM answering with a fixed line. */
  const listen = async (vm: string, port: number, text: string) => { listeners.push(await serveTcpInVm(rt, vm, port, text)); };

  before(async () => {
    assertRoot();
    await sweepStaleLabRuntimes('/run', PREFIX);
    rootRuleset = await rulesetText();
    rootLinks = (await links()).map((l) => l.ifname).sort();
    stateDir = await mkdtemp(`${tmpdir()}/muon-e2e3-`);
    rt = new LabRuntime({
      root: `/run/${PREFIX}${process.pid}`, statePath: stateDir, apiPort: await freePort(), identityPort: await freePort(), novaPort: await freePort(),
      reportInterval: 1, agentDownTime: 4, l3Failover: true,
    });
    const up = await rt.up();
    routerId = up.networks.router;
    publicNet = up.networks.public;
    const router = (await (await api()).req('GET', `/v2.0/routers/${routerId}`)).router;
    gwIp = router.external_gateway_info.external_fixed_ips[0].ip_address;
  });

  after(async () => {
    await rt?.down();
    const left = (await Promise.all(listeners.map(async (pid) => ((await isAlive(pid)) ? pid : 0)))).filter(Boolean);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    assert.deepEqual(left, [], 'processes that ran in VMs ended with them');
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
    assert.equal(await rulesetText(), rootRuleset, 'the machine\'s own ruleset is unchanged');
    assert.deepEqual((await links()).map((l) => l.ifname).sort(), rootLinks, 'the machine\'s own links are unchanged');
  });

  test('the L3 and metadata agents run on the controller, and the seed\'s router is hosted there (neutron l3-agent-list-hosting-router)', async () => {
    const agents = (await (await api()).req('GET', '/v2.0/agents')).agents as { host: string; agent_type: string; alive: boolean }[];
    assert.deepEqual(agents.filter((a) => a.host === 'controller').map((a) => `${a.agent_type} ${a.alive}`).sort(),
      ['DHCP agent true', 'L3 agent true', 'Linux bridge agent true', 'Metadata agent true']);
    const env = { ...process.env, ...(await readOpenrc(`${stateDir}/admin-openrc.sh`)) };
    const out = await new Promise<string>((resolve, reject) => execFile('neutron', ['l3-agent-list-hosting-router', 'router', '-f', 'json'], { env, timeout: 60_000 },
      (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))));
    assert.deepEqual(JSON.parse(out).map((a: { host: string; alive: string }) => [a.host, a.alive]), [['controller', ':-)']]);
    const r = (await (await api()).req('GET', `/v2.0/routers/${routerId}`)).router;
    assert.equal(r.status, 'ACTIVE');
    // its ports are wired: ACTIVE
    await eventually('router ports ACTIVE', async () => ((await (await api()).req('GET', `/v2.0/ports?device_id=${routerId}`)).ports as { status: string }[])
      .every((p) => p.status === 'ACTIVE'));
  });

  test('the seed\'s checks: upstream pings the router\'s external address; the router namespace pings 172.16.1.1 and a VM', async () => {
    await eventually('upstream → router gateway', () => pingFrom('upstream', gwIp));
    const ns = `qrouter-${routerId}`;
    assert.ok((await listNetns(rt.lab.place('controller'))).includes(ns));
    assert.equal((await rt.lab.tryRunOn('controller', ['ip', 'netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', '172.16.1.1'])).code, 0);
    // as the seed's operator did before pinging VMs: the default group admits only its own members
    const a = await api();
    sg = (await a.req('POST', '/v2.0/security-groups', { security_group: { name: 'ssh-icmp' } })).security_group.id;
    for (const rule of [{ protocol: 'icmp' }, { protocol: 'tcp', port_range_min: 22, port_range_max: 22 }]) {
      await a.req('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg, direction: 'ingress', ethertype: 'IPv4', ...rule } });
    }
    await bootVm(rt, { name: 'vm1', network: 'private', host: 'compute', securityGroups: [sg] });
    const vm1 = await ipOf('vm1');
    await eventually('router namespace → vm1', async () => (await rt.lab.tryRunOn('controller', ['ip', 'netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', vm1])).code === 0);
  });

  test('vm1 on compute reaches upstream and the internet through SNAT: the far side sees the router\'s address', async () => {
    assert.ok(await pingFrom('vm1', SEED_GATEWAY), 'vm1 → upstream gateway');
    assert.ok(await pingFrom('vm1', SEED_INTERNET), 'vm1 → the internet address behind upstream');
    const who = await execInVm(rt, 'vm1', ['socat', '-T', '2', '-u', `TCP:${SEED_INTERNET}:8080,connect-timeout=2`, 'STDOUT'], { timeoutMs: 5000 });
    assert.equal(who.stdout.trim(), gwIp, 'upstream sees the router\'s external address');
  });

  let fip = '';
  let fipAddr = '';
  let sg = '';
  test('a floating IP on vm2 is reached from upstream: ICMP and TCP 22 allowed by its security group, TCP 80 not', async () => {
    const a = await api();
    const vm2 = await bootVm(rt, { name: 'vm2', network: 'private', host: 'controller', securityGroups: [sg] });
    await listen('vm2', 22, 'vm2-ssh');
    await listen('vm2', 80, 'vm2-http');
    await listen('vm1', 22, 'vm1-ssh');
    const t0 = performance.now();
    const f = (await a.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: publicNet, port_id: vm2.vm.port_id } })).floatingip;
    fip = f.id;
    fipAddr = f.floating_ip_address;
    await eventually('upstream → floating IP (ICMP)', () => pingFrom('upstream', fipAddr));
    const ms = Math.round(performance.now() - t0);
    assert.equal(await banner(fipAddr, 22), 'vm2-ssh');
    assert.equal(await banner(fipAddr, 80), '', 'TCP 80 is not allowed by the security group');
    await eventually('floating IP ACTIVE', async () => (await a.req('GET', `/v2.0/floatingips/${fip}`)).floatingip.status === 'ACTIVE');
    // vm2's own traffic leaves with its floating IP
    const who = await execInVm(rt, 'vm2', ['socat', '-T', '2', '-u', `TCP:${SEED_INTERNET}:8080,connect-timeout=2`, 'STDOUT'], { timeoutMs: 5000 });
    assert.equal(who.stdout.trim(), fipAddr);
    assert.ok(ms < 8000, `associate → first ping ${ms} ms`);
  });

  test('hairpin: vm1 reaches vm2 through vm2\'s floating IP', async () => {
    await eventually('vm1 → vm2 floating IP', () => pingFrom('vm1', fipAddr));
    const r = await execInVm(rt, 'vm1', ['socat', '-T', '2', '-u', `TCP:${fipAddr}:22,connect-timeout=2`, 'STDOUT'], { timeoutMs: 5000 });
    assert.equal(r.stdout.trim(), 'vm2-ssh');
  });

  test('moving the floating IP to vm1 moves the traffic; disassociating it stops it, and its status goes DOWN', async () => {
    const a = await api();
    await a.req('PUT', `/v2.0/floatingips/${fip}`, { floatingip: { port_id: (await findVm(rt, 'vm1')).port_id } });
    await eventually('the floating IP answers from vm1', async () => (await banner(fipAddr, 22)) === 'vm1-ssh');
    await a.req('PUT', `/v2.0/floatingips/${fip}`, { floatingip: { port_id: null } });
    await eventually('the floating IP answers no more', async () => !(await pingFrom('upstream', fipAddr)) && (await banner(fipAddr, 22)) === '');
    assert.equal((await a.req('GET', `/v2.0/floatingips/${fip}`)).floatingip.status, 'DOWN');
    await a.req('PUT', `/v2.0/floatingips/${fip}`, { floatingip: { port_id: (await findVm(rt, 'vm2')).port_id } });
    await eventually('back on vm2', async () => (await banner(fipAddr, 22)) === 'vm2-ssh');
  });

  test('a port forwarding reaches its port', async () => {
    const a = await api();
    const f = (await a.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: publicNet } })).floatingip;
    const vm1 = await findVm(rt, 'vm1');
    await a.req('POST', `/v2.0/floatingips/${f.id}/port_forwardings`, { port_forwarding: {
      protocol: 'tcp', internal_port_id: vm1.port_id, internal_ip_address: vm1.ip_address, internal_port: 22, external_port: 2222 } });
    await eventually('upstream → forwarded port', async () => (await banner(f.floating_ip_address, 2222)) === 'vm1-ssh');
  });

  test('extra routes: the router sends a prefix to its next hop', async () => {
    const a = await api();
    const hop = await bootVm(rt, { name: 'hop', network: 'private', host: 'compute', portSecurity: false });
    await execInVm(rt, 'hop', ['ip', 'addr', 'add', '10.99.0.1/32', 'dev', 'lo']);
    await a.req('PUT', `/v2.0/routers/${routerId}`, { router: { routes: [{ destination: '10.99.0.0/24', nexthop: hop.vm.ip_address }] } });
    await eventually('vm1 → 10.99.0.1 via the router and its extra route', () => pingFrom('vm1', '10.99.0.1'));
  });

  test('metadata through the router: a VM fetches its own instance id', async () => {
    const vm1 = await findVm(rt, 'vm1');
    await eventually('metadata answers', async () => {
      const r = await execInVm(rt, 'vm1', ['curl', '-s', '-m', '3', 'http://169.254.169.254/latest/meta-data/instance-id'], { timeoutMs: 5000 });
      return r.stdout.trim() === vm1.instance_id;
    });
  });

  test('metadata on a network without a router: the DHCP namespace answers (enable_isolated_metadata)', async () => {
    const a = await api();
    const net = (await a.req('POST', '/v2.0/networks', { network: { name: 'isolated' } })).network.id;
    await a.req('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.20.0.0/24', ip_version: 4, name: 'isolated' } });
    const iso = await bootVm(rt, { name: 'iso', network: 'isolated', host: 'compute' });
    let last = '';
    await eventually('isolated metadata answers', async () => {
      const r = await execInVm(rt, 'iso', ['curl', '-s', '-m', '3', 'http://169.254.169.254/latest/meta-data/instance-id'], { timeoutMs: 5000 });
      last = `${r.code} ${r.stdout} ${r.stderr}; routes: ${(await execInVm(rt, 'iso', ['ip', 'route'])).stdout}`;
      return r.stdout.trim() === iso.vm.instance_id;
    }, 10_000).catch((e: Error) => assert.fail(`${e.message}: ${last}`));
  });

  test('a shared secret that differs from Nova\'s gives the VM a 403 and the metadata agent a line naming the cause', async () => {
    const dir = rt.lab.paths.stateDir;
    const pid = Number((await readFile(`${dir}/nova-metadata.pid`, 'utf8')).trim());
    process.kill(pid, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    // Nova now expects another secret than metadata_agent.ini's
    const wrong = await rt.lab.startOn('controller', [process.execPath, new URL('../cli/main.ts', import.meta.url).pathname, 'nova-standin',
      '--metadata-listen', '0.0.0.0:8775', '--secret', 'NOT-THE-SAME', '--instances', rt.novaInstancesFile, '--events', rt.novaEventsFile], { logFile: `${dir}/nova-metadata-wrong.log`, settleMs: 300 });
    try {
      await eventually('403 from metadata', async () => {
        const r = await execInVm(rt, 'vm1', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '3', 'http://169.254.169.254/latest/meta-data/instance-id'], { timeoutMs: 5000 });
        return r.stdout.trim() === '403';
      });
      const log = await readFile(rt.agentLog('controller', 'metadata'), 'utf8');
      assert.match(log, /shared.?secret/i);
    } finally {
      process.kill(wrong, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      await rt.up({ networks: false }); // the lab puts its stand-in back
    }
    const vm1 = await findVm(rt, 'vm1');
    await eventually('metadata answers again', async () => (await execInVm(rt, 'vm1', ['curl', '-s', '-m', '3', 'http://169.254.169.254/latest/meta-data/instance-id'], { timeoutMs: 5000 })).stdout.trim() === vm1.instance_id, 30_000);
  });

  test('an IPv6 slaac subnet on the router gives a VM an address from router advertisements', async () => {
    const a = await api();
    const net = (await a.req('GET', '/v2.0/networks?name=private')).networks[0].id;
    const v6 = (await a.req('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: 'fd00:16::/64', ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac', name: 'private-v6' } })).subnet.id;
    await a.req('PUT', `/v2.0/routers/${routerId}/add_router_interface`, { subnet_id: v6 });
    const vm = await bootVm(rt, { name: 'six', network: 'private', host: 'compute', securityGroups: [sg] });
    const port = (await a.req('GET', `/v2.0/ports/${vm.vm.port_id}`)).port as { fixed_ips: { subnet_id: string; ip_address: string }[] };
    const want = port.fixed_ips.find((f) => f.subnet_id === v6)?.ip_address;
    assert.ok(want, 'the port has its SLAAC address');
    await eventually(`six autoconfigures ${want}`, async () => {
      const r = await execInVm(rt, 'six', ['ip', '-6', '-j', 'addr', 'show', 'dev', 'eth0', 'scope', 'global']);
      const addrs = (JSON.parse(r.stdout || '[]') as { addr_info: { local: string }[] }[]).flatMap((l) => l.addr_info.map((i) => i.local));
      return addrs.includes(want!);
    }, 15_000);
  });

  test('the stand-in Nova received network-vif-plugged for each booted VM', async () => {
    const want = ['vm1', 'vm2'];
    for (const name of want) {
      const id = (await findVm(rt, name)).instance_id!;
      await eventually(`vif-plugged for ${name}`, async () => {
        const text = await readFile(rt.novaEventsFile, 'utf8').catch(() => '');
        return text.split('\n').filter(Boolean).some((l) => {
          const e = JSON.parse(l) as { name?: string; server_uuid?: string; event?: { name?: string; server_uuid?: string } };
          const ev = e.event ?? e;
          return ev.name === 'network-vif-plugged' && ev.server_uuid === id;
        });
      }, 10_000);
    }
  });

  test('killing the L3 agent does not stop traffic; it comes back without rebuilding the namespace', async () => {
    const ns = `qrouter-${routerId}`;
    const qgBefore = (await rt.lab.tryRunOn('controller', ['ip', 'netns', 'exec', ns, 'ip', '-j', 'link'])).stdout;
    const pinger = upstream(['ping', '-c', '40', '-i', '0.05', '-W', '1', '-n', fipAddr]);
    await new Promise((r) => setTimeout(r, 200));
    await rt.stopAgent('controller', 'l3', { kill: true });
    await new Promise((r) => setTimeout(r, 500));
    await rt.startAgent('controller', 'l3');
    const r = await pinger;
    assert.match(r.stdout, / 40 received, 0% packet loss/, r.stdout);
    await rt.waitForAgents(10_000);
    await new Promise((r2) => setTimeout(r2, 500));
    const ifindex = (j: string) => (JSON.parse(j) as { ifname: string; ifindex: number }[]).map((l) => `${l.ifname}:${l.ifindex}`).sort();
    const qgAfter = (await rt.lab.tryRunOn('controller', ['ip', 'netns', 'exec', ns, 'ip', '-j', 'link'])).stdout;
    assert.deepEqual(ifindex(qgAfter), ifindex(qgBefore), 'same devices, not recreated');
    assert.ok(await pingFrom('upstream', fipAddr));
  });

  test('with two L3 agents and failover on, a dead L3 agent\'s router moves and floating IP traffic resumes', async () => {
    await rt.startAgent('compute', 'l3');
    await rt.waitForAgents(10_000);
    const ns = `qrouter-${routerId}`;
    // the controller's routing is lost: its agent dies and the namespace with it (and what ran in it)
    await rt.stopAgent('controller', 'l3', { kill: true });
    const pids = (await rt.lab.tryRunOn('controller', ['ip', 'netns', 'pids', ns])).stdout.split('\n').filter(Boolean).map(Number);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await rt.lab.tryRunOn('controller', ['ip', 'netns', 'del', ns]);
    await eventually('hosted by compute', async () => ((await (await api()).req('GET', `/v2.0/routers/${routerId}/l3-agents`)).agents as { host: string }[])
      .some((x) => x.host === 'compute'), 20_000);
    const log = async () => (await readFile(rt.agentLog('compute', 'l3'), 'utf8').catch(() => '')).slice(-3000);
    await eventually('the router namespace on compute', async () => (await listNetns(rt.lab.place('compute'))).includes(ns), 15_000).catch(async (e: Error) => {
      assert.fail(`${e.message}\ncompute's L3 agent log:\n${await log()}`);
    });
    await eventually('upstream → floating IP through compute', () => pingFrom('upstream', fipAddr), 15_000);
    await rt.startAgent('controller', 'l3');
  });

  test('deleting the router removes its namespace and rules', async () => {
    const a = await api();
    for (const f of (await a.req('GET', '/v2.0/floatingips')).floatingips as { id: string }[]) {
      for (const pf of (await a.req('GET', `/v2.0/floatingips/${f.id}/port_forwardings`)).port_forwardings as { id: string }[]) {
        await a.req('DELETE', `/v2.0/floatingips/${f.id}/port_forwardings/${pf.id}`);
      }
      await a.req('DELETE', `/v2.0/floatingips/${f.id}`);
    }
    await a.req('PUT', `/v2.0/routers/${routerId}`, { router: { routes: [] } });
    for (const p of (await a.req('GET', `/v2.0/ports?device_id=${routerId}&device_owner=network:router_interface`)).ports as { id: string }[]) {
      await a.req('PUT', `/v2.0/routers/${routerId}/remove_router_interface`, { port_id: p.id });
    }
    await a.req('DELETE', `/v2.0/routers/${routerId}`);
    for (const host of ['controller', 'compute']) {
      await eventually(`qrouter namespace gone from ${host}`, async () => !(await listNetns(rt.lab.place(host))).includes(`qrouter-${routerId}`));
      const taps = (await links(rt.lab.place(host))).map((l) => l.ifname);
      assert.equal(taps.filter((t) => t.startsWith('qr-') || t.startsWith('qg-')).length, 0);
    }
    assert.equal(await pingFrom('upstream', gwIp), false);
  });
});
