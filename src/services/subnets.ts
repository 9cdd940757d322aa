// Subnets with Neutron's semantics (db_base_plugin_v2 + ipam_pluggable_backend):
// cidr normalisation, gateway and allocation-pool defaults and checks, overlap
// rules, DNS servers and host routes, and the free-range table kept in step with
// the pools. Every write bumps the subnet's network revision too.
import { randomUUID } from 'node:crypto';
import type { Deps } from './deps.ts';
import { ensureDhcpForNetwork } from './dhcp-scheduling.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { ListQuery } from '../db/list-query.ts';
import type { Item } from './item.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import type { NetworksTable, SubnetsTable } from '../db/schema.ts';
import {
  getSubnetRow, getSubnetWithNetwork, listSubnetRows, loadSubnets, replaceDns, replacePools, replaceRoutes,
  type HostRouteRow, type Pool, type SubnetRecord,
} from '../db/repos/subnets.ts';
import { getNetworkRow } from '../db/repos/networks.ts';
import { networkForCaller, networkTarget } from './networks.ts';
import { formatIpValue, type IpVersion } from '../domain/ip/address.ts';
import { formatCidr, parseCidr, subnetCidrFromRequest, type Cidr } from '../domain/ip/cidr.ts';
import {
  defaultGateway, poolsToRanges, prepareAllocationPools, rangeToPool, validateGatewayOutOfPools, validatePoolRanges,
  type PoolInput, type VersionedRange,
} from '../domain/ipam/pools.ts';
import type { Range } from '../domain/ipam/ranges.ts';
import { validateCidrPlacement, validateSubnetSpec, type HostRoute } from '../domain/ipam/subnet-validators.ts';
import {
  BadRequest, GatewayIpInUse, InvalidInput, NetworkNotFound, SubnetInUse, SubnetNotFound,
} from '../errors/catalog.ts';
import { addAutoAddressesOnNetworkPorts, isAutoAddressSubnet, rebuildFreeRanges } from './ipam.ts';
import { bumpRevision, checkRevision, insertTags, nowIso, recordChange } from '../db/standard-attrs.ts';
import { enforceOrHide } from './authorize.ts';
import { enforceQuotaForItems } from './quotas.ts';
import { enforceNetworkTenantOwnership } from './ownership.ts';
import { allocateFromPool, checkNetworkSubnetpools, recheckPoolAllocation, resolveSubnetpoolId } from './subnet-allocation.ts';

/** Ports attached to routers (RouterPort): they hold gateways and keep IPv6 auto-address subnets in use. */
const ROUTER_OWNERS = [
  'network:router_interface', 'network:router_gateway', 'network:ha_router_replicated_interface',
  'network:router_interface_distributed', 'network:router_centralized_snat',
];
const ROUTER_INTERFACE_OWNERS = ROUTER_OWNERS.filter((o) => o !== 'network:router_gateway');

/** Policy target of a subnet: its own project plus its network's owner and sharing. */
export function subnetTarget(row: SubnetsTable, net: NetworksTable): Record<string, unknown> {
  return {
    id: row.id, project_id: row.project_id, tenant_id: row.project_id, network_id: row.network_id,
    'network:tenant_id': net.project_id, 'network:project_id': net.project_id,
    'network:shared': net.shared === 1, shared: net.shared === 1, 'network:router:external': net.router_external === 1,
  };
}

/** get_subnet. Being external does not make a network's subnets visible: only sharing does, as
 *  Neutron's subnet query follows access_as_shared entries only (error-samples row 209 is a
 *  subnet of the seed's shared public network; tempest test_external_network_visibility
 *  expects no subnets of a non-shared external network). */
function mayRead(deps: Deps, ctx: RequestContext, row: SubnetsTable, net: NetworksTable): boolean {
  return deps.policy.check(ctx, 'get_subnet', subnetTarget(row, net));
}

