// Subnet gateway and allocation-pool rules, as Zed applies them on subnet create/update
// (neutron/ipam/utils.py generate_pools, check_gateway_invalid_in_subnet, check_subnet_ip;
// neutron/db/ipam_backend_mixin.py pools_to_ip_range, validate_allocation_pools,
// validate_gw_out_of_pools, _gateway_ip_str; ipam_pluggable_backend _prepare_allocation_pools).
import {
  GatewayConflictWithAllocationPools, InvalidAllocationPoolRepr, InvalidInput,
  OutOfBoundsAllocationPool, OverlappingAllocationPools,
} from '../../errors/catalog.ts';
import { IPV4_MAX, formatIpValue, parseIp, type IpAddress, type IpVersion } from '../ip/address.ts';
import { cidrFirst, cidrLast, contains, formatCidr, netaddrVersionOf, type Cidr } from '../ip/cidr.ts';
import { pyRepr } from '../ip/py-compat.ts';
import { removeIp, type Range } from './ranges.ts';

/** An allocation pool as sent (strings already passed validateIpPools). */
export interface PoolInput { start: string; end: string }

/** A pool range that remembers its IP version (for messages and version checks). */
export type VersionedRange = Range & { version: IpVersion };

// Router-owned ports may take an IPv6 subnet's network (subnet-router anycast) address.
export const ROUTER_PORT_OWNERS: readonly string[] = [
  'network:router_interface',
  'network:router_gateway',
  'network:ha_router_replicated_interface',
  'network:router_interface_distributed',
  'network:router_centralized_snat',
];

/** netaddr's str(IPRange): 'start-end'. */
export const formatRange = (r: Range, version: IpVersion): string =>
  `${formatIpValue(version, r.first)}-${formatIpValue(version, r.last)}`;

/** A range as the API's {start, end} (canonical text). */
export const rangeToPool = (r: Range, version: IpVersion): PoolInput =>
  ({ start: formatIpValue(version, r.first), end: formatIpValue(version, r.last) });

/**
 * Default gateway when the request leaves gateway_ip unspecified: the first host for
 * IPv4, the network (subnet-router anycast) address for IPv6 (Zed: fd00:10::/64 got
 * gateway fd00:10::). null only for 255.255.255.255/32, where Neutron itself errors.
 */
export function defaultGateway(cidr: Cidr): IpAddress | null {
  if (cidr.version === 6) return { version: 6, value: cidr.network };
  const v = cidr.network + 1n;
  return v > IPV4_MAX ? null : { version: 4, value: v };
}

/**
 * generate_pools: the whole CIDR minus the network address (and, for IPv4, the last
 * address), minus the gateway if it falls inside. A single-address CIDR (/32, /128)
 * is one pool of that address; IPv4 /31 and IPv6 /127 get no pool (Zed's code path).
 */
export function defaultAllocationPools(cidr: Cidr, gatewayIp: IpAddress | bigint | null): Range[] {
  const first = cidrFirst(cidr);
  const last = cidrLast(cidr);
  if (first === last) return [{ first, last }];
  const firstIp = first + 1n;
  const lastIp = cidr.version === 4 ? last - 1n : last;
  if (firstIp >= lastIp) return [];
  const pool: Range = { first: firstIp, last: lastIp };
  if (gatewayIp === null) return [pool];
  if (typeof gatewayIp !== 'bigint') {
    if (gatewayIp.version !== cidr.version) return [pool];
    gatewayIp = gatewayIp.value;
  }
  return removeIp(pool, gatewayIp);
}

/**
 * pools_to_ip_range: each {start, end} as a range. A pool that netaddr cannot make a
 * range of (start > end, start/end of different versions) is InvalidAllocationPool
 * printed as the request's dict (row 59).
 */
export function poolsToRanges(pools: readonly PoolInput[]): VersionedRange[] {
  return pools.map((p) => {
    const s = parseIp(p.start);
    const e = parseIp(p.end);
    if (!s || !e || s.version !== e.version || s.value > e.value) throw InvalidAllocationPoolRepr(pyRepr(p));
    return { version: s.version, first: s.value, last: e.value };
  });
}

/**
 * validate_allocation_pools: version, bounds (not the network address, nor the IPv4
 * broadcast), then pairwise overlap, in Neutron's order so the same pool is reported.
 */
