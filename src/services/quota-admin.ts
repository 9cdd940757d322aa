// The quotas API (quotasv2, quota_details, quota-check-limit): reading and setting
// per-project limits. Limits equal to the defaults are still stored when set, so the
// project shows in GET /v2.0/quotas, as in Neutron.
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import { inTransaction, isUniqueViolation, RetryRequest } from '../db/transaction.ts';
import { HTTPBadRequest, TenantQuotaNotFound } from '../errors/catalog.ts';
import { QUOTA_TABLES, defaultLimits, projectLimits, usageByResource } from './quotas.ts';

const sorted = (o: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));

/** validate_policy: the target is the caller's own project, whatever the path names. */
function enforce(deps: Deps, ctx: RequestContext, action: string): void {
  deps.policy.enforce(ctx, action, { project_id: ctx.projectId, tenant_id: ctx.projectId });
}

/** Neutron checks get_quota only when the project is not the caller's own. */
function enforceRead(deps: Deps, ctx: RequestContext, projectId: string): void {
  if (projectId !== ctx.projectId) enforce(deps, ctx, 'get_quota');
}

export async function listQuotas(deps: Deps, ctx: RequestContext): Promise<Record<string, unknown>[]> {
  enforce(deps, ctx, 'get_quota');
  const defaults = defaultLimits(deps);
  const rows = await deps.conn.db.selectFrom('quotas').select(['project_id', 'resource', 'quota_limit']).orderBy('project_id').execute();
  const byProject = new Map<string, Record<string, number>>();
  for (const r of rows) {
    if (!(r.resource in defaults)) continue;
    (byProject.get(r.project_id) ?? byProject.set(r.project_id, { ...defaults }).get(r.project_id)!)[r.resource] = r.quota_limit;
  }
  return [...byProject].map(([p, limits]) => ({ ...sorted(limits), project_id: p, tenant_id: p }));
}

export async function showQuota(deps: Deps, ctx: RequestContext, projectId: string): Promise<Record<string, number>> {
  enforceRead(deps, ctx, projectId);
  return sorted(await projectLimits(deps, deps.conn.db, projectId));
}

export function defaultQuota(deps: Deps, ctx: RequestContext, projectId: string): Record<string, number> {
  enforceRead(deps, ctx, projectId);
  return sorted(defaultLimits(deps));
}

export async function quotaDetails(deps: Deps, ctx: RequestContext, projectId: string): Promise<Record<string, { limit: number; used: number; reserved: number }>> {
  enforceRead(deps, ctx, projectId);
  const [limits, used] = await Promise.all([projectLimits(deps, deps.conn.db, projectId), usageByResource(deps.conn.db, projectId)]);
  return Object.fromEntries(Object.keys(limits).sort().map((r) => [r, { limit: limits[r], used: used[r] ?? 0, reserved: 0 }]));
}

export function authorizeQuotaUpdate(deps: Deps, ctx: RequestContext): void {
  enforce(deps, ctx, 'update_quota');
}

/** `limits` already validated (known resources, integers >= -1); authorizeQuotaUpdate first. */
export async function updateQuota(deps: Deps, ctx: RequestContext, projectId: string, limits: Record<string, number>, checkLimit: boolean): Promise<Record<string, number>> {
  await inTransaction(deps.conn, async (tx) => {
    if (checkLimit) {
      const used = await usageByResource(tx, projectId);
      for (const [resource, limit] of Object.entries(limits)) {
        // -1 is "unlimited": never below usage (Neutron compares it numerically and refuses).
        if (limit >= 0 && (used[resource] ?? 0) > limit) {
          throw HTTPBadRequest(`Quota limit ${limit} for ${resource} must be greater than or equal to already used ${used[resource]}`);
        }
      }
    }
    const stored = new Set((await tx.selectFrom('quotas').select('resource').where('project_id', '=', projectId).execute()).map((r) => r.resource));
    for (const [resource, limit] of Object.entries(limits)) {
      if (stored.has(resource)) {
        await tx.updateTable('quotas').set({ quota_limit: limit }).where('project_id', '=', projectId).where('resource', '=', resource).execute();
        continue;
      }
      try {
        await tx.insertInto('quotas').values({ project_id: projectId, resource, quota_limit: limit }).execute();
      } catch (e) {
        // A concurrent PUT inserted it first: run again, as an update.
        if (isUniqueViolation(e)) throw new RetryRequest('quota row inserted concurrently');
        throw e;
      }
    }
  });
  return sorted(await projectLimits(deps, deps.conn.db, projectId));
}

export async function deleteQuota(deps: Deps, ctx: RequestContext, projectId: string): Promise<void> {
  enforce(deps, ctx, 'delete_quota');
  const r = await deps.conn.db.deleteFrom('quotas').where('project_id', '=', projectId).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw TenantQuotaNotFound(projectId);
}

export const quotaResources = (): string[] => Object.keys(QUOTA_TABLES);
