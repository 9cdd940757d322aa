// RBAC entry rows, and the SQL other resources use to ask "is this object shared
// with that project?" without loading entries object by object.
import { sql, type Kysely, type SqlBool } from 'kysely';
import type { Database, RbacPoliciesTable } from '../schema.ts';
import type { ListQuery } from '../list-query.ts';
import { whereFilters, orderAndPage, type ColumnMap } from '../list-sql.ts';
import { chunks } from '../standard-attrs.ts';

type Q = Kysely<Database>;

export const ACCESS_SHARED = 'access_as_shared';
export const ACCESS_EXTERNAL = 'access_as_external';

export const rbacColumns: ColumnMap = {
  id: { column: 'r.id', kind: 'string' },
  project_id: { column: 'r.project_id', kind: 'string' },
  object_type: { column: 'r.object_type', kind: 'string' },
  object_id: { column: 'r.object_id', kind: 'string' },
  action: { column: 'r.action', kind: 'string' },
  target_tenant: { column: 'r.target_project', kind: 'string' },
};

/**
 * `idRef` (e.g. "n.id") is an object of `objectType` with an entry for the project or '*'
 * (any action when `action` is omitted: Neutron's query hooks join every RBAC entry).
 */
export function rbacGrants(objectType: string, idRef: string, projectId: string | null, action?: string) {
  const act = action === undefined ? sql`` : sql` and rb.action = ${action}`;
  return sql<SqlBool>`${sql.ref(idRef)} in (select rb.object_id from rbac_policies rb
    where rb.target_project in (${projectId ?? ''}, '*') and rb.object_type = ${objectType}${act})`;
}

/** Of `ids`, those with an access_as_shared entry for the project itself or '*'. */
export async function sharedWith(q: Q, objectType: string, ids: readonly string[], projectId: string | null): Promise<Set<string>> {
  const out = new Set<string>();
  for (const chunk of chunks(ids)) {
    const rows = await q.selectFrom('rbac_policies').select('object_id')
      .where('object_type', '=', objectType).where('action', '=', ACCESS_SHARED)
      .where('target_project', 'in', [projectId ?? '', '*']).where('object_id', 'in', chunk).execute();
    for (const r of rows) out.add(r.object_id);
  }
  return out;
}

/** Entries of one object granting the project (or '*'), any action. */
export async function grantsFor(q: Q, objectType: string, objectId: string, projectId: string | null): Promise<RbacPoliciesTable[]> {
  return q.selectFrom('rbac_policies').selectAll().where('object_type', '=', objectType).where('object_id', '=', objectId)
    .where('target_project', 'in', [projectId ?? '', '*']).execute();
}

export async function getRbacRow(q: Q, id: string): Promise<RbacPoliciesTable | undefined> {
  return q.selectFrom('rbac_policies as r').selectAll('r').where('r.id', '=', id).executeTakeFirst();
}

export async function listRbacRows(q: Q, lq: ListQuery, visibleProject: string | null | undefined, markerRow: RbacPoliciesTable | null): Promise<RbacPoliciesTable[]> {
  let qb = q.selectFrom('rbac_policies as r').selectAll('r');
  if (visibleProject !== undefined) qb = qb.where('r.project_id', '=', visibleProject ?? '');
  qb = whereFilters(qb, lq.filters, rbacColumns);
  const marker = markerRow ? { ...markerRow, target_tenant: markerRow.target_project } : null;
  return orderAndPage(qb, lq, rbacColumns, 'r.id', marker).execute();
}

/**
 * Rows with a `shared` column (the wildcard flag) as `projectId` sees them: shared also
 * when an access_as_shared entry names that project (Neutron's per-caller `shared`).
 */
export async function asSeenBy<T extends { id: string; shared: number }>(q: Q, objectType: string, rows: T[], projectId: string | null): Promise<T[]> {
  const s = await sharedWith(q, objectType, rows.filter((r) => r.shared !== 1).map((r) => r.id), projectId);
  return rows.map((r) => (r.shared === 1 || !s.has(r.id) ? r : { ...r, shared: 1 }));
}
