// The subnets IPAM allocates from, shared by single (./ipam.ts) and bulk (./ipam-bulk.ts)
// allocation: what a subnet is to IPAM and its auto-address mode.
import type { Tx } from '../db/transaction.ts';
import type { PortNetworkSubnet } from '../db/repos/port-network.ts';
import { parseCidr, type Cidr } from '../domain/ip/cidr.ts';
export interface FixedIpRequest { subnet_id?: string; ip_address?: string }
export interface FixedIp { subnet_id: string; ip_address: string }

/** Router interface owners (ROUTER_INTERFACE_OWNERS_SNAT): no SLAAC addresses, may take addresses on auto-address subnets. */
export const ROUTER_INTERFACE_OWNERS_SNAT = [
  'network:router_interface', 'network:ha_router_replicated_interface', 'network:router_interface_distributed', 'network:router_centralized_snat',
];
export const ROUTER_INTERFACE_OWNERS = ROUTER_INTERFACE_OWNERS_SNAT.slice(0, 3);

/** A subnet as IPAM reads it (the columns of src/db/repos/port-network.ts), its CIDR parsed. */
export interface SubnetInfo extends PortNetworkSubnet {
  parsed: Cidr;
}

const AUTO_MODES = ['slaac', 'dhcpv6-stateless'];
/** ipv6_utils.is_auto_address_subnet. */
export const isAutoAddressSubnet = (s: { ip_version: number; ipv6_address_mode: string | null; ipv6_ra_mode: string | null }): boolean =>
  s.ip_version === 6 && (AUTO_MODES.includes(s.ipv6_address_mode ?? '') || AUTO_MODES.includes(s.ipv6_ra_mode ?? ''));

export const subnetInfo = (r: PortNetworkSubnet): SubnetInfo => ({ ...r, parsed: parseCidr(r.cidr)! });

export async function networkSubnets(tx: Tx, networkId: string): Promise<SubnetInfo[]> {
  const rows = await tx.selectFrom('subnets')
    .select(['id', 'network_id', 'ip_version', 'cidr', 'ipv6_address_mode', 'ipv6_ra_mode'])
    .where('network_id', '=', networkId).orderBy('created_at').orderBy('id').execute();
  return rows.map(subnetInfo);
}

/** network id -> its subnets, read once for all the ports of one bulk create (one transaction). */
export type SubnetCache = Map<string, SubnetInfo[]>;
