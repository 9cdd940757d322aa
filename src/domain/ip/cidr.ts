// CIDRs (version, network, prefixlen) and the CIDR checks Neutron applies.
// Zed parses a subnet's cidr with netaddr.IPNetwork, which is lenient for IPv4
// (partial "10/8", leading zeros, netmask prefixes, whitespace around numbers),
// then keeps the normalised network; we reproduce that accept set exactly.
import { InvalidInput } from '../../errors/catalog.ts';
import {
  bitWidth, formatIpv4, formatIpValue, maxValue, parseIpv4, parseIpv6,
  type IpAddress, type IpVersion,
} from './address.ts';
import { hasPyWhitespace, pyInt, pyStr } from './py-compat.ts';

export interface Cidr { version: IpVersion; network: bigint; prefixlen: number }

/** What netaddr.IPNetwork(s) holds: the address as written (host bits kept) and a prefix. */
export interface IpNetwork { version: IpVersion; ip: bigint; prefixlen: number }

export const isValidPrefix = (version: IpVersion, prefixlen: number): boolean =>
  Number.isInteger(prefixlen) && prefixlen >= 0 && prefixlen <= bitWidth(version);

export function netmaskValue(version: IpVersion, prefixlen: number): bigint {
  const hostBits = BigInt(bitWidth(version) - prefixlen);
  return (maxValue(version) >> hostBits) << hostBits;
}

export const hostmaskValue = (version: IpVersion, prefixlen: number): bigint =>
  maxValue(version) ^ netmaskValue(version, prefixlen);

export function makeCidr(version: IpVersion, ip: bigint, prefixlen: number): Cidr {
  if (!isValidPrefix(version, prefixlen)) throw new RangeError(`invalid IPv${version} prefix length ${prefixlen}`);
  return { version, network: ip & netmaskValue(version, prefixlen), prefixlen };
}

export const cidrFirst = (c: Cidr): bigint => c.network;
export const cidrLast = (c: Cidr): bigint => c.network | hostmaskValue(c.version, c.prefixlen);
export const cidrSize = (c: Cidr): bigint => 1n << BigInt(bitWidth(c.version) - c.prefixlen);

export const formatCidr = (c: Cidr): string => `${formatIpValue(c.version, c.network)}/${c.prefixlen}`;

/** Is ip inside the CIDR? A bigint is taken to be of the CIDR's version. */
export function contains(c: Cidr, ip: IpAddress | bigint): boolean {
  if (typeof ip !== 'bigint') {
    if (ip.version !== c.version) return false;
    ip = ip.value;
  }
  return ip >= cidrFirst(c) && ip <= cidrLast(c);
}

/** Is inner wholly inside outer (netaddr's `net in other_net`)? */
export const containsCidr = (outer: Cidr, inner: Cidr): boolean =>
  outer.version === inner.version && inner.prefixlen >= outer.prefixlen && contains(outer, inner.network);

export const overlaps = (a: Cidr, b: Cidr): boolean =>
  a.version === b.version && cidrFirst(a) <= cidrLast(b) && cidrFirst(b) <= cidrLast(a);

export const cidrEquals = (a: Cidr, b: Cidr): boolean =>
  a.version === b.version && a.network === b.network && a.prefixlen === b.prefixlen;

const V4_LOOPBACK: Cidr = { version: 4, network: 0x7f000000n, prefixlen: 8 };
const V4_MULTICAST: Cidr = { version: 4, network: 0xe0000000n, prefixlen: 4 };
const V6_MULTICAST: Cidr = { version: 6, network: 0xffn << 120n, prefixlen: 8 };

/** netaddr is_loopback() of a network: inside 127.0.0.0/8, or exactly ::1/128. */
export const isLoopback = (c: Cidr): boolean =>
  c.version === 4 ? containsCidr(V4_LOOPBACK, c) : c.network === 1n && c.prefixlen === 128;

/** netaddr is_multicast() of a network: inside 224.0.0.0/4 or ff00::/8. */
export const isMulticast = (c: Cidr): boolean => containsCidr(c.version === 4 ? V4_MULTICAST : V6_MULTICAST, c);

// ---- netaddr.IPNetwork parsing ----

// netaddr's fallback for IPv4: "10" -> 10.0.0.0, "10.1" -> 10.1.0.0 (each part int()-parsed).
function expandPartialIpv4(s: string): bigint | null {
  if (s.includes(':')) return null;
  const tokens = s.includes('.') ? s.split('.') : [s];
  if (tokens.length < 1 || tokens.length > 4) return null;
  const parts: string[] = [];
  for (const t of tokens) {
    const v = pyInt(t);
    if (v === null) return null;
    parts.push(v.toString());
  }
  while (parts.length < 4) parts.push('0');
  return parseIpv4(parts.join('.'));
}

