// neutron.policy._build_match_rule: the rule actually enforced for an action is
// rule:<action>, ANDed (one nesting level per attribute) with
// rule:<action>:<attr> for each attribute the request sets, and with
// sub-attribute rules for dict values and lists of dicts. Its rendering is the
// PolicyNotAuthorized message, e.g.
// "(rule:create_port and (rule:create_port:fixed_ips and (rule:create_port:fixed_ips:ip_address)))".
import { andCheck, pyEquals, ruleCheck, type Check, type RuleSet, type Target } from './checks.ts';
import { enforcedAttributes, isParentKey } from './attributes.ts';

/**
 * @param explicit attributes the request body sets. For update_* actions these are
 *   Neutron's ATTRIBUTES_TO_UPDATE (only they are checked); for create_* they narrow
 *   the candidates, and a value equal to the attribute's default still does not count.
 */
export function buildMatchRule(action: string, target: Target, explicit: ReadonlySet<string> | null, rs: RuleSet): Check {
  let match = ruleCheck(action);
  // get_resource_and_action: "create_port:x" → verb "create", resource "port".
  const head = action.split(':', 1)[0];
  const us = head.indexOf('_');
  const verb = us < 0 ? head : head.slice(0, us);
  if (verb === 'get' || verb === 'delete') return match;
  const resource = us < 0 ? head : head.slice(us + 1);
  const table = enforcedAttributes(resource);
  const updating = verb === 'update' && explicit !== null && explicit.size > 0;

  for (const attr of candidates(action, table, target, explicit, rs)) {
    if (explicit !== null && !explicit.has(attr)) continue;
    if (!Object.hasOwn(target, attr)) continue;
    const value = target[attr];
    if (value === undefined) continue;
    const spec = table.get(attr);
    // On create an attribute left at (or sent as) its default is not explicitly set.
    if (!updating && spec !== undefined && 'default' in spec && pyEquals(value, spec.default)) continue;

    let attrRule = ruleCheck(`${action}:${attr}`);
    if (spec?.subAttributes && isDict(value)) {
      // _build_subattr_match_rule: an AndCheck even for one (or no) sub-attribute.
      const subs = spec.subAttributes.filter((k) => Object.hasOwn(value, k)).map((k) => ruleCheck(`${action}:${attr}:${k}`));
      attrRule = andCheck([attrRule, andCheck(subs)]);
    }
    if (Array.isArray(value)) {
      // _build_list_of_subattrs_rule: one rule per key of every dict element, repeats included.
      const subs = value.flatMap((el) => (isDict(el) ? Object.keys(el).map((k) => ruleCheck(`${action}:${attr}:${k}`)) : []));
      if (subs.length > 0) attrRule = andCheck([attrRule, andCheck(subs)]);
    }
    match = andCheck([match, attrRule]);
  }
  return match;
}

/** Enforced attributes in Neutron's order, then any other set attribute with a rule defined. */
function candidates(action: string, table: ReadonlyMap<string, unknown>, target: Target,
  explicit: ReadonlySet<string> | null, rs: RuleSet): string[] {
  const out = [...table.keys()];
  for (const key of explicit ?? Object.keys(target)) {
    if (!table.has(key) && !isParentKey(key) && rs.rules.has(`${action}:${key}`)) out.push(key);
  }
  return out;
}

const isDict = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
