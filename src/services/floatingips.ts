// Floating IPs (l3_db): an address on an external network held by a
// network:floatingip port, optionally associated with a fixed address of a port
// behind a router that has a gateway on that network.
import { randomUUID } from 'node:crypto';
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { ListQuery } from '../db/list-query.ts';
import type { Item } from './item.ts';
import { inTransaction, isUniqueViolation, type Tx } from '../db/transaction.ts';
import type { FloatingIpsTable } from '../db/schema.ts';
import { getFloatingIpRow, listFloatingIpRows, loadFloatingIps, type FloatingIpRecord } from '../db/repos/floatingips.ts';
import { getPortRow } from '../db/repos/ports.ts';
import { visibleNetwork } from './networks.ts';
import { portTarget } from './port-access.ts';
import { createServicePort, deleteServicePort } from './service-ports.ts';
import { bumpRevisionOf, INTF_OWNER } from './routers.ts';
import { checkRevision, insertTags, nowIso, recordChange } from '../db/standard-attrs.ts';
import { enforceOrHide } from './authorize.ts';
import { enforceQuotaForItems } from './quotas.ts';
import { notifyPortsChanged } from './nova-notifier.ts';
import { parseIp, normalizeIp } from '../domain/ip/address.ts';
import {
  BadRequest, ExternalGatewayForFloatingIPNotFound, FipInUseByPortForwarding, FloatingIPNotFound, FloatingIPPortAlreadyAssociated, PortNotFound,
} from '../errors/catalog.ts';

export const FIP_OWNER = 'network:floatingip';

export function floatingIpTarget(row: FloatingIpsTable): Record<string, unknown> {
  return {
    id: row.id, project_id: row.project_id, tenant_id: row.project_id, floating_network_id: row.floating_network_id,
    port_id: row.fixed_port_id, router_id: row.router_id,
  };
}

export async function visibleFloatingIp(deps: Deps, q: Tx | Deps['conn']['db'], ctx: RequestContext, id: string): Promise<FloatingIpsTable> {
  const row = await getFloatingIpRow(q, id);
  if (!row || !deps.policy.check(ctx, 'get_floatingip', floatingIpTarget(row))) throw FloatingIPNotFound(id);
  return row;
}

/** A floating IP for a write: 404 if invisible, 403 if visible but refused. */
export async function floatingIpForAction(deps: Deps, tx: Tx, ctx: RequestContext, id: string, action: string, changes: Item = {}): Promise<FloatingIpsTable> {
  const row = await getFloatingIpRow(tx, id);
  if (!row) throw FloatingIPNotFound(id);
  enforceOrHide(deps.policy, ctx, action, { ...floatingIpTarget(row), ...changes }, Object.keys(changes),
    () => deps.policy.check(ctx, 'get_floatingip', floatingIpTarget(row)), () => FloatingIPNotFound(id));
  return row;
}

async function loadOne(deps: Deps, id: string): Promise<FloatingIpRecord> {
  return (await loadFloatingIps(deps.conn.db, [(await getFloatingIpRow(deps.conn.db, id))!]))[0];
}

export async function getFloatingIp(deps: Deps, ctx: RequestContext, id: string): Promise<FloatingIpRecord> {
  const row = await visibleFloatingIp(deps, deps.conn.db, ctx, id);
  return (await loadFloatingIps(deps.conn.db, [row]))[0];
}

export async function listFloatingIps(deps: Deps, ctx: RequestContext, q: ListQuery): Promise<FloatingIpRecord[]> {
  const db = deps.conn.db;
  const marker = q.marker ? await visibleFloatingIp(deps, db, ctx, q.marker) : null;
  const rows = await listFloatingIpRows(db, q, ctx.isAdmin ? undefined : ctx.projectId, marker);
  if (q.pageReverse) rows.reverse();
  return loadFloatingIps(db, rows);
}

// ---------------------------------------------------------------------------
// create

export async function createFloatingIps(deps: Deps, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[]): Promise<FloatingIpRecord[]> {
  for (const { item, explicit } of items) deps.policy.enforce(ctx, 'create_floatingip', item, explicit);
  const ids = await inTransaction(deps.conn, async (tx) => {
    const out: string[] = [];
    for (const { item } of items) {
      const net = await visibleNetwork(deps, tx, ctx, item.floating_network_id as string);
      if (net.router_external !== 1) throw BadRequest('floatingip', `Network ${net.id} is not a valid external network`);
    }
    await enforceQuotaForItems(deps, tx, 'floatingip', items.map((i) => i.item));
    for (const { item } of items) out.push(await insertFloatingIp(deps, ctx, tx, item));
    return out;
  });
  const rows = await deps.conn.db.selectFrom('floatingips').selectAll().where('id', 'in', ids).execute();
  notifyPortsChanged(deps, rows.map((r) => r.fixed_port_id));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return loadFloatingIps(deps.conn.db, ids.map((id) => byId.get(id)!));
}