/** A subnet with its network as the caller sees it (see networkForCaller). */
async function subnetForCaller(q: Tx | Deps['conn']['db'], ctx: RequestContext, id: string): Promise<{ subnet: SubnetsTable; network: NetworksTable } | undefined> {
  const found = await getSubnetWithNetwork(q, id);
  return found && { subnet: found.subnet, network: (await networkForCaller(q, ctx, found.network))! };
}

/** Whether the caller may read the subnet, its network's RBAC sharing included. */
export async function canReadSubnet(deps: Deps, q: Tx | Deps['conn']['db'], ctx: RequestContext, id: string): Promise<boolean> {
  const found = await subnetForCaller(q, ctx, id);
  return found !== undefined && mayRead(deps, ctx, found.subnet, found.network);
}

export async function getSubnet(deps: Deps, ctx: RequestContext, id: string): Promise<SubnetRecord> {
  const found = await subnetForCaller(deps.conn.db, ctx, id);
  if (!found || !mayRead(deps, ctx, found.subnet, found.network)) throw SubnetNotFound(id);
  return (await loadSubnets(deps.conn.db, [found.subnet]))[0];
}

export async function listSubnets(deps: Deps, ctx: RequestContext, q: ListQuery): Promise<SubnetRecord[]> {
  const db = deps.conn.db;
  let marker: SubnetsTable | null = null;
  if (q.marker) {
    const found = await subnetForCaller(db, ctx, q.marker);
    if (!found || !mayRead(deps, ctx, found.subnet, found.network)) throw SubnetNotFound(q.marker);
    marker = found.subnet;
  }
  const rows = await listSubnetRows(db, q, ctx.isAdmin ? undefined : ctx.projectId, marker);
  if (q.pageReverse) rows.reverse();
  return loadSubnets(db, rows);
}

// ---------------------------------------------------------------------------
// create

const given = (item: Item, k: string): boolean => item[k] !== undefined;

export async function createSubnets(deps: Deps, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[]): Promise<SubnetRecord[]> {
  const ids = await inTransaction(deps.conn, async (tx) => {
    await enforceQuotaForItems(deps, tx, 'subnet', items.map((i) => i.item));
    const out: string[] = [];
    for (const { item, explicit } of items) out.push(await insertSubnet(deps, ctx, tx, item, explicit));
    for (const networkId of new Set(items.map((i) => i.item.network_id as string))) await ensureDhcpForNetwork(deps, tx, networkId);
    return out;
  });
  const rows = await deps.conn.db.selectFrom('subnets').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return loadSubnets(deps.conn.db, ids.map((id) => byId.get(id)!));
}

