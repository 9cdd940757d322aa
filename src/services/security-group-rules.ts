// Security group rules: validated and normalised by the domain, checked for
// duplicates against the group's rules under a lock on the group row, and every
// change bumps the group's revision.
import { randomUUID } from 'node:crypto';
import { sharedWith } from '../db/repos/rbac.ts';
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { ListQuery } from '../db/list-query.ts';
import type { Item } from './item.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { getGroupRow, getRuleRow, getRuleRows, listRuleRows, type RuleRecord } from '../db/repos/security-groups.ts';
import {
  AddressGroupNotFound, DuplicateSecurityGroupRuleInPost, SecurityGroupNotFound, SecurityGroupNotSingleGroupRules,
  SecurityGroupRuleExists, SecurityGroupRuleNotFound, SecurityGroupRulesNotSingleTenant,
} from '../errors/catalog.ts';
import { ruleKey, validateRule, type RuleInput } from '../domain/security-group-rules.ts';
import { checkRevision, nowIso, recordChange } from '../db/standard-attrs.ts';
import { enforceOrHide } from './authorize.ts';
import { enforceQuotaForItems } from './quotas.ts';
import { bumpGroup, ensureDefaultGroup } from './security-groups.ts';

type Db = Deps['conn']['db'];

export function ruleTarget(r: RuleRecord): Record<string, unknown> {
  return {
    id: r.id, project_id: r.project_id, tenant_id: r.project_id, security_group_id: r.security_group_id,
    'security_group:tenant_id': r.sg_project_id, 'security_group:project_id': r.sg_project_id,
  };
}

const canSeeRule = (ctx: RequestContext, r: RuleRecord) => ctx.isAdmin || r.project_id === ctx.projectId || r.sg_project_id === ctx.projectId;

async function visibleRule(deps: Deps, q: Tx | Db, ctx: RequestContext, id: string): Promise<RuleRecord> {
  const r = await getRuleRow(q, id);
  if (!r || !canSeeRule(ctx, r) || !deps.policy.check(ctx, 'get_security_group_rule', ruleTarget(r))) throw SecurityGroupRuleNotFound(id);
  return r;
}

export async function getSecurityGroupRule(deps: Deps, ctx: RequestContext, id: string): Promise<RuleRecord> {
  return visibleRule(deps, deps.conn.db, ctx, id);
}

export async function listSecurityGroupRules(deps: Deps, ctx: RequestContext, q: ListQuery): Promise<RuleRecord[]> {
  const db = deps.conn.db;
  const marker = q.marker ? await visibleRule(deps, db, ctx, q.marker) : null;
  const rows = await listRuleRows(db, q, ctx.isAdmin ? undefined : ctx.projectId ?? '', marker);
  if (q.pageReverse) rows.reverse();
  return rows;
}

function toInput(item: Item): RuleInput {
  return {
    direction: item.direction as string, ethertype: item.ethertype as string, protocol: (item.protocol ?? null) as string | null,
    port_range_min: (item.port_range_min ?? null) as number | null, port_range_max: (item.port_range_max ?? null) as number | null,
    remote_ip_prefix: (item.remote_ip_prefix ?? null) as string | null, remote_group_id: (item.remote_group_id ?? null) as string | null,
    remote_address_group_id: (item.remote_address_group_id ?? null) as string | null, security_group_id: item.security_group_id as string,
  };
}

