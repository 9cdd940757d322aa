// Network rows and what a network's API view is assembled from.
import type { Kysely } from 'kysely';
import { sql, type SqlBool } from 'kysely';
import type { Database, NetworksTable, NetworkSegmentsTable } from '../schema.ts';
import type { ListQuery } from '../list-query.ts';
import { whereFilters, whereTags, orderAndPage, type ColumnMap } from '../list-sql.ts';
import { chunks, loadTags } from '../standard-attrs.ts';
import { ACCESS_SHARED, rbacGrants, sharedWith } from './rbac.ts';
import { networkAddressScopes } from './subnetpools.ts';

type Q = Kysely<Database>;

export interface NetworkRecord {
  row: NetworksTable;
  segments: NetworkSegmentsTable[];
  subnetIds: string[];
  tags: string[];
  /** `shared` as the reader sees it: shared with everyone or with the reader's project. */
  shared: boolean;
  /** ipv4/ipv6_address_scope: the scope of the pools the network's subnets came from. */
  addressScopes?: { 4: string | null; 6: string | null };
}

export const networkColumns: ColumnMap = {
  id: { column: 'n.id', kind: 'string' },
  name: { column: 'n.name', kind: 'string' },
  description: { column: 'n.description', kind: 'string' },
  project_id: { column: 'n.project_id', kind: 'string' },
  status: { column: 'n.status', kind: 'string' },
  admin_state_up: { column: 'n.admin_state_up', kind: 'bool' },
  shared: { column: 'n.shared', kind: 'bool' },
  'router:external': { column: 'n.router_external', kind: 'bool' },
  mtu: { column: 'n.mtu', kind: 'int' },
  port_security_enabled: { column: 'n.port_security_enabled', kind: 'bool' },
  dns_domain: { column: 'n.dns_domain', kind: 'string' },
  revision_number: { column: 'n.revision_number', kind: 'int' },
  created_at: { column: 'n.created_at', kind: 'string' },
  updated_at: { column: 'n.updated_at', kind: 'string' },
};

/** Networks a non-admin project may see: its own, and those with an RBAC entry (shared
 *  or external) for it or for everyone. `n.shared` is the wildcard flag, checked first. */
export function visibleTo(projectId: string | null) {
  return sql<SqlBool>`(n.project_id = ${projectId ?? ''} or n.shared = 1 or ${rbacGrants('network', 'n.id', projectId)})`;
}

export async function getNetworkRow(q: Q, id: string): Promise<NetworksTable | undefined> {
  return q.selectFrom('networks as n').selectAll('n').where('n.id', '=', id).executeTakeFirst();
}

/**
 * The network as `projectId` sees it (undefined: an admin, sees everything): undefined when
 * not visible. `sharedToCaller`: Neutron's per-caller `shared` (an access_as_shared entry
 * for '*' or the caller's project), what policy rules and the view use.
 */
export async function getVisibleNetworkRow(q: Q, id: string, projectId: string | null | undefined): Promise<{ row: NetworksTable; sharedToCaller: boolean } | undefined> {
  // One round trip (every port create reads its network so): the row, once per grant of
  // the caller's on it (grantsFor's entries), or once with a null action when none.
  const rows = await q.selectFrom('networks as n')
    .leftJoin('rbac_policies as r', (j) => j.onRef('r.object_id', '=', 'n.id').on('r.object_type', '=', 'network')
      .on('r.target_project', 'in', [projectId ?? '', '*']))
    .selectAll('n').select('r.action as rbac_action')
    .where('n.id', '=', id).execute();
  if (!rows.length) return undefined;
  const { rbac_action: _, ...row } = rows[0];
  return networkAsSeen(row, projectId, rows.map((r) => r.rbac_action));
}

/** A network row as `projectId` sees it (undefined: an admin), given the actions of its grants to
 *  the caller (null: a row without one); undefined when the caller may not see it. */
export function networkAsSeen(row: NetworksTable, projectId: string | null | undefined, grantActions: readonly (string | null)[]): { row: NetworksTable; sharedToCaller: boolean } | undefined {
  const actions = grantActions.filter((a) => a !== null);
  if (projectId !== undefined && row.project_id !== projectId && actions.length === 0) return undefined;
  return { row, sharedToCaller: row.shared === 1 || actions.includes(ACCESS_SHARED) };
}

/** `viewer`: the reading project, for the per-caller `shared` (omitted: the wildcard flag only). */
export async function loadNetworks(q: Q, rows: NetworksTable[], viewer?: string | null): Promise<NetworkRecord[]> {
  const ids = rows.map((r) => r.id);
  const sharedToViewer = viewer === undefined ? new Set<string>() : await sharedWith(q, 'network', ids.filter((id, i) => rows[i].shared !== 1), viewer);
  const segs = new Map<string, NetworkSegmentsTable[]>();
  const subnets = new Map<string, string[]>();
  for (const chunk of chunks(ids)) {
    for (const s of await q.selectFrom('network_segments').selectAll().where('network_id', 'in', chunk).orderBy('segment_index').execute()) {
      (segs.get(s.network_id) ?? segs.set(s.network_id, []).get(s.network_id)!).push(s);
    }
    for (const s of await q.selectFrom('subnets').select(['id', 'network_id']).where('network_id', 'in', chunk).orderBy('created_at').orderBy('id').execute()) {
      (subnets.get(s.network_id) ?? subnets.set(s.network_id, []).get(s.network_id)!).push(s.id);
    }
  }
  const tags = await loadTags(q, ids);
  const scopes = await networkAddressScopes(q, ids);
  return rows.map((row) => ({
    row, segments: segs.get(row.id) ?? [], subnetIds: subnets.get(row.id) ?? [], tags: tags.get(row.id) ?? [], addressScopes: scopes.get(row.id),
    shared: row.shared === 1 || sharedToViewer.has(row.id),
  }));
}

export async function listNetworkRows(q: Q, lq: ListQuery, visibleProject: string | null | undefined, markerRow: NetworksTable | null): Promise<NetworksTable[]> {
  let qb = q.selectFrom('networks as n').selectAll('n');
  if (visibleProject !== undefined) qb = qb.where(visibleTo(visibleProject));
  qb = whereFilters(qb, lq.filters, networkColumns);
  const seg = (attr: string, col: 'network_type' | 'physical_network' | 'segmentation_id') => {
    const vals = lq.filters.get(attr);
    if (vals) qb = qb.where(sql<SqlBool>`exists (select 1 from network_segments s where s.network_id = n.id and ${sql.ref('s.' + col)} in (${sql.join(vals)}))`);
  };
  seg('provider:network_type', 'network_type');
  seg('provider:physical_network', 'physical_network');
  seg('provider:segmentation_id', 'segmentation_id');
  const subnetsFilter = lq.filters.get('subnets');
  if (subnetsFilter) qb = qb.where(sql<SqlBool>`exists (select 1 from subnets sn where sn.network_id = n.id and sn.id in (${sql.join(subnetsFilter)}))`);
  qb = whereTags(qb, 'n.id', lq.tags);
  const marker = markerRow ? markerAttrs(markerRow) : null;
  return orderAndPage(qb, lq, networkColumns, 'n.id', marker).execute();
}

function markerAttrs(r: NetworksTable): Record<string, unknown> {
  return { ...r, 'router:external': r.router_external };
}
