// Networks with ML2 semantics: provider/tenant segments, MTU, sharing, external.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { ListQuery } from '../db/list-query.ts';
import type { Item } from './item.ts';
import { inTransaction, isUniqueViolation, RetryRequest, type Tx } from '../db/transaction.ts';
import { getNetworkRow, getVisibleNetworkRow, listNetworkRows, loadNetworks, type NetworkRecord } from '../db/repos/networks.ts';
import { ACCESS_EXTERNAL, ACCESS_SHARED, grantsFor } from '../db/repos/rbac.ts';
import { deleteEntriesOf, ensureUnshareAllowed, setWildcard, setWildcardShared } from './rbac.ts';
import { validateAvailabilityZoneHints } from './availability-zones.ts';
import { resolveIsDefault } from './default-external-network.ts';
import { validateProviderSegment, maxMtu, tenantRanges, type Segment } from '../domain/segments.ts';
import {
  ExternalNetworkInUse, FlatNetworkInUse, InvalidInput, NetworkInUse, NetworkNotFound, NoNetworkAvailable, TunnelIdInUse, VlanIdInUse,
} from '../errors/catalog.ts';
import { checkRevision, insertTags, nowIso, recordChange } from '../db/standard-attrs.ts';
import { enforceOrHide } from './authorize.ts';
import { lockNamed } from '../db/locks.ts';
import { enforceQuotaForItems } from './quotas.ts';
import { deleteServicePort } from './service-ports.ts';
import type { NetworksTable } from '../db/schema.ts';

const PROVIDER_ATTRS = ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'] as const;

/** Policy target; `sharedToCaller`: Neutron's per-caller `shared` (defaults to the wildcard flag). */
export function networkTarget(row: NetworksTable, sharedToCaller = row.shared === 1): Record<string, unknown> {
  return { id: row.id, project_id: row.project_id, tenant_id: row.project_id, shared: sharedToCaller, 'router:external': row.router_external === 1 };
}

/** Admins and advsvc see every network; others only their own and RBAC-granted ones. */
/** Whose view RBAC visibility takes (undefined: an admin's, everything). */
export const visibilityScope = (ctx: RequestContext): string | null | undefined => (ctx.isAdmin || ctx.isAdvsvc ? undefined : ctx.projectId);

/** The network if the caller may read it (RBAC visibility, then get_network), with its per-caller `shared`. */
export async function readableNetwork(deps: Deps, q: Tx | Deps['conn']['db'], ctx: RequestContext, id: string): Promise<{ row: NetworksTable; sharedToCaller: boolean } | undefined> {
  const vis = await getVisibleNetworkRow(q, id, visibilityScope(ctx));
  if (!vis || !deps.policy.check(ctx, 'get_network', networkTarget(vis.row, vis.sharedToCaller))) return undefined;
  return vis;
}

/**
 * A network the caller may see, or NetworkNotFound (404 hides others' networks). The row's
 * `shared` is the caller's view (shared with it by RBAC), as Neutron's policy targets see it.
 */
export async function visibleNetwork(deps: Deps, q: Tx | Deps['conn']['db'], ctx: RequestContext, id: string): Promise<NetworksTable> {
  return seenNetwork(deps, ctx, id, await getVisibleNetworkRow(q, id, visibilityScope(ctx)));
}

/** visibleNetwork of a row already read with the caller's grants (getVisibleNetworkRow or a read that joins as it does). */
export function seenNetwork(deps: Deps, ctx: RequestContext, id: string, vis: { row: NetworksTable; sharedToCaller: boolean } | undefined): NetworksTable {
  if (!vis || !deps.policy.check(ctx, 'get_network', networkTarget(vis.row, vis.sharedToCaller))) throw NetworkNotFound(id);
  return { ...vis.row, shared: vis.sharedToCaller ? 1 : 0 };
}

/**
 * The network row as the caller's policy checks see it: `shared` / `router_external` set
 * only when an RBAC entry grants them to the caller (or everyone). Admins get the row as is.
 */