async function insertFloatingIp(deps: Deps, ctx: RequestContext, tx: Tx, item: Item): Promise<string> {
  const id = randomUUID();
  const netId = item.floating_network_id as string;
  if (item.fixed_ip_address != null && item.port_id == null) throw BadRequest('floatingip', 'fixed_ip_address cannot be specified without a port_id');
  const subnetId = item.subnet_id as string | null | undefined;
  const address = item.floating_ip_address as string | null | undefined;
  const request = subnetId != null ? [{ subnet_id: subnetId, ...(address != null ? { ip_address: address } : {}) }]
    : address != null ? [{ ip_address: address }] : undefined;
  if (subnetId == null && address == null) {
    const v4 = await tx.selectFrom('subnets').select('id').where('network_id', '=', netId).where('ip_version', '=', 4).limit(1).executeTakeFirst();
    if (!v4) throw BadRequest('floatingip', `Network ${netId} does not contain any IPv4 subnet`);
  }
  const port = await createServicePort(deps, tx, { networkId: netId, projectId: '', deviceId: id, deviceOwner: FIP_OWNER, fixedIps: request });
  const v4 = port.fixedIps.find((f) => parseIp(f.ip_address)?.version === 4);
  if (!v4) throw BadRequest('floatingip', `No IPv4 address found on the floating network ${netId}`);
  const now = nowIso();
  const row: FloatingIpsTable = {
    id, project_id: item.project_id as string, floating_network_id: netId, floating_port_id: port.id, floating_ip_address: v4.ip_address,
    fixed_port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN', description: (item.description as string) ?? '',
    // Zed answers a new floating IP at revision 0.
    revision_number: 0, created_at: now, updated_at: now,
  };
  if (item.port_id != null) {
    const assoc = await association(deps, ctx, tx, row, item.port_id as string, (item.fixed_ip_address ?? null) as string | null);
    Object.assign(row, assoc);
  }
  await insertRow(tx, row);
  await insertTags(tx, id, (item.tags as string[]) ?? []);
  await recordChange(tx, 'floatingip', id, 'create', 0);
  return id;
}

async function insertRow(tx: Tx, row: FloatingIpsTable): Promise<void> {
  try {
    await tx.insertInto('floatingips').values(row).execute();
  } catch (e) {
    // A concurrent association of the same fixed address won the unique key.
    if (isUniqueViolation(e)) throw FloatingIPPortAlreadyAssociated(row.floating_ip_address, row.id, row.fixed_port_id!, row.fixed_ip_address!, row.floating_network_id);
    throw e;
  }
}

/** _get_assoc_data + _check_and_get_fip_assoc: the fixed address, the router that reaches it, no second floating IP on it. */
async function association(
  deps: Deps, ctx: RequestContext, tx: Tx, fip: FloatingIpsTable, portId: string, fixedIp: string | null,
): Promise<Pick<FloatingIpsTable, 'fixed_port_id' | 'fixed_ip_address' | 'router_id'>> {
  const port = await getPortRow(tx, portId);
  if (!port || !deps.policy.check(ctx, 'get_port', portTarget(port))) throw PortNotFound(portId);
  if (!ctx.isAdmin && port.project_id !== fip.project_id) {
    throw BadRequest('floatingip', `Cannot process floating IP association with Port ${portId}, since that port is owned by a different tenant`);
  }
  const ips = await tx.selectFrom('ip_allocations').select(['subnet_id', 'ip_address']).where('port_id', '=', portId).execute();
  let chosen: { subnet_id: string; ip_address: string };
  if (fixedIp !== null) {
    const want = normalizeIp(fixedIp) ?? fixedIp;
    const hit = ips.find((i) => i.ip_address === want);
    if (!hit) throw BadRequest('floatingip', `Port ${portId} does not have fixed ip ${fixedIp}`);
    chosen = hit;
  } else {
    const v4 = ips.filter((i) => parseIp(i.ip_address)?.version === 4);
    if (!v4.length) throw BadRequest('floatingip', `Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses`);
    if (v4.length > 1) {
      throw BadRequest('floatingip', `Port ${portId} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`);
    }
    chosen = v4[0];
  }
  if (parseIp(chosen.ip_address)?.version !== 4) throw BadRequest('floatingip', `Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses`);
  // _get_router_for_floatingip: a router with a gateway on the floating network and an interface on the subnet.
  const router = await tx.selectFrom('routers as r').innerJoin('router_ports as rp', 'rp.router_id', 'r.id')
    .innerJoin('ip_allocations as a', 'a.port_id', 'rp.port_id')
    .select('r.id').where('r.gw_network_id', '=', fip.floating_network_id).where('rp.port_type', '=', INTF_OWNER)
    .where('a.subnet_id', '=', chosen.subnet_id).orderBy('r.id').limit(1).executeTakeFirst();
  if (!router) throw ExternalGatewayForFloatingIPNotFound(fip.floating_network_id, chosen.subnet_id, portId);
  const other = await tx.selectFrom('floatingips').select('id').where('fixed_port_id', '=', portId)
    .where('floating_network_id', '=', fip.floating_network_id).where('fixed_ip_address', '=', chosen.ip_address).where('id', '!=', fip.id)
    .executeTakeFirst();
  if (other) throw FloatingIPPortAlreadyAssociated(fip.floating_ip_address, fip.id, portId, chosen.ip_address, fip.floating_network_id);
  return { fixed_port_id: portId, fixed_ip_address: chosen.ip_address, router_id: router.id };
}