async function insertSubnet(deps: Deps, ctx: RequestContext, tx: Tx, item: Item, explicit: Set<string>): Promise<string> {
  const networkId = item.network_id as string;
  // Sharing and external access as RBAC grants them to the caller.
  const net = await networkForCaller(tx, ctx, await getNetworkRow(tx, networkId));
  if (!net) throw NetworkNotFound(networkId);
  deps.policy.enforce(ctx, 'create_subnet', {
    ...item, network_id: networkId, 'network:tenant_id': net.project_id, 'network:project_id': net.project_id,
    'network:shared': net.shared === 1, 'network:router:external': net.router_external === 1,
  }, explicit);

  // db_base_plugin_v2.create_subnet: cidr / prefixlen / subnet pool
  const hasCidr = item.cidr !== undefined && item.cidr !== null;
  if (hasCidr && given(item, 'prefixlen')) throw BadRequest('subnets', 'cidr and prefixlen must not be supplied together');
  const poolId = await resolveSubnetpoolId(tx, item);
  if (!poolId && !hasCidr) throw BadRequest('subnets', 'a subnetpool must be specified in the absence of a cidr');
  if (poolId && !hasCidr && item.allocation_pools != null) throw BadRequest('subnets', 'allocation_pools allowed only for specific subnet requests');
  const ipVersion = item.ip_version as IpVersion;
  let cidr: Cidr;
  if (poolId) {
    // The pool is locked from here to commit; only a visible network gets that far.
    if (!deps.policy.check(ctx, 'get_network', networkTarget(net))) throw NetworkNotFound(networkId);
    enforceNetworkTenantOwnership(ctx, net, item.project_id as string);
    cidr = await allocateFromPool(deps, tx, ctx, {
      poolId, projectId: item.project_id as string, ipVersion, cidr: hasCidr ? subnetCidrFromRequest(item.cidr) : null,
      prefixlen: (item.prefixlen ?? null) as number | null,
    });
  } else {
    cidr = subnetCidrFromRequest(item.cidr);
  }
  const cidrText = formatCidr(cidr);

  const dns = item.dns_nameservers as string[] | undefined;
  const routes = item.host_routes as HostRoute[] | undefined;
  const raMode = (item.ipv6_ra_mode ?? null) as string | null;
  const addrMode = (item.ipv6_address_mode ?? null) as string | null;
  validateSubnetSpec({
    ipVersion, cidr: cidrText, enableDhcp: item.enable_dhcp as boolean, gatewayIp: item.gateway_ip as string | null | undefined,
    dnsNameservers: dns, hostRoutes: routes, ipv6RaMode: item.ipv6_ra_mode as string | undefined, ipv6AddressMode: item.ipv6_address_mode as string | undefined,
  }, { maxDnsNameservers: deps.config.maxDnsNameservers, maxHostRoutes: deps.config.maxSubnetHostRoutes });
  if (given(item, 'service_types') && (item.service_types as unknown[]).length) {
    throw InvalidInput('Subnet service types are not supported');
  }

  // The caller must see the network (another project's private network is a 404, row 191).
  if (!deps.policy.check(ctx, 'get_network', networkTarget(net))) {
    throw NetworkNotFound(networkId);
  }
  enforceNetworkTenantOwnership(ctx, net, item.project_id as string);

  // ipam_pluggable_backend.allocate_subnet: gateway, pools, then the CIDR placement.
  let gatewayIp: string | null;
  if (item.gateway_ip === undefined) {
    const gw = defaultGateway(cidr);
    gatewayIp = gw ? formatIpValue(gw.version, gw.value) : null;
  } else {
    gatewayIp = item.gateway_ip as string | null;
  }
  const pools = prepareAllocationPools(cidr, item.allocation_pools as PoolInput[] | undefined, gatewayIp);
  await checkPlacement(deps, tx, cidr, networkId);
  await checkNetworkSubnetpools(tx, networkId, ipVersion, poolId);

  const id = randomUUID();
  const now = nowIso();
  await tx.insertInto('subnets').values({
    id, project_id: item.project_id as string, network_id: networkId, name: item.name as string, ip_version: ipVersion, cidr: cidrText,
    gateway_ip: gatewayIp, enable_dhcp: item.enable_dhcp ? 1 : 0, ipv6_ra_mode: raMode, ipv6_address_mode: addrMode,
    subnetpool_id: poolId, segment_id: null,
    description: item.description as string, revision_number: 0, created_at: now, updated_at: now,
  }).execute();
  if (poolId) await recheckPoolAllocation(tx, poolId, id, cidr);
  await replacePools(tx, id, pools.map((r) => rangeToPool(r, ipVersion)));
  await replaceDns(tx, id, dns ?? []);
  await replaceRoutes(tx, id, routes ?? []);
  await rebuildFreeRanges(tx, id, pools);
  await insertTags(tx, id, (item.tags as string[]) ?? []);
  await recordChange(tx, 'subnet', id, 'create', 0);
  if (isAutoAddressSubnet({ ip_version: ipVersion, ipv6_address_mode: addrMode, ipv6_ra_mode: raMode })) {
    for (const portId of await addAutoAddressesOnNetworkPorts(tx, id)) await bumpRevision(tx, 'ports', portId, 'port');
  }
  await bumpRevision(tx, 'networks', networkId, 'network');
  return id;
}

