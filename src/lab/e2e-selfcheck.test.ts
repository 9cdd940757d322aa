// End to end, as root: the lab checks itself. A healthy lab's agents log no warning and report
// no host problem; `muon vm boot` says in one line why a VM did not boot (DHCP disabled, the L2
// agent gone, stuck or dead, the DHCP agent gone, dnsmasq refusing its options, a failed
// binding) and leaves nothing behind; an agent started with a mapping to a missing interface and
// another machine's local_ip reports both: ports fail to bind with its reason, doctor and
// `muon status` show them, and the interface appearing binds the waiting port. One lab.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test, type TestContext } from 'node:test';
import { assertRoot, rootSkip } from '../linux/testing.ts';
import { inodes as netnsInodes } from '../linux/netns.ts';
import { freePort } from '../../test/support/muon-server.ts';
import { LabRuntime, sweepStaleLabRuntimes } from './runtime.ts';
import { bootVm, listVms } from './vm.ts';
import { UserError } from '../errors/user-error.ts';

const PREFIX = 'muon-lab-e2es-';
const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
/** long enough that a killed agent still counts as alive while a VM boots, short enough to see one die */
const DOWN_TIME = 10;

interface AgentRow { id: string; host: string; agent_type: string; alive: boolean; configurations: { host_problems?: { code: string }[] } }

