// Quota enforcement inside the creating transaction. Usage is counted from the
// resources' own tables (no separate usage counters to drift); on MySQL and
// PostgreSQL a per-project lock row makes "count, then insert" atomic, so
// concurrent creators can never exceed a limit. SQLite serialises writers anyway.
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Deps } from './deps.ts';
import type { Tx } from '../db/transaction.ts';
import type { Database } from '../db/schema.ts';
import { OverQuota } from '../errors/catalog.ts';
import { lockNamed } from '../db/locks.ts';
import { own } from '../domain/own.ts';

/** Quota resource name → the table holding that resource (with a project_id column).
 *  Resources of later features add their table here. */
export const QUOTA_TABLES: Record<string, string> = {
  network: 'networks',
  subnet: 'subnets',
  port: 'ports',
  router: 'routers',
  floatingip: 'floatingips',
  security_group: 'security_groups',
  security_group_rule: 'security_group_rules',
  subnetpool: 'subnetpools',
  rbac_policy: 'rbac_policies',
};

/** Neutron's default limits ([quotas] quota_<resource> overrides them). */
export const NEUTRON_QUOTA_DEFAULTS: Record<string, number> = {
  network: 100, subnet: 100, port: 500, router: 10, floatingip: 50,
  security_group: 10, security_group_rule: 100, rbac_policy: 10, subnetpool: -1,
};

export function defaultLimits(deps: Deps): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of Object.keys(QUOTA_TABLES)) out[r] = deps.config.quotas.defaults[r] ?? NEUTRON_QUOTA_DEFAULTS[r] ?? -1;
  return out;
}

export async function projectLimits(deps: Deps, q: Kysely<Database>, projectId: string): Promise<Record<string, number>> {
  return limitsWith(deps, await q.selectFrom('quotas').select(['resource', 'quota_limit']).where('project_id', '=', projectId).execute());
}

/** The defaults with a project's own quota rows over them. */
export function limitsWith(deps: Deps, rows: readonly { resource: string; quota_limit: number }[]): Record<string, number> {
  const limits = defaultLimits(deps);
  for (const row of rows) {
    if (row.resource in limits) limits[row.resource] = row.quota_limit;
  }
  return limits;
}

export async function usage(q: Kysely<Database>, resource: string, projectId: string): Promise<number> {
  const table = own(QUOTA_TABLES, resource)!; // callers pass known resources only
  const r = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where project_id = ${projectId}`.execute(q);
  return Number(r.rows[0]?.n ?? 0);
}

/** Usage of every quota resource of a project, in one query (quota details, check_limit). */
export async function usageByResource(q: Kysely<Database>, projectId: string): Promise<Record<string, number>> {
  const parts = Object.entries(QUOTA_TABLES).map(([r, t]) =>
    sql`select ${sql.lit(r)} as resource, count(*) as n from ${sql.table(t)} where project_id = ${projectId}`);
  const rows = await sql<{ resource: string; n: number }>`${sql.join(parts, sql` union all `)}`.execute(q);
  const out: Record<string, number> = {};
  for (const row of rows.rows) out[row.resource] = Number(row.n);
  return out;
}

/** Throws OverQuota if adding `adding[resource]` objects for the project would pass a limit.
 *  `known`: the project's limits when the caller already read them (a round trip saved). */
export async function enforceQuota(deps: Deps, tx: Tx, projectId: string, adding: Record<string, number>, known?: Record<string, number>): Promise<void> {
  const limits = known ?? await projectLimits(deps, tx, projectId);
  const limited = Object.keys(adding).filter((r) => (limits[r] ?? -1) >= 0 && adding[r] > 0);
  if (limited.length === 0) return;
  await lockNamed(deps.conn.kind, tx, `quota:${projectId}`);
  const over: string[] = [];
  for (const r of limited) {
    if ((await usage(tx, r, projectId)) + adding[r] > limits[r]) over.push(r);
  }
  if (over.length) throw OverQuota(over.sort());
}


/** Quota for a (bulk) create: items grouped by the project they will belong to. */
export async function enforceQuotaForItems(
  deps: Deps, tx: Tx, resource: string, items: readonly { project_id?: unknown }[], known?: ReadonlyMap<string, Record<string, number>>,
): Promise<void> {
  const perProject = new Map<string, number>();
  for (const i of items) perProject.set(String(i.project_id ?? ''), (perProject.get(String(i.project_id ?? '')) ?? 0) + 1);
  for (const [project, n] of perProject) await enforceQuota(deps, tx, project, { [resource]: n }, known?.get(project));
}
