import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newRouterHold } from './hold.ts';
import { router } from './fixtures.ts';

const empty = (id: string) => router({ id, gw_port: null, interfaces: [] });

test('a new router without gateway or interface waits for them (up to the grace), then is realised as it is', () => {
  const h = newRouterHold(500);
  assert.deepEqual(h.filter([], 0).held, []);
  const a = h.filter([empty('r1')], 1000);
  assert.deepEqual([a.held, a.routers, a.againInMs], [['r1'], [], 500]);
  assert.deepEqual(h.filter([empty('r1')], 1300).againInMs, 200);
  const b = h.filter([empty('r1')], 1500);
  assert.deepEqual([b.held, b.routers.map((r) => r.id), b.againInMs], [[], ['r1'], undefined]);
});

test('its interface and gateway arriving within the grace: realised at once, in one reconcile', () => {
  const h = newRouterHold(500);
  h.filter([], 0);
  h.filter([empty('r2')], 100);
  assert.deepEqual(h.filter([router({ id: 'r2', gw_port: null })], 120).held, ['r2'], 'an interface alone: still held');
  assert.deepEqual(h.filter([router({ id: 'r2', interfaces: [] })], 125).held, ['r2'], 'a gateway alone: still held');
  const b = h.filter([router({ id: 'r2' })], 130);
  assert.deepEqual([b.held, b.routers.map((r) => r.id)], [[], ['r2']]);
  // realised once, it is never held again, even when it loses its ports
  assert.deepEqual(h.filter([empty('r2')], 140).held, []);
});

test('routers of the first snapshot (maybe in the kernel already) are never held', () => {
  const h = newRouterHold(500);
  const a = h.filter([empty('old')], 0);
  assert.deepEqual([a.held, a.routers.map((r) => r.id)], [[], ['old']]);
});
