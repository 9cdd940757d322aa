// Small pieces of Python semantics that Neutron's messages and netaddr's parsing
// depend on: int() of a string, str()/repr() of JSON values, \s. Kept here so the
// IP/CIDR/MAC code can reproduce Zed's accept/reject decisions and texts exactly.

// Characters Python's str.isspace() (and so int()'s strip and re's \s) treats as whitespace.
const PY_WHITESPACE = new Set(
  [
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
    0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
    0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
  ].map((c) => String.fromCharCode(c)),
);

export const isPyWhitespace = (ch: string): boolean => PY_WHITESPACE.has(ch);

/** re.search(r'\s', s) for a str pattern. */
export function hasPyWhitespace(s: string): boolean {
  for (const ch of s) if (PY_WHITESPACE.has(ch)) return true;
  return false;
}

function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && PY_WHITESPACE.has(s[a])) a++;
  while (b > a && PY_WHITESPACE.has(s[b - 1])) b--;
  return s.slice(a, b);
}

const PY_DECIMAL = /^[+-]?[0-9](?:_?[0-9])*$/;

/**
 * Python int(s) for a str in base 10: surrounding whitespace, a sign and single
 * underscores between digits are allowed. null where Python raises ValueError.
 * (Non-ASCII decimal digits, which Python also accepts, are rejected: no client sends them.)
 */
export function pyInt(s: string): bigint | null {
  const t = pyStrip(s);
  if (!PY_DECIMAL.test(t)) return null;
  return BigInt(t.replace(/_/g, ''));
}

/** Python repr() of a str. */
export function pyReprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c >= 0x80 && c <= 0xa0) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

/** Python repr() of a JSON-decoded value (dicts keep their key order, as Python dicts do). */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return pyReprString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    const parts = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyReprString(k)}: ${pyRepr(x)}`);
    return `{${parts.join(', ')}}`;
  }
  return String(v);
}

/** Python str() of a JSON-decoded value: what '%s' % value prints. */
export const pyStr = (v: unknown): string => (typeof v === 'string' ? v : pyRepr(v));

/** Python repr() of a set of strings, in the order given (Python's own order is hash-seeded). */
export const pySetRepr = (items: readonly string[]): string =>
  items.length === 0 ? 'set()' : `{${items.map(pyReprString).join(', ')}}`;

/** Python repr() of a list of strings. */
export const pyListRepr = (items: readonly string[]): string => `[${items.map(pyReprString).join(', ')}]`;

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Python ==, for JSON-decoded values (dict equality ignores key order). */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    // True == 1 in Python; JSON gives booleans and numbers distinct types.
    const na = typeof a === 'boolean' ? Number(a) : a;
    const nb = typeof b === 'boolean' ? Number(b) : b;
    return typeof na === 'number' && na === nb;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && pyEquals(a[k], b[k]));
  }
  return false;
}
