// MAC addresses (48-bit, as bigint). Parsing accepts every EUI-48 spelling netaddr
// accepts (Zed validates with netaddr.valid_mac), the wire form is netaddr's
// mac_unix_expanded: lowercase, colon separated, two digits per octet.
import { IPV6_MAX } from './address.ts';
import { cidrFirst, type Cidr } from './cidr.ts';
import { hasPyWhitespace, pyStr } from './py-compat.ts';

export const MAC_MAX = (1n << 48n) - 1n;

// netaddr.strategy.eui48.RE_MAC_FORMATS, in netaddr's order (first match wins).
const MAC_FORMATS: readonly RegExp[] = [
  new RegExp('^' + Array(6).fill('([0-9A-F]{1,2})').join(':') + '$', 'i'),
  new RegExp('^' + Array(6).fill('([0-9A-F]{1,2})').join('-') + '$', 'i'),
  new RegExp('^' + Array(3).fill('([0-9A-F]{1,4})').join(':') + '$', 'i'),
  new RegExp('^' + Array(3).fill('([0-9A-F]{1,4})').join('-') + '$', 'i'),
  new RegExp('^' + Array(3).fill('([0-9A-F]{1,4})').join('\\.') + '$', 'i'),
  new RegExp('^' + Array(2).fill('([0-9A-F]{5,6})').join('-') + '$', 'i'),
  new RegExp('^' + Array(2).fill('([0-9A-F]{5,6})').join(':') + '$', 'i'),
  /^([0-9A-F]{12})$/i,
  /^([0-9A-F]{11})$/i,
];

// Neutron's constants.INVALID_MAC_ADDRESSES.
const INVALID_MACS: readonly bigint[] = [0n, MAC_MAX];

/** Parse any netaddr EUI-48 spelling; null if netaddr would not accept it. */
export function parseMac(s: string): bigint | null {
  if (hasPyWhitespace(s)) return null;
  for (const re of MAC_FORMATS) {
    const m = re.exec(s);
    if (!m) continue;
    const words = m.slice(1);
    // Each word is left-padded to its share of the 12 hex digits (netaddr's '%.2x'/'%.4x'/'%.6x').
    const width = 12 / words.length;
    const hex = words.map((w) => w.padStart(width, '0')).join('');
    return BigInt('0x' + hex);
  }
  return null;
}

/** neutron-lib validate_mac_address: null when valid, else the reason (rows 85-86). */
export function validateMacAddress(data: unknown): string | null {
  const v = typeof data === 'string' ? parseMac(data) : null;
  if (v === null || INVALID_MACS.includes(v)) return `'${pyStr(data)}' is not a valid MAC address`;
  return null;
}

export function formatMac(v: bigint): string {
  if (v < 0n || v > MAC_MAX) throw new RangeError(`MAC value out of range: ${v}`);
  return v.toString(16).padStart(12, '0').match(/../g)!.join(':');
}

/** Canonical (stored/returned) text of a MAC, or null if unparseable. */
export function normalizeMac(s: string): string | null {
  const v = parseMac(s);
  return v === null ? null : formatMac(v);
}

/**
 * neutron_lib.utils.net.get_random_mac: keep base_mac's first three octets, and its
 * fourth when that is not '00'; the rest random. Three random bytes are always drawn
 * (as Neutron does), so a seeded `rand` gives the same sequence either way.
 * `rand` returns a float in [0, 1), like Math.random.
 */
export function randomMac(baseMac: string, rand: () => number): string {
  const base = baseMac.split(':');
  if (base.length !== 6 || !base.every((o) => /^[0-9a-fA-F]{1,2}$/.test(o))) {
    throw new Error(`invalid base_mac '${baseMac}'`);
  }
  const byte = () => Math.floor(rand() * 256) & 0xff;
  const mac = [parseInt(base[0], 16), parseInt(base[1], 16), parseInt(base[2], 16), byte(), byte(), byte()];
  if (base[3] !== '00') mac[3] = parseInt(base[3], 16);
  return mac.map((o) => o.toString(16).padStart(2, '0')).join(':');
}

/** Modified EUI-64 interface id of a MAC: ff:fe in the middle, universal/local bit flipped. */
export function eui64InterfaceId(mac: bigint): bigint {
  const eui = ((mac >> 24n) << 40n) | 0xfffe000000n | (mac & 0xffffffn);
  return eui ^ (1n << 57n);
}

/**
 * The SLAAC address of a port (neutron's get_ipv6_addr_by_EUI64: (prefix.first + eui64) ^ 1<<57).
 * e.g. fd00:10::/64 + fa:16:3e:45:bd:0d -> fd00:10::f816:3eff:fe45:bd0d.
 */
export function eui64(cidr: Cidr, mac: string | bigint): bigint {
  if (cidr.version !== 6) throw new Error('EUI-64 addresses need an IPv6 prefix');
  const m = typeof mac === 'bigint' ? mac : parseMac(mac);
  if (m === null || m < 0n || m > MAC_MAX) throw new Error(`bad MAC for EUI-64: ${String(mac)}`);
  const eui = ((m >> 24n) << 40n) | 0xfffe000000n | (m & 0xffffffn);
  const v = (cidrFirst(cidr) + eui) ^ (1n << 57n);
  if (v > IPV6_MAX) throw new Error('EUI-64 address outside the IPv6 space');
  return v;
}
