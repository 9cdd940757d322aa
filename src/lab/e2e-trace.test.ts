// End to end, as root: `muon trace` and `muon probe` on the seed's lab, for the table
// of cases — reachable (same network, SNAT to the outside, the outside to an allowed port of a
// floating IP) and blocked (a security group without the rule, port security off, a disabled
// port, no floating IP, no router interface, no router gateway). Trace names the deciding
// objects and every blocker; probe checks the same flows on the wire and must agree. One lab,
// its own root, state directory and ports.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { assertRoot, rootSkip } from '../linux/testing.ts';
import { freePort } from '../../test/support/muon-server.ts';
import { LabRuntime, sweepStaleLabRuntimes } from './runtime.ts';
import { bootVm, findVm, listVms, serveTcpInVm } from './vm.ts';
import type { TraceResult } from '../trace/model.ts';
import type { ProbeReport } from './probe.ts';
import { isAlive } from '../linux/proc.ts';
import { readOpenrc } from './api-client.ts';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const PREFIX = 'muon-lab-e2et-';
const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));

interface Run { code: number; stdout: string; stderr: string }
const cli = (args: string[]) => new Promise<Run>((resolve) => execFile(process.execPath, [MAIN, ...args], { env: ENV, timeout: 120_000 },
  (err, stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr })));

