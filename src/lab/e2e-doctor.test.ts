// End to end, as root: `muon doctor` on the seed's lab. Healthy, it finds nothing above info;
// then each fault the lab can show — a config file mapping a missing interface and a local_ip
// the host lacks, a dead Linux bridge agent and the port it fails to bind, the seed's external
// subnet off the physical segment, a network without its DHCP agent, a router without its L3
// agent — is named with its fix. Its own lab root, state directory and ports.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { assertRoot, rootSkip } from '../linux/testing.ts';
import { freePort } from '../../test/support/muon-server.ts';
import { LabRuntime, sweepStaleLabRuntimes } from './runtime.ts';
import { bootVm } from './vm.ts';
import type { Finding } from '../doctor/finding.ts';

const PREFIX = 'muon-lab-e2ed-';
const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));

interface Report { findings: (Finding & { area: string })[]; exit_status: number; elapsed_ms: number }

describe('muon doctor on the lab', { skip: rootSkip }, () => {
  let rt: LabRuntime;
  let stateDir: string;
  let ids: Record<string, string>;
  const files = (host: string, kinds: string[]) => kinds.flatMap((k) => ['--config-file', `${rt.lab.stateDir(host)}/${k}_agent.ini`]);
  const parse = (stdout: string, code: number | null) => {
    const r = JSON.parse(stdout) as Report;
    assert.equal(r.exit_status, code);
    return r;
  };
  /** the host part, inside the emulated host, with its own files */
  const onHost = async (host: string, args: string[]) => {
    const r = await rt.lab.tryRunOn(host, [process.execPath, MAIN, 'doctor', '--format', 'json', ...args], { timeoutMs: 60_000 });
    assert.equal(r.stderr, '');
    return parse(r.stdout, r.code);
  };
  /** the deployment part, from the machine (the lab's API is on its 127.0.0.1) */
  const fromMachine = (args: string[]) => new Promise<Report>((resolve, reject) => execFile(process.execPath,
    [MAIN, 'doctor', '--format', 'json', '--no-host', '--openrc', `${stateDir}/admin-openrc.sh`, '--server', rt.apiUrl, ...args], { timeout: 60_000 },
    (err, stdout, stderr) => { try { assert.equal(stderr, ''); resolve(parse(stdout, err ? (err as { code?: number }).code ?? 1 : 0)); } catch (e) { reject(e); } }));
  const above = (r: Report) => r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.area} ${f.severity} ${f.code} ${f.object.name ?? f.object.id}`);

  before(async () => {
    assertRoot();
    await sweepStaleLabRuntimes('/run', PREFIX);
    stateDir = await mkdtemp(`${tmpdir()}/muon-e2ed-`);
    rt = new LabRuntime({
      root: `/run/${PREFIX}${process.pid}`, statePath: stateDir, apiPort: await freePort(), identityPort: await freePort(), novaPort: await freePort(),
      reportInterval: 1, agentDownTime: 4,
    });
    ids = (await rt.up()).networks as unknown as Record<string, string>;
    await bootVm(rt, { name: 'vm1', network: 'private', host: 'compute' });
  });

  after(async () => {
    await rt?.down();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  test('a healthy lab: nothing above info, on either host or from the server', async (t) => {
    const ctl = await onHost('controller', files('controller', ['linuxbridge', 'dhcp', 'l3', 'metadata']));
    assert.deepEqual(above(ctl), []);
    const cmp = await onHost('compute', files('compute', ['linuxbridge']));
    assert.deepEqual(above(cmp), []);
    const dep = await fromMachine(files('controller', ['linuxbridge', 'dhcp', 'l3', 'metadata']));
    assert.deepEqual(above(dep), []);
    t.diagnostic(`muon doctor: controller ${ctl.elapsed_ms} ms, compute ${cmp.elapsed_ms} ms, deployment ${dep.elapsed_ms} ms (each plus Node's start)`);
  });

  test('config files that map a missing interface and a local_ip the host lacks', async () => {
    const good = await readFile(`${rt.lab.stateDir('compute')}/linuxbridge_agent.ini`, 'utf8');
    const bad = `${stateDir}/bad-linuxbridge_agent.ini`;
    await writeFile(bad, good.replace('public:eno1', 'public:eno2').replace('local_ip = 192.168.81.65', 'local_ip = 192.168.81.99'));
    const r = await onHost('compute', ['--config-file', bad]);
    assert.deepEqual(above(r).sort(), ['config error local-ip-not-assigned 192.168.81.99', 'config error mapping-interface-missing public:eno2']);
    assert.match(r.findings.find((f) => f.code === 'mapping-interface-missing')!.fix, /public:eno1/);
    assert.match(r.findings.find((f) => f.code === 'local-ip-not-assigned')!.evidence, /it has 192\.168\.81\.65\/24 on (eno1|brq\w+)/);
  });

  test('a dead agent and the port it cannot bind, the seed\'s external subnet, a network without DHCP, a router without L3', async () => {
    const api = await rt.api();
    await rt.stopAgent('compute', 'linuxbridge');
    const wrong = (await api.req('POST', '/v2.0/subnets', { subnet: { network_id: ids.public, ip_version: 4, cidr: '10.0.0.0/24', name: 'wrong', enable_dhcp: false } })).subnet.id;
    const agents = (await api.req('GET', '/v2.0/agents')).agents as { id: string; agent_type: string }[];
    const dhcp = agents.find((a) => a.agent_type === 'DHCP agent')!.id;
    const l3 = agents.find((a) => a.agent_type === 'L3 agent')!.id;
    await api.req('DELETE', `/v2.0/agents/${dhcp}/dhcp-networks/${ids.private}`);
    await api.req('DELETE', `/v2.0/agents/${l3}/l3-routers/${ids.router}`);
    await new Promise((r) => setTimeout(r, 5000)); // agent_down_time 4 s
    const port = (await api.req('POST', '/v2.0/ports', { port: { network_id: ids.private, name: 'vm2', device_owner: 'compute:nova', device_id: 'vm2', 'binding:host_id': 'compute' } })).port.id;
    const r = await fromMachine([]);
    assert.deepEqual(above(r).sort(), [
      'deployment error agent-dead Linux bridge agent on compute', 'deployment error external-subnet-off-link wrong', 'deployment error network-no-dhcp-agent private',
      'deployment error port-binding-failed vm2', 'deployment error router-no-l3-agent router',
    ]);
    assert.match(r.findings.find((f) => f.code === 'external-subnet-off-link')!.evidence, /eno1 on host controller carries 192\.168\.81\.66\/24/);
    assert.match(r.findings.find((f) => f.code === 'port-binding-failed')!.evidence, /dead|not alive/);
    // the fixes clear them
    await api.req('DELETE', `/v2.0/ports/${port}`);
    await api.req('DELETE', `/v2.0/subnets/${wrong}`);
    await api.req('POST', `/v2.0/agents/${dhcp}/dhcp-networks`, { network_id: ids.private });
    await api.req('POST', `/v2.0/agents/${l3}/l3-routers`, { router_id: ids.router });
    await rt.startAgent('compute', 'linuxbridge');
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(above(await fromMachine([])), []);
  });
});