export function validatePoolRanges(cidr: Cidr, pools: readonly VersionedRange[]): void {
  const cidrText = formatCidr(cidr);
  const lowest = cidrFirst(cidr) + 1n;
  const highest = cidrLast(cidr) - (cidr.version === 4 ? 1n : 0n);
  // Neutron builds these bounds with netaddr.IPAddress(int) and no version, which makes
  // a value below 2^32 an IPv4 address; IPv6 compares greater than any IPv4 address.
  // So for IPv6 CIDRs in ::/96 the lower bound never fails and the upper always does.
  const v4ish = (v: bigint) => cidr.version === 6 && v <= IPV4_MAX;
  for (const p of pools) {
    if (p.version !== cidr.version) throw InvalidAllocationPoolRepr(formatRange(p, p.version));
    const belowFirst = v4ish(lowest) ? false : p.first < lowest;
    const aboveLast = v4ish(highest) ? true : p.last > highest;
    if (belowFirst || aboveLast) throw OutOfBoundsAllocationPool(formatRange(p, p.version), cidrText);
  }
  for (let l = 0; l < pools.length; l++) {
    for (let r = l + 1; r < pools.length; r++) {
      const a = pools[l];
      const b = pools[r];
      if (a.first <= b.last && b.first <= a.last) {
        throw OverlappingAllocationPools(formatRange(a, a.version), formatRange(b, b.version), cidrText);
      }
    }
  }
}

/** validate_gw_out_of_pools: the first pool holding the gateway conflicts (row 56). */
export function validateGatewayOutOfPools(gatewayIp: string, pools: readonly VersionedRange[]): void {
  const gw = parseIp(gatewayIp);
  if (!gw) return;
  for (const p of pools) {
    if (p.version === gw.version && gw.value >= p.first && gw.value <= p.last) {
      throw GatewayConflictWithAllocationPools(gatewayIp, formatRange(p, p.version));
    }
  }
}

/**
 * User-given pools checked as on subnet create: ranges, bounds, overlaps, then the
 * gateway (when there is one) must be outside every pool. Returns the ranges in the
 * order given. `gatewayIp` is the effective gateway text (the default one if unspecified).
 */
export function validateAllocationPools(cidr: Cidr, pools: readonly PoolInput[], gatewayIp: string | null): VersionedRange[] {
  const ranges = poolsToRanges(pools);
  validatePoolRanges(cidr, ranges);
  if (gatewayIp) validateGatewayOutOfPools(gatewayIp, ranges);
  return ranges;
}

/**
 * _prepare_allocation_pools: no pools given (absent or null) -> generated ones; given
 * (even an empty list, which yields a subnet without pools) -> validated as given.
 */
export function prepareAllocationPools(
  cidr: Cidr, pools: readonly PoolInput[] | null | undefined, gatewayIp: string | null,
): Range[] {
  if (pools === null || pools === undefined) {
    const gw = gatewayIp ? parseIp(gatewayIp) : null;
    return defaultAllocationPools(cidr, gw);
  }
  return validateAllocationPools(cidr, pools, gatewayIp).map(({ first, last }) => ({ first, last }));
}

/** check_gateway_invalid_in_subnet: an IPv4 gateway may not be the network or last address. */
export function isGatewayInvalidInSubnet(cidr: Cidr, gw: IpAddress): boolean {
  return cidr.version === 4 && contains(cidr, gw) && (gw.value === cidrFirst(cidr) || gw.value === cidrLast(cidr));
}

/**
 * The gateway_ip checks of _validate_subnet: same IP version as the subnet, and not the
 * IPv4 network/broadcast address (row 61). Outside the CIDR is allowed (row 60).
 * Throws InvalidInput; gatewayIp must already have passed validateIpAddress.
 */
export function validateGateway(cidr: Cidr, gatewayIp: string): void {
  const version = netaddrVersionOf(gatewayIp);
  if (version !== cidr.version) {
    throw InvalidInput(`gateway_ip '${gatewayIp}' does not match the ip_version '${cidr.version}'`);
  }
  const gw = parseIp(gatewayIp);
  if (gw && isGatewayInvalidInSubnet(cidr, gw)) throw InvalidInput('Gateway is not valid on subnet');
}

/**
 * check_subnet_ip: may this address be a fixed IP on the subnet? IPv4: inside, and not
 * the network or last address. IPv6: inside, and the network address only for router
 * ports or when the owner is unknown ('').
 */
export function checkSubnetIp(cidr: Cidr, ip: IpAddress, portOwner = ''): boolean {
  if (!contains(cidr, ip)) return false;
  if (cidr.version === 6) return portOwner === '' || ROUTER_PORT_OWNERS.includes(portOwner) || ip.value !== cidr.network;
  return ip.value !== cidrFirst(cidr) && ip.value !== cidrLast(cidr);
}
