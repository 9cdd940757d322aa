// Routers (l3_db + ext-gw-mode + extraroute): CRUD, the external gateway and its
// port, extra routes. Interfaces are in router-interfaces.ts. Every request is one
// transaction; lists never query per router.
import { randomUUID } from 'node:crypto';
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { ListQuery } from '../db/list-query.ts';
import type { Item } from './item.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import type { RoutersTable } from '../db/schema.ts';
import { getRouterRow, listRouterRows, loadRouters, type RouteRow, type RouterRecord } from '../db/repos/routers.ts';
import { visibleNetwork } from './networks.ts';
import { createServicePort, deleteServicePort } from './service-ports.ts';
import { syncRouterHosting } from './l3-scheduling.ts';
import { checkRevision, insertTags, nowIso, recordChange } from '../db/standard-attrs.ts';
import { validateHostRoutes } from '../domain/ipam/subnet-validators.ts';
import { enforceOrHide } from './authorize.ts';
import { enforceQuotaForItems } from './quotas.ts';
import { validateAvailabilityZoneHints } from './availability-zones.ts';
import type { FixedIpRequest } from './ipam.ts';
import { parseIp } from '../domain/ip/address.ts';
import { contains, parseCidr } from '../domain/ip/cidr.ts';
import { pyRepr } from '../domain/py-str.ts';
import {
  BadRequest, FlavorNotFound, HTTPBadRequest, InvalidAttribute, InvalidRoutes, RouterExternalGatewayInUseByFloatingIp, RouterInUse, RouterNotFound, RoutesExhausted,
} from '../errors/catalog.ts';

export const GW_OWNER = 'network:router_gateway';
export const INTF_OWNER = 'network:router_interface';

export function routerTarget(row: RoutersTable): Record<string, unknown> {
  return { id: row.id, project_id: row.project_id, tenant_id: row.project_id, distributed: row.distributed === 1, ha: row.ha === 1 };
}

/** A router the caller may see, or RouterNotFound (404 hides other projects' routers). */
export async function visibleRouter(deps: Deps, q: Tx | Deps['conn']['db'], ctx: RequestContext, id: string): Promise<RoutersTable> {
  const row = await getRouterRow(q, id);
  if (!row || !deps.policy.check(ctx, 'get_router', routerTarget(row))) throw RouterNotFound(id);
  return row;
}

/** The router for a write action: 404 if invisible, 403 if visible but refused. */
export async function routerForAction(deps: Deps, tx: Tx, ctx: RequestContext, id: string, action: string, changes: Item = {}): Promise<RoutersTable> {
  const row = await getRouterRow(tx, id);
  if (!row) throw RouterNotFound(id);
  enforceOrHide(deps.policy, ctx, action, { ...routerTarget(row), ...changes }, Object.keys(changes),
    () => deps.policy.check(ctx, 'get_router', routerTarget(row)), () => RouterNotFound(id));
  return row;
}

export async function loadRouter(deps: Deps, id: string): Promise<RouterRecord> {
  return (await loadRouters(deps.conn.db, [(await getRouterRow(deps.conn.db, id))!]))[0];
}

export async function getRouter(deps: Deps, ctx: RequestContext, id: string): Promise<RouterRecord> {
  const row = await visibleRouter(deps, deps.conn.db, ctx, id);
  return (await loadRouters(deps.conn.db, [row]))[0];
}

export async function listRouters(deps: Deps, ctx: RequestContext, q: ListQuery): Promise<RouterRecord[]> {
  const db = deps.conn.db;
  const marker = q.marker ? await visibleRouter(deps, db, ctx, q.marker) : null;
  const rows = await listRouterRows(db, q, ctx.isAdmin ? undefined : ctx.projectId, marker);
  if (q.pageReverse) rows.reverse();
  return loadRouters(db, rows);
}

// ---------------------------------------------------------------------------
// create / update / delete

export async function createRouters(deps: Deps, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[]): Promise<RouterRecord[]> {
  for (const { item, explicit } of items) deps.policy.enforce(ctx, 'create_router', item, explicit);
  const ids = await inTransaction(deps.conn, async (tx) => {
    await enforceQuotaForItems(deps, tx, 'router', items.map((i) => i.item));
    const out: string[] = [];
    for (const { item } of items) out.push(await insertRouter(deps, ctx, tx, item));
    return out;
  });
  const rows = await deps.conn.db.selectFrom('routers').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return loadRouters(deps.conn.db, ids.map((id) => byId.get(id)!));
}

