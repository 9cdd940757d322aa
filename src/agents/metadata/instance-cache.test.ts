import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InstanceCache } from './instance-cache.ts';

test('answers (and misses) are kept for the TTL, then asked again; errors are not kept', async () => {
  let now = 1000;
  let calls = 0;
  let fail = false;
  const cache = new InstanceCache(async (q) => {
    calls++;
    if (fail) throw new Error('server down');
    return q.ip === '10.0.0.1' ? { instance_id: 'i', project_id: 'p', port_id: 'x' } : null;
  }, { ttlMs: 5000, now: () => now });
  assert.equal((await cache.get({ router_id: 'r', ip: '10.0.0.1' }))?.instance_id, 'i');
  assert.equal(await cache.get({ router_id: 'r', ip: '10.0.0.2' }), null);
  now += 4999;
  await cache.get({ router_id: 'r', ip: '10.0.0.1' });
  await cache.get({ router_id: 'r', ip: '10.0.0.2' });
  assert.equal(calls, 2);
  await cache.get({ network_id: 'r', ip: '10.0.0.1' });
  assert.equal(calls, 3, 'a network id is another key than the same router id');
  now += 1;
  fail = true;
  await assert.rejects(cache.get({ router_id: 'r', ip: '10.0.0.1' }), /server down/);
  fail = false;
  assert.equal((await cache.get({ router_id: 'r', ip: '10.0.0.1' }))?.instance_id, 'i');
  assert.equal(calls, 5);
});
