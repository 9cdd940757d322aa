// The oslo.policy check tree: each node renders exactly as oslo's __str__ does
// (PolicyNotAuthorized messages are that rendering) and evaluates against a
// target (the resource) and credentials (the caller), with Neutron's two
// extra check kinds: `tenant_id:` (OwnerCheck) and `field:` (FieldCheck).

import { pyRepr, pyStr } from '../py-str.ts';

export type Target = Readonly<Record<string, unknown>>;

/** What oslo calls creds: context.to_policy_values() of a Neutron context. */
export interface Creds {
  readonly user_id: string | null;
  readonly project_id: string | null;
  readonly tenant_id: string | null;
  readonly roles: readonly string[];
  readonly is_admin: boolean;
  readonly system_scope: string | null;
  readonly [key: string]: unknown;
}

export type Check =
  | { readonly type: 'true' }
  | { readonly type: 'false' }
  | { readonly type: 'not'; readonly rule: Check }
  | { readonly type: 'and'; readonly rules: readonly Check[] }
  | { readonly type: 'or'; readonly rules: readonly Check[] }
  /** rule:, role:, http:, generic (`project_id:%(project_id)s`, `True:%(x)s`). */
  | { readonly type: 'rule' | 'role' | 'http' | 'generic'; readonly kind: string; readonly match: string }
  /** Neutron's OwnerCheck, registered for kind `tenant_id`; `field` is the name inside %(...)s. */
  | { readonly type: 'owner'; readonly kind: string; readonly match: string; readonly field: string }
  /** Neutron's FieldCheck: `field:<resource>:<field>=<value>`, value `~regex` for a regex match. */
  | {
    readonly type: 'field'; readonly resource: string; readonly field: string; readonly rawValue: string;
    readonly value: unknown; readonly regex: RegExp | null;
  };

export const TRUE_CHECK: Check = { type: 'true' };
export const FALSE_CHECK: Check = { type: 'false' };
export const ruleCheck = (name: string): Check => ({ type: 'rule', kind: 'rule', match: name });
export const andCheck = (rules: readonly Check[]): Check => ({ type: 'and', rules });
export const orCheck = (rules: readonly Check[]): Check => ({ type: 'or', rules });

/** oslo's str(check): "(a and b)", "(a or b)", "not a", "kind:match", "@", "!". */
export function render(c: Check): string {
  switch (c.type) {
    case 'true': return '@';
    case 'false': return '!';
    case 'not': return `not ${render(c.rule)}`;
    case 'and': return `(${c.rules.map(render).join(' and ')})`;
    case 'or': return `(${c.rules.map(render).join(' or ')})`;
    // Neutron's FieldCheck re-joins its parts with ':' (so "=True" renders ":True").
    case 'field': return `field:${c.resource}:${c.field}:${c.rawValue}`;
    default: return `${c.kind}:${c.match}`;
  }
}

/** Named rules plus the name of the fallback for undefined ones (oslo's Rules dict). */
export interface RuleSet {
  readonly rules: ReadonlyMap<string, Check>;
  readonly defaultRule: string | null;
}

/** oslo Rules.__missing__: an undefined rule falls back to the default rule, if that exists. */
export function lookupRule(rs: RuleSet, name: string): Check | undefined {
  const found = rs.rules.get(name);
  if (found !== undefined || rs.defaultRule === null) return found;
  return rs.rules.get(rs.defaultRule);
}

/** true / false, or null = "depends on a target field we were not given" (partial evaluation). */
export type Tri = boolean | null;

export interface EvalEnv {
  readonly rules: RuleSet;
  readonly creds: Creds;
  readonly target: Target;
  /**
   * false: a missing target field fails the check, as oslo's KeyError does.
   * true: a missing target field makes the check unknown (null); used to decide
   * per request what holds for every object, whatever its fields.
   */
  readonly partial: boolean;
}

// Cyclic rule references recurse forever in oslo (a 500); here they fail closed.
const MAX_DEPTH = 64;

export function evaluate(c: Check, env: EvalEnv): Tri {
  return evalAt(c, env, 0);
}

function evalAt(c: Check, env: EvalEnv, depth: number): Tri {
  if (depth > MAX_DEPTH) return false;
  switch (c.type) {
    case 'true': return true;
    case 'false': return false;
    case 'not': {
      const v = evalAt(c.rule, env, depth + 1);
      return v === null ? null : !v;
    }
    case 'and': {
      let unknown = false;
      for (const r of c.rules) {
        const v = evalAt(r, env, depth + 1);
        if (v === false) return false;
        if (v === null) unknown = true;
      }
      return unknown ? null : true;
    }
    case 'or': {
      let unknown = false;
      for (const r of c.rules) {
        const v = evalAt(r, env, depth + 1);
        if (v === true) return true;
        if (v === null) unknown = true;
      }
      return unknown ? null : false;
    }
    case 'rule': {
      const target = lookupRule(env.rules, c.match);
      return target === undefined ? false : evalAt(target, env, depth + 1);
    }
    case 'role': {
      const m = interpolate(c.match, env.target);
      if (m === MISSING) return env.partial ? null : false;
      if (m === BAD_FORMAT) return false;
      const want = m.toLowerCase();
      return env.creds.roles.some((r) => r.toLowerCase() === want);
    }
    case 'generic': return genericCheck(c.kind, c.match, env);
    case 'owner': return ownerCheck(c.kind, c.match, c.field, env);
    case 'field': return fieldCheck(c, env);
    // Remote http: checks are not supported: fail closed.
    case 'http': return false;
  }
}

