// Who is asking: built from a validated token (or noauth headers) once per request.
import { randomUUID } from 'node:crypto';
import { evaluate, ruleCheck, type Creds, type RuleSet } from './checks.ts';
import { defaultRuleSet } from './rule-set.ts';

export interface RequestContext {
  userId: string | null;
  projectId: string | null;
  roles: string[];
  isAdmin: boolean;
  isAdvsvc: boolean;
  systemScope: string | null;
  requestId: string;
}

/** True when the roles satisfy the default `context_is_admin` (role:admin). */
export function isAdminRoles(roles: readonly string[]): boolean {
  return roles.some((r) => r.toLowerCase() === 'admin');
}

export interface ContextInit {
  userId?: string | null;
  projectId?: string | null;
  roles?: readonly string[];
  systemScope?: string | null;
  requestId?: string;
  /** Forces the flag (e.g. an internal admin context); otherwise computed from the rules. */
  isAdmin?: boolean;
  isAdvsvc?: boolean;
}

/**
 * As neutron_lib's Context: is_admin comes from the `context_is_admin` rule and is_advsvc
 * from `context_is_advsvc` (or is_admin), both checked with the caller's own credentials as
 * the target, so a policy file overriding either rule changes who is admin.
 */
export function createRequestContext(init: ContextInit, rules: RuleSet = defaultRuleSet()): RequestContext {
  const ctx: RequestContext = {
    userId: init.userId ?? null,
    projectId: init.projectId ?? null,
    roles: [...(init.roles ?? [])],
    isAdmin: false,
    isAdvsvc: false,
    systemScope: init.systemScope ?? null,
    requestId: init.requestId ?? `req-${randomUUID()}`,
  };
  const creds = buildCreds(ctx);
  const self = (rule: string) => evaluate(ruleCheck(rule), { rules, creds, target: creds, partial: false }) === true;
  ctx.isAdmin = init.isAdmin ?? (rules.rules.has('context_is_admin') && self('context_is_admin'));
  ctx.isAdvsvc = init.isAdvsvc ?? (ctx.isAdmin || (rules.rules.has('context_is_advsvc') && self('context_is_advsvc')));
  return ctx;
}

const credsCache = new WeakMap<RequestContext, Creds>();

/**
 * context.to_policy_values() as Neutron builds it (tenant_id mirrors project_id).
 * Cached per context: treat a RequestContext as immutable once created.
 */
export function policyCredentials(ctx: RequestContext): Creds {
  let creds = credsCache.get(ctx);
  if (creds === undefined) {
    creds = buildCreds(ctx);
    credsCache.set(ctx, creds);
  }
  return creds;
}

function buildCreds(ctx: RequestContext): Creds {
  return {
    user_id: ctx.userId,
    project_id: ctx.projectId,
    tenant_id: ctx.projectId,
    roles: [...ctx.roles],
    is_admin: ctx.isAdmin,
    system_scope: ctx.systemScope,
    user: ctx.userId,
    tenant: ctx.projectId,
  };
}
