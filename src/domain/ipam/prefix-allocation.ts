// Subnet pool arithmetic (neutron/ipam/subnet_alloc.py): prefix sets as netaddr.IPSet
// does them (merge, subtract, back to the fewest CIDRs), picking a free prefix of a
// given length, and the min/max/default prefix length rules with Neutron's errors.
// Pure: prefixes are sets of ranges, never enumerated address by address.
import { bitWidth, type IpVersion } from '../ip/address.ts';
import { cidrFirst, cidrLast, formatCidr, makeCidr, type Cidr } from '../ip/cidr.ts';
import { merge, type Range } from './ranges.ts';
import {
  IllegalSubnetPoolPrefixBounds, MaxPrefixSubnetAllocationError, MinPrefixSubnetAllocationError, UnsupportedMinSubnetPoolPrefix,
} from '../../errors/catalog.ts';

export const cidrRange = (c: Cidr): Range => ({ first: cidrFirst(c), last: cidrLast(c) });

/** netaddr.iprange_to_cidrs: the fewest CIDRs covering exactly [first, last], ascending. */
export function rangeToCidrs(version: IpVersion, r: Range): Cidr[] {
  const width = bitWidth(version);
  const out: Cidr[] = [];
  let first = r.first;
  while (first <= r.last) {
    // The largest block aligned at `first` that still ends within the range.
    let hostBits = 0;
    while (hostBits < width && ((first >> BigInt(hostBits)) & 1n) === 0n) hostBits++;
    while (hostBits > 0 && first + (1n << BigInt(hostBits)) - 1n > r.last) hostBits--;
    out.push(makeCidr(version, first, width - hostBits));
    first += 1n << BigInt(hostBits);
  }
  return out;
}

/** Sorted disjoint ranges covering the CIDRs (netaddr.IPSet(cidrs)). */
export const toRanges = (cidrs: readonly Cidr[]): Range[] => merge(cidrs.map(cidrRange));

/** IPSet(cidrs).compact().iter_cidrs(): merged, normalised, ascending. */
export function compactPrefixes(version: IpVersion, cidrs: readonly Cidr[]): Cidr[] {
  return toRanges(cidrs).flatMap((r) => rangeToCidrs(version, r));
}

/** a minus b, both sorted and disjoint. */
export function subtractRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  let j = 0;
  for (const r of a) {
    let first = r.first;
    while (j < b.length && b[j].last < first) j++;
    let k = j;
    while (k < b.length && b[k].first <= r.last) {
      if (b[k].first > first) out.push({ first, last: b[k].first - 1n });
      first = b[k].last + 1n;
      k++;
    }
    if (first <= r.last) out.push({ first, last: r.last });
  }
  return out;
}

export const rangesIntersect = (a: readonly Range[], b: readonly Range[]): boolean =>
  a.some((x) => b.some((y) => x.first <= y.last && y.first <= x.last));

/** Is every address of `inner` in `outer` (IPSet.issubset)? */
export const isSubset = (inner: readonly Range[], outer: readonly Range[]): boolean =>
  subtractRanges(merge([...inner]), merge([...outer])).length === 0;

/** _get_available_prefix_list: pool minus allocations, smallest blocks first (then by address). */
export function availablePrefixes(version: IpVersion, prefixes: readonly Cidr[], allocated: readonly Cidr[]): Cidr[] {
  const free = subtractRanges(toRanges(prefixes), toRanges(allocated)).flatMap((r) => rangeToCidrs(version, r));
  return free.map((c, i) => ({ c, i })).sort((x, y) => y.c.prefixlen - x.c.prefixlen || x.i - y.i).map((x) => x.c);
}

/** _allocate_any_subnet: the first subnet of the first free block big enough, or null. */
export function allocateAny(available: readonly Cidr[], prefixlen: number): Cidr | null {
  const block = available.find((p) => prefixlen >= p.prefixlen);
  return block ? makeCidr(block.version, block.network, prefixlen) : null;
}

/** _allocate_specific_subnet: is the CIDR wholly inside one free block? */
export const isAvailable = (available: readonly Cidr[], cidr: Cidr): boolean =>
  available.some((p) => p.version === cidr.version && p.prefixlen <= cidr.prefixlen && cidrFirst(cidr) >= cidrFirst(p) && cidrLast(cidr) <= cidrLast(p));

// ---- prefix length bounds (SubnetPoolHelper / SubnetPoolReader) ----

export interface PrefixBounds { min: number; max: number; dflt: number }

const DEFAULT_MIN: Record<IpVersion, number> = { 4: 8, 6: 64 };
/** Per-project quota of a pool counts addresses in units of /32 (IPv4) or /64 (IPv6). */
export const QUOTA_UNIT: Record<IpVersion, number> = { 4: 32, 6: 64 };

const illegalBounds = IllegalSubnetPoolPrefixBounds;

/** _read_prefix_bounds: defaults filled in (min 8 or 64, max 32 or 128, default = min), then checked. */
export function readPrefixBounds(version: IpVersion, given: { min?: number; max?: number; dflt?: number }): PrefixBounds {
  const min = given.min ?? DEFAULT_MIN[version];
  const max = given.max ?? bitWidth(version);
  const dflt = given.dflt ?? min;
  // Neutron names IPv4 here whatever the pool's version.
  if (min < 0) throw UnsupportedMinSubnetPoolPrefix(min, 4);
  if (min > max) throw illegalBounds('min_prefixlen', min, 'max_prefixlen', max);
  if (max > bitWidth(version)) throw illegalBounds('max_prefixlen', max, 'ip_version_max', bitWidth(version));
  if (dflt < min) throw illegalBounds('default_prefixlen', dflt, 'min_prefixlen', min);
  if (dflt > max) throw illegalBounds('default_prefixlen', dflt, 'max_prefixlen', max);
  return { min, max, dflt };
}

/** allocate_subnet: the requested length must lie within the pool's bounds. */
export function checkRequestedPrefixlen(prefixlen: number, bounds: { min: number; max: number }): void {
  if (prefixlen > bounds.max) throw MaxPrefixSubnetAllocationError(prefixlen, bounds.max);
  if (prefixlen < bounds.min) throw MinPrefixSubnetAllocationError(prefixlen, bounds.min);
}

/** Quota units a prefix of this length uses (2^(unit - prefixlen)); fractions for longer prefixes. */
export const quotaUnits = (version: IpVersion, prefixlen: number): number => 2 ** (QUOTA_UNIT[version] - prefixlen);

export const formatCidrs = (cidrs: readonly Cidr[]): string[] => cidrs.map(formatCidr);