// ---------------------------------------------------------------------------
// update / delete

export async function updateFloatingIp(deps: Deps, ctx: RequestContext, id: string, changes: Item, ifMatch: number | null): Promise<FloatingIpRecord> {
  const moved = await inTransaction(deps.conn, async (tx) => {
    const row = await floatingIpForAction(deps, tx, ctx, id, 'update_floatingip', changes);
    checkRevision(ifMatch, row.revision_number);
    const set: Partial<FloatingIpsTable> = {};
    if ('description' in changes) set.description = changes.description as string;
    // l3_db._check_and_get_fip_assoc: an empty body dissociates; a non-empty one
    // without port_id keeps the port, but a fixed_ip_address needs port_id beside it.
    const empty = Object.keys(changes).length === 0;
    if (changes.fixed_ip_address != null && changes.port_id == null) throw BadRequest('floatingip', 'fixed_ip_address cannot be specified without a port_id');
    if ('port_id' in changes || 'fixed_ip_address' in changes || empty) {
      const portId = ('port_id' in changes ? changes.port_id : empty ? null : row.fixed_port_id) as string | null;
      if (portId === null) {
        // nothing realises an unassociated floating IP (the L3 agent only reports those it has);
        // one without a port keeps its router (port forwardings hold it there)
        if (row.fixed_port_id !== null) Object.assign(set, { fixed_port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' });
      } else {
        const pf = await tx.selectFrom('port_forwardings').select('id').where('floatingip_id', '=', id).limit(1).executeTakeFirst();
        if (pf) throw FipInUseByPortForwarding(id);
        const fixed = 'fixed_ip_address' in changes ? (changes.fixed_ip_address as string | null) : null;
        Object.assign(set, await association(deps, ctx, tx, row, portId, fixed));
      }
    }
    const changed = Object.entries(set).some(([k, v]) => (row as unknown as Record<string, unknown>)[k] !== v);
    if (!changed) return [];
    try {
      await tx.updateTable('floatingips').set(set).where('id', '=', id).execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw FloatingIPPortAlreadyAssociated(row.floating_ip_address, id, set.fixed_port_id!, set.fixed_ip_address!, row.floating_network_id);
      throw e;
    }
    await bumpRevisionOf(tx, 'floatingips', id, 'floatingip');
    // Nova hears of the port that gained the address and of the one that lost it
    const reassociated = 'fixed_port_id' in set && (set.fixed_port_id !== row.fixed_port_id || set.fixed_ip_address !== row.fixed_ip_address);
    return reassociated ? [row.fixed_port_id, set.fixed_port_id] : [];
  });
  notifyPortsChanged(deps, moved);
  return loadOne(deps, id);
}

export async function deleteFloatingIp(deps: Deps, ctx: RequestContext, id: string, ifMatch: number | null): Promise<void> {
  const portId = await inTransaction(deps.conn, async (tx) => {
    const row = await floatingIpForAction(deps, tx, ctx, id, 'delete_floatingip');
    checkRevision(ifMatch, row.revision_number);
    // pf_plugin._check_floatingip_request (PRECOMMIT_DELETE of the floating IP's port).
    const pf = await tx.selectFrom('port_forwardings').select('id').where('floatingip_id', '=', id).limit(1).executeTakeFirst();
    if (pf) throw FipInUseByPortForwarding(id);
    await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
    await tx.deleteFrom('floatingips').where('id', '=', id).execute();
    await deleteServicePort(tx, row.floating_port_id);
    await recordChange(tx, 'floatingip', id, 'delete', row.revision_number);
    return row.fixed_port_id;
  });
  notifyPortsChanged(deps, [portId]);
}
