// The oslo.policy rule language → check tree, with oslo's greedy shift-reduce
// parser reproduced step by step: operator grouping decides how a rule renders
// ("a or b and c" → "(a or (b and c))"), and rendering is the error message.
import {
  FALSE_CHECK, TRUE_CHECK, andCheck, orCheck, type Check,
} from './checks.ts';

type Token = 'check' | 'and_expr' | 'or_expr' | '(' | ')' | 'and' | 'or' | 'not' | 'string';
type Value = Check | string;

/** Parses a rule; an unparsable rule fails closed (FalseCheck), as oslo does. */
export function parseRule(rule: string): Check {
  if (rule === '') return TRUE_CHECK;
  const tokens: Token[] = [];
  const values: Value[] = [];
  for (const [tok, value] of tokenize(rule)) {
    tokens.push(tok);
    values.push(value);
    reduce(tokens, values);
  }
  if (values.length !== 1 || typeof values[0] === 'string') return FALSE_CHECK;
  return values[0];
}

function* tokenize(rule: string): Generator<[Token, Value]> {
  for (let tok of rule.split(/\s+/)) {
    if (tok === '') continue;
    const clean = tok.replace(/^\(+/, '');
    for (let i = 0; i < tok.length - clean.length; i++) yield ['(', '('];
    if (clean === '') continue;
    tok = clean;
    const stripped = tok.replace(/\)+$/, '');
    const trail = tok.length - stripped.length;
    const lowered = stripped.toLowerCase();
    if (lowered === 'and' || lowered === 'or' || lowered === 'not') {
      yield [lowered, stripped];
    } else if (stripped !== '') {
      // A quoted token is a 'string' that no production consumes: the parse fails.
      if (tok.length >= 2 && ((tok[0] === '"' && tok.endsWith('"')) || (tok[0] === "'" && tok.endsWith("'")))) {
        yield ['string', tok.slice(1, -1)];
      } else {
        yield ['check', parseCheck(stripped)];
      }
    }
    for (let i = 0; i < trail; i++) yield [')', ')'];
  }
}

const is3 = (t: Token[], a: Token, b: Token, c: Token) => {
  const n = t.length;
  return t[n - 3] === a && t[n - 2] === b && t[n - 1] === c;
};

function reduce(tokens: Token[], values: Value[]): void {
  for (;;) {
    const n = tokens.length;
    if (n >= 3) {
      if (is3(tokens, '(', 'check', ')') || is3(tokens, '(', 'and_expr', ')') || is3(tokens, '(', 'or_expr', ')')) {
        tokens.splice(n - 3, 3, 'check');
        values.splice(n - 3, 3, values[n - 2]);
        continue;
      }
      if (is3(tokens, 'check', 'and', 'check')) {
        tokens.splice(n - 3, 3, 'and_expr');
        values.splice(n - 3, 3, andCheck([values[n - 3] as Check, values[n - 1] as Check]));
        continue;
      }
      if (is3(tokens, 'and_expr', 'and', 'check')) {
        const expr = values[n - 3] as Extract<Check, { type: 'and' }>;
        tokens.splice(n - 3, 3, 'and_expr');
        values.splice(n - 3, 3, andCheck([...expr.rules, values[n - 1] as Check]));
        continue;
      }
      if (is3(tokens, 'or_expr', 'and', 'check')) {
        // "a or b and c": the and binds to the last operand of the or.
        const expr = values[n - 3] as Extract<Check, { type: 'or' }>;
        const last = expr.rules[expr.rules.length - 1];
        const check = values[n - 1] as Check;
        const joined = last.type === 'and' ? andCheck([...last.rules, check]) : andCheck([last, check]);
        tokens.splice(n - 3, 3, 'or_expr');
        values.splice(n - 3, 3, orCheck([...expr.rules.slice(0, -1), joined]));
        continue;
      }
      if (is3(tokens, 'check', 'or', 'check') || is3(tokens, 'and_expr', 'or', 'check')) {
        tokens.splice(n - 3, 3, 'or_expr');
        values.splice(n - 3, 3, orCheck([values[n - 3] as Check, values[n - 1] as Check]));
        continue;
      }
      if (is3(tokens, 'or_expr', 'or', 'check')) {
        const expr = values[n - 3] as Extract<Check, { type: 'or' }>;
        tokens.splice(n - 3, 3, 'or_expr');
        values.splice(n - 3, 3, orCheck([...expr.rules, values[n - 1] as Check]));
        continue;
      }
    }
    if (n >= 2 && tokens[n - 2] === 'not' && tokens[n - 1] === 'check') {
      tokens.splice(n - 2, 2, 'check');
      values.splice(n - 2, 2, { type: 'not', rule: values[n - 1] as Check });
      continue;
    }
    return;
  }
}

/** One `kind:match` check (oslo _parse_check with Neutron's registered kinds). */
export function parseCheck(text: string): Check {
  if (text === '!') return FALSE_CHECK;
  if (text === '@') return TRUE_CHECK;
  const colon = text.indexOf(':');
  if (colon < 0) return FALSE_CHECK;
  const kind = text.slice(0, colon);
  const match = text.slice(colon + 1);
  switch (kind) {
    case 'rule':
    case 'role':
      return { type: kind, kind, match };
    case 'http':
    case 'https':
      return { type: 'http', kind, match };
    case 'tenant_id': return ownerCheck(kind, match);
    case 'field': return fieldCheck(match);
    default: return { type: 'generic', kind, match };
  }
}

function ownerCheck(kind: string, match: string): Check {
  // Neutron refuses to load a tenant_id check that is not exactly %(<field>)s.
  const m = /^%\((.*)\)s$/s.exec(match);
  if (!m) return FALSE_CHECK;
  return { type: 'owner', kind, match, field: m[1] };
}

// Attributes Neutron's FieldCheck converts with convert_to_boolean (from the attribute map).
const BOOLEAN_FIELDS = new Set([
  'networks:shared', 'networks:router:external', 'networks:admin_state_up', 'networks:port_security_enabled',
  'networks:is_default', 'subnetpools:shared', 'subnetpools:is_default', 'address_scopes:shared',
  'security_groups:shared', 'security_groups:stateful', 'policies:shared', 'address_groups:shared',
]);

function fieldCheck(match: string): Check {
  const colon = match.indexOf(':');
  const eq = colon < 0 ? -1 : match.indexOf('=', colon + 1);
  if (colon < 0 || eq < 0) return FALSE_CHECK;
  const resource = match.slice(0, colon);
  const field = match.slice(colon + 1, eq);
  const rawValue = match.slice(eq + 1);
  let regex: RegExp | null = null;
  if (rawValue.startsWith('~')) {
    try {
      // Python re.match anchors at the start only.
      regex = new RegExp(`^(?:${rawValue.slice(1)})`);
    } catch {
      return FALSE_CHECK;
    }
  }
  let value: unknown = rawValue;
  if (BOOLEAN_FIELDS.has(`${resource}:${field}`)) {
    const lower = rawValue.toLowerCase();
    if (lower === 'true' || lower === '1') value = true;
    else if (lower === 'false' || lower === '0') value = false;
  }
  return { type: 'field', resource, field, rawValue, value, regex };
}
