import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { applyFdb, fdb, fdbCommand, ports } from './bridge.ts';
import { batch } from './ip.ts';
import { rootSkip, scratchHost, type ScratchHost } from './testing.ts';

test('fdbCommand', () => {
  assert.deepEqual(fdbCommand({ op: 'append', mac: '00:00:00:00:00:00', dev: 'vxlan-10', dst: '192.168.81.65' }),
    ['fdb', 'append', '00:00:00:00:00:00', 'dev', 'vxlan-10', 'dst', '192.168.81.65']);
});

describe('bridge in a namespace', { skip: rootSkip }, () => {
  let h: ScratchHost;
  before(async () => {
    h = await scratchHost();
    // the seed's tenant network: brq + vxlan-10 without multicast group, l2pop-style
    await batch(h.place, [
      ['link', 'add', 'br-x', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0'],
      ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1'],
      ['addr', 'add', '192.168.81.66/24', 'dev', 'v0'],
      ['link', 'set', 'v0', 'up'],
      ['link', 'add', 'vxlan-10', 'type', 'vxlan', 'id', '10', 'dstport', '4789', 'local', '192.168.81.66', 'ttl', '64', 'nolearning', 'proxy'],
      ['link', 'set', 'vxlan-10', 'mtu', '1450', 'master', 'br-x', 'up'],
      ['link', 'set', 'br-x', 'up'],
    ]);
  });
  after(async () => { await h?.teardown(); });

  test('fdb append / replace / del in one batch each, read back with bridge -j', async () => {
    await applyFdb(h.place, [
      { op: 'append', mac: '00:00:00:00:00:00', dev: 'vxlan-10', dst: '192.168.81.65' },
      { op: 'append', mac: '00:00:00:00:00:00', dev: 'vxlan-10', dst: '192.168.81.67' },
      { op: 'replace', mac: 'fa:16:3e:5a:01:10', dev: 'vxlan-10', dst: '192.168.81.65' },
    ]);
    let e = await fdb(h.place, { dev: 'vxlan-10' });
    const flood = e.filter((x) => x.mac === '00:00:00:00:00:00').map((x) => x.dst).sort();
    assert.deepEqual(flood, ['192.168.81.65', '192.168.81.67']);
    assert.ok(e.some((x) => x.mac === 'fa:16:3e:5a:01:10' && x.dst === '192.168.81.65'));
    await applyFdb(h.place, [
      { op: 'replace', mac: 'fa:16:3e:5a:01:10', dev: 'vxlan-10', dst: '192.168.81.67' },
      { op: 'del', mac: '00:00:00:00:00:00', dev: 'vxlan-10', dst: '192.168.81.67' },
    ]);
    e = await fdb(h.place, { dev: 'vxlan-10' });
    assert.deepEqual(e.filter((x) => x.mac === '00:00:00:00:00:00').map((x) => x.dst), ['192.168.81.65']);
    assert.deepEqual(e.filter((x) => x.mac === 'fa:16:3e:5a:01:10').map((x) => x.dst), ['192.168.81.67']);
  });

  test('a failing fdb batch names the line', async () => {
    await assert.rejects(applyFdb(h.place, [{ op: 'del', mac: 'fa:16:3e:ff:ff:ff', dev: 'vxlan-10', dst: '192.168.81.99' }]),
      /failing batch line 1: bridge fdb del fa:16:3e:ff:ff:ff dev vxlan-10 dst 192.168.81.99/);
  });

  test('bridge -j link lists ports with their bridge', async () => {
    const p = await ports(h.place);
    assert.equal(p.find((x) => x.ifname === 'vxlan-10')?.master, 'br-x');
  });
});
