// Neutron's policy.enforce / policy.check and the per-request attribute
// visibility the API layer strips responses with.
//
// What each action's target must contain (Neutron computes some of it by
// loading parent resources; this engine is pure, so the caller supplies it):
//   every action          the resource's `tenant_id` or `project_id` (either; the other is mirrored).
//                         On create: the project the resource will belong to.
//   *_network             `shared`, `router:external` (rules shared / external), plus for
//                         create/update the request's attributes (converted values).
//   *_subnet              `network_id`, `network:tenant_id` (owner of the subnet's network),
//                         `network:shared` (get_subnet's rule:shared looks at the network).
//   *_port                `network_id`, `network:tenant_id`, `network:shared` (fixed_ips rules),
//                         `device_owner` (rule network_device) — the new value on update.
//   *_router, *_floatingip  the resource (e.g. `external_gateway_info`, `floating_ip_address`).
//   get/update/delete_quota `{ project_id: <the quota's project> }`.
//   update_*              the stored resource merged with the request's changes; pass the
//                         request's keys as `explicit` (Neutron's ATTRIBUTES_TO_UPDATE). Without
//                         `explicit`, every non-default enforced attribute of the target counts.
//   create_*              pass the body's keys as `explicit`; defaults may be filled in the target.
// List and dict values (fixed_ips, allowed_address_pairs, external_gateway_info) as the client
// sent them: each element's key order is the order of the sub-rules in the message.
// A parent field missing from the target fails its check (Neutron would have fetched it).
//
// 404 or 403: the caller first decides visibility with check(get_<resource>) on the stored
// object (not visible → <Resource>NotFound), then enforces the write (→ PolicyNotAuthorized).
import { PolicyNotAuthorized } from '../../errors/catalog.ts';
import { evaluate, render, ruleCheck, type Check, type RuleSet, type Target } from './checks.ts';
import { policyCredentials, type RequestContext } from './context.ts';
import { buildMatchRule } from './match-rule.ts';
import { loadPolicyFileSync } from './policy-file.ts';
import { compileRuleSet, type RuleSetOptions } from './rule-set.ts';

export interface EnforceOptions {
  /** Attributes the request body sets (for update_*: Neutron's ATTRIBUTES_TO_UPDATE). */
  explicit?: Iterable<string>;
}

/** The request's attributes, or options holding them. */
export type Explicit = Iterable<string> | EnforceOptions;

export interface Enforcer {
  readonly rules: RuleSet;
  /** Throws PolicyNotAuthorized("<rendered match rule> is disallowed by policy"). */
  enforce(ctx: RequestContext, action: string, target: Target, explicit?: Explicit): void;
  /** The same decision as enforce, without throwing. */
  check(ctx: RequestContext, action: string, target: Target, explicit?: Explicit): boolean;
  /**
   * Attributes of `resource` (singular: 'network', 'port') the caller may not see: those
   * with a `get_<resource>:<attr>` rule that does not pass. Decided once per request, not
   * per object. `sample` holds fields known to be the same for every object in the
   * response (e.g. `{ tenant_id }` when all belong to the caller); a rule that depends on
   * any other object field counts as failing, so owner-dependent attributes are hidden.
   */
  hiddenAttributes(ctx: RequestContext, resource: string, sample?: Target): ReadonlySet<string>;
  /** The rule enforce evaluates (for logs and tests). */
  matchRule(action: string, target: Target, explicit?: Explicit): Check;
}

export interface EnforcerOptions extends RuleSetOptions {
  /**
   * A policy file (oslo [oslo_policy] policy_file, path already resolved), read once here;
   * a missing file means no overrides, as oslo. `overrides` win over the file's rules.
   */
  file?: string;
}

export function createEnforcer(opts: EnforcerOptions = {}): Enforcer {
  const fromFile = opts.file === undefined ? {} : loadPolicyFileSync(opts.file, { optional: true });
  const rules = compileRuleSet({ ...opts, overrides: { ...fromFile, ...opts.overrides } });
  // Neutron skips every check for an admin context unless new defaults are enforced.
  const bypass = (ctx: RequestContext) => !opts.enforceNewDefaults && ctx.isAdmin;
  const hiddenCache = new WeakMap<RequestContext, Map<string, ReadonlySet<string>>>();
  const gettable = new Map<string, readonly string[]>();

  const matchRule = (action: string, target: Target, explicit?: Explicit): Check =>
    buildMatchRule(action, target, explicitSet(explicit), rules);

  /** The match rule, and whether it passes. */
  function decide(ctx: RequestContext, action: string, target: Target, explicit?: Explicit): [Check, boolean] {
    const t = withOwnerAliases(target);
    const rule = matchRule(action, t, explicit);
    return [rule, evaluate(rule, { rules, creds: policyCredentials(ctx), target: t, partial: false }) === true];
  }

  function attrsWithGetRules(resource: string): readonly string[] {
    let names = gettable.get(resource);
    if (names === undefined) {
      const prefix = `get_${resource}:`;
      names = [...rules.rules.keys()].filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
      gettable.set(resource, names);
    }
    return names;
  }

  function computeHidden(ctx: RequestContext, resource: string, sample: Target): ReadonlySet<string> {
    const hidden = new Set<string>();
    if (bypass(ctx)) return hidden;
    const env = { rules, creds: policyCredentials(ctx), target: withOwnerAliases(sample), partial: true };
    for (const attr of attrsWithGetRules(resource)) {
      if (evaluate(ruleCheck(`get_${resource}:${attr}`), env) !== true) hidden.add(attr);
    }
    // Neutron strips project_id whenever tenant_id is stripped.
    if (hidden.has('tenant_id')) hidden.add('project_id');
    return hidden;
  }

  return {
    rules,
    matchRule,
    enforce(ctx, action, target, explicit) {
      if (bypass(ctx)) return;
      const [rule, ok] = decide(ctx, action, target, explicit);
      if (!ok) throw PolicyNotAuthorized(render(rule));
    },
    check(ctx, action, target, explicit) {
      return bypass(ctx) || decide(ctx, action, target, explicit)[1];
    },
    hiddenAttributes(ctx, resource, sample) {
      if (sample !== undefined) return computeHidden(ctx, resource, sample);
      let byResource = hiddenCache.get(ctx);
      if (byResource === undefined) {
        byResource = new Map();
        hiddenCache.set(ctx, byResource);
      }
      let hidden = byResource.get(resource);
      if (hidden === undefined) {
        hidden = computeHidden(ctx, resource, {});
        byResource.set(resource, hidden);
      }
      return hidden;
    },
  };
}

function explicitSet(e: Explicit | undefined): ReadonlySet<string> | null {
  if (e === undefined) return null;
  if (Symbol.iterator in e) return new Set(e);
  return e.explicit === undefined ? null : new Set(e.explicit);
}

/** Neutron targets carry both tenant_id and project_id; accept either from callers. */
function withOwnerAliases(target: Target): Target {
  const pairs: [string, string][] = [['tenant_id', 'project_id'], ['network:tenant_id', 'network:project_id']];
  let out: Record<string, unknown> | null = null;
  for (const [a, b] of pairs) {
    const hasA = Object.hasOwn(target, a);
    const hasB = Object.hasOwn(target, b);
    if (hasA === hasB) continue;
    out ??= { ...target };
    if (hasA) out[b] = target[a];
    else out[a] = target[b];
  }
  return out ?? target;
}