export async function createSecurityGroupRules(deps: Deps, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[]): Promise<RuleRecord[]> {
  for (const { item, explicit } of items) deps.policy.enforce(ctx, 'create_security_group_rule', item, explicit);
  // Bulk: one group and one project per request (Neutron's _validate_single_tenant_and_group).
  if (new Set(items.map((i) => i.item.security_group_id)).size > 1) throw SecurityGroupNotSingleGroupRules();
  if (new Set(items.map((i) => i.item.project_id)).size > 1) throw SecurityGroupRulesNotSingleTenant();
  const project = items[0].item.project_id as string;
  // Creating a rule is a first use of security groups too.
  await ensureDefaultGroup(deps, project);
  const rules = items.map((i) => toInput(i.item));
  const ids = await inTransaction(deps.conn, async (tx) => {
    // The owner of the rule must be able to use the groups it names (admins any). A group shared
    // with the project is not enough to add rules to it: Zed 21 allowed that (bug 2101150, fixed
    // in Neutron 2025.1); Muon keeps the fix.
    const usable = async (id: string) => {
      const g = await getGroupRow(tx, id);
      return g !== undefined && (ctx.isAdmin || g.project_id === project);
    };
    for (const rule of rules) {
      validateRule(rule);
      // A remote group or address group may also be one shared with the project (RBAC).
      if (rule.remote_group_id !== null && !(await usable(rule.remote_group_id))
        && !(await sharedWith(tx, 'security_group', [rule.remote_group_id], project)).size) throw SecurityGroupNotFound(rule.remote_group_id);
      if (rule.remote_address_group_id !== null) {
        const ag = await tx.selectFrom('address_groups').select('project_id').where('id', '=', rule.remote_address_group_id).executeTakeFirst();
        if (!ag || !(ctx.isAdmin || ag.project_id === project || (await sharedWith(tx, 'address_group', [rule.remote_address_group_id], project)).size)) {
          throw AddressGroupNotFound(rule.remote_address_group_id);
        }
      }
      if (!(await usable(rule.security_group_id))) throw SecurityGroupNotFound(rule.security_group_id);
    }
    const groupId = rules[0].security_group_id;
    await enforceQuotaForItems(deps, tx, 'security_group_rule', items.map((i) => i.item));
    // Bumping the group first locks its row: concurrent rule creates for it queue here, so the
    // duplicate check below sees every committed rule.
    await bumpGroup(tx, groupId);
    const seen = new Set<string>();
    for (const r of rules) {
      const k = ruleKey(r);
      if (seen.has(k)) throw DuplicateSecurityGroupRuleInPost();
      seen.add(k);
    }
    let existingQuery = tx.selectFrom('security_group_rules').selectAll().where('security_group_id', '=', groupId).orderBy('id');
    // A locking read: InnoDB's plain reads would use the snapshot taken before the lock wait.
    if (deps.conn.kind !== 'sqlite') existingQuery = existingQuery.forUpdate();
    const existing = await existingQuery.execute();
    for (const e of existing) {
      if (seen.has(ruleKey(e))) throw SecurityGroupRuleExists(e.id);
    }
    const now = nowIso();
    const out: string[] = [];
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      const id = randomUUID();
      await tx.insertInto('security_group_rules').values({
        id, project_id: project, security_group_id: groupId, remote_group_id: r.remote_group_id, remote_address_group_id: r.remote_address_group_id,
        direction: r.direction, ethertype: r.ethertype, protocol: r.protocol, port_range_min: r.port_range_min, port_range_max: r.port_range_max,
        remote_ip_prefix: r.remote_ip_prefix, description: (items[i].item.description as string | undefined) ?? '',
        revision_number: 0, created_at: now, updated_at: now,
      }).execute();
      await recordChange(tx, 'security_group_rule', id, 'create', 0);
      out.push(id);
    }
    return out;
  });
  const rows = new Map((await getRuleRows(deps.conn.db, ids)).map((r) => [r.id, r]));
  return ids.map((id) => rows.get(id)!);
}

export async function deleteSecurityGroupRule(deps: Deps, ctx: RequestContext, id: string, ifMatch: number | null): Promise<void> {
  await inTransaction(deps.conn, async (tx) => {
    const r = await getRuleRow(tx, id);
    if (!r || !canSeeRule(ctx, r)) throw SecurityGroupRuleNotFound(id);
    enforceOrHide(deps.policy, ctx, 'delete_security_group_rule', ruleTarget(r), undefined,
      () => deps.policy.check(ctx, 'get_security_group_rule', ruleTarget(r)), () => SecurityGroupRuleNotFound(id));
    checkRevision(ifMatch, r.revision_number);
    await tx.deleteFrom('security_group_rules').where('id', '=', id).execute();
    await recordChange(tx, 'security_group_rule', id, 'delete', r.revision_number);
    await bumpGroup(tx, r.security_group_id);
  });
}
