// Isolated metadata for real in a scratch host: a VM on a network without a router learns
// 169.254.169.254/32 via the DHCP port from option 121, and its request reaches haproxy in
// qdhcp-, the metadata agent on its unix socket, and the Nova double.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { exec, tryExec } from '../../linux/exec.ts';
import { findHaproxy } from '../../linux/haproxy.ts';
import { addresses, batch } from '../../linux/ip.ts';
import { isAlive } from '../../linux/proc.ts';
import { rootSkip, scratchHost, type ScratchHost } from '../../linux/testing.ts';
import { loadConfigSources } from '../../config/load.ts';
import { metadataAgent, type MetadataAgent } from '../metadata/agent.ts';
import { fakeChannel, memoryLog, startNovaDouble, type NovaDouble } from '../metadata/nova-double.ts';
import { proxyRunAs } from '../metadata/socket-access.ts';
import { DHCP_PORT_ID, NET_ID, network, subnet, VM1 } from './fixtures.ts';
import { reconcileDhcp } from './reconcile.ts';
import type { DhcpAgentOptions } from './desired.ts';
import { vmClients, type VmClients } from './vm-clients.ts';

const TAP = `tap${DHCP_PORT_ID.slice(0, 11)}`;
const NS = `ns-${DHCP_PORT_ID.slice(0, 11)}`;
const NETNS = `qdhcp-${NET_ID}`;
const INSTANCE = '9a8b7c6d-0000-4000-8000-0000000000dd';

describe('isolated metadata in the DHCP namespace', { skip: rootSkip }, () => {
  let h: ScratchHost;
  let work = '';
  let opts: DhcpAgentOptions;
  let nova: NovaDouble;
  let agent: MetadataAgent;
  let vms: VmClients;
  let dnsmasqPid = 0;
  const proxyFilesOf = () => ({ config: `${opts.stateDir}/dhcp/${NET_ID}/metadata-proxy.conf`, pid: `${opts.stateDir}/dhcp/${NET_ID}/metadata-proxy.pid` });
  const curl = () => tryExec(['curl', '-s', '-m', '5', '-w', '\\n%{http_code}', 'http://169.254.169.254/latest/meta-data/instance-id'], { place: h.nested('vm1') });

  before(async () => {
    h = await scratchHost();
    work = await mkdtemp('/tmp/muon-isolated-metadata-');
    await chmod(work, 0o755);
    const stateDir = `${work}/state`;
    await mkdir(stateDir, { mode: 0o755 });
    nova = await startNovaDouble('s3cret');
    const { config } = loadConfigSources([{ file: 'metadata_agent.ini', text: `[DEFAULT]\nstate_path = ${stateDir}\nnova_metadata_port = ${nova.port}\nmetadata_proxy_shared_secret = s3cret\n` }]);
    agent = metadataAgent(config, fakeChannel({ [`network:${NET_ID}:172.16.1.10`]: { instance_id: INSTANCE, project_id: 'p', port_id: VM1.id } }), memoryLog());
    await agent.listen();
    opts = { stateDir, metadata: { enableIsolated: true, force: false, socketPath: `${stateDir}/metadata_proxy`, runAs: await proxyRunAs() } };
    await batch(h.place, [
      ['link', 'add', 'brqtest', 'mtu', '1450', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0'],
      ['link', 'set', 'brqtest', 'up'],
    ]);
    vms = await vmClients(h, work, 'brqtest');
  });

  after(async () => {
    await h?.teardown();
    await agent?.close();
    await nova?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('the namespace gets 169.254.169.254/32 and haproxy; the VM gets the route and its instance id', async () => {
    const r = await reconcileDhcp(h.place, { dhcp: [network()] }, opts);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
    dnsmasqPid = r.networks[0].pid!;
    await batch(h.place, [['link', 'set', TAP, 'master', 'brqtest']]);
    const [ns] = await addresses(h.nested(NETNS), NS);
    assert.ok(ns.addr_info.some((a) => a.local === '169.254.169.254' && a.prefixlen === 32));
    assert.ok(await findHaproxy(proxyFilesOf()), 'haproxy runs in qdhcp-');

    await vms.plug('vm1', VM1.mac_address);
    const lease = await vms.lease('vm1');
    assert.equal(lease?.ip, '172.16.1.10');
    assert.equal(lease?.staticroutes, '169.254.169.254/32 172.16.1.2 0.0.0.0/0 172.16.1.1');
    const route = (await exec(['ip', 'route', 'get', '169.254.169.254'], { place: h.nested('vm1') })).stdout;
    assert.match(route, /via 172\.16\.1\.2 dev eth0/);
    const c = await curl();
    assert.equal(c.stdout, `${INSTANCE}\n200`, `curl: ${c.stderr}; haproxy log: ${await readFile(`${opts.stateDir}/dhcp/${NET_ID}/metadata-proxy.log`, 'utf8').catch(() => '')}`);
    assert.equal(nova.seen.at(-1)!.headers['x-forwarded-for'], '172.16.1.10');
    assert.deepEqual((await reconcileDhcp(h.place, { dhcp: [network()] }, opts)).actions, [], 'a second reconcile changes nothing');
  });

  test('a router on the subnet: haproxy stops, dnsmasq keeps running (reloaded), the VM is routed via the gateway', async () => {
    const proxy = (await findHaproxy(proxyFilesOf()))!;
    const routed = network({ subnets: [subnet({ has_router: true })] });
    const r = await reconcileDhcp(h.place, { dhcp: [routed] }, opts);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.actions.map((a) => a.kind), ['write', 'reload', 'proxy-stop']);
    assert.equal(await isAlive(proxy.pid), false);
    assert.equal(r.networks[0].pid, dnsmasqPid);
    assert.equal((await vms.lease('vm1'))?.staticroutes, '169.254.169.254/32 172.16.1.1 0.0.0.0/0 172.16.1.1');
    // and back: the router goes, haproxy comes back
    const back = await reconcileDhcp(h.place, { dhcp: [network()] }, opts);
    assert.deepEqual(back.actions.map((a) => a.kind), ['write', 'reload', 'proxy']);
    await vms.lease('vm1');
    assert.equal((await curl()).stdout, `${INSTANCE}\n200`);
  });

  test('the network removed: haproxy goes with the namespace', async () => {
    const proxy = (await findHaproxy(proxyFilesOf()))!;
    const r = await reconcileDhcp(h.place, { dhcp: [] }, opts);
    assert.deepEqual(r.errors, []);
    assert.equal(await isAlive(proxy.pid), false);
  });
});