/** _validate_subnet_cidr: no overlap with the network's subnets (or any subnet without allow_overlapping_ips). */
async function checkPlacement(deps: Deps, tx: Tx, cidr: Cidr, networkId: string): Promise<void> {
  let q = tx.selectFrom('subnets').select('cidr').where('ip_version', '=', cidr.version);
  if (deps.config.allowOverlappingIps) q = q.where('network_id', '=', networkId);
  const others = (await q.execute()).map((r) => parseCidr(r.cidr)).filter((c): c is Cidr => c !== null);
  validateCidrPlacement(cidr, networkId, others);
}

// ---------------------------------------------------------------------------
// update

export async function updateSubnet(deps: Deps, ctx: RequestContext, id: string, changes: Item, ifMatch: number | null): Promise<SubnetRecord> {
  await inTransaction(deps.conn, async (tx) => {
    const found = await subnetForCaller(tx, ctx, id);
    if (!found) throw SubnetNotFound(id);
    const { subnet: row, network: net } = found;
    enforceOrHide(deps.policy, ctx, 'update_subnet', { ...subnetTarget(row, net), ...changes }, Object.keys(changes),
      () => mayRead(deps, ctx, row, net), () => SubnetNotFound(id));
    checkRevision(ifMatch, row.revision_number);
    const cidr = parseCidr(row.cidr)!;
    const ipVersion = row.ip_version as IpVersion;

    validateSubnetSpec({
      id, ipVersion, cidr: row.cidr, enableDhcp: changes.enable_dhcp as boolean | undefined,
      gatewayIp: changes.gateway_ip as string | null | undefined,
      dnsNameservers: changes.dns_nameservers as string[] | undefined, hostRoutes: changes.host_routes as HostRoute[] | undefined,
    }, { maxDnsNameservers: deps.config.maxDnsNameservers, maxHostRoutes: deps.config.maxSubnetHostRoutes },
    { enableDhcp: row.enable_dhcp === 1, ipv6RaMode: row.ipv6_ra_mode, ipv6AddressMode: row.ipv6_address_mode });

    // Neutron refuses any gateway_ip while the current gateway is a router's address (row 76).
    if (changes.gateway_ip !== undefined && changes.gateway_ip !== null && row.gateway_ip !== null) {
      const holder = await tx.selectFrom('ip_allocations as a').innerJoin('ports as p', 'p.id', 'a.port_id').select('a.port_id')
        .where('a.subnet_id', '=', id).where('a.ip_address', '=', row.gateway_ip).where('p.device_owner', 'in', ROUTER_OWNERS)
        .executeTakeFirst();
      if (holder) throw GatewayIpInUse(row.gateway_ip, holder.port_id);
    }

    let newPools: VersionedRange[] | null = null;
    if (changes.allocation_pools !== undefined && changes.allocation_pools !== null) {
      newPools = poolsToRanges(changes.allocation_pools as PoolInput[]);
      validatePoolRanges(cidr, newPools);
    }
    const gatewayIp = changes.gateway_ip !== undefined ? (changes.gateway_ip as string | null) : row.gateway_ip;
    if ((gatewayIp !== row.gateway_ip || newPools) && gatewayIp) {
      const current = await tx.selectFrom('subnet_pool_ranges').select(['first_ip', 'last_ip']).where('subnet_id', '=', id).execute();
      const pools = newPools ?? poolsToRanges(current.map((p) => ({ start: p.first_ip, end: p.last_ip })));
      validateGatewayOutOfPools(gatewayIp, pools);
    }

    const before = (await loadSubnets(tx, [row]))[0];
    let changed = false;
    const set: Partial<SubnetsTable> = {};
    if ('name' in changes && changes.name !== row.name) set.name = changes.name as string;
    if ('description' in changes && changes.description !== row.description) set.description = changes.description as string;
    if (changes.gateway_ip !== undefined && gatewayIp !== row.gateway_ip) set.gateway_ip = gatewayIp;
    if ('enable_dhcp' in changes && (changes.enable_dhcp ? 1 : 0) !== row.enable_dhcp) set.enable_dhcp = changes.enable_dhcp ? 1 : 0;
    if (Object.keys(set).length) changed = true;

    if (changes.dns_nameservers !== undefined) {
      const dns = changes.dns_nameservers as string[];
      if (JSON.stringify(dns) !== JSON.stringify(before.dns)) { await replaceDns(tx, id, dns); changed = true; }
    }
    if (changes.host_routes !== undefined) {
      const routes = (changes.host_routes as HostRouteRow[]).map((r) => ({ destination: r.destination, nexthop: r.nexthop }));
      const key = (l: HostRouteRow[]) => JSON.stringify([...l].map((r) => `${r.destination} ${r.nexthop}`).sort());
      if (key(routes) !== key(before.routes)) { await replaceRoutes(tx, id, routes); changed = true; }
    }
    if (newPools) {
      const pools: Pool[] = newPools.map((r) => rangeToPool(r, ipVersion));
      const key = (l: Pool[]) => JSON.stringify(l.map((p) => `${p.start}-${p.end}`).sort());
      if (key(pools) !== key(before.pools)) {
        await replacePools(tx, id, pools);
        await rebuildFreeRanges(tx, id, newPools.map(({ first, last }): Range => ({ first, last })));
        changed = true;
      }
    }
    if (changed) {
      await tx.updateTable('subnets').set({ ...set, revision_number: row.revision_number + 1, updated_at: nowIso() }).where('id', '=', id).execute();
      await recordChange(tx, 'subnet', id, 'update', row.revision_number + 1);
      await bumpRevision(tx, 'networks', row.network_id, 'network');
      if (set.enable_dhcp === 1) await ensureDhcpForNetwork(deps, tx, row.network_id);
    }
  });
  const row = (await getSubnetRow(deps.conn.db, id))!;
  return (await loadSubnets(deps.conn.db, [row]))[0];
}

