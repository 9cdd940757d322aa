// End to end, as root: `muon up` (the seed's machines, the server, the agents), VMs booted the
// way Nova would, real packets. Its own lab root, state directory and ports; nothing is
// configured in the machine's own network namespace; the lab is removed even on failure.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
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
import { linuxbridgeAgentIni } from './seed-configs.ts';
import { terminate } from '../linux/proc.ts';
import { bootVm, deleteVm, execInVm, findVm, serveTcpInVm } from './vm.ts';

const PREFIX = 'muon-lab-e2e-';

describe('the lab, end to end', { skip: rootSkip }, () => {
  let rt: LabRuntime;
  let stateDir: string;
  let rootRuleset = '';
  let rootLinks: string[] = [];
  let privateNet = '';
  let publicNet = '';

  const ping = async (vm: string, ip: string, extra: string[] = []) =>
    (await execInVm(rt, vm, ['ping', '-c', '1', '-W', '1', '-n', ...extra, ip], { timeoutMs: 5000 })).code === 0;
  const ipOf = async (vm: string) => (await findVm(rt, vm)).ip_address!;
  /** Retry a check for a short while: the data plane follows the API within milliseconds, not at once. */
  const eventually = async (what: string, f: () => Promise<boolean>, ms = 5000) => {
    const until = Date.now() + ms;
    while (!(await f())) {
      if (Date.now() > until) assert.fail(`${what}: not true after ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const never = async (what: string, f: () => Promise<boolean>) => {
    assert.equal(await f(), false, what);
  };

  before(async () => {
    assertRoot();
    await sweepStaleLabRuntimes('/run', PREFIX);
    rootRuleset = await rulesetText();
    rootLinks = (await links()).map((l) => l.ifname).sort();
    stateDir = await mkdtemp(`${tmpdir()}/muon-e2e-`);
    rt = new LabRuntime({
      root: `/run/${PREFIX}${process.pid}`, statePath: stateDir, apiPort: await freePort(), identityPort: await freePort(),
      reportInterval: 1, agentDownTime: 4,
    });
    // the L2 and DHCP paths alone: the seed's router is e2e-l3.test.ts's subject
    const up = await rt.up({ router: false });
    privateNet = up.networks.private;
    publicNet = up.networks.public;
  });

  after(async () => {
    await rt?.down();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
    assert.equal(await rulesetText(), rootRuleset, 'the machine\'s own ruleset is unchanged');
    assert.deepEqual((await links()).map((l) => l.ifname).sort(), rootLinks, 'the machine\'s own links are unchanged');
  });

  test('agents report, as neutron agent-list shows them', async () => {
    const agents = (await (await rt.api()).req('GET', '/v2.0/agents')).agents as { host: string; agent_type: string; alive: boolean }[];
    assert.deepEqual(agents.map((a) => `${a.host} ${a.agent_type} ${a.alive}`).sort(), [
      'compute Linux bridge agent true', 'controller DHCP agent true', 'controller L3 agent true', 'controller Linux bridge agent true', 'controller Metadata agent true',
    ]);
  });

  test('the stock CLIs list the agents as in the seed (neutron agent-list, openstack network agent list)', async () => {
    const env = { ...process.env, ...(await readOpenrc(`${stateDir}/admin-openrc.sh`)) };
    const run = (cmd: string, argv: string[]) => new Promise<string>((resolve, reject) => {
      execFile(cmd, argv, { env, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${argv.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
    });
    const neutron = await run('neutron', ['agent-list', '-f', 'json']);
    const rows = (JSON.parse(neutron) as Record<string, unknown>[]).map((r) => `${r.host} ${r.agent_type} ${r.alive} ${r.admin_state_up} ${r.binary}`).sort();
    // the seed's `neutron agent-list`: five agents, all :-)
    assert.deepEqual(rows, [
      'compute Linux bridge agent :-) true neutron-linuxbridge-agent',
      'controller DHCP agent :-) true neutron-dhcp-agent',
      'controller L3 agent :-) true neutron-l3-agent',
      'controller Linux bridge agent :-) true neutron-linuxbridge-agent',
      'controller Metadata agent :-) true neutron-metadata-agent',
    ]);
    const osc = JSON.parse(await run('openstack', ['network', 'agent', 'list', '-f', 'json'])) as Record<string, unknown>[];
    assert.deepEqual(osc.map((r) => `${r.Host} ${r['Agent Type']} ${r.Alive} ${r.State} ${r.Binary}`).sort(), [
      'compute Linux bridge agent true true neutron-linuxbridge-agent',
      'controller DHCP agent true true neutron-dhcp-agent',
      'controller L3 agent true true neutron-l3-agent',
      'controller Linux bridge agent true true neutron-linuxbridge-agent',
      'controller Metadata agent true true neutron-metadata-agent',
    ]);
  });

  test('VMs on two hosts get leases with MTU 1450 and talk over VXLAN; 1422 bytes with DF pass, 1423 do not', async (t) => {
    const a = await bootVm(rt, { name: 'vm1', network: 'private', host: 'compute' });
    const b = await bootVm(rt, { name: 'vm2', network: 'private', host: 'controller' });
    t.diagnostic(`boot vm1 ${JSON.stringify(a.timings)}; vm2 ${JSON.stringify(b.timings)}`);
    for (const v of [a.vm, b.vm]) {
      assert.match(v.ip_address!, /^172\.16\.1\./);
      assert.equal(v.mtu, 1450);
      const link = JSON.parse((await execInVm(rt, v.name, ['ip', '-j', 'link', 'show', 'eth0'])).stdout)[0];
      assert.equal(link.mtu, 1450, `${v.name} eth0 MTU from DHCP option 26`);
    }
    assert.ok(await ping('vm1', b.vm.ip_address!), 'vm1 (compute) → vm2 (controller)');
    assert.ok(await ping('vm2', a.vm.ip_address!), 'vm2 → vm1');
    assert.ok(await ping('vm1', b.vm.ip_address!, ['-M', 'do', '-s', '1422']), '1422-byte DF ping passes');
    assert.equal(await ping('vm1', b.vm.ip_address!, ['-M', 'do', '-s', '1423']), false, '1423-byte DF ping fails');
    // the port is ACTIVE and bound as Nova expects
    const port = (await (await rt.api()).req('GET', `/v2.0/ports/${a.vm.port_id}`)).port;
    assert.equal(port.status, 'ACTIVE');
    assert.equal(port['binding:vif_type'], 'bridge');
    // DNS from the network's dnsmasq: vm2's name resolves from vm1
    const dhcpIp = (await (await rt.api()).req('GET', `/v2.0/ports?network_id=${privateNet}&device_owner=network:dhcp`)).ports[0].fixed_ips[0].ip_address;
    const ns = await execInVm(rt, 'vm1', ['busybox', 'nslookup', `host-${b.vm.ip_address!.replaceAll('.', '-')}.openstacklocal`, dhcpIp]);
    assert.match(ns.stdout, new RegExp(b.vm.ip_address!.replaceAll('.', '\\.')));
  });

  test('VMs on different tenant networks cannot reach each other, even with the same addresses', async () => {
    const api = await rt.api();
    const net2 = (await api.req('POST', '/v2.0/networks', { network: { name: 'other' } })).network.id;
    await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net2, cidr: '172.16.1.0/24', ip_version: 4, name: 'other' } });
    // an address that exists on neither network's other VMs, in the same CIDR
    await bootVm(rt, { name: 'vm3', network: 'other', host: 'compute', fixedIp: '172.16.1.77' });
    const vm2Ip = await ipOf('vm2');
    await never('vm3 (other network) → vm2', () => ping('vm3', vm2Ip));
    await never('vm2 → vm3', async () => ping('vm2', await ipOf('vm3')));
  });

  test('a VM on the flat public network reaches the upstream gateway', async () => {
    const v = await bootVm(rt, { name: 'pub1', network: 'public', host: 'compute' });
    assert.match(v.vm.ip_address!, /^192\.168\.81\.(1\d\d|200)$/);
    assert.ok(await ping('pub1', '192.168.81.254'), 'pub1 → upstream');
    // the hosts kept their own addresses through the bridges that took eno1
    const r = await rt.lab.tryRunOn('compute', ['ping', '-c', '1', '-W', '1', '192.168.81.66']);
    assert.equal(r.code, 0, 'compute → controller over eno1 enslaved to the public bridge');
    await deleteVm(rt, 'pub1');
  });

  test('security groups with real traffic: default deny, ICMP and TCP 22 rules, remote groups, no spoofing', async () => {
    const api = await rt.api();
    const sg = (await api.req('POST', '/v2.0/security-groups', { security_group: { name: 'web' } })).security_group;
    const peers = (await api.req('POST', '/v2.0/security-groups', { security_group: { name: 'peers' } })).security_group;
    const srv = await bootVm(rt, { name: 'srv', network: 'private', host: 'compute', securityGroups: [sg.id] });
    const cli = await bootVm(rt, { name: 'cli', network: 'private', host: 'controller' });
    const srvIp = srv.vm.ip_address!;
    // listeners in the server VM
    for (const port of [22, 80, 8080]) {
      await serveTcpInVm(rt, 'srv', port, `port-${port}`);
    }
    const tcp = async (port: number) => {
      const r = await execInVm(rt, 'cli', ['socat', '-T', '1', '-', `TCP:${srvIp}:${port},connect-timeout=1`], { timeoutMs: 5000 });
      return r.stdout.trim() === `port-${port}`;
    };
    await never('ingress is denied by default (ping)', () => ping('cli', srvIp));
    await never('ingress is denied by default (tcp 22)', () => tcp(22));

    const rule = async (r: Record<string, unknown>) => (await api.req('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv4', ...r } })).security_group_rule;
    await rule({ protocol: 'icmp' });
    await eventually('an ICMP rule opens ping', () => ping('cli', srvIp));
    await never('…and not TCP', () => tcp(22));
    await rule({ protocol: 'tcp', port_range_min: 22, port_range_max: 22 });
    await eventually('a TCP 22 rule opens port 22', () => tcp(22));
    await never('…and not port 80', () => tcp(80));

    // remote group: port 8080 from members of "peers" only
    await rule({ protocol: 'tcp', port_range_min: 8080, port_range_max: 8080, remote_group_id: peers.id });
    await never('8080 from a non-member', () => tcp(8080));
    const cliPort = (await api.req('GET', `/v2.0/ports/${cli.vm.port_id}`)).port;
    await api.req('PUT', `/v2.0/ports/${cli.vm.port_id}`, { port: { security_groups: [...cliPort.security_groups, peers.id] } });
    await eventually('8080 once cli joins the remote group', () => tcp(8080));
    await api.req('PUT', `/v2.0/ports/${cli.vm.port_id}`, { port: { security_groups: cliPort.security_groups } });
    await eventually('8080 closed again when cli leaves it', async () => !(await tcp(8080)));

    // anti-spoofing from cli: another source IP, another MAC
    const spoof = '172.16.1.199';
    await execInVm(rt, 'cli', ['ip', 'addr', 'add', `${spoof}/32`, 'dev', 'eth0']);
    await never('a spoofed source IP is dropped', () => ping('cli', srvIp, ['-I', spoof]));
    await api.req('PUT', `/v2.0/ports/${cli.vm.port_id}`, { port: { allowed_address_pairs: [{ ip_address: spoof }] } });
    await api.req('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv4', remote_ip_prefix: `${spoof}/32` } });
    await eventually('an allowed address pair lets that source through', () => ping('cli', srvIp, ['-I', spoof]));
    const mac = (await findVm(rt, 'cli')).mac_address;
    await execInVm(rt, 'cli', ['ip', 'link', 'set', 'eth0', 'address', 'fa:16:3e:00:00:99']);
    await execInVm(rt, 'cli', ['ip', 'neigh', 'flush', 'all']);
    await never('a spoofed MAC is dropped', () => ping('cli', srvIp));
    await execInVm(rt, 'cli', ['ip', 'link', 'set', 'eth0', 'address', mac]);
    await eventually('the real MAC works again', () => ping('cli', srvIp));
    // ARP claiming an address that is not the port's: dropped, so nobody learns it
    await execInVm(rt, 'cli', ['busybox', 'arping', '-c', '1', '-w', '1', '-U', '-s', '172.16.1.198', '-I', 'eth0', '172.16.1.198']).catch(() => {});
    const neigh = await execInVm(rt, 'srv', ['ip', 'neigh', 'show', '172.16.1.198']);
    assert.equal(neigh.stdout.trim(), '', 'the spoofed ARP never reached srv');

    // port security off: everything through
    const open = await bootVm(rt, { name: 'open', network: 'private', host: 'compute', portSecurity: false });
    await serveTcpInVm(rt, 'open', 81, 'port-81');
    assert.ok(await ping('cli', open.vm.ip_address!), 'ping a VM without port security');
    const r = await execInVm(rt, 'cli', ['socat', '-T', '1', '-', `TCP:${open.vm.ip_address}:81,connect-timeout=1`]);
    assert.equal(r.stdout.trim(), 'port-81');
  });

  test('a port set admin down goes DOWN and stops forwarding; set up again it is ACTIVE and forwards', async () => {
    const api = await rt.api();
    const vm1 = await findVm(rt, 'vm1');
    const vm2Ip = await ipOf('vm2');
    await api.req('PUT', `/v2.0/ports/${vm1.port_id}`, { port: { admin_state_up: false } });
    assert.equal((await api.req('GET', `/v2.0/ports/${vm1.port_id}`)).port.status, 'DOWN');
    await eventually('no traffic through an admin-down port', async () => !(await ping('vm1', vm2Ip)));
    await api.req('PUT', `/v2.0/ports/${vm1.port_id}`, { port: { admin_state_up: true } });
    await eventually('ACTIVE again', async () => (await api.req('GET', `/v2.0/ports/${vm1.port_id}`)).port.status === 'ACTIVE');
    await eventually('traffic again', () => ping('vm1', vm2Ip));
  });

  test('a port on a host without a live agent ends binding_failed, and the API says why', async () => {
    const api = await rt.api();
    const p = (await api.req('POST', '/v2.0/ports', { port: { network_id: privateNet, 'binding:host_id': 'computer' } })).port;
    assert.equal(p['binding:vif_type'], 'binding_failed');
    assert.match(p['binding:vif_details'].reason, /no Linux bridge agent on host 'computer'.*did you mean 'compute'/);
    await api.req('DELETE', `/v2.0/ports/${p.id}`);
    const f = (await api.req('POST', '/v2.0/ports', { port: { network_id: publicNet, 'binding:host_id': 'upstream' } })).port;
    assert.match(f['binding:vif_details'].reason, /no Linux bridge agent on host 'upstream'/);
    await api.req('DELETE', `/v2.0/ports/${f.id}`);
  });

  test('a port bound to a host whose agent does not map the physical network ends binding_failed, and the API says why', async () => {
    // a real Linux bridge agent on `upstream`, mapping only a physnet `provider` (not `public`)
    const api = await rt.api();
    const dir = rt.lab.stateDir('upstream');
    const ini = `${dir}/linuxbridge_agent.ini`;
    await writeFile(ini, linuxbridgeAgentIni({ host: 'upstream', localIp: '192.168.81.254', mappings: { provider: 'eth0' }, agents: ['linuxbridge'] }, rt.agentSocket, dir, 1));
    const pid = await rt.lab.startOn('upstream', [process.execPath, fileURLToPath(new URL('../cli/main.ts', import.meta.url)), 'agent', 'linuxbridge', '--config-file', ini], { logFile: `${dir}/linuxbridge-agent.log` });
    try {
      await eventually('the upstream agent registers', async () =>
        (await api.req('GET', '/v2.0/agents?host=upstream')).agents.some((a: { alive: boolean }) => a.alive), 15_000);
      const f = (await api.req('POST', '/v2.0/ports', { port: { network_id: publicNet, 'binding:host_id': 'upstream' } })).port;
      assert.equal(f['binding:vif_type'], 'binding_failed');
      assert.match(f['binding:vif_details'].reason, /physical network 'public' is not mapped on host 'upstream' \(physical_interface_mappings\/bridge_mappings have 'provider'\)/);
      await api.req('DELETE', `/v2.0/ports/${f.id}`);
    } finally {
      await terminate([pid]);
      for (const a of (await api.req('GET', '/v2.0/agents?host=upstream')).agents) await api.req('DELETE', `/v2.0/agents/${a.id}`);
    }
  });

  test('restarting an agent while VMs ping each other loses no ping', async () => {
    const target = await ipOf('vm2');
    const pinger = execInVm(rt, 'vm1', ['ping', '-c', '60', '-i', '0.05', '-W', '1', '-n', target], { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    await rt.stopAgent('compute', 'linuxbridge', { kill: true }); // a crash
    await rt.stopAgent('controller', 'linuxbridge'); // a clean stop
    await new Promise((r) => setTimeout(r, 300));
    await rt.startAgent('compute', 'linuxbridge');
    await rt.startAgent('controller', 'linuxbridge');
    const r = await pinger;
    assert.match(r.stdout, / 60 received, 0% packet loss/, r.stdout);
    await rt.waitForAgents(10_000);
  });

  test('restarting the DHCP agent keeps dnsmasq running; muon up again changes nothing', async () => {
    // this lab's dnsmasq only (its pid files are under the lab's state): other labs may run beside it
    const pids = async () => (await rt.lab.tryRunOn('controller', ['pgrep', '-f', `^dnsmasq .*${rt.lab.stateDir('controller')}/dhcp/`])).stdout.trim().split('\n').filter(Boolean).sort();
    const before = await pids();
    assert.ok(before.length >= 2, 'a dnsmasq per network with DHCP');
    await rt.stopAgent('controller', 'dhcp');
    await rt.startAgent('controller', 'dhcp');
    await rt.waitForAgents(10_000);
    await new Promise((r) => setTimeout(r, 500)); // let it reconcile
    assert.deepEqual(await pids(), before, 'the same dnsmasq processes after the restart');
    const vm2 = await ipOf('vm2');
    const r = await rt.up({ router: false });
    assert.deepEqual(r.networks, { public: publicNet, private: privateNet });
    assert.deepEqual(await pids(), before);
    assert.ok(await ping('vm1', vm2), 'still working after a second muon up');
  });

  test('the Linux bridge agent turns bridge netfilter on (without it security groups would be bypassed)', async () => {
    const get = async () => (await rt.lab.runOn('compute', ['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables'])).stdout.trim();
    await rt.lab.runOn('compute', ['sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=0']);
    await rt.stopAgent('compute', 'linuxbridge');
    await rt.startAgent('compute', 'linuxbridge');
    await rt.waitForAgents(10_000);
    await eventually('bridge-nf-call-iptables is 1 again', async () => (await get()) === '1', 20_000);
  });

  test('an agent that stops heartbeating is reported dead, with the time it was last seen', async () => {
    await rt.stopAgent('compute', 'linuxbridge');
    const api = await rt.api();
    const until = Date.now() + 15_000;
    let dead: { alive: boolean; heartbeat_timestamp: string } | undefined;
    while (Date.now() < until) {
      dead = (await api.req('GET', '/v2.0/agents?host=compute')).agents[0];
      if (dead && !dead.alive) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(dead?.alive, false);
    const p = (await api.req('POST', '/v2.0/ports', { port: { network_id: privateNet, 'binding:host_id': 'compute' } })).port;
    assert.match(p['binding:vif_details'].reason, /the Linux bridge agent on host 'compute' is dead: no heartbeat since/);
    await rt.startAgent('compute', 'linuxbridge');
    await rt.waitForAgents(10_000);
    // the agent is back: the port is bound again
    await eventually('port bound once the agent is back', async () => (await api.req('GET', `/v2.0/ports/${p.id}`)).port['binding:vif_type'] === 'bridge');
    await api.req('DELETE', `/v2.0/ports/${p.id}`);
  });

  test('deleting a network removes its bridges, namespace and dnsmasq', async () => {
    const api = await rt.api();
    const net = (await api.req('GET', '/v2.0/networks?name=other')).networks[0].id as string;
    const brq = `brq${net.slice(0, 11)}`;
    const hasBridge = async (host: string) => (await links(rt.lab.place(host))).some((l) => l.ifname === brq);
    assert.ok(await hasBridge('compute'));
    assert.ok((await listNetns(rt.lab.place('controller'))).includes(`qdhcp-${net}`));
    await deleteVm(rt, 'vm3');
    await api.req('DELETE', `/v2.0/networks/${net}`);
    await eventually('bridge gone on compute', async () => !(await hasBridge('compute')));
    await eventually('bridge gone on controller', async () => !(await hasBridge('controller')));
    await eventually('qdhcp namespace gone', async () => !(await listNetns(rt.lab.place('controller'))).includes(`qdhcp-${net}`));
    const ps = await rt.lab.tryRunOn('controller', ['pgrep', '-f', `dhcp/${net}/`]);
    assert.equal(ps.stdout.trim(), '', 'no dnsmasq left for the network');
  });
});