export async function networkForCaller(q: Tx | Deps['conn']['db'], ctx: RequestContext, net: NetworksTable | undefined): Promise<NetworksTable | undefined> {
  if (!net || ctx.isAdmin || ctx.isAdvsvc) return net;
  const grants = await grantsFor(q, 'network', net.id, ctx.projectId);
  const has = (action: string) => grants.some((g) => g.action === action);
  return { ...net, shared: net.shared === 1 || has(ACCESS_SHARED) ? 1 : 0, router_external: net.router_external === 1 && has(ACCESS_EXTERNAL) ? 1 : 0 };
}

export async function getNetwork(deps: Deps, ctx: RequestContext, id: string): Promise<NetworkRecord> {
  const vis = await readableNetwork(deps, deps.conn.db, ctx, id);
  if (!vis) throw NetworkNotFound(id);
  return (await loadNetworks(deps.conn.db, [vis.row], ctx.projectId))[0];
}

export async function listNetworks(deps: Deps, ctx: RequestContext, q: ListQuery): Promise<NetworkRecord[]> {
  const db = deps.conn.db;
  let marker: NetworksTable | null = null;
  if (q.marker) {
    marker = (await readableNetwork(deps, db, ctx, q.marker))?.row ?? null;
    if (!marker) throw NetworkNotFound(q.marker);
  }
  const rows = await listNetworkRows(db, q, visibilityScope(ctx), marker);
  if (q.pageReverse) rows.reverse();
  return loadNetworks(db, rows, ctx.projectId);
}

function requestedSegments(item: Item): Segment[] | null {
  const segs = item.segments as Item[] | undefined;
  const hasProvider = PROVIDER_ATTRS.some((a) => item[a] !== undefined);
  if (segs !== undefined && segs !== null) {
    if (hasProvider) throw InvalidInput('Segments and provider values cannot both be set.');
    // ML2 takes an empty list as no request at all: a tenant network.
    if (segs.length === 0) return null;
    return segs.map((s) => ({
      network_type: s['provider:network_type'] as string,
      physical_network: (s['provider:physical_network'] ?? null) as string | null,
      segmentation_id: (s['provider:segmentation_id'] ?? null) as number | null,
    }));
  }
  if (!hasProvider) return null;
  if (item['provider:network_type'] === undefined) throw InvalidInput('network_type required');
  return [{
    network_type: item['provider:network_type'] as string,
    physical_network: (item['provider:physical_network'] ?? null) as string | null,
    segmentation_id: (item['provider:segmentation_id'] ?? null) as number | null,
  }];
}

/** Reserves a segment's id (the primary key makes it race-free) or picks a free tenant id. */
async function allocateSegment(deps: Deps, tx: Tx, seg: Segment, networkId: string): Promise<Segment> {
  const cfg = deps.config;
  if (seg.segmentation_id !== null || seg.network_type === 'flat') {
    try {
      await tx.insertInto('segment_allocations').values({
        network_type: seg.network_type, physical_network: seg.physical_network ?? '', segmentation_id: seg.segmentation_id ?? 0, network_id: networkId,
      }).execute();
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      if (seg.network_type === 'flat') throw FlatNetworkInUse(seg.physical_network!);
      if (seg.network_type === 'vlan') throw VlanIdInUse(seg.segmentation_id!, seg.physical_network!);
      throw TunnelIdInUse(seg.segmentation_id!);
    }
    return seg;
  }
  for (const range of tenantRanges(seg.network_type, cfg)) {
    if (seg.physical_network && range.physnet !== seg.physical_network) continue;
    // Every concurrent creator would find the same lowest free id; taking turns per
    // (type, physical network) avoids a storm of retries on MySQL/PostgreSQL.
    await lockNamed(deps.conn.kind, tx, `segment:${seg.network_type}:${range.physnet}`);
    const id = await lowestFree(tx, seg.network_type, range.physnet, range.min, range.max);
    if (id === null) continue;
    try {
      await tx.insertInto('segment_allocations').values({ network_type: seg.network_type, physical_network: range.physnet, segmentation_id: id, network_id: networkId }).execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw new RetryRequest('segment id taken concurrently');
      throw e;
    }
    return { network_type: seg.network_type, physical_network: range.physnet || null, segmentation_id: id };
  }
  throw NoNetworkAvailable();
}

