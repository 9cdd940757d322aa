// The Policy the services use, backed by the oslo.policy-compatible enforcer
// (Neutron's default rules, overridable by [oslo_policy] policy_file).
import type { MuonConfig } from '../config/types.ts';
import type { Policy } from './deps.ts';
import { createEnforcer } from '../domain/policy/enforcer.ts';

export function createPolicy(config: MuonConfig): Policy {
  const file = config.raw.oslo_policy?.policy_file;
  const enforcer = createEnforcer(file ? { file } : {});
  return {
    enforce: (ctx, action, target, explicit) => enforcer.enforce(ctx, action, target, explicit),
    check: (ctx, action, target) => enforcer.check(ctx, action, target),
    hiddenAttributes: (ctx, resource) => enforcer.hiddenAttributes(ctx, resource),
  };
}