async function insertRouter(deps: Deps, ctx: RequestContext, tx: Tx, item: Item): Promise<string> {
  if (item.flavor_id !== undefined && item.flavor_id !== null) throw FlavorNotFound(item.flavor_id as string);
  validateAvailabilityZoneHints(deps, 'router', item.availability_zone_hints as string[] | undefined);
  const id = randomUUID();
  const now = nowIso();
  const row: RoutersTable = {
    id, project_id: item.project_id as string, name: item.name as string, status: 'ACTIVE', admin_state_up: item.admin_state_up === false ? 0 : 1,
    gw_port_id: null, gw_network_id: null, enable_snat: 1, distributed: item.distributed === true ? 1 : 0, ha: item.ha === true ? 1 : 0,
    availability_zone_hints: JSON.stringify(item.availability_zone_hints ?? []), description: item.description as string,
    revision_number: 1, created_at: now, updated_at: now,
  };
  await tx.insertInto('routers').values(row).execute();
  await insertTags(tx, id, (item.tags as string[]) ?? []);
  await recordChange(tx, 'router', id, 'create', 1);
  const gw = item.external_gateway_info as Item | null | undefined;
  if (gw && gw.network_id !== undefined) await setGateway(deps, ctx, tx, row, gw, false);
  await syncRouterHosting(deps, tx, id);
  return id;
}

export async function updateRouter(deps: Deps, ctx: RequestContext, id: string, changes: Item, ifMatch: number | null): Promise<RouterRecord> {
  await inTransaction(deps.conn, async (tx) => {
    const row = await routerForAction(deps, tx, ctx, id, 'update_router', changes);
    checkRevision(ifMatch, row.revision_number);
    await applyRouterUpdate(deps, ctx, tx, row, changes);
  });
  return loadRouter(deps, id);
}

/** update_router's body, in Neutron's order: gateway first, then routes, then the router's own columns. */
export async function applyRouterUpdate(deps: Deps, ctx: RequestContext, tx: Tx, row: RoutersTable, changes: Item): Promise<void> {
  if ('distributed' in changes && (changes.distributed === true) !== (row.distributed === 1) && row.admin_state_up === 1) {
    throw BadRequest('router', "Cannot change the 'distributed' attribute of active routers. Please set router admin_state_up to False prior to upgrade");
  }
  let bumps = 0;
  if ('external_gateway_info' in changes) {
    const gw = changes.external_gateway_info as Item | null;
    if (!gw || gw.network_id === undefined || gw.network_id === null) {
      if (row.gw_port_id) { await clearGateway(tx, row); bumps += 1; }
    } else {
      bumps += await setGateway(deps, ctx, tx, row, gw, true);
    }
  }
  if ('routes' in changes) {
    const routes = changes.routes as RouteRow[];
    await validateRoutes(deps, tx, row.id, routes);
    const current = await tx.selectFrom('router_routes').select(['destination', 'nexthop']).where('router_id', '=', row.id).execute();
    const key = (r: RouteRow) => `${r.destination}|${r.nexthop}`;
    const want = new Map(routes.map((r) => [key(r), r]));
    const have = new Set(current.map(key));
    const removed = current.filter((r) => !want.has(key(r)));
    const added = [...want.values()].filter((r) => !have.has(key(r)));
    for (const r of removed) {
      await tx.deleteFrom('router_routes').where('router_id', '=', row.id).where('destination', '=', r.destination).where('nexthop', '=', r.nexthop).execute();
    }
    if (added.length) await tx.insertInto('router_routes').values(added.map((r) => ({ router_id: row.id, destination: r.destination, nexthop: r.nexthop }))).execute();
    if (removed.length || added.length) bumps += 1;
  }
  const set: Partial<RoutersTable> = {};
  if ('name' in changes) set.name = changes.name as string;
  if ('description' in changes) set.description = changes.description as string;
  if ('admin_state_up' in changes) set.admin_state_up = changes.admin_state_up ? 1 : 0;
  if ('distributed' in changes) set.distributed = changes.distributed ? 1 : 0;
  if ('ha' in changes) set.ha = changes.ha ? 1 : 0;
  const changed = Object.entries(set).some(([k, v]) => (row as unknown as Record<string, unknown>)[k] !== v);
  if (changed) {
    await tx.updateTable('routers').set(set).where('id', '=', row.id).execute();
    bumps = Math.max(bumps, 1);
  }
  if (bumps) await bumpRevisionOf(tx, 'routers', row.id, 'router', bumps);
  // a new gateway port is bound to the hosting L3 agent's host
  if ('external_gateway_info' in changes) await syncRouterHosting(deps, tx, row.id);
}