/** Lowest unallocated id in [min, max]: an index-backed gap search, no table of free ids. */
async function lowestFree(tx: Tx, type: string, physnet: string, min: number, max: number): Promise<number | null> {
  const taken = await tx.selectFrom('segment_allocations').select('segmentation_id')
    .where('network_type', '=', type).where('physical_network', '=', physnet).where('segmentation_id', '=', min).executeTakeFirst();
  if (!taken) return min;
  const row = await sql<{ id: number | null }>`
    select min(a.segmentation_id + 1) as id from segment_allocations a
    where a.network_type = ${type} and a.physical_network = ${physnet}
      and a.segmentation_id >= ${min} and a.segmentation_id < ${max}
      and not exists (select 1 from segment_allocations b where b.network_type = a.network_type
        and b.physical_network = a.physical_network and b.segmentation_id = a.segmentation_id + 1)`.execute(tx);
  const id = row.rows[0]?.id;
  return id === null || id === undefined ? null : Number(id);
}

export async function createNetworks(deps: Deps, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[]): Promise<NetworkRecord[]> {
  for (const { item, explicit } of items) deps.policy.enforce(ctx, 'create_network', item, explicit);
  for (const { item } of items) validateAvailabilityZoneHints(deps, 'network', item.availability_zone_hints as string[] | undefined);
  const ids = await inTransaction(deps.conn, async (tx) => {
    await enforceQuotaForItems(deps, tx, 'network', items.map((i) => i.item));
    const out: string[] = [];
    for (const { item } of items) out.push(await insertNetwork(deps, tx, item));
    return out;
  });
  const rows = await deps.conn.db.selectFrom('networks').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return loadNetworks(deps.conn.db, ids.map((id) => byId.get(id)!), ctx.projectId);
}

async function insertNetwork(deps: Deps, tx: Tx, item: Item): Promise<string> {
  const cfg = deps.config;
  const id = randomUUID();
  const requested = requestedSegments(item);
  const validated = requested
    ? requested.map((s) => validateProviderSegment(s, cfg))
    : [{ network_type: '', physical_network: null, segmentation_id: null }];
  const now = nowIso();
  // The network row goes first: segment allocations reference it.
  await tx.insertInto('networks').values({
    id, project_id: item.project_id as string, name: item.name as string, status: item.admin_state_up === false ? 'DOWN' : 'ACTIVE',
    admin_state_up: item.admin_state_up === false ? 0 : 1, shared: item.shared ? 1 : 0, router_external: item['router:external'] ? 1 : 0,
    is_default: await resolveIsDefault(tx, id, item.is_default, 0, item['router:external'] === true), mtu: 0, port_security_enabled: item.port_security_enabled === false ? 0 : 1,
    availability_zone_hints: JSON.stringify(item.availability_zone_hints ?? []), dns_domain: (item.dns_domain as string) ?? '',
    vlan_transparent: null, description: item.description as string, revision_number: 1, created_at: now, updated_at: now,
  }).execute();
  const segments: Segment[] = [];
  for (const seg of validated) {
    if (seg.network_type === '') {
      let allocated: Segment | null = null;
      for (const type of cfg.ml2.tenantNetworkTypes) {
        try { allocated = await allocateSegment(deps, tx, { network_type: type, physical_network: null, segmentation_id: null }, id); break; } catch (e) {
          if ((e as { type?: string }).type !== 'NoNetworkAvailable') throw e;
        }
      }
      if (!allocated) throw NoNetworkAvailable();
      segments.push(allocated);
    } else {
      segments.push(await allocateSegment(deps, tx, seg, id));
    }
  }
  const limit = maxMtu(segments, cfg);
  let mtu = limit;
  if (item.mtu !== undefined && item.mtu !== null) {
    const want = item.mtu as number;
    if (want > limit) throw InvalidInput(`Requested MTU is too big, maximum is ${limit}`);
    if (want < 68) throw InvalidInput('Requested MTU is too small, minimum is 68');
    mtu = want;
  }
  await tx.updateTable('networks').set({ mtu }).where('id', '=', id).execute();
  await tx.insertInto('network_segments').values(segments.map((s, i) => ({
    id: randomUUID(), network_id: id, network_type: s.network_type, physical_network: s.physical_network, segmentation_id: s.segmentation_id, segment_index: i,
  }))).execute();
  // RBAC entries are the source of truth for sharing and external access.
  if (item.shared) await setWildcardShared(tx, 'network', id, item.project_id as string, true);
  if (item['router:external']) await setWildcard(tx, 'network', id, item.project_id as string, ACCESS_EXTERNAL, true);
  await insertTags(tx, id, (item.tags as string[]) ?? []);
  await recordChange(tx, 'network', id, 'create', 1);
  return id;
}

