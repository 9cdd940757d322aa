// Subnet pool and address scope rows, and what a pool's view is assembled from
// (prefixes, tags), loaded in batches.
import type { Kysely } from 'kysely';
import { sql, type SqlBool } from 'kysely';
import type { AddressScopesTable, Database, SubnetpoolsTable } from '../schema.ts';
import type { ListQuery } from '../list-query.ts';
import { whereFilters, whereTags, orderAndPage, type ColumnMap } from '../list-sql.ts';
import { chunks, loadTags } from '../standard-attrs.ts';
import { parseCidr } from '../../domain/ip/cidr.ts';
import { ACCESS_SHARED, rbacGrants } from './rbac.ts';

type Q = Kysely<Database>;

export interface SubnetpoolRecord {
  row: SubnetpoolsTable;
  prefixes: string[];
  tags: string[];
  /** Set on an update's answer: Zed renders the prefix lengths as integers there only. */
  prefixlensAsNumbers?: boolean;
}

export const subnetpoolColumns: ColumnMap = {
  id: { column: 'sp.id', kind: 'string' },
  name: { column: 'sp.name', kind: 'string' },
  description: { column: 'sp.description', kind: 'string' },
  project_id: { column: 'sp.project_id', kind: 'string' },
  tenant_id: { column: 'sp.project_id', kind: 'string' },
  ip_version: { column: 'sp.ip_version', kind: 'int' },
  default_prefixlen: { column: 'sp.default_prefixlen', kind: 'int' },
  min_prefixlen: { column: 'sp.min_prefixlen', kind: 'int' },
  max_prefixlen: { column: 'sp.max_prefixlen', kind: 'int' },
  default_quota: { column: 'sp.default_quota', kind: 'int' },
  shared: { column: 'sp.shared', kind: 'bool' },
  is_default: { column: 'sp.is_default', kind: 'bool' },
  address_scope_id: { column: 'sp.address_scope_id', kind: 'string' },
  revision_number: { column: 'sp.revision_number', kind: 'int' },
  created_at: { column: 'sp.created_at', kind: 'string' },
  updated_at: { column: 'sp.updated_at', kind: 'string' },
};

export const addressScopeColumns: ColumnMap = {
  id: { column: 'a.id', kind: 'string' },
  name: { column: 'a.name', kind: 'string' },
  project_id: { column: 'a.project_id', kind: 'string' },
  tenant_id: { column: 'a.project_id', kind: 'string' },
  shared: { column: 'a.shared', kind: 'bool' },
  ip_version: { column: 'a.ip_version', kind: 'int' },
};

export async function getSubnetpoolRow(q: Q, id: string): Promise<SubnetpoolsTable | undefined> {
  return q.selectFrom('subnetpools as sp').selectAll('sp').where('sp.id', '=', id).executeTakeFirst();
}

/** The pool row locked for the rest of the transaction (serialises allocations from it). */
export async function lockSubnetpoolRow(q: Q, id: string, locking: boolean): Promise<SubnetpoolsTable | undefined> {
  let qb = q.selectFrom('subnetpools as sp').selectAll('sp').where('sp.id', '=', id);
  if (locking) qb = qb.forUpdate();
  return qb.executeTakeFirst();
}

export async function getPrefixes(q: Q, poolId: string): Promise<string[]> {
  return (await loadPrefixes(q, [poolId])).get(poolId) ?? [];
}

/** Pool id → prefixes in address order. */
async function loadPrefixes(q: Q, ids: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, { cidr: string; key: bigint }[]>();
  for (const chunk of chunks(ids)) {
    for (const r of await q.selectFrom('subnetpool_prefixes').selectAll().where('subnetpool_id', 'in', chunk).execute()) {
      const l = out.get(r.subnetpool_id) ?? out.set(r.subnetpool_id, []).get(r.subnetpool_id)!;
      l.push({ cidr: r.cidr, key: parseCidr(r.cidr)?.network ?? 0n });
    }
  }
  return new Map([...out].map(([k, l]) => [k, l.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((x) => x.cidr)]));
}

