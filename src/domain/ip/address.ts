// IP addresses as (version, bigint). Parsing follows what Zed accepts on the wire:
// glibc inet_pton for IPv6 (netaddr delegates to it), canonical dotted quads for
// IPv4 (neutron-lib's validate_ip_address rejects anything whose str() differs).
// Formatting follows netaddr's str(), i.e. glibc inet_ntop (RFC 5952 compression,
// lowercase, ::ffff:a.b.c.d and ::a.b.c.d for IPv4-mapped/compatible addresses).
import { hasPyWhitespace, pyInt, pyStr } from './py-compat.ts';

export type IpVersion = 4 | 6;
export interface IpAddress { version: IpVersion; value: bigint }

export const IPV4_MAX = (1n << 32n) - 1n;
export const IPV6_MAX = (1n << 128n) - 1n;
export const maxValue = (version: IpVersion): bigint => (version === 4 ? IPV4_MAX : IPV6_MAX);
export const bitWidth = (version: IpVersion): number => (version === 4 ? 32 : 128);

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** glibc inet_pton(AF_INET): exactly four decimal octets, no leading zeros. */
export function parseIpv4(s: string): bigint | null {
  let octets = 0;
  let cur = -1; // -1: no digit seen in this octet
  let value = 0n;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) {
      if (cur === 0) return null; // leading zero
      const next = (cur < 0 ? 0 : cur) * 10 + (c - 0x30);
      if (next > 255) return null;
      if (cur < 0 && ++octets > 4) return null;
      cur = next;
    } else if (c === 0x2e && cur >= 0) {
      if (octets === 4) return null;
      value = (value << 8n) | BigInt(cur);
      cur = -1;
    } else {
      return null;
    }
  }
  if (octets < 4 || cur < 0) return null;
  return (value << 8n) | BigInt(cur);
}

/** glibc inet_pton(AF_INET6). Zone ids ("%eth0") are rejected, as there. */
export function parseIpv6(s: string): bigint | null {
  const bytes = new Uint8Array(16);
  let tp = 0;
  let colonp = -1;
  let i = 0;
  const n = s.length;
  if (n === 0) return null;
  if (s.charCodeAt(0) === 0x3a) {
    i = 1;
    if (i === n || s.charCodeAt(i) !== 0x3a) return null;
  }
  let curtok = i;
  let xdigits = 0;
  let val = 0;
  while (i < n) {
    const c = s.charCodeAt(i++);
    const d = hexValue(c);
    if (d >= 0) {
      if (xdigits === 4) return null;
      val = (val << 4) | d;
      xdigits++;
      continue;
    }
    if (c === 0x3a) {
      curtok = i;
      if (xdigits === 0) {
        if (colonp >= 0) return null;
        colonp = tp;
        continue;
      } else if (i === n) {
        return null;
      }
      if (tp + 2 > 16) return null;
      bytes[tp++] = (val >> 8) & 0xff;
      bytes[tp++] = val & 0xff;
      xdigits = 0;
      val = 0;
      continue;
    }
    if (c === 0x2e && tp + 4 <= 16) {
      const v4 = parseIpv4(s.slice(curtok));
      if (v4 === null) return null;
      for (let k = 3; k >= 0; k--) bytes[tp++] = Number((v4 >> BigInt(k * 8)) & 0xffn);
      xdigits = 0;
      break;
    }
    return null;
  }
  if (xdigits > 0) {
    if (tp + 2 > 16) return null;
    bytes[tp++] = (val >> 8) & 0xff;
    bytes[tp++] = val & 0xff;
  }
  if (colonp >= 0) {
    if (tp === 16) return null; // "::" must stand for at least one group
    const moved = tp - colonp;
    bytes.copyWithin(16 - moved, colonp, tp);
    bytes.fill(0, colonp, 16 - moved);
    tp = 16;
  }
  if (tp !== 16) return null;
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/**
 * Strict parse of an address as Neutron accepts it in requests (fixed_ips, gateway_ip,
 * pools, nameservers): canonical dotted quad or any inet_pton IPv6 form.
 */
export function parseIp(s: string): IpAddress | null {
  if (s.includes(':')) {
    const v6 = parseIpv6(s);
    return v6 === null ? null : { version: 6, value: v6 };
  }
  const v4 = parseIpv4(s);
  return v4 === null ? null : { version: 4, value: v4 };
}

/**
 * neutron-lib validate_ip_address: null when valid, else Zed's reason text.
 * IPv4 goes through netaddr's ZEROFILL (int() per octet) so "010.0.0.1" parses but is
 * refused as "not an accepted IP address, '10.0.0.1' is recommended".
 */
export function validateIpAddress(data: unknown): string | null {
  const invalid = `'${pyStr(data)}' is not a valid IP address`;
  if (typeof data !== 'string' || hasPyWhitespace(data)) return invalid;
  const v4 = parseIpv4Zerofill(data);
  if (v4 === null) return parseIpv6(data) === null ? invalid : null;
  const canonical = formatIpv4(v4);
  return canonical === data ? null : `'${data}' is not an accepted IP address, '${canonical}' is recommended`;
}

// netaddr IPv4 str_to_int with ZEROFILL: '%d' % int(octet), then inet_aton. Only the
// four-part form matters (validate_ip_address insists on three dots).
function parseIpv4Zerofill(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    const o = pyInt(p);
    if (o === null || o < 0n || o > 255n) return null;
    v = (v << 8n) | o;
  }
  return v;
}