export async function updateNetwork(deps: Deps, ctx: RequestContext, id: string, changes: Item, ifMatch: number | null): Promise<NetworkRecord> {
  await inTransaction(deps.conn, async (tx) => {
    const row = await getNetworkRow(tx, id);
    if (!row) throw NetworkNotFound(id);
    const vis = await getVisibleNetworkRow(tx, id, visibilityScope(ctx));
    const shared = vis?.sharedToCaller ?? row.shared === 1;
    enforceOrHide(deps.policy, ctx, 'update_network', { ...networkTarget(row, shared), ...changes }, Object.keys(changes),
      () => vis !== undefined && deps.policy.check(ctx, 'get_network', networkTarget(row, shared)), () => NetworkNotFound(id));
    checkRevision(ifMatch, row.revision_number);
    const segs = await tx.selectFrom('network_segments').selectAll().where('network_id', '=', id).orderBy('segment_index').execute();
    const changedProvider = PROVIDER_ATTRS.filter((a) => {
      if (!(a in changes)) return false;
      const cur = segs.length === 1 ? { 'provider:network_type': segs[0].network_type, 'provider:physical_network': segs[0].physical_network, 'provider:segmentation_id': segs[0].segmentation_id }[a] : undefined;
      return changes[a] !== cur;
    });
    if (changedProvider.length) throw InvalidInput(`Plugin does not support updating the following provider network attributes: ${changedProvider.join(', ')}`);
    const set: Partial<NetworksTable> = {};
    if ('name' in changes) set.name = changes.name as string;
    if ('description' in changes) set.description = changes.description as string;
    if ('admin_state_up' in changes) { set.admin_state_up = changes.admin_state_up ? 1 : 0; set.status = changes.admin_state_up ? 'ACTIVE' : 'DOWN'; }
    if ('shared' in changes) set.shared = changes.shared ? 1 : 0;
    if ('router:external' in changes) set.router_external = changes['router:external'] ? 1 : 0;
    set.is_default = await resolveIsDefault(tx, id, changes.is_default, row.is_default, (set.router_external ?? row.router_external) === 1);
    if ('port_security_enabled' in changes) set.port_security_enabled = changes.port_security_enabled ? 1 : 0;
    if ('dns_domain' in changes) set.dns_domain = changes.dns_domain as string;
    if ('mtu' in changes && changes.mtu !== null) {
      const limit = maxMtu(segs.map((s) => ({ network_type: s.network_type, physical_network: s.physical_network, segmentation_id: s.segmentation_id })), deps.config);
      const want = changes.mtu as number;
      if (want > limit) throw InvalidInput(`Requested MTU is too big, maximum is ${limit}`);
      if (want < 68) throw InvalidInput('Requested MTU is too small, minimum is 68');
      set.mtu = want;
    }
    if ('shared' in changes && !changes.shared && row.shared === 1) {
      // Un-sharing must not strand other projects' ports or subnets on the network.
      await ensureUnshareAllowed(tx, row);
    }
    if ('router:external' in changes && !changes['router:external'] && row.router_external === 1) {
      const gw = await tx.selectFrom('ports').select('id').where('network_id', '=', id).where('device_owner', '=', 'network:router_gateway')
        .limit(1).executeTakeFirst();
      if (gw) throw ExternalNetworkInUse(id);
    }
    if (set.shared !== undefined && set.shared !== row.shared) await setWildcardShared(tx, 'network', id, row.project_id, set.shared === 1);
    if (set.router_external !== undefined && set.router_external !== row.router_external) {
      await setWildcard(tx, 'network', id, row.project_id, ACCESS_EXTERNAL, set.router_external === 1);
    }
    const changed = Object.entries(set).some(([k, v]) => (row as unknown as Record<string, unknown>)[k] !== v);
    if (changed) {
      await tx.updateTable('networks').set({ ...set, revision_number: row.revision_number + 1, updated_at: nowIso() }).where('id', '=', id).execute();
      await recordChange(tx, 'network', id, 'update', row.revision_number + 1);
    }
  });
  const row = (await getNetworkRow(deps.conn.db, id))!;
  return (await loadNetworks(deps.conn.db, [row], ctx.projectId))[0];
}

