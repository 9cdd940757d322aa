// dnsmasq's lease file and dhcp_release (Debian package dnsmasq-utils). dnsmasq keeps a
// lease after its host entry is gone, and will not hand that address to another MAC until
// the lease expires ("not using configured address … because it is leased to …"); Neutron's
// agent therefore releases the leases of deleted or changed ports with dhcp_release, which
// sends dnsmasq a DHCPRELEASE on the client's behalf from inside the qdhcp namespace.
import { exec, type Place } from './exec.ts';

/** One IPv4 lease line: `<expiry> <mac> <ip> <hostname|*> <client-id|*>`. */
export interface Lease {
  expiry: number;
  mac: string;
  ip: string;
  hostname?: string;
  /** hex bytes with colons (dnsmasq's format, which dhcp_release also takes) */
  clientId?: string;
}

/** The IPv4 leases of a lease file (DHCPv6 ones, after the `duid` line, are skipped: dhcp_release is IPv4 only). */
export function parseLeases(text: string): Lease[] {
  const out: Lease[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'duid') break;
    if (f.length < 3 || !/^\d+$/.test(f[0]) || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(f[1]) || !/^\d+\.\d+\.\d+\.\d+$/.test(f[2])) continue;
    out.push({
      expiry: Number(f[0]),
      mac: f[1].toLowerCase(),
      ip: f[2],
      ...(f[3] && f[3] !== '*' ? { hostname: f[3] } : {}),
      ...(f[4] && f[4] !== '*' ? { clientId: f[4] } : {}),
    });
  }
  return out;
}

/** The dhcp_release argv for one lease on `iface` (the ns- device dnsmasq serves). */
export function dhcpReleaseArgv(iface: string, lease: Pick<Lease, 'ip' | 'mac' | 'clientId'>): string[] {
  return ['dhcp_release', iface, lease.ip, lease.mac, ...(lease.clientId ? [lease.clientId] : [])];
}

/** Release each lease (place: the qdhcp namespace). dnsmasq drops it and rewrites its lease file. */
export async function releaseLeases(place: Place | undefined, iface: string, leases: readonly Pick<Lease, 'ip' | 'mac' | 'clientId'>[]): Promise<void> {
  for (const l of leases) {
    try {
      await exec(dhcpReleaseArgv(iface, l), { place, timeoutMs: 5000 });
    } catch (e) {
      const missing = /cannot run .*ENOENT|No such file/.test((e as Error).message);
      throw new Error(missing
        ? `dhcp_release is not installed (Debian package dnsmasq-utils): a deleted port's lease on ${l.ip} stays until it expires; apt-get install dnsmasq-utils`
        : `cannot release the lease of ${l.mac} on ${l.ip}: ${(e as Error).message}`);
    }
  }
}
