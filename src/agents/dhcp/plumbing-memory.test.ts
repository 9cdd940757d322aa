// The plumbing this process left stands in for reading it (a new host entry costs no ip
// process), only while it is what is desired in the same namespace, and until a read is due.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { addresses, batch } from '../../linux/ip.ts';
import { rootSkip, scratchHost, type ScratchHost } from '../../linux/testing.ts';
import { DHCP_PORT_ID, NET_ID, network, VM1, VM2 } from './fixtures.ts';
import { newPlumbingMemory } from './plumbing-memory.ts';
import { reconcileDhcp } from './reconcile.ts';

const NS = `ns-${DHCP_PORT_ID.slice(0, 11)}`;
const NETNS = `qdhcp-${NET_ID}`;

describe('DHCP plumbing remembered (real namespaces)', { skip: rootSkip }, () => {
  let h: ScratchHost;
  let work = '';
  before(async () => {
    h = await scratchHost();
    work = await mkdtemp('/tmp/muon-dhcp-mem-');
    await chmod(work, 0o755); // dnsmasq (nobody) must reach the state dir
  });
  after(async () => {
    await h?.teardown();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('a new host entry is written without reading the namespace; a changed or due plumbing is read again', async () => {
    const memory = newPlumbingMemory();
    const opts = { stateDir: `${work}/state`, memory };
    const inNs = async () => (await addresses(h.nested(NETNS), NS))[0]?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`) ?? [];
    const first = await reconcileDhcp(h.place, { dhcp: [network()] }, opts);
    assert.deepEqual(first.errors, []);
    assert.equal(memory.networks.size, 1);
    assert.deepEqual(await inNs(), ['172.16.1.2/24']);

    // taken away by hand: the memory vouches for the plumbing, so this reconcile does not see it
    await batch(h.nested(NETNS), [['addr', 'flush', 'dev', NS]]);
    const entry = await reconcileDhcp(h.place, { dhcp: [network({ hosts: [VM1, VM2] })] }, opts);
    assert.deepEqual(entry.errors, []);
    assert.deepEqual([...new Set(entry.actions.map((a) => a.kind))].sort(), ['reload', 'write'], 'files only');
    assert.deepEqual(await inNs(), [], 'not read, so not put back (until a read is due)');

    // another desired plumbing (a new address) is read and made whole
    const moved = network({ hosts: [VM1, VM2] });
    moved.port.fixed_ips = [{ subnet_id: moved.subnets[0].id, ip_address: '172.16.1.3' }];
    await reconcileDhcp(h.place, { dhcp: [moved] }, opts);
    assert.deepEqual(await inNs(), ['172.16.1.3/24']);

    // a read due (FULL_OBSERVE_MS passed) puts back what a hand took away
    await batch(h.nested(NETNS), [['addr', 'flush', 'dev', NS]]);
    memory.readAt = 0;
    await reconcileDhcp(h.place, { dhcp: [moved] }, opts);
    assert.deepEqual(await inNs(), ['172.16.1.3/24']);

    // the namespace made again (another inode) is not the one remembered
    await reconcileDhcp(h.place, { dhcp: [] }, opts);
    assert.equal(memory.networks.size, 0);
    await batch(h.place, [['netns', 'add', NETNS]]);
    await reconcileDhcp(h.place, { dhcp: [moved] }, opts);
    assert.deepEqual(await inNs(), ['172.16.1.3/24']);
    await reconcileDhcp(h.place, { dhcp: [] }, opts);
  });
});
