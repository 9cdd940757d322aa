// Checks that an object a request points at belongs to the caller's project, where
// Neutron makes them beyond policy: the network a port or subnet goes on, a router named
// as a port's device, the subnet or addresses a router interface takes. One place so
// every path (port and subnet create, bulk, port update, router interface by port or
// subnet) answers the same way. Visibility (404 for what the caller cannot see) stays
// with each resource's service; these run once the object is known to be visible.
import type { RequestContext } from '../domain/policy/context.ts';
import type { Tx } from '../db/transaction.ts';
import type { NetworksTable, SubnetsTable } from '../db/schema.ts';
import { ACCESS_SHARED } from '../db/repos/rbac.ts';
import { parseIp } from '../domain/ip/address.ts';
import { BadRequest, DeviceIDNotOwnedByTenant, HTTPNotFound } from '../errors/catalog.ts';

/** neutron-lib ROUTER_INTERFACE_OWNERS. */
export const ROUTER_INTERFACE_OWNERS: ReadonlySet<string> = new Set([
  'network:router_interface', 'network:ha_router_replicated_interface', 'network:router_interface_distributed',
]);

/**
 * _enforce_device_owner_not_router_intf_or_device_id: a non-admin may not give a port of
 * `projectId` a router-interface owner and a device_id naming another project's router
 * (which would graft the port onto that router). A device_id that is no router is fine.
 */
export async function enforceDeviceIdOwner(
  tx: Tx, ctx: RequestContext, deviceOwner: string | null | undefined, deviceId: string | null | undefined, projectId: string,
): Promise<void> {
  if (ctx.isAdmin || !deviceOwner || !ROUTER_INTERFACE_OWNERS.has(deviceOwner) || !deviceId) return;
  const router = await tx.selectFrom('routers').select('project_id').where('id', '=', deviceId).executeTakeFirst();
  if (router && router.project_id !== projectId) throw DeviceIDNotOwnedByTenant(deviceId);
}

/**
 * _validate_network_tenant_ownership (API layer, before policy): ports and subnets go only on
 * networks of their own project or shared with the caller. A network seen only because it
 * is external gets the bare 404 that hides it. `net` is the caller's view (RBAC `shared`).
 */
export function enforceNetworkTenantOwnership(ctx: RequestContext, net: NetworksTable, projectId: string): void {
  if (ctx.isAdmin || ctx.isAdvsvc || net.shared === 1) return;
  if (net.project_id !== projectId) throw HTTPNotFound();
}

/**
 * _add_interface_by_subnet: a non-admin plugs a router only into subnets of its own project,
 * or of a network shared with it by an RBAC entry naming it (LP-1975603); a network shared
 * with everyone ('*', shared=True) does not count (LP-1757482).
 */
export async function enforceInterfaceSubnetOwner(tx: Tx, ctx: RequestContext, subnet: SubnetsTable): Promise<void> {
  if (ctx.isAdmin || subnet.project_id === ctx.projectId) return;
  const grant = await tx.selectFrom('rbac_policies').select('id').where('object_type', '=', 'network')
    .where('object_id', '=', subnet.network_id).where('action', '=', ACCESS_SHARED).where('target_project', '=', ctx.projectId ?? '')
    .executeTakeFirst();
  if (!grant) {
    throw BadRequest('router', `Cannot add interface to router because subnet ${subnet.id} is not owned by project making the request`);
  }
}

/**
 * _validate_port_in_range_or_admin: a port plugged into a router may hold an address outside
 * its subnet's allocation pools (a gateway address, say) only when the caller owns the subnet.
 */
export async function enforcePortInRangeOrAdmin(
  tx: Tx, ctx: RequestContext, portId: string, ips: readonly { subnet_id: string; ip_address: string }[], subnets: readonly SubnetsTable[],
): Promise<void> {
  if (ctx.isAdmin) return;
  const bySubnet = new Map(subnets.map((s) => [s.id, s]));
  for (const ip of ips) {
    const subnet = bySubnet.get(ip.subnet_id);
    if (!subnet || subnet.project_id === ctx.projectId) continue;
    if (!(await inPools(tx, subnet.id, ip.ip_address))) {
      throw BadRequest('router', `Cannot add interface to router because specified port ${portId} has an IP address out of the allocation pool of subnet ${subnet.id}, which is not owned by the project making the request`);
    }
  }
}

async function inPools(tx: Tx, subnetId: string, address: string): Promise<boolean> {
  const ip = parseIp(address);
  if (!ip) return false;
  const pools = await tx.selectFrom('subnet_pool_ranges').select(['first_ip', 'last_ip']).where('subnet_id', '=', subnetId).execute();
  return pools.some((p) => {
    const lo = parseIp(p.first_ip), hi = parseIp(p.last_ip);
    return lo !== null && hi !== null && lo.version === ip.version && lo.value <= ip.value && ip.value <= hi.value;
  });
}