export async function deleteRouter(deps: Deps, ctx: RequestContext, id: string, ifMatch: number | null): Promise<void> {
  await inTransaction(deps.conn, async (tx) => {
    const row = await routerForAction(deps, tx, ctx, id, 'delete_router');
    const attached = await tx.selectFrom('router_ports').select('port_id').where('router_id', '=', id).where('port_type', '=', INTF_OWNER).orderBy('port_id').execute();
    if (attached.length) throw RouterInUse(id, 'has ports still attached: ' + attached.map((p) => p.port_id).join(', '));
    checkRevision(ifMatch, row.revision_number);
    if (row.gw_port_id) await clearGateway(tx, row);
    await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
    await tx.deleteFrom('routers').where('id', '=', id).execute();
    await recordChange(tx, 'router', id, 'delete', row.revision_number);
  });
}

// ---------------------------------------------------------------------------
// gateway

/** Sets or changes the external gateway; returns how many revisions the router moved (Zed: 2 for a new gateway). */
async function setGateway(deps: Deps, ctx: RequestContext, tx: Tx, row: RoutersTable, gw: Item, isUpdate: boolean): Promise<number> {
  const networkId = gw.network_id as string;
  const net = await visibleNetwork(deps, tx, ctx, networkId);
  if (net.router_external !== 1) throw BadRequest('router', `Network ${networkId} is not an external network`);
  const snat = gw.enable_snat === undefined ? deps.config.values.DEFAULT?.enable_snat_by_default !== false : gw.enable_snat === true;
  const requested = gw.external_fixed_ips as FixedIpRequest[] | undefined;
  if (row.gw_network_id === networkId && row.gw_port_id) {
    // Same network: only SNAT and, when asked, the addresses change.
    let bumps = 0;
    if ((row.enable_snat === 1) !== snat) {
      await tx.updateTable('routers').set({ enable_snat: snat ? 1 : 0 }).where('id', '=', row.id).execute();
      bumps = 1;
    }
    if (requested !== undefined && requested.length > 0) {
      const cur = await tx.selectFrom('ip_allocations').select(['subnet_id', 'ip_address']).where('port_id', '=', row.gw_port_id).execute();
      if (externalIpsChange(cur, requested)) {
        await ensureGatewayFree(tx, row);
        await deleteServicePort(tx, row.gw_port_id);
        await addGatewayPort(deps, tx, row, networkId, requested, snat);
        bumps = 2;
      }
    }
    return bumps;
  }
  if (row.gw_port_id) {
    await ensureGatewayFree(tx, row);
    await deleteServicePort(tx, row.gw_port_id);
  }
  await addGatewayPort(deps, tx, row, networkId, requested, snat);
  // The router row was inserted at revision 1 on create; Zed shows the gateway as two more.
  if (!isUpdate) await bumpRevisionOf(tx, 'routers', row.id, 'router', 1);
  return 2;
}

async function addGatewayPort(deps: Deps, tx: Tx, row: RoutersTable, networkId: string, requested: FixedIpRequest[] | undefined, snat: boolean): Promise<void> {
  // Neutron gives the gateway port no project: it is the router's, not a user's.
  const port = await createServicePort(deps, tx, { networkId, projectId: '', deviceId: row.id, deviceOwner: GW_OWNER, fixedIps: requested });
  // An external network without subnets still takes a gateway: Neutron creates the port
  // without addresses (l3_db._create_router_gw_port only logs it).
  await tx.insertInto('router_ports').values({ port_id: port.id, router_id: row.id, port_type: GW_OWNER }).execute();
  await tx.updateTable('routers').set({ gw_port_id: port.id, gw_network_id: networkId, enable_snat: snat ? 1 : 0 }).where('id', '=', row.id).execute();
}

/** l3_db._check_for_external_ip_change: the sets of subnets, then of explicit addresses,
 *  differ; an entry naming only a subnet the gateway has an address on changes nothing. */
