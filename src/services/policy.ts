// The Policy the services use, backed by the oslo.policy-compatible enforcer
// (Neutron's default rules; [oslo_policy] policy_file overrides them and
// enforce_new_defaults drops the legacy half of each deprecated rule).
import type { MuonConfig } from '../config/types.ts';
import type { Policy } from './deps.ts';
import { createEnforcer } from '../domain/policy/enforcer.ts';
import { policyOptions } from '../domain/policy/options.ts';

export function createPolicy(config: MuonConfig): Policy {
  const enforcer = createEnforcer(policyOptions(config));
  return {
    enforce: (ctx, action, target, explicit) => enforcer.enforce(ctx, action, target, explicit),
    check: (ctx, action, target) => enforcer.check(ctx, action, target),
    hiddenAttributes: (ctx, resource) => enforcer.hiddenAttributes(ctx, resource),
  };
}
