// Security groups: the per-project `default` group (made on first use, race-safe),
// create / update / delete with Neutron's default-group and in-use rules.
import { randomUUID } from 'node:crypto';
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { ListQuery } from '../db/list-query.ts';
import type { Item } from './item.ts';
import { inTransaction, isUniqueViolation, type Tx } from '../db/transaction.ts';
import type { SecurityGroupsTable } from '../db/schema.ts';
import { getGroupRow, groupInUse, listGroupRows, loadGroups, type SecurityGroupRecord } from '../db/repos/security-groups.ts';
import {
  SecurityGroupCannotRemoveDefault, SecurityGroupCannotUpdateDefault, SecurityGroupInUse, SecurityGroupNotFound,
} from '../errors/catalog.ts';
import { checkRevision, insertTags, nowIso, recordChange } from '../db/standard-attrs.ts';
import { enforceOrHide } from './authorize.ts';
import { enforceQuota, enforceQuotaForItems } from './quotas.ts';
import { sharedWith } from '../db/repos/rbac.ts';
import { deleteEntriesOf } from './rbac.ts';

type Db = Deps['conn']['db'];

/** Policy target; `shared`: whether the group is shared with the caller (rbac-security-groups). */
export function groupTarget(row: SecurityGroupsTable, shared = false): Record<string, unknown> {
  return { id: row.id, project_id: row.project_id, tenant_id: row.project_id, name: row.name, shared };
}

/** Whether the caller's project owns the group. */
export function ownsGroup(ctx: RequestContext, projectId: string): boolean {
  return ctx.isAdmin || projectId === ctx.projectId;
}

/** Whether an access_as_shared entry shares the group with the project (or everyone). */
export async function groupSharedWith(q: Tx | Db, id: string, projectId: string | null): Promise<boolean> {
  return (await sharedWith(q, 'security_group', [id], projectId)).has(id);
}

/** A group the caller may see (owned, or shared with it by RBAC), or SecurityGroupNotFound (404 hides the rest). */
export async function visibleGroup(deps: Deps, q: Tx | Db, ctx: RequestContext, id: string): Promise<SecurityGroupsTable> {
  return (await readableGroup(deps, q, ctx, id)).row;
}

async function readableGroup(deps: Deps, q: Tx | Db, ctx: RequestContext, id: string): Promise<{ row: SecurityGroupsTable; shared: boolean }> {
  const row = await getGroupRow(q, id);
  if (!row) throw SecurityGroupNotFound(id);
  const shared = await groupSharedWith(q, id, ctx.projectId);
  if (!(ownsGroup(ctx, row.project_id) || shared) || !deps.policy.check(ctx, 'get_security_group', groupTarget(row, shared))) throw SecurityGroupNotFound(id);
  return { row, shared };
}

/** Records with `shared` as the project sees it. */
async function withShared(q: Db, recs: SecurityGroupRecord[], projectId: string | null): Promise<SecurityGroupRecord[]> {
  const shared = await sharedWith(q, 'security_group', recs.map((r) => r.row.id), projectId);
  return recs.map((r) => ({ ...r, shared: shared.has(r.row.id) }));
}

// ---------------------------------------------------------------------------
// the default group

interface NewRule { direction: string; ethertype: string; remote_group_id: string | null }

async function insertGroup(tx: Tx, id: string, projectId: string, item: { name: string; description: string; stateful: boolean }): Promise<void> {
  const now = nowIso();
  await tx.insertInto('security_groups').values({
    id, project_id: projectId, name: item.name, description: item.description, stateful: item.stateful ? 1 : 0,
    revision_number: 1, created_at: now, updated_at: now,
  }).execute();
}

/** Rules made with a group: no description (Zed shows null); one insert each so standard_attr_id follows creation order. */
async function insertRules(tx: Tx, groupId: string, projectId: string, rules: NewRule[]): Promise<void> {
  const now = nowIso();
  for (const r of rules) {
    await tx.insertInto('security_group_rules').values({
      id: randomUUID(), project_id: projectId, security_group_id: groupId, remote_group_id: r.remote_group_id, remote_address_group_id: null,
      direction: r.direction, ethertype: r.ethertype, protocol: null, port_range_min: null, port_range_max: null,
      remote_ip_prefix: null, description: null, revision_number: 0, created_at: now, updated_at: now,
    }).execute();
  }
}