export async function loadSubnetpools(q: Q, rows: SubnetpoolsTable[]): Promise<SubnetpoolRecord[]> {
  const ids = rows.map((r) => r.id);
  const prefixes = await loadPrefixes(q, ids);
  const tags = await loadTags(q, ids);
  return rows.map((row) => ({ row, prefixes: prefixes.get(row.id) ?? [], tags: tags.get(row.id) ?? [] }));
}

export async function replacePrefixes(q: Q, poolId: string, cidrs: readonly string[]): Promise<void> {
  await q.deleteFrom('subnetpool_prefixes').where('subnetpool_id', '=', poolId).execute();
  if (cidrs.length) await q.insertInto('subnetpool_prefixes').values(cidrs.map((cidr) => ({ subnetpool_id: poolId, cidr }))).execute();
}

/** Pools a non-admin project may see: its own and those shared with it or everyone (RBAC). */
const poolVisibleTo = (projectId: string | null) =>
  sql<SqlBool>`(sp.project_id = ${projectId ?? ''} or sp.shared = 1 or ${rbacGrants('subnetpool', 'sp.id', projectId, ACCESS_SHARED)})`;

export async function listSubnetpoolRows(q: Q, lq: ListQuery, visibleProject: string | null | undefined, marker: SubnetpoolsTable | null): Promise<SubnetpoolsTable[]> {
  let qb = q.selectFrom('subnetpools as sp').selectAll('sp');
  if (visibleProject !== undefined) qb = qb.where(poolVisibleTo(visibleProject));
  qb = whereFilters(qb, lq.filters, subnetpoolColumns);
  qb = whereTags(qb, 'sp.id', lq.tags);
  return orderAndPage(qb, lq, subnetpoolColumns, 'sp.id', marker as unknown as Record<string, unknown> | null).execute();
}

/** The default pool of an IP version, if any. */
export async function getDefaultSubnetpool(q: Q, ipVersion: number): Promise<SubnetpoolsTable | undefined> {
  return q.selectFrom('subnetpools as sp').selectAll('sp').where('sp.is_default', '=', 1).where('sp.ip_version', '=', ipVersion)
    .orderBy('sp.created_at').orderBy('sp.id').executeTakeFirst();
}

// ---- address scopes ----

export async function getAddressScopeRow(q: Q, id: string): Promise<AddressScopesTable | undefined> {
  return q.selectFrom('address_scopes as a').selectAll('a').where('a.id', '=', id).executeTakeFirst();
}

export async function listAddressScopeRows(q: Q, lq: ListQuery, visibleProject: string | null | undefined, marker: AddressScopesTable | null): Promise<AddressScopesTable[]> {
  let qb = q.selectFrom('address_scopes as a').selectAll('a');
  if (visibleProject !== undefined) {
    qb = qb.where(sql<SqlBool>`(a.project_id = ${visibleProject ?? ''} or a.shared = 1 or ${rbacGrants('address_scope', 'a.id', visibleProject, ACCESS_SHARED)})`);
  }
  qb = whereFilters(qb, lq.filters, addressScopeColumns);
  return orderAndPage(qb, lq, addressScopeColumns, 'a.id', marker as unknown as Record<string, unknown> | null).execute();
}

/**
 * Network id → address scope per IP version, derived from the pools its subnets came
 * from (one query for a batch of networks).
 */
export async function networkAddressScopes(q: Q, networkIds: readonly string[]): Promise<Map<string, { 4: string | null; 6: string | null }>> {
  const out = new Map<string, { 4: string | null; 6: string | null }>();
  for (const chunk of chunks(networkIds)) {
    const rows = await q.selectFrom('subnets as s').innerJoin('subnetpools as sp', 'sp.id', 's.subnetpool_id')
      .select(['s.network_id', 'sp.ip_version', 'sp.address_scope_id']).distinct()
      .where('s.network_id', 'in', chunk).where('sp.address_scope_id', 'is not', null).execute();
    for (const r of rows) {
      const e = out.get(r.network_id) ?? out.set(r.network_id, { 4: null, 6: null }).get(r.network_id)!;
      e[r.ip_version === 6 ? 6 : 4] = r.address_scope_id;
    }
  }
  return out;
}