async function until<T>(what: string, ms: number, f: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the lab checks itself', { skip: rootSkip }, () => {
  let rt: LabRuntime;
  let stateDir: string;

  const agents = async () => (await (await rt.api()).req('GET', '/v2.0/agents')).agents as AgentRow[];
  const lbOnCompute = async () => (await agents()).find((a) => a.host === 'compute' && a.agent_type === 'Linux bridge agent')!;
  /** a failed boot: one line, a UserError, and no port, VM record or namespace left */
  const bootFails = async (name: string, opts: { network: string; host: string; timeoutMs?: number }, why: RegExp, ctx?: TestContext) => {
    const t0 = Date.now();
    const err = await bootVm(rt, { name, ...opts }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof UserError, `a UserError, not ${String((err as Error)?.stack ?? err)}`);
    assert.doesNotMatch(err.message, /\n/, 'one line');
    assert.match(err.message, why);
    assert.deepEqual((await (await rt.api()).req('GET', `/v2.0/ports?name=${name}`)).ports, [], 'no port left');
    assert.ok(!(await listVms(rt)).some((v) => v.name === name), 'no VM record left');
    assert.ok(!(await netnsInodes(rt.lab.place(opts.host))).has(`vm-${name}`), 'no VM namespace left');
    const ms = Date.now() - t0;
    ctx?.diagnostic(`${name}: said in ${ms} ms: ${err.message.slice(0, 160)}…`);
    return { message: err.message, ms };
  };
  const typeOf = (kind: 'linuxbridge' | 'dhcp') => (kind === 'dhcp' ? 'DHCP agent' : 'Linux bridge agent');
  const startedAt = async (host: string, kind: 'linuxbridge' | 'dhcp') =>
    ((await agents()).find((a) => a.host === host && a.agent_type === typeOf(kind)) as AgentRow & { started_at: string }).started_at;
  /** start an agent again and wait for the new process's registration (the server counts the old one alive meanwhile) */
  const startAgain = async (host: string, kind: 'linuxbridge' | 'dhcp', before: string, editIni?: (t: string) => string) => {
    await new Promise((r) => setTimeout(r, 1000)); // started_at has a resolution of one second
    await rt.startAgent(host, kind, { editIni });
    await until(`the new ${typeOf(kind)} on ${host} registered`, 30_000, async () => ((await startedAt(host, kind)) !== before ? true : undefined))
      .catch(async (e: Error) => { throw new Error(`${e.message}; its log ends:\n${(await readFile(rt.agentLog(host, kind), 'utf8')).split('\n').slice(-15).join('\n')}`); });
  };
  const restart = async (host: string, kind: 'linuxbridge' | 'dhcp', editIni?: (t: string) => string) => {
    const before = await startedAt(host, kind);
    await rt.stopAgent(host, kind);
    await startAgain(host, kind, before, editIni);
  };

  before(async () => {
    assertRoot();
    await sweepStaleLabRuntimes('/run', PREFIX);
    stateDir = await mkdtemp(`${tmpdir()}/muon-e2es-`);
    rt = new LabRuntime({
      root: `/run/${PREFIX}${process.pid}`, statePath: stateDir, apiPort: await freePort(), identityPort: await freePort(), novaPort: await freePort(),
      reportInterval: 1, agentDownTime: DOWN_TIME,
    });
    await rt.up();
  });

  after(async () => {
    await rt?.down();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  test('a healthy lab: no warning in any agent\'s log or the server\'s, no host problem reported', async (t) => {
    await bootVm(rt, { name: 'vm1', network: 'private', host: 'compute' });
    const logs = [rt.serverLog, ...rt.hosts.flatMap((h) => h.agents.map((k) => rt.agentLog(h.host, k)))];
    const bad: string[] = [];
    for (const f of logs) {
      for (const line of (await readFile(f, 'utf8')).split('\n')) {
        if (/"level":"(warning|error)"/.test(line) || /^(warning|error):/.test(line)) bad.push(`${f}: ${line}`);
      }
    }
    assert.deepEqual(bad, []);
    const rows = await agents();
    assert.equal(rows.length, 5);
    for (const a of rows) assert.deepEqual(a.configurations.host_problems, [], `${a.agent_type} on ${a.host}`);
  });

  test('vm boot on a network whose subnet has DHCP disabled', async (t) => {
    const api = await rt.api();
    const net = (await api.req('POST', '/v2.0/networks', { network: { name: 'nodhcp' } })).network.id as string;
    await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net, name: 'nodhcp', ip_version: 4, cidr: '10.9.0.0/24', enable_dhcp: false } });
    await bootFails('vm-nodhcp', { network: 'nodhcp', host: 'compute' }, /^DHCP is disabled on subnet 'nodhcp' 10\.9\.0\.0\/24 of network 'nodhcp'.*openstack subnet set --dhcp nodhcp$/, t);
    // the command: one line on stderr, no stack trace, exit status 2
    const cli = await new Promise<{ code: number | null; stderr: string }>((resolve) => execFile(process.execPath,
      [MAIN, 'vm', 'boot', 'vm-nodhcp', '--network', 'nodhcp', '--host', 'compute', '--lab-root', rt.root, '--state-path', stateDir, '--api-port', String(rt.apiPort)],
      { timeout: 60_000 }, (err, _stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? null : 0, stderr })));
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, /^error: DHCP is disabled on subnet 'nodhcp' [^\n]*\n$/);
    await api.req('DELETE', `/v2.0/networks/${net}`);
  });

  test('vm boot with the host\'s Linux bridge agent gone: said at once, not after the wait', async (t) => {
    const pid = (await rt.agentProcess('compute', 'linuxbridge'))!.pid;
    const before = await startedAt('compute', 'linuxbridge');
    await rt.stopAgent('compute', 'linuxbridge', { kill: true });
    try {
      const r = await bootFails('vm-nolb', { network: 'private', host: 'compute' },
        new RegExp(`is DOWN: waiting for the Linux bridge agent on host compute to plug tap[0-9a-f-]{11}, but the agent is not running: its process \\(pid ${pid}\\) is gone.*restart it: muon up`), t);
      assert.ok(r.ms < 10_000, `${r.ms} ms`);
    } finally {
      await startAgain('compute', 'linuxbridge', before);
    }
  });

  test('vm boot with the Linux bridge agent stuck: alive but not plugging, then dead', async (t) => {
    const pid = (await rt.agentProcess('compute', 'linuxbridge'))!.pid;
    process.kill(pid, 'SIGSTOP');
    try {
      await bootFails('vm-stuck', { network: 'private', host: 'compute', timeoutMs: 2000 },
        new RegExp(`waiting for the Linux bridge agent on host compute to plug tap[0-9a-f-]{11}: the agent is alive but has not plugged it; its process \\(pid ${pid}\\) is stopped \\(SIGSTOP\\)`), t);
      const r = await bootFails('vm-dead', { network: 'private', host: 'compute', timeoutMs: 60_000 },
        /(is DOWN: waiting for the Linux bridge agent on host compute to plug tap[0-9a-f-]{11}, but the agent is dead: no heartbeat since|port binding failed on host 'compute': the Linux bridge agent on host 'compute' is dead)/, t);
      assert.ok(r.ms < 30_000, `said when the server declared it dead, not after the whole wait: ${r.ms} ms`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await rt.waitForAgents(30_000);
  });

  test('vm boot with the DHCP agent gone: the port is plugged (BUILD) and waits for DHCP', async (t) => {
    const pid = (await rt.agentProcess('controller', 'dhcp'))!.pid;
    const before = await startedAt('controller', 'dhcp');
    await rt.stopAgent('controller', 'dhcp', { kill: true });
    try {
      await bootFails('vm-nodhcpagent', { network: 'private', host: 'controller' },
        new RegExp(`is BUILD: plugged, waiting for DHCP on network [0-9a-f-]{36}: the DHCP agent on controller is not running: its process \\(pid ${pid}\\) is gone`), t);
    } finally {
      await startAgain('controller', 'dhcp', before);
    }
  });

  test('vm boot while dnsmasq refuses the DHCP agent\'s options: dnsmasq\'s own words', async (t) => {
    const bad = `${stateDir}/bad-dnsmasq.conf`;
    await writeFile(bad, 'dhcp-optoin=3,10.0.0.1\n'); // a typo dnsmasq refuses
    await restart('controller', 'dhcp', (t) => t.replace('[DEFAULT]\n', `[DEFAULT]\ndnsmasq_config_file = ${bad}\n`));
    try {
      await bootFails('vm-badopt', { network: 'private', host: 'compute' },
        /is BUILD: plugged, waiting for DHCP on network [0-9a-f-]{36}: dnsmasq on controller refused to start: dnsmasq: bad option at line 1 of .*bad-dnsmasq\.conf/, t);
    } finally {
      await restart('controller', 'dhcp');
    }
  });

  test('an agent mapping a missing interface with another machine\'s local_ip: reported, bindings fail with its reason, doctor and status show it; the interface appearing binds the port', async (t) => {
    const api = await rt.api();
    await restart('compute', 'linuxbridge', (t) => t.replace('public:eno1', 'public:eno2').replace('local_ip = 192.168.81.65', 'local_ip = 192.168.81.66'));
    // the restarted agent's first report (its registration) carries them
    const reported = await until('the restarted agent\'s report', 20_000, async () => {
      const codes = ((await lbOnCompute()).configurations.host_problems ?? []).map((p) => p.code).sort();
      return codes.length ? codes : undefined;
    });
    assert.deepEqual(reported, ['local-ip-not-assigned', 'mapping-interface-missing']);

    await bootFails('vm-eno2', { network: 'public', host: 'compute' },
      /port binding failed on host 'compute': the Linux bridge agent on host 'compute' reports: .*maps physical network 'public' to eno2, but host compute has no interface eno2.*fix: set physical_interface_mappings = public:eno1/, t);
    await bootFails('vm-ip', { network: 'private', host: 'compute' },
      /port binding failed on host 'compute': the Linux bridge agent on host 'compute' reports: \[vxlan\] local_ip = 192\.168\.81\.66, but no interface of host compute has that address/, t);

    const pub = (await api.req('GET', '/v2.0/networks?name=public')).networks[0].id as string;
    const port = (await api.req('POST', '/v2.0/ports', { port: { network_id: pub, name: 'waiting', device_owner: 'compute:nova', device_id: 'x', 'binding:host_id': 'compute' } })).port;
    assert.equal(port['binding:vif_type'], 'binding_failed');

    const doctor = (await api.req('GET', '/v2.0/muon/doctor')).findings as { code: string; object: { type: string; name?: string } }[];
    const codes = doctor.map((f) => `${f.code} ${f.object.type} ${f.object.name ?? ''}`);
    for (const want of ['mapping-interface-missing agent Linux bridge agent on compute', 'local-ip-not-assigned agent Linux bridge agent on compute', 'tunneling-ip-duplicate config 192.168.81.66', 'port-binding-failed port waiting']) {
      assert.ok(codes.includes(want), `${want} in ${codes.join('; ')}`);
    }

    const status = await new Promise<string>((resolve, reject) => execFile(process.execPath,
      [MAIN, 'status', '--lab-root', rt.root, '--state-path', stateDir, '--api-port', String(rt.apiPort)], { timeout: 60_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout))));
    assert.match(status, /agent Linux bridge agent on compute: alive; its host check found 2 problems:\n {4}error mapping-interface-missing: .*no interface eno2.* -- fix: set physical_interface_mappings = public:eno1\n {4}error local-ip-not-assigned: /);

    // the interface appears: the agent sees it (a link event; a veth: this kernel has no dummy devices), reports, and the server binds the waiting port
    await rt.lab.runOn('compute', ['ip', 'link', 'add', 'eno2', 'type', 'veth', 'peer', 'name', 'eno2-peer']);
    const t0 = performance.now();
    try {
      await until('the waiting port bound', 20_000, async () => {
        const p = (await api.req('GET', `/v2.0/ports/${port.id}`)).port;
        return p['binding:vif_type'] === 'bridge' ? true : undefined;
      });
      t.diagnostic(`eno2 created → the waiting port bound: ${Math.round(performance.now() - t0)} ms (polled every 100 ms)`);
      assert.deepEqual((await lbOnCompute()).configurations.host_problems!.map((p) => p.code), ['local-ip-not-assigned']);
    } finally {
      await api.req('DELETE', `/v2.0/ports/${port.id}`);
      await rt.lab.tryRunOn('compute', ['ip', 'link', 'del', 'eno2']);
      await restart('compute', 'linuxbridge');
    }
    await until('the healthy agent\'s report', 20_000, async () => ((await lbOnCompute()).configurations.host_problems?.length === 0 ? true : undefined));
  });
});
