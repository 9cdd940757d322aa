// Which policy file and defaults the enforcer uses, from [oslo_policy]; shared by the
// services' Policy and the token authenticator (src/identity/setup.ts).
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { MuonConfig } from '../../config/types.ts';
import type { EnforcerOptions } from './enforcer.ts';

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
