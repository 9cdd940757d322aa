import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addresses, addressMap, batch, batchLine, links, namesMissingDevice, neighbours, parseJsonList, routes, untilEnslaved } from './ip.ts';
import { rootSkip, scratchHost, type ScratchHost } from './testing.ts';

test('batchLine refuses tokens that ip -batch would split or comment out', () => {
  assert.equal(batchLine(['link', 'set', 'eno1', 'up']), 'link set eno1 up');
  for (const bad of ['a b', 'x#y', '"q"', "it's", 'a\nb', '']) {
    assert.throws(() => batchLine(['link', 'set', bad, 'up']), /invalid token/);
  }
});

test('parseJsonList: empty output is an empty list; garbage is an error', () => {
  assert.deepEqual(parseJsonList('', 'x'), []);
  assert.deepEqual(parseJsonList('[{"a":1}]\n', 'x'), [{ a: 1 }]);
  assert.throws(() => parseJsonList('oops', 'ip -j link'), /cannot parse ip -j link output/);
});

describe('ip in a namespace', { skip: rootSkip }, () => {
  let h: ScratchHost;
  before(async () => { h = await scratchHost(); });
  after(async () => { await h?.teardown(); });

  test('untilEnslaved wakes on the kernel\'s event when the device joins a bridge; false when it never does or is gone', async () => {
    await batch(h.place, [['link', 'add', 'br-w', 'type', 'bridge'], ['link', 'add', 'd-w', 'type', 'veth', 'peer', 'name', 'd-w2'], ['link', 'add', 'd-x', 'type', 'veth', 'peer', 'name', 'd-x2']]);
    const t0 = Date.now();
    const waiting = untilEnslaved(h.place, 'd-w', 10_000);
    setTimeout(() => { void batch(h.place, [['link', 'set', 'd-w', 'master', 'br-w']]); }, 300);
    assert.equal(await waiting, true);
    assert.ok(Date.now() - t0 < 5000, 'woken by the event, long before the time limit');
    assert.equal(await untilEnslaved(h.place, 'd-w', 1000), true, 'already a bridge port');
    assert.equal(await untilEnslaved(h.place, 'd-x', 300), false, 'never enslaved');
    assert.equal(await untilEnslaved(h.place, 'no-such-dev', 5000), false, 'gone');
  });

  test('namesMissingDevice: ip stopping at a master that does not exist, and nothing after it ran', async () => {
    await batch(h.place, [['link', 'add', 'd-m', 'type', 'veth', 'peer', 'name', 'd-m2']]);
    const err = await batch(h.place, [['link', 'set', 'd-m', 'up'], ['link', 'set', 'd-m', 'master', 'brq-absent'], ['link', 'set', 'd-m2', 'up']]).then(() => undefined, (e: Error) => e.message);
    assert.ok(err && namesMissingDevice(err, 'brq-absent'), err);
    assert.equal(namesMissingDevice(err!, 'brq-other'), false);
    assert.equal((await links(h.place, 'd-m2'))[0]?.flags.includes('UP'), false, 'ip stopped there');
  });

  test('one batch builds bridge, veth, addresses, routes, neighbours; ip -j reads them back', async () => {
    await batch(h.place, [
      ['link', 'add', 'br-t', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0'],
      ['link', 'add', 'v-a', 'mtu', '1450', 'type', 'veth', 'peer', 'name', 'v-b'],
      ['link', 'set', 'v-a', 'master', 'br-t', 'up'],
      ['link', 'set', 'br-t', 'up'],
      ['link', 'set', 'v-b', 'up'],
      ['addr', 'add', '10.9.0.1/24', 'dev', 'br-t'],
      ['addr', 'add', '10.8.0.1/24', 'dev', 'v-b'],
      ['route', 'add', 'default', 'via', '10.9.0.254'],
      ['neigh', 'replace', '10.9.0.7', 'lladdr', 'fa:16:3e:00:00:07', 'dev', 'br-t', 'nud', 'permanent'],
    ]);
    const ls = await links(h.place);
    const va = ls.find((l) => l.ifname === 'v-a');
    assert.equal(va?.master, 'br-t');
    assert.equal(va?.mtu, 1450);
    assert.equal(ls.find((l) => l.ifname === 'br-t')?.linkinfo?.info_kind, 'bridge');
    assert.equal(ls.find((l) => l.ifname === 'v-b')?.linkinfo?.info_kind, 'veth');
    const am = addressMap(await addresses(h.place), 'inet');
    assert.deepEqual(am.get('br-t'), ['10.9.0.1/24']);
    assert.deepEqual(am.get('lo'), ['127.0.0.1/8']);
    const rs = await routes(h.place, { family: 4 });
    assert.ok(rs.some((r) => r.dst === 'default' && r.gateway === '10.9.0.254' && r.dev === 'br-t'));
    const ns = await neighbours(h.place, 'br-t');
    assert.ok(ns.some((n) => n.dst === '10.9.0.7' && n.lladdr === 'fa:16:3e:00:00:07' && n.state?.includes('PERMANENT')));
    assert.equal((await links(h.place, 'v-a')).length, 1);
  });

  test('a failing batch stops there and the error names the line', async () => {
    await assert.rejects(batch(h.place, [
      ['link', 'add', 'ok-1', 'type', 'bridge'],
      ['link', 'add', 'br-t', 'type', 'bridge'],
      ['link', 'add', 'never', 'type', 'bridge'],
    ]), (e: Error) => {
      assert.match(e.message, /ip -batch -/);
      assert.match(e.message, /File exists/);
      assert.match(e.message, /failing batch line 2: ip link add br-t type bridge/);
      return true;
    });
    const names = (await links(h.place)).map((l) => l.ifname);
    assert.ok(names.includes('ok-1'));
    assert.ok(!names.includes('never'));
  });
});
