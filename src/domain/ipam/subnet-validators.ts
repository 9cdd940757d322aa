// Subnet attribute validation, in two kinds (as Neutron splits them):
//  * attribute-format validators (neutron-lib api/validators) RETURN a reason string or
//    null. The API layer wraps it as HTTPBadRequest "Invalid input for <attr>. Reason:
//    <reason>." (catalog InvalidAttribute(attr, reason + '.')). Run them after the
//    attribute converters (convertNoneToEmptyList for dns_nameservers/host_routes,
//    convertCidrToCanonical for cidr).
//  * semantic checks (neutron/db/db_base_plugin_v2.py _validate_subnet and friends)
//    THROW catalog errors (InvalidInput, DNSNameServersExhausted, HostRoutesExhausted).
// Order on subnet create in Zed: converters/format validators -> validateSubnetSpec ->
// gateway default + pools (pools.ts prepareAllocationPools) -> validateCidrPlacement.
import { DNSNameServersExhausted, HostRoutesExhausted, InvalidInput } from '../../errors/catalog.ts';
import { parseIp, validateIpAddress, type IpVersion } from '../ip/address.ts';
import {
  cidrFirst, formatCidr, isLoopback, isMulticast, netaddrVersionOf, overlaps, parseCidr,
  parseNetaddrNetwork, validateRouteCidr, type Cidr,
} from '../ip/cidr.ts';
import { isPlainObject, pyEquals, pyListRepr, pyRepr, pySetRepr, pyStr } from '../ip/py-compat.ts';
import { isGatewayInvalidInSubnet } from './pools.ts';

export const IPV6_SLAAC = 'slaac';
export const DHCPV6_STATEFUL = 'dhcpv6-stateful';
export const DHCPV6_STATELESS = 'dhcpv6-stateless';
export const IPV6_MODES: readonly string[] = [DHCPV6_STATEFUL, DHCPV6_STATELESS, IPV6_SLAAC];

export interface HostRoute { destination: string; nexthop: string }

// ---------------------------------------------------------------- format (reason strings)

/** converters.convert_none_to_empty_list (dns_nameservers, host_routes). */
export const convertNoneToEmptyList = (v: unknown): unknown => (v === null ? [] : v);

/** dns_nameservers: as convertNoneToEmptyList, and a dict stands for its keys, the
 *  nameservers Neutron iterates (and stores) from it: the list the services expect. */
export const convertNameservers = (v: unknown): unknown => (v === null ? [] : isPlainObject(v) ? Object.keys(v) : v);

/**
 * _verify_dict_keys(strict): the dict must have exactly these keys. Sets print in the
 * order Zed printed them (Python's set order is hash-seeded): expected keys as given,
 * provided keys in expected order first, then extras in request order.
 */
export function verifyDictKeys(expected: readonly string[], target: unknown): string | null {
  if (!isPlainObject(target)) {
    return `Invalid input. '${pyStr(target)}' must be a dictionary with keys: ${pyListRepr(expected)}`;
  }
  const provided = Object.keys(target);
  const same = provided.length === expected.length && expected.every((k) => provided.includes(k));
  if (same) return null;
  const ordered = [...expected.filter((k) => provided.includes(k)), ...provided.filter((k) => !expected.includes(k))];
  return `Validation of dictionary's keys failed. Expected keys: ${pySetRepr(expected)} Provided keys: ${pySetRepr(ordered)}`;
}

/** validate_ip_pools (allocation_pools). Row 57-58. */
export function validateIpPools(data: unknown): string | null {
  if (!Array.isArray(data)) return `Invalid data format for IP pool: '${pyStr(data)}'`;
  for (const pool of data) {
    const keys = verifyDictKeys(['start', 'end'], pool);
    if (keys) return keys;
    const p = pool as Record<string, unknown>;
    const msg = validateIpAddress(p.start) ?? validateIpAddress(p.end);
    if (msg) return msg;
  }
  return null;
}

// Python iteration over a JSON value: list items, str characters, dict keys.
function pyIterate(data: unknown): unknown[] | null {
  if (Array.isArray(data)) return data;
  if (typeof data === 'string') return Array.from(data);
  if (isPlainObject(data)) return Object.keys(data);
  return null;
}

/** validate_nameservers (dns_nameservers). Rows 67-68. */
export function validateNameservers(data: unknown): string | null {
  const items = pyIterate(data);
  if (!items) return `Invalid data format for nameserver: '${pyStr(data)}'`;
  const seen: unknown[] = [];
  for (const host of items) {
    const msg = validateIpAddress(host);
    if (msg) return `'${pyStr(host)}' is not a valid nameserver. ${msg}`;
    if (seen.some((h) => pyEquals(h, host))) return `Duplicate nameserver '${pyStr(host)}'`;
    seen.push(host);
  }
  return null;
}

