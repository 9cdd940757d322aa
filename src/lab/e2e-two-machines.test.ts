// End to end, as root: `muon up --two-machines` — the broker and the server on controller,
// compute sharing nothing with it but the emulated wire, its Linux bridge agent reaching the
// server through RabbitMQ at 192.168.81.66 with the seed's Liberty options. Its own lab root,
// state directory and ports; nothing configured in the machine's own network namespace; the
// lab (broker included: it runs in the controller's namespaces) is removed even on failure.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { assertRoot, rootSkip } from '../linux/testing.ts';
import { links } from '../linux/ip.ts';
import { rulesetText } from '../linux/nft.ts';
import { rabbitUnavailableReason } from '../linux/rabbitmq.ts';
import { freePort } from '../../test/support/muon-server.ts';
import { readOpenrc } from './api-client.ts';
import { LabRuntime, sweepStaleLabRuntimes } from './runtime.ts';
import { bootVm, execInVm } from './vm.ts';

const PREFIX = 'muon-lab-2m-e2e-';
const noRabbit = rabbitUnavailableReason();
const skip = rootSkip || (noRabbit && process.env.CI !== 'true' ? `${noRabbit} (under CI=true this fails)` : false);

describe('the two-machine lab, end to end', { skip, timeout: 600_000 }, () => {
  let rt: LabRuntime;
  let stateDir: string;
  let rootRuleset = '';
  let rootLinks: string[] = [];
  const ips: Record<string, string> = {};

  /** one echo; `waitS` its timeout (short ones time how soon a rule takes effect) */
  const ping = async (vm: string, ip: string, waitS = '1') =>
    (await execInVm(rt, vm, ['ping', '-c', '1', '-W', waitS, '-n', ip], { timeoutMs: 5000 })).code === 0;
  const eventually = async (what: string, f: () => Promise<boolean>, ms = 10_000) => {
    const until = Date.now() + ms;
    while (!(await f())) {
      if (Date.now() > until) assert.fail(`${what}: not true after ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const logSince = async (file: string, offset: number) => (await readFile(file, 'utf8').catch(() => '')).slice(offset);
  const logSize = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).length;

  before(async () => {
    assertRoot();
    await sweepStaleLabRuntimes('/run', PREFIX);
    rootRuleset = await rulesetText();
    rootLinks = (await links()).map((l) => l.ifname).sort();
    stateDir = await mkdtemp(`${tmpdir()}/muon-e2e-2m-`);
    rt = new LabRuntime({
      machines: 'two', root: `/run/${PREFIX}${process.pid}`, statePath: stateDir,
      apiPort: await freePort(), identityPort: await freePort(), novaPort: await freePort(),
      // heartbeats every second; dead only after 30 s, longer than the broker restart below
      reportInterval: 1, agentDownTime: 30,
    });
    await rt.up({ router: false });
  });

  after(async () => {
    await rt?.down();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
    assert.equal(await rulesetText(), rootRuleset, 'the machine\'s own ruleset is unchanged');
    assert.deepEqual((await links()).map((l) => l.ifname).sort(), rootLinks, 'the machine\'s own links are unchanged');
  });

  test('every agent reports through RabbitMQ on controller; compute\'s connection comes from 192.168.81.65', async () => {
    const agents = (await (await rt.api()).req('GET', '/v2.0/agents')).agents as { host: string; agent_type: string; alive: boolean }[];
    assert.deepEqual(agents.map((a) => `${a.host} ${a.agent_type} ${a.alive}`).sort(), [
      'compute Linux bridge agent true', 'controller DHCP agent true', 'controller L3 agent true', 'controller Linux bridge agent true', 'controller Metadata agent true',
    ]);
    const log = await readFile(rt.agentLog('compute', 'linuxbridge'), 'utf8');
    assert.match(log, /"msg":"connected to RabbitMQ","role":"agent","broker":"192\.168\.81\.66:5672"/);
    const conns = await rt.broker!.ctl('list_connections', '--silent', 'user', 'peer_host');
    assert.match(conns, /^openstack\s+192\.168\.81\.65$/m, `compute's agent is a client of the broker:\n${conns}`);
    assert.match(conns, /^openstack\s+192\.168\.81\.66$/m, 'the server and the controller\'s agents too');
    const server = await readFile(rt.serverLog, 'utf8');
    assert.match(server, /"msg":"connected to RabbitMQ","role":"server"/);
  });

  test('compute has no path to the server\'s socket, database, configuration or the controller\'s state', async () => {
    const secret = [rt.agentSocket, `${stateDir}/admin-openrc.sh`, rt.serverLog, `${rt.lab.stateDir('controller')}/rabbitmq/rabbitmq.conf`,
      `${rt.lab.stateDir('controller')}/etc/lab.conf`, `${rt.lab.stateDir('controller')}/metadata_proxy`];
    for (const p of secret) {
      assert.equal((await rt.lab.tryRunOn('controller', ['test', '-e', p])).code, 0, `${p} is there on controller`);
      assert.notEqual((await rt.lab.tryRunOn('compute', ['test', '-e', p])).code, 0, `${p} is not reachable from compute`);
    }
    // compute's own state is its own
    assert.equal((await rt.lab.tryRunOn('compute', ['test', '-e', `${rt.lab.stateDir('compute')}/linuxbridge_agent.ini`])).code, 0);
    // and its agent's files name no socket: only the broker
    const conf = await readFile(`${rt.lab.stateDir('compute')}/neutron.conf`, 'utf8');
    assert.match(conf, /^rpc_backend = rabbit$/m);
    assert.match(conf, /^rabbit_host = 192\.168\.81\.66$/m);
    assert.doesNotMatch(await readFile(`${rt.lab.stateDir('compute')}/linuxbridge_agent.ini`, 'utf8'), /^agent_socket =/m);
  });

  test('the user\'s CLI reaches the API on 127.0.0.1 (forwarded to 192.168.81.66 on controller)', async () => {
    assert.match(rt.apiUrl, /^http:\/\/127\.0\.0\.1:/);
    const env = { ...process.env, ...(await readOpenrc(`${stateDir}/admin-openrc.sh`)) };
    assert.match(env.OS_AUTH_URL ?? '', /^http:\/\/127\.0\.0\.1:\d+\/v3$/);
    const out = await new Promise<string>((resolve, reject) => {
      execFile('openstack', ['network', 'list', '-f', 'json', '-c', 'Name'], { env, timeout: 60_000 }, (err, stdout, stderr) =>
        (err ? reject(new Error(`openstack network list: ${stderr || err.message}`)) : resolve(stdout)));
    });
    assert.deepEqual((JSON.parse(out) as { Name: string }[]).map((n) => n.Name).sort(), ['private', 'public']);
    // the machine itself listens on nothing but loopback for it: the server is in controller's namespaces
    const api = await rt.api();
    assert.equal((await api.req('GET', '/v2.0/networks?name=private')).networks.length, 1);
  });

  test('vm1 on compute pings vm2 on controller over VXLAN', async () => {
    for (const [name, host] of [['vm1', 'compute'], ['vm2', 'controller']] as const) {
      ips[name] = (await bootVm(rt, { name, network: 'private', host })).vm.ip_address!;
    }
    assert.ok(await ping('vm1', ips.vm2), 'vm1 (compute) → vm2 (controller)');
    assert.ok(await ping('vm2', ips.vm1), 'vm2 → vm1');
  });

  test('without the option, the runtime finds a two-machine lab (muon status, vm, down); muon up again changes nothing', async () => {
    const same = { root: rt.root, statePath: stateDir, apiPort: rt.apiPort, identityPort: rt.identityPort, novaPort: rt.novaApiPort };
    const found = new LabRuntime(same);
    assert.equal(found.twoMachines, true);
    assert.ok((await found.status()).server, 'the server on controller is found by its pid file in the controller\'s state');
    const said: string[] = [];
    await new LabRuntime({ ...same, reportInterval: 1, agentDownTime: 30, say: (l) => said.push(l) }).up({ router: false });
    assert.deepEqual(said.filter((l) => /started|forwarding|rabbitmq-server|covered|created/.test(l)), [], said.join('\n'));
    await assert.rejects(new LabRuntime({ ...same, machines: 'one' }).up({ router: false }), /runs as two machines \(muon up --two-machines\): run muon down first/);
  });

  test('the broker stops and starts while vm1 pings vm2: no ping lost; then a security-group rule reaches both hosts', async (t) => {
    const api = await rt.api();
    // a group without rules: its members c1 (compute) and c2 (controller) answer no ping
    const sg = (await api.req('POST', '/v2.0/security-groups', { security_group: { name: 'closed' } })).security_group;
    for (const [name, host] of [['c1', 'compute'], ['c2', 'controller']] as const) {
      ips[name] = (await bootVm(rt, { name, network: 'private', host, securityGroups: [sg.id] })).vm.ip_address!;
    }
    /** ICMP from `from` into the group; resolves when `from` pings c1 (compute's filter) and c2 (controller's) */
    const openFor = async (from: 'vm1' | 'vm2') => {
      const t0 = Date.now();
      await api.req('POST', '/v2.0/security-group-rules', { security_group_rule: {
        security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_ip_prefix: `${ips[from]}/32` } });
      await eventually(`compute applied the rule: ${from} → c1`, () => ping(from, ips.c1, '0.2'));
      const compute = Date.now() - t0;
      await eventually(`controller applied the rule: ${from} → c2`, () => ping(from, ips.c2, '0.2'));
      return `compute ${compute} ms, both ${Date.now() - t0} ms`;
    };
    for (const from of ['vm1', 'vm2']) for (const to of ['c1', 'c2']) assert.equal(await ping(from, ips[to]), false, `${from} → ${to}: closed`);
    t.diagnostic(`ICMP rule → ping through, before the broker restart: ${await openFor('vm2')}`);
    for (const to of ['c1', 'c2']) assert.equal(await ping('vm1', ips[to]), false, `vm1 → ${to}: still closed`);

    const logs = [rt.agentLog('compute', 'linuxbridge'), rt.agentLog('controller', 'linuxbridge')];
    const offsets = await Promise.all(logs.map(logSize));
    // ping until the broker is back and both agents reconnected, then SIGINT: ping prints its summary
    const pingLog = `${rt.lab.stateDir('compute')}/broker-restart-ping.log`;
    const pinger = await rt.lab.startOn('compute', ['ping', '-i', '0.1', '-W', '1', '-n', ips.vm2], { netns: 'vm-vm1', logFile: pingLog, settleMs: 50 });
    let sent = false;
    try {
      await new Promise((r) => setTimeout(r, 500));
      const t0 = Date.now();
      await rt.broker!.stop();
      const stopped = Date.now();
      await new Promise((r) => setTimeout(r, 1000));
      await rt.broker!.start();
      t.diagnostic(`broker: stop ${stopped - t0} ms, down (stopped → serving again) ${Date.now() - stopped} ms`);
      for (const [i, f] of logs.entries()) {
        await eventually(`${f}: reconnected`, async () => /"msg":"connected to RabbitMQ again"/.test(await logSince(f, offsets[i])), 30_000);
      }
      await new Promise((r) => setTimeout(r, 500));
      process.kill(pinger, 'SIGINT');
      sent = true;
      await eventually('ping printed its summary', async () => /packet loss/.test(await logSince(pingLog, 0)), 5000);
    } finally {
      if (!sent) process.kill(pinger, 'SIGKILL');
    }
    const summary = await logSince(pingLog, 0);
    const m = /(\d+) packets transmitted, (\d+) received/.exec(summary);
    assert.ok(m, `ping's summary:\n${summary.slice(-500)}`);
    const [sentN, received] = [Number(m[1]), Number(m[2])];
    // every echo answered, in order; only the last may still have been in flight at SIGINT
    const seqs = [...summary.matchAll(/icmp_seq=(\d+) /g)].map((x) => Number(x[1]));
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'no gap in the answered icmp_seq');
    assert.ok(received >= sentN - 1 && received === seqs.length, `no ping lost while the broker restarted: ${sentN} sent, ${received} answered`);
    t.diagnostic(`${sentN} pings sent while the broker stopped and started, ${received} answered`);

    t.diagnostic(`ICMP rule → ping through, after the broker restart: ${await openFor('vm1')}`);
  });

  test('a wrong rabbit_password on compute is one agent log line saying so', async () => {
    const log = rt.agentLog('compute', 'linuxbridge');
    const offset = await logSize(log);
    await rt.stopAgent('compute', 'linuxbridge');
    await rt.startAgent('compute', 'linuxbridge', { rabbitPassword: 'not-opst' });
    try {
      await eventually('the agent says the login was refused', async () => /refused the login/.test(await logSince(log, offset)), 30_000);
      const text = await logSince(log, offset);
      assert.match(text, /RabbitMQ at 192\.168\.81\.66:5672 refused the login of user 'openstack' \(ACCESS_REFUSED\): check \[oslo_messaging_rabbit\] rabbit_password/);
      assert.doesNotMatch(text, /not-opst/, 'the password is not logged');
    } finally {
      await rt.stopAgent('compute', 'linuxbridge');
      await rt.startAgent('compute', 'linuxbridge');
    }
    await rt.waitForAgents(30_000);
    assert.ok(await ping('vm1', ips.vm2), 'compute works again with the seed\'s password');
  });
});
