// add_router_interface / remove_router_interface (l3_db): by subnet (a new port
// takes the subnet's gateway address) or by an existing unbound port.
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import type { NetworksTable, RoutersTable, SubnetsTable } from '../db/schema.ts';
import { getSubnetWithNetwork } from '../db/repos/subnets.ts';
import { getPortRow } from '../db/repos/ports.ts';
import { canReadSubnet } from './subnets.ts';
import { portTarget } from './port-access.ts';
import { bumpRevisionOf, GW_OWNER, INTF_OWNER, routerForAction } from './routers.ts';
import { createServicePort, deleteServicePort } from './service-ports.ts';
import { enforceDeviceIdOwner, enforceInterfaceSubnetOwner, enforcePortInRangeOrAdmin } from './ownership.ts';
import { syncRouterHosting } from './l3-scheduling.ts';
import { bumpRevision } from '../db/standard-attrs.ts';
import { validUuid } from '../domain/uuid.ts';
import { contains, overlaps, parseCidr } from '../domain/ip/cidr.ts';
import { parseIp } from '../domain/ip/address.ts';
import {
  BadRequest, PortInUse, PortNotFound, RouterInterfaceInUseByFloatingIP, RouterInterfaceInUseByRoute, RouterInterfaceNotFound,
  RouterInterfaceNotFoundForSubnet, SubnetNotFound,
} from '../errors/catalog.ts';

export interface InterfaceInfo {
  id: string; tenant_id: string; port_id: string; network_id: string; subnet_id: string; subnet_ids: string[]; project_id: string;
}

const info = (router: RoutersTable, port: { id: string; network_id: string; project_id: string }, subnetIds: string[]): InterfaceInfo => ({
  id: router.id, tenant_id: port.project_id, port_id: port.id, network_id: port.network_id,
  subnet_id: subnetIds.at(-1) ?? '', subnet_ids: subnetIds, project_id: port.project_id,
});

/** _validate_interface_info: which of port_id / subnet_id the body names. */
function parseInterfaceInfo(body: unknown, forRemoval: boolean): { portId?: string; subnetId?: string } {
  const b = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const byPort = 'port_id' in b, bySubnet = 'subnet_id' in b;
  if (!byPort && !bySubnet) throw BadRequest('router', 'Either subnet_id or port_id must be specified');
  for (const k of ['port_id', 'subnet_id']) {
    if (!(k in b)) continue;
    const err = validUuid(b[k]);
    if (err) throw BadRequest('router', err);
  }
  if (!forRemoval && byPort && bySubnet) throw BadRequest('router', 'Cannot specify both subnet-id and port-id');
  return { portId: byPort ? b.port_id as string : undefined, subnetId: bySubnet ? b.subnet_id as string : undefined };
}

async function visibleSubnet(deps: Deps, tx: Tx, ctx: RequestContext, id: string): Promise<{ subnet: SubnetsTable; network: NetworksTable }> {
  const found = await getSubnetWithNetwork(tx, id);
  // a network shared with the caller by an RBAC entry shows its subnets as Neutron's get_subnet does
  if (!found || !(found.network.router_external === 1 || await canReadSubnet(deps, tx, ctx, id))) throw SubnetNotFound(id);
  return found;
}

/** _check_for_dup_router_subnets: the subnet is not already on the router and overlaps none of its subnets
 *  (all the external network's subnets count for the gateway). */
async function checkDupSubnets(tx: Tx, routerId: string, newSubnets: SubnetsTable[]): Promise<void> {
  const ports = await tx.selectFrom('router_ports as rp').innerJoin('ports as p', 'p.id', 'rp.port_id')
    .innerJoin('ip_allocations as a', 'a.port_id', 'rp.port_id')
    .select(['rp.port_type', 'p.network_id', 'a.subnet_id']).where('rp.router_id', '=', routerId).execute();
  const newIds = new Set(newSubnets.map((s) => s.id));
  const routerSubnets: string[] = [];
  const gwNetworks: string[] = [];
  for (const p of ports) {
    if (newIds.has(p.subnet_id)) throw BadRequest('router', `Router already has a port on subnet ${p.subnet_id}`);
    if (p.port_type === GW_OWNER) gwNetworks.push(p.network_id); else routerSubnets.push(p.subnet_id);
  }
  if (!routerSubnets.length && !gwNetworks.length) return;
  let q = tx.selectFrom('subnets').select(['id', 'cidr']);
  q = q.where((eb) => eb.or([
    ...(routerSubnets.length ? [eb('id', 'in', routerSubnets)] : []),
    ...(gwNetworks.length ? [eb('network_id', 'in', gwNetworks)] : []),
  ]));
  for (const sub of await q.orderBy('id').execute()) {
    for (const s of newSubnets) {
      if (overlaps(parseCidr(sub.cidr)!, parseCidr(s.cidr)!)) {
        throw BadRequest('router', `Cidr ${s.cidr} of subnet ${s.id} overlaps with cidr ${sub.cidr} of subnet ${sub.id}`);
      }
    }
  }
}