/** validate_hostroutes (host_routes). Rows 64-65. */
export function validateHostRoutes(data: unknown): string | null {
  if (!Array.isArray(data)) return `Invalid data format for hostroute: '${pyStr(data)}'`;
  const seen: unknown[] = [];
  for (const route of data) {
    const keys = verifyDictKeys(['destination', 'nexthop'], route);
    if (keys) return keys;
    const r = route as Record<string, unknown>;
    const dest = validateRouteCidr(r.destination);
    if (dest) return dest;
    const hop = validateIpAddress(r.nexthop);
    if (hop) return hop;
    if (seen.some((s) => pyEquals(s, route))) return `Duplicate hostroute '${pyRepr(route)}'`;
    seen.push(route);
  }
  return null;
}

/** 'type:values' for ipv6_ra_mode / ipv6_address_mode. Row 74: "bogus is not in valid_values". */
export function validateIpv6Mode(data: unknown): string | null {
  return typeof data === 'string' && IPV6_MODES.includes(data) ? null : `${pyStr(data)} is not in valid_values`;
}

// ---------------------------------------------------------------- semantic (throw)

/** _validate_ip_version: "<name> '<addr>' does not match the ip_version '<v>'" (row 48). */
export function checkIpVersion(name: string, addr: string, ipVersion: IpVersion): void {
  if (netaddrVersionOf(addr) !== ipVersion) {
    throw InvalidInput(`${name} '${addr}' does not match the ip_version '${ipVersion}'`);
  }
}

/** The request (create) or the changes merged with the stored subnet (update), as _validate_subnet sees it. */
export interface SubnetSpec {
  /** Present on update; quota messages say "new subnet" without it. */
  id?: string;
  ipVersion: IpVersion;
  /** Normalised cidr text (filled from the DB on update, as Neutron does). */
  cidr: string;
  /** undefined when an update leaves it alone. */
  enableDhcp?: boolean;
  /** undefined: not specified; null: no gateway. */
  gatewayIp?: string | null;
  dnsNameservers?: readonly string[] | null;
  hostRoutes?: readonly HostRoute[] | null;
  ipv6RaMode?: string | null;
  ipv6AddressMode?: string | null;
}

/** The stored subnet, for updates. */
export interface CurrentSubnet {
  enableDhcp: boolean;
  ipv6RaMode: string | null;
  ipv6AddressMode: string | null;
}

export interface SubnetLimits { maxDnsNameservers: number; maxHostRoutes: number }

const isSet = (v: string | null | undefined): v is string => v !== null && v !== undefined;

/**
 * _validate_subnet, in Neutron's order. Not covered (needs the DB): GatewayIpInUse when an
 * update moves the gateway off an address a router port holds.
 */
export function validateSubnetSpec(s: SubnetSpec, limits: SubnetLimits, current?: CurrentSubnet): void {
  const ipVer = s.ipVersion;
  checkIpVersion('cidr', s.cidr, ipVer);
  const dhcpWasEnabled = current ? current.enableDhcp : false;
  if (s.enableDhcp && !dhcpWasEnabled) validateDhcpCapableCidr(ipVer, s.cidr);

  if (isSet(s.gatewayIp)) {
    checkIpVersion('gateway_ip', s.gatewayIp, ipVer);
    const gw = parseIp(s.gatewayIp);
    const net = parseCidr(s.cidr);
    if (gw && net && isGatewayInvalidInSubnet(net, gw)) throw InvalidInput('Gateway is not valid on subnet');
  }

  if (s.dnsNameservers) {
    if (s.dnsNameservers.length > limits.maxDnsNameservers) {
      throw DNSNameServersExhausted(s.id ?? 'new subnet', limits.maxDnsNameservers);
    }
    for (const dns of s.dnsNameservers) {
      if (!parseIp(dns)) throw InvalidInput(`Error parsing dns address ${dns}`);
      checkIpVersion('dns_nameserver', dns, ipVer);
    }
  }

  if (s.hostRoutes) {
    if (s.hostRoutes.length > limits.maxHostRoutes) {
      throw HostRoutesExhausted(s.id ?? 'new subnet', limits.maxHostRoutes);
    }
    for (const rt of s.hostRoutes) validateHostRouteVersion(rt, ipVer);
  }

  if (ipVer === 4) {
    if (isSet(s.ipv6RaMode)) throw InvalidInput('ipv6_ra_mode is not valid when ip_version is 4');
    if (isSet(s.ipv6AddressMode)) throw InvalidInput('ipv6_address_mode is not valid when ip_version is 4');
  } else if (current) {
    validateIpv6UpdateDhcp(s, current);
  } else {
    validateIpv6Attributes(s);
  }
}

