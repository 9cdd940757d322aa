// Compiles defaults plus operator overrides into the rule set the engine
// evaluates, the way oslo's Enforcer loads them.
import { orCheck, type Check, type RuleSet } from './checks.ts';
import { DEFAULT_RULES, type RuleDefault } from './defaults.ts';
import { parseRule } from './parser.ts';

export interface RuleSetOptions {
  /** Rules from policy files (name → rule string); they replace defaults outright. */
  overrides?: Readonly<Record<string, string>>;
  /** oslo [oslo_policy] enforce_new_defaults: drop the legacy half of deprecated rules. */
  enforceNewDefaults?: boolean;
  /** oslo [oslo_policy] policy_default_rule. */
  defaultRule?: string;
  /** Replaces the built-in defaults (tests). */
  defaults?: readonly RuleDefault[];
}

export function compileRuleSet(opts: RuleSetOptions = {}): RuleSet {
  const rules = new Map<string, Check>();
  for (const d of opts.defaults ?? DEFAULT_RULES) {
    const check = parseRule(d.check);
    // oslo: a deprecated rule nobody overrode is enforced as OrCheck([new, legacy]).
    rules.set(d.name, d.legacy !== undefined && !opts.enforceNewDefaults ? orCheck([check, parseRule(d.legacy)]) : check);
  }
  for (const [name, text] of Object.entries(opts.overrides ?? {})) rules.set(name, parseRule(text));
  return { rules, defaultRule: opts.defaultRule ?? 'default' };
}

let builtIn: RuleSet | null = null;

/** The shipped defaults, compiled once. */
export function defaultRuleSet(): RuleSet {
  builtIn ??= compileRuleSet();
  return builtIn;
}