export async function deleteNetwork(deps: Deps, ctx: RequestContext, id: string, ifMatch: number | null): Promise<void> {
  await inTransaction(deps.conn, async (tx) => {
    const row = await getNetworkRow(tx, id);
    if (!row) throw NetworkNotFound(id);
    const vis = await getVisibleNetworkRow(tx, id, visibilityScope(ctx));
    const shared = vis?.sharedToCaller ?? row.shared === 1;
    enforceOrHide(deps.policy, ctx, 'delete_network', networkTarget(row, shared), undefined,
      () => vis !== undefined && deps.policy.check(ctx, 'get_network', networkTarget(row, shared)), () => NetworkNotFound(id));
    // external_net_db._process_l3_delete → l3_db.delete_disassociated_floatingips: floating IPs
    // on the network that are neither associated nor on a router go first, with their ports
    // (tempest test_delete_external_networks_with_floating_ip); associated ones keep it in use.
    // (Neutron does this before its own transaction; here a refused delete keeps them.)
    const loose = await tx.selectFrom('floatingips').select(['id', 'floating_port_id', 'revision_number'])
      .where('floating_network_id', '=', id).where('fixed_port_id', 'is', null).where('router_id', 'is', null)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('port_forwardings as pf').select('pf.id').whereRef('pf.floatingip_id', '=', 'floatingips.id'))))
      .execute();
    for (const f of loose) {
      await tx.deleteFrom('tags').where('resource_id', '=', f.id).execute();
      await tx.deleteFrom('floatingips').where('id', '=', f.id).execute();
      await deleteServicePort(tx, f.floating_port_id);
      await recordChange(tx, 'floatingip', f.id, 'delete', f.revision_number);
    }
    // DHCP ports are the network's own; any other port keeps it in use (checked before If-Match, as Zed).
    const ports = await tx.selectFrom('ports').select('id').where('network_id', '=', id).where('device_owner', '!=', 'network:dhcp').execute();
    if (ports.length) throw NetworkInUse(id, ports.map((p) => p.id));
    checkRevision(ifMatch, row.revision_number);
    const dhcpPorts = await tx.selectFrom('ports').select('id').where('network_id', '=', id).execute();
    // Their addresses go with them (ON DELETE CASCADE), and the subnets go next.
    if (dhcpPorts.length) await tx.deleteFrom('ports').where('network_id', '=', id).execute();
    const subnetIds = (await tx.selectFrom('subnets').select('id').where('network_id', '=', id).execute()).map((s) => s.id);
    if (subnetIds.length) {
      await tx.deleteFrom('tags').where('resource_id', 'in', subnetIds).execute();
      await tx.deleteFrom('subnets').where('id', 'in', subnetIds).execute();
      for (const s of subnetIds) await recordChange(tx, 'subnet', s, 'delete');
    }
    await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
    await deleteEntriesOf(tx, 'network', id);
    await tx.deleteFrom('networks').where('id', '=', id).execute();
    await recordChange(tx, 'network', id, 'delete', row.revision_number);
  });
}