export function formatIpv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((sh) => ((v >> sh) & 0xffn).toString()).join('.');
}

/** glibc inet_ntop(AF_INET6), which is what netaddr's str() prints on Linux. */
export function formatIpv6(v: bigint): string {
  const words: number[] = [];
  for (let i = 7; i >= 0; i--) words.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase === -1) { curBase = i; curLen = 1; } else curLen++;
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) { bestBase = curBase; bestLen = curLen; }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += formatIpv4(v & IPV4_MAX);
      return out;
    }
    out += words[i].toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

export const formatIpValue = (version: IpVersion, value: bigint): string =>
  version === 4 ? formatIpv4(value) : formatIpv6(value);

export const formatIp = (a: IpAddress): string => formatIpValue(a.version, a.value);

/**
 * Fixed-width (32 lowercase hex digits) key whose string order is numeric order, for
 * range queries in a text column. Same width for both versions: compare keys only
 * within one version (a subnet's addresses all share one).
 */
export const ipKey = (a: IpAddress): string => keyOfValue(a.value);
export const keyOfValue = (value: bigint): string => value.toString(16).padStart(32, '0');

export function ipFromKey(key: string, version: IpVersion): IpAddress {
  if (!/^[0-9a-f]{32}$/.test(key)) throw new Error(`malformed IP key '${key}'`);
  const value = BigInt('0x' + key);
  if (value > maxValue(version)) throw new Error(`IP key '${key}' out of range for IPv${version}`);
  return { version, value };
}

/** a + n; null when the result leaves the address space (netaddr raises there). */
export function ipAdd(a: IpAddress, n: bigint | number): IpAddress | null {
  const value = a.value + BigInt(n);
  return value < 0n || value > maxValue(a.version) ? null : { version: a.version, value };
}

export const ipSub = (a: IpAddress, n: bigint | number): IpAddress | null => ipAdd(a, -BigInt(n));

/** Orders by version, then value (netaddr's sort order). */
export function ipCompare(a: IpAddress, b: IpAddress): number {
  if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export const ipEquals = (a: IpAddress, b: IpAddress): boolean => a.version === b.version && a.value === b.value;

/** Canonical text of an address string, or null if Neutron would not accept it. */
export function normalizeIp(s: string): string | null {
  const a = parseIp(s);
  return a ? formatIp(a) : null;
}
