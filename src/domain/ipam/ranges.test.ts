import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addIp, countAddresses, merge, nthAddress, rangesContain, rangesFromPools, rangeSize, removeIp, sortUnique, subtract,
  type Range,
} from './ranges.ts';

const r = (first: number | bigint, last: number | bigint): Range => ({ first: BigInt(first), last: BigInt(last) });

test('merge sorts, joins overlapping and adjacent ranges, drops inverted ones', () => {
  assert.deepEqual(merge([]), []);
  assert.deepEqual(merge([r(10, 20), r(1, 5), r(6, 8), r(15, 30), r(40, 39), r(32, 32)]), [r(1, 8), r(10, 30), r(32, 32)]);
  assert.deepEqual(merge([r(1, 100), r(5, 6)]), [r(1, 100)]);
  const input = [r(3, 4), r(1, 2)];
  merge(input);
  assert.deepEqual(input, [r(3, 4), r(1, 2)], 'input untouched');
});

test('removeIp returns 0, 1 or 2 ranges', () => {
  assert.deepEqual(removeIp(r(5, 5), 5n), []);
  assert.deepEqual(removeIp(r(5, 9), 5n), [r(6, 9)]);
  assert.deepEqual(removeIp(r(5, 9), 9n), [r(5, 8)]);
  assert.deepEqual(removeIp(r(5, 9), 7n), [r(5, 6), r(8, 9)]);
  assert.deepEqual(removeIp(r(5, 9), 42n), [r(5, 9)]);
});

test('subtract removes addresses, ignoring those outside and duplicates', () => {
  assert.deepEqual(subtract([r(1, 10)], []), [r(1, 10)]);
  assert.deepEqual(subtract([r(1, 10)], [5n, 1n, 10n, 5n, 99n, 0n]), [r(2, 4), r(6, 9)]);
  assert.deepEqual(subtract([r(1, 3), r(7, 9)], [2n, 7n, 8n, 9n]), [r(1, 1), r(3, 3)]);
  assert.deepEqual(subtract([r(1, 3)], [1n, 2n, 3n]), []);
  assert.deepEqual(subtract([r(7, 9), r(1, 3), r(4, 5)], [4n]), [r(1, 3), r(5, 5), r(7, 9)]);
  assert.deepEqual(subtract([r(6, 9), r(1, 3), r(4, 5)], [4n]), [r(1, 3), r(5, 9)]);
});

test('subtract and sortUnique work on IPv6-sized values (both sort paths)', () => {
  const base = 0xfd000000000000100000000000000000n;
  const pool = r(base + 1n, base + (1n << 64n) - 1n);
  const taken = [base + 5n, base + 1n, base + (1n << 64n) - 1n, base + 5n];
  assert.deepEqual(subtract([pool], taken), [r(base + 2n, base + 4n), r(base + 6n, base + (1n << 64n) - 2n)]);
  // Spread wider than 64 bits forces the comparator path.
  const wide = [1n << 100n, 3n, 1n << 70n, 3n, 0n];
  assert.deepEqual(sortUnique(wide), [0n, 3n, 1n << 70n, 1n << 100n]);
  assert.deepEqual(sortUnique([9n, 2n, 2n, 7n]), [2n, 7n, 9n]);
  assert.deepEqual(sortUnique([]), []);
});

test('counting, picking, containment, returning an address', () => {
  const free = [r(10, 19), r(30, 30), r(40, 44)];
  assert.equal(countAddresses(free), 16n);
  assert.equal(countAddresses([r(1, 10), r(5, 12)]), 12n);
  assert.equal(rangeSize(r(0, 0)), 1n);
  assert.equal(nthAddress(free, 0n), 10n);
  assert.equal(nthAddress(free, 9n), 19n);
  assert.equal(nthAddress(free, 10n), 30n);
  assert.equal(nthAddress(free, 15n), 44n);
  assert.equal(nthAddress(free, 16n), null);
  assert.equal(nthAddress(free, -1n), null);
  assert.ok(rangesContain(free, 30n) && rangesContain(free, 10n) && rangesContain(free, 44n));
  assert.ok(!rangesContain(free, 29n) && !rangesContain(free, 45n) && !rangesContain([], 1n));
  assert.deepEqual(addIp(free, 20n), [r(10, 20), r(30, 30), r(40, 44)]);
  assert.deepEqual(addIp([r(10, 19), r(21, 25)], 20n), [r(10, 25)]);
});

test('rangesFromPools parses pools', () => {
  assert.deepEqual(rangesFromPools([{ start: '10.0.0.2', end: '10.0.0.254' }]), [r(0x0a000002, 0x0a0000fe)]);
  assert.deepEqual(
    rangesFromPools([{ start: 'fd00::10', end: 'fd00::20' }, { start: 'fd00::1', end: 'fd00::f' }]),
    [r(0xfd000000000000000000000000000001n, 0xfd000000000000000000000000000020n)],
  );
  assert.throws(() => rangesFromPools([{ start: '10.0.0.1', end: 'fd00::1' }]));
});

test('performance sanity: a /8 pool minus 1,000,000 allocated addresses', () => {
  const first = 0x0a000001n; // 10.0.0.1
  const last = 0x0afffffen; // 10.255.255.254
  const pool = [{ first, last }];
  // Distinct pseudo-random offsets: i * odd (mod 2^24) is a permutation of 0..2^24-1.
  const ips: bigint[] = new Array(1_000_000);
  let inside = 0;
  for (let i = 0; i < ips.length; i++) {
    const off = (i * 2654435761) % 16777216;
    const ip = 0x0a000000n + BigInt(off);
    if (ip >= first && ip <= last) inside++;
    ips[i] = ip;
  }
  const free = subtract(pool, ips);
  assert.equal(countAddresses(free), last - first + 1n - BigInt(inside));
  for (let i = 0; i < free.length; i++) {
    assert.ok(free[i].first <= free[i].last);
    assert.ok(free[i].first >= first && free[i].last <= last);
    if (i > 0) assert.ok(free[i].first > free[i - 1].last + 1n, 'sorted, disjoint, not adjacent');
  }
  for (const ip of ips) assert.ok(!rangesContain(free, ip));
});
