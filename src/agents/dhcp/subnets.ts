// How Neutron's dnsmasq driver treats a subnet: whether dnsmasq gets a range for it, whether
// its addresses go in the hosts file, whether it gets options. IPv6 follows the address mode:
// SLAAC clients never ask for DHCP; DHCPv6-stateless ones ask for options only.
import type { SubnetState } from '../../feed/host-state.ts';

export const isSlaac = (s: SubnetState): boolean => s.ip_version === 6 && s.ipv6_address_mode === 'slaac';
export const isStateless = (s: SubnetState): boolean => s.ip_version === 6 && s.ipv6_address_mode === 'dhcpv6-stateless';

/**
 * dnsmasq serves the subnet with a static --dhcp-range: DHCP-enabled IPv4, and IPv6 in
 * dhcpv6-stateful/-stateless mode or with no IPv6 mode at all (Neutron's old behaviour).
 */
export function hasRange(s: SubnetState): boolean {
  if (!s.enable_dhcp) return false;
  if (s.ip_version === 4) return true;
  const addr = s.ipv6_address_mode;
  return addr === 'dhcpv6-stateful' || addr === 'dhcpv6-stateless' || (!addr && !s.ipv6_ra_mode);
}

/** Hosts-file addresses are only for clients that take their address from DHCP. */
export const leasesAddresses = (s: SubnetState): boolean => !isSlaac(s) && !isStateless(s);

/** Per-subnet options (router, dns-server, routes) are written for these. */
export const getsOptions = (s: SubnetState): boolean => s.enable_dhcp && !isSlaac(s);