function maskToPrefix(version: IpVersion, mask: bigint): number | null {
  const width = bitWidth(version);
  const isPow2 = (x: bigint) => (x & (x - 1n)) === 0n;
  const log2 = (x: bigint) => x.toString(2).length - 1;
  const asNetmask = (mask ^ maxValue(version)) + 1n;
  if (isPow2(asNetmask)) return width - log2(asNetmask);
  const asHostmask = mask + 1n;
  if (isPow2(asHostmask)) return width - log2(asHostmask);
  return null;
}

function parseForVersion(version: IpVersion, addr: string, prefix: string | undefined): IpNetwork | null {
  let ip = version === 4 ? parseIpv4(addr) : parseIpv6(addr);
  if (ip === null && version === 4) ip = expandPartialIpv4(addr);
  if (ip === null) return null;
  let prefixlen: number;
  if (prefix === undefined) {
    prefixlen = bitWidth(version);
  } else {
    const p = pyInt(prefix);
    if (p !== null) {
      if (p < 0n || p > BigInt(bitWidth(version))) return null;
      prefixlen = Number(p);
    } else {
      const mask = version === 4 ? parseIpv4(prefix) : parseIpv6(prefix);
      if (mask === null) return null;
      const fromMask = maskToPrefix(version, mask);
      if (fromMask === null) return null;
      prefixlen = fromMask;
    }
  }
  return { version, ip, prefixlen };
}

/** netaddr.IPNetwork(s) as Zed's netaddr 0.8 parses it (IPv4 tried first); null on AddrFormatError. */
export function parseNetaddrNetwork(s: string): IpNetwork | null {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const prefix = slash < 0 ? undefined : s.slice(slash + 1);
  return parseForVersion(4, addr, prefix) ?? parseForVersion(6, addr, prefix);
}

/** Parse a CIDR (host bits allowed) into its normalised network, as Neutron stores a subnet's cidr. */
export function parseCidr(s: string): Cidr | null {
  const n = parseNetaddrNetwork(s);
  return n ? makeCidr(n.version, n.ip, n.prefixlen) : null;
}

const networkOf = (n: IpNetwork): Cidr => makeCidr(n.version, n.ip, n.prefixlen);
const ipNetworkStr = (n: IpNetwork): string => `${formatIpValue(n.version, n.ip)}/${n.prefixlen}`;

/**
 * neutron-lib convert_cidr_to_canonical_format (the subnet `cidr` converter): returns
 * "<canonical ip>/<prefixlen>" with host bits kept; throws InvalidInput
 * "<value> is not in a CIDR format." (error-samples rows 45-46).
 */
export function convertCidrToCanonical(value: unknown): string {
  const n = typeof value === 'string' ? parseNetaddrNetwork(value) : null;
  if (!n) throw InvalidInput(`${pyStr(value)} is not in a CIDR format`);
  return ipNetworkStr(n);
}

/** A subnet request's cidr as Zed stores it: converter, then normalised to the network (row 47). */
export function subnetCidrFromRequest(value: unknown): Cidr {
  return parseCidr(convertCidrToCanonical(value))!;
}

/**
 * neutron-lib validate_subnet ('type:subnet' attributes): null when valid, else the reason.
 * Needs a '/', and for IPv4 the text must already be str(IPNetwork) (no leading zeros etc.).
 */
export function validateSubnetCidr(data: unknown): string | null {
  const n = typeof data === 'string' && !hasPyWhitespace(data) ? parseNetaddrNetwork(data) : null;
  if (!n || typeof data !== 'string') return `'${pyStr(data)}' is not a valid IP subnet`;
  if (!data.includes('/') || (n.version === 4 && ipNetworkStr(n) !== data)) {
    return `'${data}' isn't a recognized IP subnet cidr, '${formatCidr(networkOf(n))}' is recommended`;
  }
  return null;
}

/**
 * neutron-lib validate_route_cidr (host_routes destination): needs a '/', no host bits,
 * and not loopback. Row 64: "'foo' is not a valid CIDR".
 */
export function validateRouteCidr(data: unknown): string | null {
  const n = typeof data === 'string' && !hasPyWhitespace(data) ? parseNetaddrNetwork(data) : null;
  if (!n || typeof data !== 'string') return `'${pyStr(data)}' is not a valid CIDR`;
  const net = networkOf(n);
  if (!data.includes('/') || net.network !== n.ip) {
    return `'${data}' is not a recognized CIDR, '${formatCidr(net)}' is recommended`;
  }
  if (isLoopback(net)) return `'${data}' is not a routable CIDR`;
  return null;
}

/** The IP version netaddr.IPNetwork(s) would report, or null if it cannot parse s. */
export const netaddrVersionOf = (s: string): IpVersion | null => parseNetaddrNetwork(s)?.version ?? null;

/** Dotted netmask for IPv4 prefixes (e.g. for dnsmasq/ip tooling). */
export const formatNetmaskV4 = (prefixlen: number): string => formatIpv4(netmaskValue(4, prefixlen));
