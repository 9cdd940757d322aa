// Security group and rule rows, and what their API views are assembled from: one
// query for the groups (filters, sort, paging in SQL), then one IN (...) query per
// 500 groups for their rules and tags — never a query per group.
import type { Kysely } from 'kysely';
import { sql, type SqlBool } from 'kysely';
import type { Database, SecurityGroupRulesTable, SecurityGroupsTable } from '../schema.ts';
import type { ListQuery } from '../list-query.ts';
import { whereFilters, whereTags, orderAndPage, type ColumnMap } from '../list-sql.ts';
import { chunks, loadTags } from '../standard-attrs.ts';
import { ACCESS_SHARED, rbacGrants } from './rbac.ts';

type Q = Kysely<Database>;

export type RuleRow = Omit<SecurityGroupRulesTable, 'seq'> & { seq: number };

export interface SecurityGroupRecord {
  row: SecurityGroupsTable;
  rules: RuleRow[];
  tags: string[];
  /** Neutron's per-caller `shared`: an access_as_shared entry for the reader's project or '*'. */
  shared?: boolean;
}

/** A rule with the owner of its group (policy's security_group:tenant_id). */
export interface RuleRecord extends RuleRow { sg_project_id: string }

export const securityGroupColumns: ColumnMap = {
  id: { column: 'g.id', kind: 'string' },
  name: { column: 'g.name', kind: 'string' },
  description: { column: 'g.description', kind: 'string' },
  project_id: { column: 'g.project_id', kind: 'string' },
  stateful: { column: 'g.stateful', kind: 'bool' },
  revision_number: { column: 'g.revision_number', kind: 'int' },
  created_at: { column: 'g.created_at', kind: 'string' },
  updated_at: { column: 'g.updated_at', kind: 'string' },
};

export const ruleColumns: ColumnMap = {
  id: { column: 'r.id', kind: 'string' },
  project_id: { column: 'r.project_id', kind: 'string' },
  security_group_id: { column: 'r.security_group_id', kind: 'string' },
  remote_group_id: { column: 'r.remote_group_id', kind: 'string' },
  remote_address_group_id: { column: 'r.remote_address_group_id', kind: 'string' },
  direction: { column: 'r.direction', kind: 'string' },
  ethertype: { column: 'r.ethertype', kind: 'string' },
  protocol: { column: 'r.protocol', kind: 'string' },
  port_range_min: { column: 'r.port_range_min', kind: 'int' },
  port_range_max: { column: 'r.port_range_max', kind: 'int' },
  remote_ip_prefix: { column: 'r.remote_ip_prefix', kind: 'string' },
  description: { column: 'r.description', kind: 'string' },
  revision_number: { column: 'r.revision_number', kind: 'int' },
  created_at: { column: 'r.created_at', kind: 'string' },
  updated_at: { column: 'r.updated_at', kind: 'string' },
};

export async function getGroupRow(q: Q, id: string): Promise<SecurityGroupsTable | undefined> {
  return q.selectFrom('security_groups').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Groups matching the list query; `visibleProject` limits them to one project's and those
 * shared with it by RBAC (non-admins); `viewer` is the project `shared` is judged for.
 */
export async function listGroupRows(
  q: Q, lq: ListQuery, visibleProject: string | undefined, marker: SecurityGroupsTable | null, viewer: string | null = visibleProject ?? null,
): Promise<SecurityGroupsTable[]> {
  let qb = q.selectFrom('security_groups as g').selectAll('g');
  if (visibleProject !== undefined) {
    qb = qb.where((eb) => eb.or([eb('g.project_id', '=', visibleProject), rbacGrants('security_group', 'g.id', visibleProject, ACCESS_SHARED)]));
  }
  qb = whereFilters(qb, lq.filters, securityGroupColumns);
  // security-groups-shared-filtering: shared as the viewer sees it.
  const shared = lq.filters.get('shared');
  if (shared && !(shared.includes(true) && shared.includes(false))) {
    const grant = rbacGrants('security_group', 'g.id', viewer, ACCESS_SHARED);
    qb = qb.where(shared.includes(true) ? grant : sql<SqlBool>`not ${grant}`);
  }
  qb = whereTags(qb, 'g.id', lq.tags);
  return orderAndPage(qb, lq, securityGroupColumns, 'g.id', marker as unknown as Record<string, unknown> | null).execute();
}

/** Rules of the given groups, by group id, ordered by rule id (as Zed lists them). */
export async function loadRulesOf(q: Q, groupIds: readonly string[]): Promise<Map<string, RuleRow[]>> {
  const out = new Map<string, RuleRow[]>();
  for (const chunk of chunks(groupIds)) {
    const rows = await q.selectFrom('security_group_rules').selectAll().where('security_group_id', 'in', chunk).orderBy('id').execute();
    for (const r of rows) {
      const l = out.get(r.security_group_id);
      if (l) l.push(r as RuleRow); else out.set(r.security_group_id, [r as RuleRow]);
    }
  }
  return out;
}

export async function loadGroups(q: Q, rows: SecurityGroupsTable[]): Promise<SecurityGroupRecord[]> {
  const ids = rows.map((r) => r.id);
  const [rules, tags] = await Promise.all([loadRulesOf(q, ids), loadTags(q, ids)]);
  return rows.map((row) => ({ row, rules: rules.get(row.id) ?? [], tags: tags.get(row.id) ?? [] }));
}

function rulesQuery(q: Q) {
  return q.selectFrom('security_group_rules as r')
    .innerJoin('security_groups as g', 'g.id', 'r.security_group_id')
    .selectAll('r')
    .select('g.project_id as sg_project_id');
}

export async function getRuleRow(q: Q, id: string): Promise<RuleRecord | undefined> {
  return (await rulesQuery(q).where('r.id', '=', id).executeTakeFirst()) as RuleRecord | undefined;
}

export async function getRuleRows(q: Q, ids: readonly string[]): Promise<RuleRecord[]> {
  return ids.length ? (await rulesQuery(q).where('r.id', 'in', ids).execute()) as RuleRecord[] : [];
}

/** Rules matching the list query; a non-admin sees its own rules and those of its groups. */
export async function listRuleRows(q: Q, lq: ListQuery, visibleProject: string | undefined, marker: RuleRecord | null): Promise<RuleRecord[]> {
  let qb = rulesQuery(q);
  if (visibleProject !== undefined) qb = qb.where((eb) => eb.or([eb('r.project_id', '=', visibleProject), eb('g.project_id', '=', visibleProject)]));
  qb = whereFilters(qb, lq.filters, ruleColumns);
  return (await orderAndPage(qb, lq, ruleColumns, 'r.id', marker as unknown as Record<string, unknown> | null).execute()) as RuleRecord[];
}

/** Ids of ports using any of the groups (one is enough to refuse a delete). */
export async function groupInUse(q: Q, groupId: string): Promise<boolean> {
  const r = await q.selectFrom('port_security_groups').select('port_id').where('security_group_id', '=', groupId).limit(1).executeTakeFirst();
  return r !== undefined;
}
