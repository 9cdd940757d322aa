// Operator policy overrides (oslo policy.yaml / policy.json). Only the flat
// form oslo documents is read: one `"rule_name": "expression"` per line, so no
// YAML library is needed; anything nested is refused with its line number.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export type PolicyOverrides = Record<string, string>;

export class PolicyFileError extends Error {
  constructor(where: string, reason: string) {
    super(`Invalid policy file ${where}: ${reason}`);
    this.name = 'PolicyFileError';
  }
}

export interface LoadOptions {
  /** A missing file means "no overrides" (oslo tolerates an absent policy.yaml). */
  optional?: boolean;
}

export async function loadPolicyFile(path: string, opts: LoadOptions = {}): Promise<PolicyOverrides> {
  try {
    return parsePolicyText(await readFile(path, 'utf8'), path);
  } catch (e) {
    if (opts.optional && (e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
}

/** For startup code that is synchronous. */
export function loadPolicyFileSync(path: string, opts: LoadOptions = {}): PolicyOverrides {
  try {
    return parsePolicyText(readFileSync(path, 'utf8'), path);
  } catch (e) {
    if (opts.optional && (e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
}

/** JSON when the text is a JSON object, else flat YAML. */
export function parsePolicyText(text: string, where = '<text>'): PolicyOverrides {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let data: unknown;
    try {
      data = JSON.parse(trimmed);
    } catch (e) {
      // `{` may also open a YAML flow mapping, which is not supported.
      throw new PolicyFileError(where, `not valid JSON (${(e as Error).message})`);
    }
    return fromObject(data, where);
  }
  return parseFlatYaml(text, where);
}

function fromObject(data: unknown, where: string): PolicyOverrides {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new PolicyFileError(where, 'expected an object of rules');
  const out: PolicyOverrides = {};
  for (const [name, value] of Object.entries(data)) out[name] = ruleText(value, `${where}: ${name}`);
  return out;
}

/** A rule string, or oslo's legacy list-of-lists (outer "or", inner "and"). */
function ruleText(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    if (value.length === 0) return '';
    const alternatives = value
      .map((inner) => (typeof inner === 'string' ? [inner] : inner))
      .filter((inner): inner is unknown[] => Array.isArray(inner) && inner.length > 0);
    if (alternatives.length === 0) return '!';
    if (alternatives.some((inner) => inner.some((c) => typeof c !== 'string'))) throw new PolicyFileError(where, 'rule lists must hold strings');
    return alternatives.map((inner) => (inner.length === 1 ? inner[0] : `(${inner.join(' and ')})`)).join(' or ');
  }
  throw new PolicyFileError(where, 'a rule must be a string');
}

function parseFlatYaml(text: string, where: string): PolicyOverrides {
  const out: PolicyOverrides = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const at = `${where}:${i + 1}`;
    const body = line.trim();
    if (body === '' || body.startsWith('#') || body === '---' || body === '...') continue;
    if (/^\s/.test(line)) throw new PolicyFileError(at, 'only a flat map of "rule": "expression" lines is supported');
    const [name, rest] = scanKey(line, at);
    const value = scanValue(rest, at);
    out[name] = value;
  }
  return out;
}

function scanKey(line: string, at: string): [string, string] {
  if (line[0] === '"' || line[0] === "'") {
    const [key, end] = scanQuoted(line, 0, at);
    const after = line.slice(end).trimStart();
    if (!after.startsWith(':')) throw new PolicyFileError(at, "expected ':' after the rule name");
    return [key, after.slice(1)];
  }
  // A plain key ends at the first ": " (rule names contain colons: create_network:shared).
  const m = /:(\s|$)/.exec(line);
  if (!m) throw new PolicyFileError(at, "expected 'name: rule'");
  return [line.slice(0, m.index).trim(), line.slice(m.index + 1)];
}

function scanValue(rest: string, at: string): string {
  const s = rest.trim();
  if (s === '' || s.startsWith('#')) return '';
  if (s[0] === '"' || s[0] === "'") {
    const [value, end] = scanQuoted(s, 0, at);
    const tail = s.slice(end).trim();
    if (tail !== '' && !tail.startsWith('#')) throw new PolicyFileError(at, 'unexpected text after the rule');
    return value;
  }
  if (s[0] === '[' || s[0] === '{' || s[0] === '|' || s[0] === '>') throw new PolicyFileError(at, 'only string rules are supported');
  // A plain scalar ends at " #" (comment).
  const hash = s.search(/\s#/);
  return (hash < 0 ? s : s.slice(0, hash)).trim();
}

/** A YAML quoted scalar starting at `start`; returns its value and the index after it. */
function scanQuoted(s: string, start: number, at: string): [string, number] {
  const q = s[start];
  let out = '';
  for (let i = start + 1; i < s.length; i++) {
    const c = s[i];
    if (q === "'") {
      if (c === "'") {
        if (s[i + 1] === "'") { out += "'"; i++; continue; }
        return [out, i + 1];
      }
      out += c;
      continue;
    }
    if (c === '"') return [out, i + 1];
    if (c === '\\') {
      const n = s[++i];
      const esc: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\', '/': '/', r: '\r', '0': '\0' };
      if (n === undefined || !(n in esc)) throw new PolicyFileError(at, `unsupported escape \\${n ?? ''}`);
      out += esc[n];
      continue;
    }
    out += c;
  }
  throw new PolicyFileError(at, 'unterminated quoted string');
}
