// The Policy the services use, backed by the oslo.policy-compatible enforcer
// (Neutron's default rules; [oslo_policy] policy_file overrides them and
// enforce_new_defaults drops the legacy half of each deprecated rule).
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { MuonConfig } from '../config/types.ts';
import type { Policy } from './deps.ts';
import { createEnforcer, type EnforcerOptions } from '../domain/policy/enforcer.ts';

/** Enforcer options from [oslo_policy]. A relative policy_file is looked for where oslo
 *  looks: the working directory, then /etc/neutron. Only an explicitly set file that
 *  does not exist is an error; the default name (policy.yaml) may be absent. */
export function policyOptions(config: MuonConfig): EnforcerOptions {
  const opts: EnforcerOptions = { enforceNewDefaults: config.values.oslo_policy?.enforce_new_defaults === true };
  const explicit = config.raw.oslo_policy?.policy_file;
  const name = explicit ?? 'policy.yaml';
  const candidates = isAbsolute(name) ? [name] : [resolve(name), resolve('/etc/neutron', name)];
  const found = candidates.find((f) => existsSync(f));
  if (found) opts.file = found;
  else if (explicit) throw new Error(`[oslo_policy] policy_file ${explicit} not found (looked in: ${candidates.join(', ')})`);
  return opts;
}

export function createPolicy(config: MuonConfig): Policy {
  const enforcer = createEnforcer(policyOptions(config));
  return {
    enforce: (ctx, action, target, explicit) => enforcer.enforce(ctx, action, target, explicit),
    check: (ctx, action, target) => enforcer.check(ctx, action, target),
    hiddenAttributes: (ctx, resource) => enforcer.hiddenAttributes(ctx, resource),
  };
}