export async function addRouterInterface(deps: Deps, ctx: RequestContext, routerId: string, body: unknown): Promise<InterfaceInfo> {
  return inTransaction(deps.conn, async (tx) => {
    const router = await routerForAction(deps, tx, ctx, routerId, 'add_router_interface');
    const { portId, subnetId } = parseInterfaceInfo(body, false);
    let result: InterfaceInfo;
    if (portId !== undefined) {
      const port = await getPortRow(tx, portId);
      if (!port || !deps.policy.check(ctx, 'get_port', portTarget(port))) throw PortNotFound(portId);
      if (port.device_id !== '') throw PortInUse(port.network_id, port.id, port.device_id);
      const ips = await tx.selectFrom('ip_allocations').select(['subnet_id', 'ip_address']).where('port_id', '=', portId).execute();
      if (!ips.length) throw BadRequest('router', 'Router port must have at least one fixed IP');
      // _add_interface_by_port updates the port's device first: the same check as a port update.
      await enforceDeviceIdOwner(tx, ctx, INTF_OWNER, router.id, port.project_id);
      const subnets = await tx.selectFrom('subnets').selectAll().where('id', 'in', ips.map((i) => i.subnet_id)).execute();
      await checkDupSubnets(tx, router.id, subnets);
      if (subnets.filter((s) => s.ip_version === 4).length > 1) throw BadRequest('router', 'Cannot have multiple IPv4 subnets on router port');
      await enforcePortInRangeOrAdmin(tx, ctx, port.id, ips, subnets);
      await tx.updateTable('ports').set({ device_id: router.id, device_owner: INTF_OWNER }).where('id', '=', portId).execute();
      await tx.insertInto('router_ports').values({ port_id: portId, router_id: router.id, port_type: INTF_OWNER }).execute();
      await bumpRevision(tx, 'ports', portId, 'port');
      result = info(router, port, subnets.map((s) => s.id));
    } else {
      const { subnet } = await visibleSubnet(deps, tx, ctx, subnetId!);
      if (!subnet.gateway_ip) throw BadRequest('router', 'Subnet for router interface must have a gateway IP');
      await enforceInterfaceSubnetOwner(tx, ctx, subnet);
      await checkDupSubnets(tx, router.id, [subnet]);
      const port = await createServicePort(deps, tx, {
        networkId: subnet.network_id, projectId: router.project_id, deviceId: router.id, deviceOwner: INTF_OWNER,
        fixedIps: [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip }],
      });
      await tx.insertInto('router_ports').values({ port_id: port.id, router_id: router.id, port_type: INTF_OWNER }).execute();
      // The routerport row is part of the port (Zed shows interface ports at revision 2).
      await bumpRevision(tx, 'ports', port.id, 'port');
      result = info(router, { id: port.id, network_id: subnet.network_id, project_id: router.project_id }, [subnet.id]);
    }
    await bumpRevisionOf(tx, 'routers', router.id, 'router');
    // the new interface port is bound to the hosting L3 agent's host (or the router gets one)
    await syncRouterHosting(deps, tx, router.id);
    return result;
  });
}

export async function removeRouterInterface(deps: Deps, ctx: RequestContext, routerId: string, body: unknown): Promise<InterfaceInfo> {
  return inTransaction(deps.conn, async (tx) => {
    const router = await routerForAction(deps, tx, ctx, routerId, 'remove_router_interface');
    const { portId, subnetId } = parseInterfaceInfo(body, true);
    const ports = await tx.selectFrom('router_ports as rp').innerJoin('ports as p', 'p.id', 'rp.port_id')
      .innerJoin('ip_allocations as a', 'a.port_id', 'rp.port_id')
      .select(['p.id', 'p.network_id', 'p.project_id', 'a.subnet_id', 'a.ip_address'])
      .where('rp.router_id', '=', router.id).where('rp.port_type', '=', INTF_OWNER).execute();
    let target: typeof ports;
    if (portId !== undefined) {
      target = ports.filter((p) => p.id === portId);
      if (!target.length) throw RouterInterfaceNotFound(router.id, portId);
      if (subnetId !== undefined && !target.some((p) => p.subnet_id === subnetId)) throw RouterInterfaceNotFoundForSubnet(router.id, subnetId);
    } else {
      const hit = ports.find((p) => p.subnet_id === subnetId);
      if (!hit) throw RouterInterfaceNotFoundForSubnet(router.id, subnetId!);
      target = ports.filter((p) => p.id === hit.id);
    }
    const subnetIds = target.map((p) => p.subnet_id);
    await ensureInterfaceUnused(tx, router.id, subnetIds);
    await deleteServicePort(tx, target[0].id);
    await bumpRevisionOf(tx, 'routers', router.id, 'router');
    return info(router, target[0], subnetIds);
  });
}

/** Floating IPs reaching a fixed address through the subnet, and routes via it, keep an interface. */
async function ensureInterfaceUnused(tx: Tx, routerId: string, subnetIds: string[]): Promise<void> {
  const subnets = await tx.selectFrom('subnets').select(['id', 'cidr']).where('id', 'in', subnetIds).execute();
  const fips = await tx.selectFrom('floatingips').select('fixed_ip_address').where('router_id', '=', routerId).where('fixed_ip_address', 'is not', null).execute();
  const routes = await tx.selectFrom('router_routes').select('nexthop').where('router_id', '=', routerId).execute();
  for (const s of subnets) {
    const cidr = parseCidr(s.cidr)!;
    const inSubnet = (ip: string | null) => { const a = ip ? parseIp(ip) : null; return a !== null && contains(cidr, a); };
    if (fips.some((f) => inSubnet(f.fixed_ip_address))) throw RouterInterfaceInUseByFloatingIP(routerId, s.id);
    if (routes.some((r) => inSubnet(r.nexthop))) throw RouterInterfaceInUseByRoute(routerId, s.id);
  }
}