async function defaultGroupId(q: Tx | Db, projectId: string): Promise<string | undefined> {
  const r = await q.selectFrom('default_security_groups').select('security_group_id').where('project_id', '=', projectId).executeTakeFirst();
  return r?.security_group_id;
}

/**
 * The project's default group, created with Neutron's four rules if missing. Runs in its
 * own transaction (before the caller's): when two requests race, the primary key on
 * default_security_groups lets one win and the other reads the winner's group.
 */
export async function ensureDefaultGroup(deps: Deps, projectId: string): Promise<string | null> {
  if (!projectId) return null;
  const existing = await defaultGroupId(deps.conn.db, projectId);
  if (existing) return existing;
  const id = randomUUID();
  try {
    await inTransaction(deps.conn, async (tx) => {
      if (await defaultGroupId(tx, projectId)) return;
      await insertDefault(tx, id, projectId);
    });
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
  }
  const winner = await defaultGroupId(deps.conn.db, projectId);
  if (!winner) throw new Error(`default security group of ${projectId} vanished`);
  return winner;
}

async function insertDefault(tx: Tx, id: string, projectId: string): Promise<void> {
  const rules: NewRule[] = [];
  for (const ethertype of ['IPv4', 'IPv6']) {
    // Members of the group reach each other; everything may leave.
    rules.push({ direction: 'ingress', ethertype, remote_group_id: id }, { direction: 'egress', ethertype, remote_group_id: null });
  }
  await insertGroup(tx, id, projectId, { name: 'default', description: 'Default security group', stateful: true });
  // The racing request blocks here, then fails on the primary key and reads the winner's group.
  await tx.insertInto('default_security_groups').values({ project_id: projectId, security_group_id: id }).execute();
  await insertRules(tx, id, projectId, rules);
  await recordChange(tx, 'security_group', id, 'create', 1);
}

// ---------------------------------------------------------------------------
// reads

export async function getSecurityGroup(deps: Deps, ctx: RequestContext, id: string): Promise<SecurityGroupRecord> {
  const { row, shared } = await readableGroup(deps, deps.conn.db, ctx, id);
  return { ...(await loadGroups(deps.conn.db, [row]))[0], shared };
}

export async function listSecurityGroups(deps: Deps, ctx: RequestContext, q: ListQuery): Promise<SecurityGroupRecord[]> {
  // As Neutron: listing makes the default group of the project listed (or the caller's).
  const project = q.filters.get('project_id')?.[0];
  await ensureDefaultGroup(deps, typeof project === 'string' && project ? project : ctx.projectId ?? '');
  const db = deps.conn.db;
  const marker = q.marker ? await visibleGroup(deps, db, ctx, q.marker) : null;
  const rows = await listGroupRows(db, q, ctx.isAdmin ? undefined : ctx.projectId ?? '', marker, ctx.projectId);
  if (q.pageReverse) rows.reverse();
  return withShared(db, await loadGroups(db, rows), ctx.projectId);
}

async function loadById(deps: Deps, ids: string[]): Promise<SecurityGroupRecord[]> {
  const rows = await deps.conn.db.selectFrom('security_groups').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return loadGroups(deps.conn.db, ids.map((id) => byId.get(id)!));
}

// ---------------------------------------------------------------------------
// writes

export async function createSecurityGroups(deps: Deps, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[]): Promise<SecurityGroupRecord[]> {
  for (const { item, explicit } of items) deps.policy.enforce(ctx, 'create_security_group', item, explicit);
  for (const p of new Set(items.map((i) => i.item.project_id as string))) await ensureDefaultGroup(deps, p);
  const ids = await inTransaction(deps.conn, async (tx) => {
    await enforceQuotaForItems(deps, tx, 'security_group', items.map((i) => i.item));
    const perProject = new Map<string, number>();
    for (const { item } of items) perProject.set(item.project_id as string, (perProject.get(item.project_id as string) ?? 0) + 2);
    // Each new group brings its two egress rules, which count against the rule quota.
    for (const [p, n] of perProject) await enforceQuota(deps, tx, p, { security_group_rule: n });
    const out: string[] = [];
    for (const { item } of items) {
      const id = randomUUID();
      const rules = ['IPv4', 'IPv6'].map((ethertype) => ({ direction: 'egress', ethertype, remote_group_id: null }));
      await insertGroup(tx, id, item.project_id as string, {
        name: item.name as string, description: item.description as string, stateful: item.stateful !== false,
      });
      await insertRules(tx, id, item.project_id as string, rules);
      await insertTags(tx, id, (item.tags as string[] | undefined) ?? []);
      await recordChange(tx, 'security_group', id, 'create', 1);
      out.push(id);
    }
    return out;
  });
  return loadById(deps, ids);
}