describe('muon trace and muon probe on the lab', { skip: rootSkip }, () => {
  let rt: LabRuntime;
  let stateDir: string;
  let ids: Record<string, string>;
  let fipAddr = '';
  const listeners: number[] = [];
  const timings: string[] = [];

  const trace = async (from: string, to: string, extra: string[] = []) => {
    const r = await cli(['trace', '--format', 'json', '--server', rt.apiUrl, '--openrc', `${stateDir}/admin-openrc.sh`, '--lab-root', rt.root, '--from', from, '--to', to, ...extra]);
    assert.ok(r.code === 0 || r.code === 1, `muon trace exit ${r.code}: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { trace: TraceResult; elapsed_ms: number };
    assert.equal(r.code, out.trace.reachable ? 0 : 1);
    timings.push(`trace ${from} → ${to}: ${out.elapsed_ms} ms`);
    return out.trace;
  };
  const settings = (t: TraceResult) => t.blocking.map((b) => `${b.object.type} ${b.setting}`).sort();
  const probe = async (args: string[]) => {
    const r = await cli(['probe', '--format', 'json', '--lab-root', rt.root, '--state-path', stateDir, '--api-port', String(rt.apiPort), ...args]);
    assert.ok(r.stdout, `muon probe exit ${r.code}: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as ProbeReport & { exit_status: number; elapsed_ms: number };
    assert.equal(r.code, out.exit_status);
    timings.push(`probe ${args.join(' ')}: ${out.elapsed_ms} ms (${out.checks.length} checks)`);
    return out;
  };
  /** the checks as "label predicted/observed", to compare whole */
  const summary = (p: ProbeReport) => p.checks.map((c) => `${c.label.replace(/probe-[0-9a-f]{4} \([\d.]+\)/, 'probe').replace(/\(172\.16\.1\.\d+\)|\(10\.9\.0\.\d+\)/g, '(ip)').replace(/qrouter-[0-9a-f]{8}…/, 'qrouter')} ${c.predicted_reachable ? 'reachable' : 'blocked'}/${c.observed.reached ? 'reached' : 'silent'}`);
  /** a probe that agrees with trace on every check; the data plane may take a moment to follow the API */
  const probeAgrees = async (args: string[], ms = 20_000) => {
    const until = Date.now() + ms;
    for (;;) {
      const p = await probe(args);
      if (p.exit_status === 0 && p.checks.length && p.checks.every((c) => c.agree)) return p;
      if (Date.now() > until) assert.fail(`probe ${args.join(' ')} disagrees with trace: ${JSON.stringify(p.findings.filter((f) => f.severity !== 'info'), null, 1)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  before(async () => {
    assertRoot();
    await sweepStaleLabRuntimes('/run', PREFIX);
    stateDir = await mkdtemp(`${tmpdir()}/muon-e2et-`);
    rt = new LabRuntime({
      root: `/run/${PREFIX}${process.pid}`, statePath: stateDir, apiPort: await freePort(), identityPort: await freePort(), novaPort: await freePort(),
      reportInterval: 1, agentDownTime: 4,
    });
    ids = (await rt.up()).networks as unknown as Record<string, string>;
    const api = await rt.api();
    ids.ssh = (await api.req('POST', '/v2.0/security-groups', { security_group: { name: 'ssh' } })).security_group.id;
    for (const rule of [{ protocol: 'icmp' }, { protocol: 'tcp', port_range_min: 22, port_range_max: 22 }]) {
      await api.req('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: ids.ssh, direction: 'ingress', ethertype: 'IPv4', ...rule } });
    }
    await bootVm(rt, { name: 'vm1', network: 'private', host: 'compute' });
    const vm2 = (await bootVm(rt, { name: 'vm2', network: 'private', host: 'controller', securityGroups: [ids.ssh] })).vm;
    for (const [port, text] of [[22, 'vm2-ssh'], [80, 'vm2-http']] as const) {
      listeners.push(await serveTcpInVm(rt, 'vm2', port, text));
    }
    const fip = (await api.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ids.public, port_id: vm2.port_id } })).floatingip;
    fipAddr = fip.floating_ip_address;
    // the L3 agent reports the floating IP realised
    for (const until = Date.now() + 10_000; (await api.req('GET', `/v2.0/floatingips/${fip.id}`)).floatingip.status !== 'ACTIVE';) {
      if (Date.now() > until) assert.fail('the floating IP did not go ACTIVE');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async (t) => {
    t.diagnostic(timings.join('\n'));
    await rt?.down();
    for (const pid of listeners) if (await isAlive(pid)) process.kill(pid, 'SIGKILL');
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  test('reachable: same network, SNAT to the outside, the outside to an allowed port of a floating IP; no floating IP: blocked — and the probe agrees, with the routers\' qr/qg checks', async () => {
    const same = await trace('vm1', 'vm2', ['--protocol', 'icmp']);
    assert.equal(same.reachable, true, JSON.stringify(same.blocking));
    assert.deepEqual(same.hops.map((h) => h.step), ['source_port', 'security_group_egress', 'network', 'security_group_ingress', 'destination_port']);
    assert.match(same.hops[3].object.name, /^ssh: ingress IPv4 icmp/);
    assert.deepEqual(same.hops.map((h) => h.realised.state), ['yes', 'yes', 'yes', 'yes', 'yes']);
    const out = await trace('vm1', '203.0.113.1', ['--protocol', 'tcp', '--port', '8080']);
    assert.equal(out.reachable, true, JSON.stringify(out.blocking));
    assert.deepEqual(out.hops.map((h) => `${h.step}:${h.realised.state}`), ['source_port:yes', 'security_group_egress:yes', 'network:yes', 'router_interface:yes', 'route:yes', 'snat:yes', 'external_network:yes', 'destination_port:unknown']);
    assert.equal(out.hops.find((h) => h.step === 'router_interface')!.realised.host, 'controller');
    const ssh = await trace('203.0.113.1', fipAddr, ['--protocol', 'tcp', '--port', '22']);
    assert.equal(ssh.reachable, true, JSON.stringify(ssh.blocking));
    assert.equal(ssh.hops.find((h) => h.step === 'floating_ip')!.realised.state, 'yes');
    const noFip = await trace('203.0.113.1', 'vm1', ['--protocol', 'icmp']);
    assert.deepEqual(settings(noFip), ['port no floating IP', 'security_group no ingress rule for icmp (echo request) from 203.0.113.1 (groups of port vm1: default)']);

    const p = await probeAgrees(['--network', 'private', '--host', 'compute', '--to', 'vm2,203.0.113.1', '--from-outside', 'vm2,vm1']);
    assert.deepEqual(summary(p), [
      'probe → vm2 (ip) reachable/reached',
      'probe → 203.0.113.1 reachable/reached',
      'qrouter on controller (qr 172.16.1.1) → probe blocked/silent',
      'qrouter on controller (qg ' + (await (await rt.api()).req('GET', `/v2.0/routers/${ids.router}`)).router.external_gateway_info.external_fixed_ips[0].ip_address + ') → external gateway 192.168.81.254 reachable/reached',
      `outside 203.0.113.1 → vm2 (${fipAddr}) reachable/reached`,
      `outside 203.0.113.1 → vm1 (ip) blocked/silent`,
    ]);
    assert.equal((await listVms(rt)).filter((v) => v.name.startsWith('probe-')).length, 0, 'the probe is removed');
  });

  // The page (/muon/) on this lab, in Debian's Chromium: the lab's own topology drawn, and a
  // blocked trace drawn with its blocking hop (the page's own test uses a server without a lab).
  test('the topology page shows the lab and draws a blocked trace (Chromium)', { skip: existsSync('/usr/bin/chromium') || process.env.CI ? false : 'chromium is not installed' }, async (t) => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
    try {
      const admin = await readOpenrc(`${stateDir}/admin-openrc.sh`);
      const api = await rt.api();
      const vm1 = await findVm(rt, 'vm1');
      const vm2 = await findVm(rt, 'vm2');
      const fip = (await api.req('GET', `/v2.0/floatingips?port_id=${vm2.port_id}`)).floatingips[0] as { id: string };
      const page = await browser.newPage({ viewport: { width: 1640, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${rt.apiUrl}/muon/`);
      await page.fill('#login-form [name=username]', admin.OS_USERNAME);
      await page.fill('#login-form [name=password]', admin.OS_PASSWORD);
      await page.fill('#login-form [name=project_name]', admin.OS_PROJECT_NAME);
      await page.click('#login-form button[type=submit]');
      const node = (type: string, id: string) => `svg [data-type="${type}"][data-id="${id}"]`;
      // the lab's networks, router, VMs and floating IP, all ACTIVE; every agent alive
      for (const [type, id] of [['network', ids.public], ['network', ids.private], ['router', ids.router], ['port', vm1.port_id], ['port', vm2.port_id], ['floatingip', fip.id]]) {
        await page.waitForSelector(node(type, id), { timeout: 20_000 });
      }
      await page.waitForSelector(`${node('port', vm1.port_id)}.status-active`);
      assert.equal(await page.locator('svg .agent.status-dead, svg [data-type="agent"].dead').count(), 0, 'no agent drawn dead');
      // vm1 → vm2 on tcp/80: vm2's group "ssh" lets ICMP and SSH in, not HTTP
      await page.selectOption('#trace-form [name=from]', `port:${vm1.port_id}`);
      await page.selectOption('#trace-form [name=to]', `port:${vm2.port_id}`);
      await page.selectOption('#trace-form [name=protocol]', 'tcp');
      await page.fill('#trace-form [name=destination_port]', '80');
      await page.click('#trace-form button[type=submit]');
      await page.waitForSelector('#trace-answer .verdict.blocked');
      await page.waitForSelector(`${node('port', vm2.port_id)}.trace-block`);
      assert.match(await page.textContent('#trace-answer .blocking') ?? '', /ssh/);
      const dir = process.env.MUON_SCREENSHOT_DIR ?? join(fileURLToPath(new URL('../../', import.meta.url)), 'test-output');
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, 'lab-trace-blocked.png'), fullPage: true });
      t.diagnostic(`screenshot: ${join(dir, 'lab-trace-blocked.png')}`);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });

  test('a security group without the rule: TCP 80 blocked, TCP 22 through, on the model and on the wire', async () => {
    const t = await trace('203.0.113.1', fipAddr, ['--protocol', 'tcp', '--port', '80']);
    assert.deepEqual(settings(t), ['security_group no ingress rule for tcp 80 from 203.0.113.1 (groups of port vm2: ssh)']);
    assert.equal(t.blocking[0].fix, 'openstack security group rule create --ingress --ethertype IPv4 --protocol tcp --dst-port 80 --remote-ip 203.0.113.1/32 ssh');
    const p80 = await probeAgrees(['--network', 'private', '--to=', '--no-routers', '--from-outside', 'vm2', '--port', '80']);
    assert.deepEqual(summary(p80), [`outside 203.0.113.1 → vm2 (${fipAddr}) blocked/silent`]);
    const p22 = await probeAgrees(['--network', 'private', '--to=', '--no-routers', '--from-outside', 'vm2', '--port', '22']);
    assert.deepEqual(summary(p22), [`outside 203.0.113.1 → vm2 (${fipAddr}) reachable/reached`]);
    assert.match(p22.checks[0].observed.detail, /it said 'vm2-ssh'/);
    // for people: the doctor's layout, one finding per check
    const text = await cli(['probe', '--lab-root', rt.root, '--state-path', stateDir, '--api-port', String(rt.apiPort), '--network', 'private', '--to=', '--no-routers', '--from-outside', 'vm2', '--port', '22']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^== probe probe-[0-9a-f]{4} on network private, host compute: 172\.16\.1\.\d+ leased in [\d.]+ ms \(port [0-9a-f-]{36}\); trace's prediction against the wire\n/);
    assert.match(text.stdout, /\ninfo {4}probe-agrees: port vm2 \([0-9a-f-]{36}\)\n {3}outside 203\.0\.113\.1 → vm2 \([\d.]+\), tcp 22: reachable, as trace predicted \(connected; it said 'vm2-ssh'\)\n/);
    assert.match(text.stdout, /0 error\(s\), 0 warning\(s\), 1 info — muon probe took [\d.]+ s; 1 of 1 checks agree with trace; exit status 0\n$/);
  });

  test('a subnet with DHCP off: the probe gets no lease, says so (exit 2), and leaves nothing behind', async () => {
    const api = await rt.api();
    const net = (await api.req('POST', '/v2.0/networks', { network: { name: 'nodhcp' } })).network.id;
    await api.req('POST', '/v2.0/subnets', { subnet: { name: 'nodhcp', network_id: net, ip_version: 4, cidr: '10.8.0.0/24', enable_dhcp: false } });
    const p = await probe(['--network', 'nodhcp', '--to', '203.0.113.1']);
    assert.equal(p.exit_status, 2);
    assert.deepEqual(p.findings.map((f) => `${f.severity} ${f.code}`), ['error probe-boot-failed']);
    assert.match(p.findings[0].evidence, /got no DHCP lease/);
    assert.equal((await api.req('GET', `/v2.0/ports?network_id=${net}&device_owner=compute:nova`)).ports.length, 0, 'its port is deleted');
    assert.equal((await listVms(rt)).filter((v) => v.name.startsWith('probe-')).length, 0, 'its namespace and record are removed');
  });

  test('port security off: TCP 80 goes past every group; on again: blocked again', async () => {
    const api = await rt.api();
    const vm2 = await findVm(rt, 'vm2');
    await api.req('PUT', `/v2.0/ports/${vm2.port_id}`, { port: { port_security_enabled: false, security_groups: [] } });
    const t = await trace('203.0.113.1', fipAddr, ['--protocol', 'tcp', '--port', '80']);
    assert.equal(t.reachable, true, JSON.stringify(t.blocking));
    assert.match(t.hops.find((h) => h.step === 'security_group_ingress')!.reason, /port_security_enabled=false/);
    const p = await probeAgrees(['--network', 'private', '--to=', '--no-routers', '--from-outside', 'vm2', '--port', '80']);
    assert.match(p.checks[0].observed.detail, /it said 'vm2-http'/);
    await api.req('PUT', `/v2.0/ports/${vm2.port_id}`, { port: { port_security_enabled: true, security_groups: [ids.ssh] } });
    assert.equal((await trace('203.0.113.1', fipAddr, ['--protocol', 'tcp', '--port', '80'])).reachable, false);
    await probeAgrees(['--network', 'private', '--to=', '--no-routers', '--from-outside', 'vm2', '--port', '80']);
  });

  test('a disabled port: blocked, named with its fix; enabled again: through', async () => {
    const api = await rt.api();
    const vm2 = await findVm(rt, 'vm2');
    await api.req('PUT', `/v2.0/ports/${vm2.port_id}`, { port: { admin_state_up: false } });
    const t = await trace('203.0.113.1', fipAddr, ['--protocol', 'tcp', '--port', '22']);
    assert.deepEqual(settings(t), ['port admin_state_up=false']);
    assert.equal(t.blocking[0].fix, `openstack port set --enable ${vm2.port_id}`);
    const p = await probeAgrees(['--network', 'private', '--to=', '--no-routers', '--from-outside', 'vm2', '--port', '22']);
    assert.deepEqual(summary(p), [`outside 203.0.113.1 → vm2 (${fipAddr}) blocked/silent`]);
    await api.req('PUT', `/v2.0/ports/${vm2.port_id}`, { port: { admin_state_up: true } });
    await probeAgrees(['--network', 'private', '--to=', '--no-routers', '--from-outside', 'vm2', '--port', '22']);
  });

  test('no router interface, then no router gateway, then both: blocked, blocked, through — on the model and on the wire', async () => {
    const api = await rt.api();
    const net = (await api.req('POST', '/v2.0/networks', { network: { name: 'other' } })).network.id;
    const sub = (await api.req('POST', '/v2.0/subnets', { subnet: { name: 'other', network_id: net, ip_version: 4, cidr: '10.9.0.0/24' } })).subnet.id;
    const noIface = await probeAgrees(['--network', 'other', '--to', '203.0.113.1', '--keep']);
    assert.deepEqual(summary(noIface), ['probe → 203.0.113.1 blocked/silent']);
    const probeName = noIface.probe!.name;
    try {
      const t1 = await trace(probeName, '203.0.113.1', ['--protocol', 'icmp']);
      assert.deepEqual(settings(t1), ['subnet no router interface on subnet other 10.9.0.0/24']);
      const r2 = (await api.req('POST', '/v2.0/routers', { router: { name: 'r2' } })).router.id;
      await api.req('PUT', `/v2.0/routers/${r2}/add_router_interface`, { subnet_id: sub });
      const t2 = await trace(probeName, '203.0.113.1', ['--protocol', 'icmp']);
      assert.deepEqual(settings(t2), ['router external_gateway_info=null (no gateway)']);
      assert.equal(t2.blocking[0].fix, 'openstack router set --external-gateway public r2');
      const noGw = await probeAgrees(['--network', 'other', '--to', '203.0.113.1', '--no-routers']);
      assert.deepEqual(summary(noGw), ['probe → 203.0.113.1 blocked/silent']);
      await api.req('PUT', `/v2.0/routers/${r2}`, { router: { external_gateway_info: { network_id: ids.public } } });
      const t3 = await trace(probeName, '203.0.113.1', ['--protocol', 'icmp']);
      assert.equal(t3.reachable, true, JSON.stringify(t3.blocking));
      const ok = await probeAgrees(['--network', 'other', '--to', '203.0.113.1']);
      assert.equal(summary(ok)[0], 'probe → 203.0.113.1 reachable/reached');
      assert.ok(summary(ok).some((s) => /\(qg .*\) → external gateway 192\.168\.81\.254 reachable\/reached$/.test(s)), summary(ok).join('\n'));
    } finally {
      await cli(['vm', 'delete', probeName, '--lab-root', rt.root, '--state-path', stateDir, '--api-port', String(rt.apiPort)]);
    }
  });
});