/** The enable_dhcp checks of _validate_subnet (dnsmasq cannot serve these CIDRs). */
export function validateDhcpCapableCidr(ipVersion: IpVersion, cidrText: string): void {
  const net = parseCidr(cidrText);
  if (!net) return;
  if ((ipVersion === 4 && net.prefixlen > 30) || (ipVersion === 6 && net.prefixlen > 126)) {
    throw InvalidInput('Subnet has a prefix length that is incompatible with DHCP service enabled');
  }
  if (isMulticast(net)) throw InvalidInput('Multicast IP subnet is not supported if enable_dhcp is True');
  if (isLoopback(net)) throw InvalidInput('Loopback IP subnet is not supported if enable_dhcp is True');
  if (ipVersion === 4 && cidrFirst(net) === 0n) {
    throw InvalidInput("First IP '0.0.0.0' of network is not supported if enable_dhcp is True.");
  }
}

/** _validate_host_route: parseable, and nexthop then destination of the subnet's version. */
export function validateHostRouteVersion(route: HostRoute, ipVersion: IpVersion): void {
  if (!parseNetaddrNetwork(route.destination) || !parseIp(route.nexthop)) {
    throw InvalidInput(`Invalid route: ${pyRepr(route)}`);
  }
  checkIpVersion('nexthop', route.nexthop, ipVersion);
  checkIpVersion('destination', route.destination, ipVersion);
}

/** Is this subnet SLAAC / DHCPv6-stateless (addresses derived from the MAC by EUI-64)? */
export const isAutoAddressSubnet = (s: { ipv6RaMode?: string | null; ipv6AddressMode?: string | null }): boolean =>
  [IPV6_SLAAC, DHCPV6_STATELESS].includes(s.ipv6AddressMode ?? '') ||
  [IPV6_SLAAC, DHCPV6_STATELESS].includes(s.ipv6RaMode ?? '');

/** _validate_ipv6_attributes on create. Rows 70, 71, 73. */
export function validateIpv6Attributes(s: SubnetSpec): void {
  const raSet = isSet(s.ipv6RaMode);
  const addrSet = isSet(s.ipv6AddressMode);
  if ((raSet || addrSet) && !s.enableDhcp) {
    throw InvalidInput('ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False');
  }
  if (raSet && addrSet && s.ipv6RaMode !== s.ipv6AddressMode) {
    throw InvalidInput(
      `ipv6_ra_mode set to '${s.ipv6RaMode}' with ipv6_address_mode set to '${s.ipv6AddressMode}' is not valid. ` +
        'If both attributes are set, they must be the same value',
    );
  }
  if ((raSet || addrSet) && isAutoAddressSubnet(s) && parseCidr(s.cidr)?.prefixlen !== 64) {
    throw InvalidInput(
      `Invalid CIDR ${s.cidr} for IPv6 address mode. OpenStack uses the EUI-64 address format, ` +
        'which requires the prefix to be /64',
    );
  }
}

/** _validate_ipv6_update_dhcp: DHCP cannot be turned off while IPv6 modes are (or stay) set. */
export function validateIpv6UpdateDhcp(s: SubnetSpec, current: CurrentSubnet): void {
  if (s.enableDhcp !== false) return;
  if (isSet(s.ipv6RaMode) || isSet(s.ipv6AddressMode) || isSet(current.ipv6RaMode) || isSet(current.ipv6AddressMode)) {
    throw InvalidInput('Cannot disable enable_dhcp with ipv6 attributes set');
  }
}

/**
 * _validate_subnet_cidr: no /0, and no overlap with the network's other subnets (or
 * every subnet when allow_overlapping_ips is off; the caller picks the list). Row 63.
 * The temporary IPv6 prefix-delegation CIDR ::/64 never counts as overlapping.
 */
export function validateCidrPlacement(cidr: Cidr, networkId: string, others: readonly Cidr[]): void {
  if (cidr.prefixlen === 0) throw InvalidInput('0 is not allowed as CIDR prefix length');
  for (const o of others) {
    if (o.version === 6 && o.network === 0n && o.prefixlen === 64) continue;
    if (overlaps(o, cidr)) {
      throw InvalidInput(
        `Requested subnet with cidr: ${formatCidr(cidr)} for network: ${networkId} overlaps with another subnet`,
      );
    }
  }
}