export async function updateSecurityGroup(deps: Deps, ctx: RequestContext, id: string, changes: Item, ifMatch: number | null): Promise<SecurityGroupRecord> {
  await inTransaction(deps.conn, async (tx) => {
    const row = await getGroupRow(tx, id);
    if (!row) throw SecurityGroupNotFound(id);
    const shared = await groupSharedWith(tx, id, ctx.projectId);
    const canRead = () => (ownsGroup(ctx, row.project_id) || shared) && deps.policy.check(ctx, 'get_security_group', groupTarget(row, shared));
    enforceOrHide(deps.policy, ctx, 'update_security_group', { ...groupTarget(row, shared), ...changes }, Object.keys(changes), canRead, () => SecurityGroupNotFound(id));
    if (!canRead()) throw SecurityGroupNotFound(id);
    checkRevision(ifMatch, row.revision_number);
    if (row.name === 'default' && 'name' in changes) throw SecurityGroupCannotUpdateDefault();
    const set: Partial<SecurityGroupsTable> = {};
    if ('name' in changes) set.name = changes.name as string;
    if ('description' in changes) set.description = changes.description as string;
    if ('stateful' in changes) {
      set.stateful = changes.stateful ? 1 : 0;
      // Ports' firewalls cannot switch between stateful and stateless under them.
      if (set.stateful !== row.stateful && await groupInUse(tx, id)) throw SecurityGroupInUse(id);
    }
    const changed = Object.entries(set).some(([k, v]) => (row as unknown as Record<string, unknown>)[k] !== v);
    if (changed) {
      await tx.updateTable('security_groups').set({ ...set, revision_number: row.revision_number + 1, updated_at: nowIso() }).where('id', '=', id).execute();
      await recordChange(tx, 'security_group', id, 'update', row.revision_number + 1);
    }
  });
  return (await withShared(deps.conn.db, await loadById(deps, [id]), ctx.projectId))[0];
}

export async function deleteSecurityGroup(deps: Deps, ctx: RequestContext, id: string, ifMatch: number | null): Promise<void> {
  await inTransaction(deps.conn, async (tx) => {
    const row = await getGroupRow(tx, id);
    if (!row) throw SecurityGroupNotFound(id);
    const shared = await groupSharedWith(tx, id, ctx.projectId);
    if (!ownsGroup(ctx, row.project_id) && !shared) throw SecurityGroupNotFound(id);
    enforceOrHide(deps.policy, ctx, 'delete_security_group', groupTarget(row, shared), undefined,
      () => deps.policy.check(ctx, 'get_security_group', groupTarget(row, shared)), () => SecurityGroupNotFound(id));
    // Zed's order: in use first (even for the default group), then the default rule.
    if (await groupInUse(tx, id)) throw SecurityGroupInUse(id);
    if (row.name === 'default' && !ctx.isAdmin) throw SecurityGroupCannotRemoveDefault();
    checkRevision(ifMatch, row.revision_number);
    // Other groups' rules naming this one as remote go with it (ON DELETE CASCADE): their groups change.
    const referencing = await tx.selectFrom('security_group_rules').select('security_group_id').distinct()
      .where('remote_group_id', '=', id).where('security_group_id', '!=', id).execute();
    await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
    await tx.deleteFrom('security_groups').where('id', '=', id).execute();
    await deleteEntriesOf(tx, 'security_group', id);
    await recordChange(tx, 'security_group', id, 'delete', row.revision_number);
    for (const r of referencing) await bumpGroup(tx, r.security_group_id);
  });
}

/** A group's rules changed: its revision moves (agents and caches key on it). */
export async function bumpGroup(tx: Tx, id: string): Promise<void> {
  await tx.updateTable('security_groups').set((eb) => ({ revision_number: eb('revision_number', '+', 1), updated_at: nowIso() })).where('id', '=', id).execute();
  await recordChange(tx, 'security_group', id, 'update');
}
