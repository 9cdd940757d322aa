// The lease of a deleted port must not keep its address from the next port given it:
// dnsmasq keeps leases whose host entry is gone ("not using configured address … because it
// is leased to …"); the agent releases them with dhcp_release. Real dnsmasq, real clients.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { batch } from '../../linux/ip.ts';
import { rootSkip, scratchHost, type ScratchHost } from '../../linux/testing.ts';
import { DHCP_PORT_ID, host, NET_ID, network, VM1, VM2 } from './fixtures.ts';
import { reconcileDhcp } from './reconcile.ts';
import { vmClients, type VmClients } from './vm-clients.ts';

const TAP = `tap${DHCP_PORT_ID.slice(0, 11)}`;
// a new port that is given VM1's address once VM1's port is deleted
const VM1_NEXT = host('33333333-aaaa-4bbb-8ccc-000000000010', 'fa:16:3e:7c:01:10', VM1.fixed_ips[0].ip_address);

describe('DHCP agent: leases of deleted or changed ports are released', { skip: rootSkip }, () => {
  let h: ScratchHost;
  let work = '';
  let stateDir = '';
  let vms: VmClients;
  const leasesFile = () => readFile(`${stateDir}/dhcp/${NET_ID}/leases`, 'utf8').catch(() => '');

  before(async () => {
    h = await scratchHost();
    work = await mkdtemp('/tmp/muon-dhcp-release-');
    await chmod(work, 0o755);
    stateDir = `${work}/state`;
    await batch(h.place, [
      ['link', 'add', 'brqtest', 'mtu', '1450', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0'],
      ['link', 'set', 'brqtest', 'up'],
    ]);
    vms = await vmClients(h, work, 'brqtest');
    const r = await reconcileDhcp(h.place, { dhcp: [network({ hosts: [VM1, VM2] })] }, { stateDir });
    assert.deepEqual(r.errors, []);
    await batch(h.place, [['link', 'set', TAP, 'master', 'brqtest']]);
  });

  after(async () => {
    await h?.teardown();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('a port deleted and its address given to a new MAC: the new VM gets the address at once', async () => {
    await vms.plug('vma', VM1.mac_address);
    assert.equal((await vms.lease('vma'))?.ip, '172.16.1.10');
    assert.match(await leasesFile(), /fa:16:3e:5a:01:10 172\.16\.1\.10/);

    const r = await reconcileDhcp(h.place, { dhcp: [network({ hosts: [VM1_NEXT, VM2] })] }, { stateDir });
    assert.deepEqual(r.errors, []);

    await vms.plug('vmb', VM1_NEXT.mac_address);
    const lease = await vms.lease('vmb', 2);
    const log = await readFile(`${stateDir}/dhcp/${NET_ID}/log`, 'utf8').catch(() => '');
    assert.equal(lease?.ip, '172.16.1.10', `vmb got no lease; dnsmasq says: ${log.split('\n').filter((l) => /not using|leased/.test(l)).slice(-2).join(' | ')}`);
    assert.doesNotMatch(await leasesFile(), /fa:16:3e:5a:01:10/, 'the old lease is gone from the lease file');
    assert.ok(r.actions.some((a) => a.kind === 'release'), `a release was planned: ${r.actions.map((a) => a.kind).join(',')}`);
  });

  test('a port whose address changed: its old lease is released, a leased port that did not change is kept', async () => {
    await vms.plug('vm2', VM2.mac_address);
    assert.equal((await vms.lease('vm2'))?.ip, '172.16.1.20');
    const moved = host(VM1_NEXT.id, VM1_NEXT.mac_address, '172.16.1.11');
    const r = await reconcileDhcp(h.place, { dhcp: [network({ hosts: [moved, VM2] })] }, { stateDir });
    assert.deepEqual(r.errors, []);
    const release = r.actions.find((a) => a.kind === 'release');
    assert.ok(release && release.kind === 'release');
    assert.deepEqual(release.leases.map((l) => `${l.mac} ${l.ip}`), ['fa:16:3e:7c:01:10 172.16.1.10']);
    for (let i = 0; i < 50 && /172\.16\.1\.10 /.test(await leasesFile()); i++) await new Promise((res) => setTimeout(res, 20));
    const leases = await leasesFile();
    assert.doesNotMatch(leases, /172\.16\.1\.10 /);
    assert.match(leases, /fa:16:3e:6b:01:20 172\.16\.1\.20/);
    assert.deepEqual((await reconcileDhcp(h.place, { dhcp: [network({ hosts: [moved, VM2] })] }, { stateDir })).actions, [], 'nothing left to release');
  });
});