// ---------------------------------------------------------------------------
// delete

export async function deleteSubnet(deps: Deps, ctx: RequestContext, id: string, ifMatch: number | null): Promise<void> {
  await inTransaction(deps.conn, async (tx) => {
    const found = await subnetForCaller(tx, ctx, id);
    if (!found) throw SubnetNotFound(id);
    const { subnet: row, network: net } = found;
    enforceOrHide(deps.policy, ctx, 'delete_subnet', subnetTarget(row, net), undefined,
      () => mayRead(deps, ctx, row, net), () => SubnetNotFound(id));
    // ML2 _remove_subnet_ip_allocations_from_ports: DHCP ports' addresses go with the subnet;
    // on SLAAC/DHCPv6-stateless subnets so do other ports' ones, but never a router's.
    const auto = isAutoAddressSubnet(row);
    const blocking = auto ? ROUTER_INTERFACE_OWNERS : null;
    let q = tx.selectFrom('ip_allocations as a').innerJoin('ports as p', 'p.id', 'a.port_id').select('a.port_id').where('a.subnet_id', '=', id);
    q = blocking ? q.where('p.device_owner', 'in', blocking) : q.where('p.device_owner', '!=', 'network:dhcp');
    if (await q.limit(1).executeTakeFirst()) throw SubnetInUse(id);
    checkRevision(ifMatch, row.revision_number);

    const holders = await tx.selectFrom('ip_allocations').select('port_id').distinct().where('subnet_id', '=', id).execute();
    await tx.deleteFrom('ip_allocations').where('subnet_id', '=', id).execute();
    for (const h of holders) await bumpRevision(tx, 'ports', h.port_id, 'port');
    // Free ranges, pools, DNS servers and host routes go by ON DELETE CASCADE.
    await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
    await tx.deleteFrom('subnets').where('id', '=', id).execute();
    await recordChange(tx, 'subnet', id, 'delete', row.revision_number);
    await bumpRevision(tx, 'networks', row.network_id, 'network');
  });
}
