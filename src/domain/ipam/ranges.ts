// Free-range arithmetic for the allocator. The DB keeps, per subnet, the free address
// ranges (pools minus allocations) so allocation never scans a CIDR; everything here
// is sort + sweep over ranges and allocated addresses, never a loop over a CIDR.
import { parseIp } from '../ip/address.ts';

/** Inclusive address range within one IP version. */
export type Range = { first: bigint; last: bigint };

export const rangeSize = (r: Range): bigint => r.last - r.first + 1n;

const byFirst = (a: Range, b: Range) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0);

/** Sorted, non-overlapping, non-adjacent cover of the input (empty/inverted ranges dropped). */
export function merge(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter((r) => r.first <= r.last).sort(byFirst);
  const out: Range[] = [];
  for (const r of sorted) {
    const top = out[out.length - 1];
    if (top && r.first <= top.last + 1n) {
      if (r.last > top.last) top.last = r.last;
    } else {
      out.push({ first: r.first, last: r.last });
    }
  }
  return out;
}

/** The range minus one address: 0, 1 or 2 ranges. */
export function removeIp(range: Range, ip: bigint): Range[] {
  if (ip < range.first || ip > range.last) return [{ ...range }];
  const out: Range[] = [];
  if (ip > range.first) out.push({ first: range.first, last: ip - 1n });
  if (ip < range.last) out.push({ first: ip + 1n, last: range.last });
  return out;
}

/**
 * Ascending, de-duplicated copy of ips. Uses a typed-array native sort when the spread
 * fits 64 bits (every IPv4 set, every set inside one IPv6 /64), a comparator otherwise.
 */
export function sortUnique(ips: readonly bigint[]): bigint[] {
  if (ips.length === 0) return [];
  let min = ips[0];
  let max = ips[0];
  for (const ip of ips) {
    if (ip < min) min = ip;
    if (ip > max) max = ip;
  }
  let sorted: bigint[];
  if (max - min < 1n << 64n) {
    const offsets = new BigUint64Array(ips.length);
    for (let i = 0; i < ips.length; i++) offsets[i] = ips[i] - min;
    offsets.sort();
    sorted = new Array<bigint>(offsets.length);
    for (let i = 0; i < offsets.length; i++) sorted[i] = offsets[i] + min;
  } else {
    sorted = [...ips].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  let w = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[w - 1]) sorted[w++] = sorted[i];
  sorted.length = w;
  return sorted;
}

/** ranges minus a set of addresses (addresses outside the ranges are ignored). */
export function subtract(ranges: readonly Range[], ips: readonly bigint[]): Range[] {
  const free = merge(ranges);
  const taken = sortUnique(ips);
  const out: Range[] = [];
  let k = 0;
  for (const r of free) {
    while (k < taken.length && taken[k] < r.first) k++;
    let cur = r.first;
    while (k < taken.length && taken[k] <= r.last) {
      if (taken[k] > cur) out.push({ first: cur, last: taken[k] - 1n });
      cur = taken[k] + 1n;
      k++;
    }
    if (cur <= r.last) out.push({ first: cur, last: r.last });
  }
  return out;
}

/** Return an address to the free set (deallocation), merging with its neighbours. */
export const addIp = (ranges: readonly Range[], ip: bigint): Range[] => merge([...ranges, { first: ip, last: ip }]);

/** Total number of addresses covered (overlaps counted once). */
export function countAddresses(ranges: readonly Range[]): bigint {
  let n = 0n;
  for (const r of merge(ranges)) n += rangeSize(r);
  return n;
}

/** Is ip inside any of the (merged, sorted) ranges? Binary search. */
export function rangesContain(sortedRanges: readonly Range[], ip: bigint): boolean {
  let lo = 0;
  let hi = sortedRanges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = sortedRanges[mid];
    if (ip < r.first) hi = mid - 1;
    else if (ip > r.last) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * The index-th address (0-based) across the ranges in order, or null past the end.
 * Lets the allocator pick "a random one of the first N free addresses" as Neutron's
 * IPAM driver does, without materialising them.
 */
export function nthAddress(ranges: readonly Range[], index: bigint): bigint | null {
  if (index < 0n) return null;
  for (const r of ranges) {
    const size = rangeSize(r);
    if (index < size) return r.first + index;
    index -= size;
  }
  return null;
}

/** Allocation pools ({start, end} address strings) as merged ranges. */
export function rangesFromPools(pools: readonly { start: string; end: string }[]): Range[] {
  return merge(
    pools.map((p) => {
      const s = parseIp(p.start);
      const e = parseIp(p.end);
      if (!s || !e || s.version !== e.version) throw new Error(`malformed pool ${p.start}-${p.end}`);
      return { first: s.value, last: e.value };
    }),
  );
}
