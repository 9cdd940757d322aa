// Addresses as nft set elements: parsed (with what they are, for the error), merged into
// ranges, and the link-local address a VM's kernel derives from its MAC.
import { formatIpValue, type IpVersion } from '../../../domain/ip/address.ts';
import { cidrFirst, cidrLast, parseCidr, type Cidr } from '../../../domain/ip/cidr.ts';
import { eui64, normalizeMac } from '../../../domain/ip/mac.ts';

export function cidrOf(s: string, what: string): Cidr {
  const c = parseCidr(s);
  if (!c) throw new Error(`invalid address ${JSON.stringify(s)} (${what})`);
  return c;
}

export function mac(s: string): string {
  const m = normalizeMac(s);
  if (m === null) throw new Error(`invalid MAC address ${JSON.stringify(s)}`);
  return m;
}

/**
 * The set elements covering the CIDRs of one family: overlapping and adjacent ranges merged
 * (nft refuses overlapping intervals), each written as an address, a prefix or a range.
 */
export function elements(family: IpVersion, cidrs: readonly Cidr[]): string[] {
  const ranges = cidrs.filter((c) => c.version === family).map((c) => [cidrFirst(c), cidrLast(c)] as [bigint, bigint])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1n) {
      if (r[1] > last[1]) last[1] = r[1];
    } else {
      merged.push([r[0], r[1]]);
    }
  }
  return merged.map(([a, b]) => {
    if (a === b) return formatIpValue(family, a);
    const size = b - a + 1n;
    const bits = size.toString(2).length - 1;
    if (size === 1n << BigInt(bits) && a % size === 0n) return `${formatIpValue(family, a)}/${(family === 4 ? 32 : 128) - bits}`;
    return `${formatIpValue(family, a)}-${formatIpValue(family, b)}`;
  });
}

/** The EUI-64 link-local address of a MAC (what the VM's kernel configures on its eth0). */
export function linkLocal(m: string): string {
  return formatIpValue(6, eui64(parseCidr('fe80::/64')!, m));
}