function externalIpsChange(cur: { subnet_id: string; ip_address: string }[], requested: FixedIpRequest[]): boolean {
  const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
  const subnets = new Set(requested.flatMap((r) => (r.subnet_id ? [r.subnet_id] : [])));
  if (!sameSet(new Set(cur.map((c) => c.subnet_id)), subnets)) return true;
  const addresses = new Set(requested.flatMap((r) => (r.ip_address ? [r.ip_address] : [])));
  return !sameSet(new Set(cur.map((c) => c.ip_address)), addresses);
}

async function ensureGatewayFree(tx: Tx, row: RoutersTable): Promise<void> {
  const fip = await tx.selectFrom('floatingips').select('id').where('router_id', '=', row.id)
    .where('floating_network_id', '=', row.gw_network_id!).limit(1).executeTakeFirst();
  if (fip) throw RouterExternalGatewayInUseByFloatingIp(row.id, row.gw_network_id!);
}

async function clearGateway(tx: Tx, row: RoutersTable): Promise<void> {
  await ensureGatewayFree(tx, row);
  await tx.updateTable('routers').set({ gw_port_id: null, gw_network_id: null }).where('id', '=', row.id).execute();
  await deleteServicePort(tx, row.gw_port_id!);
}

// ---------------------------------------------------------------------------
// routes

/** extraroute_db._validate_routes: count, then every nexthop on a connected subnet and not the router's own address. */
async function validateRoutes(deps: Deps, tx: Tx, routerId: string, routes: RouteRow[]): Promise<void> {
  const max = Number(deps.config.raw.DEFAULT?.max_routes ?? 30);
  if (routes.length > max) throw RoutesExhausted(routerId, max);
  if (!routes.length) return;
  const addrs = await tx.selectFrom('router_ports as rp').innerJoin('ip_allocations as a', 'a.port_id', 'rp.port_id')
    .innerJoin('subnets as s', 's.id', 'a.subnet_id').select(['a.ip_address', 's.cidr']).where('rp.router_id', '=', routerId).execute();
  const cidrs = addrs.map((a) => parseCidr(a.cidr)!).filter(Boolean);
  const own = new Set(addrs.map((a) => a.ip_address));
  for (const r of routes) {
    const hop = parseIp(r.nexthop);
    if (!hop || !cidrs.some((c) => contains(c, hop))) throw InvalidRoutes(pyRepr(routes), 'the nexthop is not connected with router');
    if (own.has(r.nexthop)) throw InvalidRoutes(pyRepr(routes), 'the nexthop is used by router');
  }
}

/** extraroute-atomic: add/remove a set of routes as one update (the whole router back). */
export async function editExtraRoutes(deps: Deps, ctx: RequestContext, id: string, body: unknown, add: boolean): Promise<RouterRecord> {
  const routes = extraRoutesBody(body);
  await inTransaction(deps.conn, async (tx) => {
    const row = await routerForAction(deps, tx, ctx, id, add ? 'add_extraroutes' : 'remove_extraroutes');
    const current = await tx.selectFrom('router_routes').select(['destination', 'nexthop']).where('router_id', '=', id).execute();
    const key = (r: RouteRow) => `${r.destination}|${r.nexthop}`;
    const edit = new Set(routes.map(key));
    const next = add
      ? [...current, ...routes.filter((r, i) => !current.some((c) => key(c) === key(r)) && routes.findIndex((x) => key(x) === key(r)) === i)]
      : current.filter((c) => !edit.has(key(c)));
    await applyRouterUpdate(deps, ctx, tx, row, { routes: next.map((r) => ({ destination: r.destination, nexthop: r.nexthop })) });
  });
  return loadRouter(deps, id);
}

function extraRoutesBody(body: unknown): RouteRow[] {
  const router = (body as { router?: unknown } | null | undefined)?.router;
  if (!router || typeof router !== 'object' || Array.isArray(router)) throw HTTPBadRequest("Unable to find 'router' in request body");
  const routes = (router as { routes?: unknown }).routes;
  const reason = validateHostRoutes(routes);
  if (reason) throw InvalidAttribute('routes', reason);
  return routes as RouteRow[];
}

/** Moves a router's or floating IP's revision on by `n` (Neutron bumps once per changed related row). */
export async function bumpRevisionOf(tx: Tx, table: 'routers' | 'floatingips', id: string, resourceType: string, n = 1): Promise<void> {
  await tx.updateTable(table).set((eb) => ({ revision_number: eb('revision_number', '+', n), updated_at: nowIso() })).where('id', '=', id).execute();
  await recordChange(tx, resourceType, id, 'update');
}