function genericCheck(kind: string, match: string, env: EvalEnv): Tri {
  const m = interpolate(match, env.target);
  if (m === MISSING) return env.partial ? null : false;
  if (m === BAD_FORMAT) return false;
  const literal = pyLiteral(kind);
  if (literal !== NOT_LITERAL) return m === pyStr(literal);
  return findInDict(env.creds, kind.split('.'), m);
}

/** oslo GenericCheck._find_in_dict: walk creds by dotted path, lists match if any element does. */
function findInDict(value: unknown, path: readonly string[], match: string): boolean {
  if (path.length === 0) return match === pyStr(value);
  if (value === null || typeof value !== 'object' || !Object.hasOwn(value, path[0])) return false;
  const next = (value as Record<string, unknown>)[path[0]];
  const rest = path.slice(1);
  if (Array.isArray(next)) return next.some((v) => findInDict(v, rest, match));
  return findInDict(next, rest, match);
}

function ownerCheck(kind: string, match: string, field: string, env: EvalEnv): Tri {
  // Neutron fetches a parent's owner (e.g. network:tenant_id) from the plugin when the
  // target lacks it; this engine is pure, so callers put it in the target (see enforcer.ts).
  if (!Object.hasOwn(env.target, field)) return env.partial ? null : false;
  const m = interpolate(match, env.target);
  if (m === MISSING || m === BAD_FORMAT) return false;
  if (!Object.hasOwn(env.creds, kind)) return false;
  return m === pyStr(env.creds[kind]);
}

function fieldCheck(c: Extract<Check, { type: 'field' }>, env: EvalEnv): Tri {
  let key: string | null = Object.hasOwn(env.target, c.field) ? c.field : null;
  // Neutron looks `networks:shared` up on the parent network for ports and subnets;
  // callers give it as `network:shared`.
  if (key === null && c.resource === 'networks' && c.field === 'shared' && Object.hasOwn(env.target, 'network:shared')) {
    key = 'network:shared';
  }
  if (key === null) return env.partial ? null : false;
  const v = env.target[key];
  if (v === null || v === undefined) return false;
  if (c.regex) return c.regex.test(pyStr(v));
  return pyEquals(v, c.value);
}

// ---- Python semantics the policy language leans on ----

const MISSING = Symbol('missing');
const BAD_FORMAT = Symbol('bad-format');

/** Python's `match % target` for %(name)s / %(name)r / %%; MISSING is oslo's KeyError. */
export function interpolate(match: string, target: Target): string | typeof MISSING | typeof BAD_FORMAT {
  let out = '';
  let i = 0;
  while (i < match.length) {
    const pct = match.indexOf('%', i);
    if (pct < 0) { out += match.slice(i); break; }
    out += match.slice(i, pct);
    if (match[pct + 1] === '%') { out += '%'; i = pct + 2; continue; }
    if (match[pct + 1] !== '(') return BAD_FORMAT;
    // Python allows nested parentheses inside the key.
    let depth = 1;
    let j = pct + 2;
    for (; j < match.length && depth > 0; j++) {
      if (match[j] === '(') depth++;
      else if (match[j] === ')') depth--;
    }
    if (depth !== 0) return BAD_FORMAT;
    const key = match.slice(pct + 2, j - 1);
    const conv = match[j];
    if (conv !== 's' && conv !== 'r') return BAD_FORMAT;
    if (!Object.hasOwn(target, key)) return MISSING;
    out += conv === 's' ? pyStr(target[key]) : pyRepr(target[key]);
    i = j + 1;
  }
  return out;
}

const NOT_LITERAL = Symbol('not-literal');

/** The few ast.literal_eval results a check kind can be (`True:%(x)s`, `'Member':%(y)s`, `20:...`). */
function pyLiteral(s: string): unknown {
  if (s === 'True') return true;
  if (s === 'False') return false;
  if (s === 'None') return null;
  if (/^[-+]?\d+$/.test(s)) return BigInt(s);
  if (s.length >= 2 && ((s[0] === "'" && s.endsWith("'")) || (s[0] === '"' && s.endsWith('"')))) return s.slice(1, -1);
  return NOT_LITERAL;
}

/** Python ==, where True == 1 and False == 0 (SQLite booleans are integers). */
export function pyEquals(a: unknown, b: unknown): boolean {
  const num = (x: unknown): number | null =>
    typeof x === 'boolean' ? Number(x) : typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : null;
  const na = num(a);
  const nb = num(b);
  if (na !== null || nb !== null) return na !== null && nb !== null && na === nb;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const rb = b as Record<string, unknown>;
    return ka.length === Object.keys(b).length &&
      ka.every((k) => Object.hasOwn(rb, k) && pyEquals((a as Record<string, unknown>)[k], rb[k]));
  }
  return a === b;
}
