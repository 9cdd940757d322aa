import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ensure, get, procPath, read, write } from './sysctl.ts';
import { rootSkip, scratchHost, type ScratchHost } from './testing.ts';

test('keys and values are validated', async () => {
  await assert.rejects(read(undefined, ['net.ipv4.ip_forward; rm']), /invalid sysctl key/);
  await assert.rejects(write(undefined, { 'net.ipv4.ip_forward': '1 2' }), /invalid sysctl value/);
});

describe('sysctl in a namespace', { skip: rootSkip }, () => {
  let h: ScratchHost;
  before(async () => { h = await scratchHost(); });
  after(async () => { await h?.teardown(); });

  test('values are per network namespace; ensure writes only what differs', async () => {
    const rootBefore = await get(undefined, 'net.ipv4.ip_forward');
    // new namespaces start with kernel defaults (facts: devconf_inherit_init_net=0)
    assert.equal(await get(h.place, 'net.ipv4.ip_forward'), '0');
    assert.equal(await get(h.place, 'net.bridge.bridge-nf-call-iptables'), '1');
    const changed = await ensure(h.place, { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.all.send_redirects': 1 });
    assert.deepEqual(changed, ['net.ipv4.ip_forward']);
    assert.deepEqual(await ensure(h.place, { 'net.ipv4.ip_forward': 1 }), []);
    assert.equal(await get(h.place, 'net.ipv4.ip_forward'), '1');
    assert.equal(await get(undefined, 'net.ipv4.ip_forward'), rootBefore);
    assert.equal(await get(h.place, 'net.no.such.key'), undefined);
    const m = await read(h.place, ['net.ipv4.conf.lo.forwarding', 'net.ipv4.ip_forward']);
    assert.equal(m.get('net.ipv4.ip_forward'), '1');
    assert.ok(m.has('net.ipv4.conf.lo.forwarding'));
  });
});

test('a key maps to its /proc/sys path', () => {
  assert.equal(procPath('net.ipv4.ip_forward'), '/proc/sys/net/ipv4/ip_forward');
  assert.throws(() => procPath('net/../../etc'), /invalid sysctl key/);
});

test('in its own namespaces, read gives what sysctl(8) gives (read directly from /proc/sys)', async () => {
  const keys = ['net.ipv4.ip_forward', 'net.ipv4.conf.lo.forwarding', 'kernel.ostype', 'net.no.such.key'];
  const direct = await read(undefined, keys);
  const viaTool = await read({ nsenter: { net: '/proc/self/ns/net' } }, keys);
  assert.deepEqual([...direct].sort(), [...viaTool].sort());
  assert.equal(direct.has('net.no.such.key'), false);
  await assert.rejects(write(undefined, { 'net.no.such.key': 1 }), /cannot set net\.no\.such\.key=1/);
});
