// Turns an option's text into its typed value, as oslo.config's types do, with
// messages that say what is allowed and suggest the nearest valid name.
import { isIP } from 'node:net';
import { closest } from './did-you-mean.ts';
import type { Choices, OptionSpec, OptionValue } from './option-spec.ts';

/** A bad value; the loader adds file, line, section and option to the message. */
export class ValueProblem extends Error {}

export interface Parsed { value: OptionValue; warnings: string[] }

const TRUE = ['true', 'yes', 'on', '1'];
const FALSE = ['false', 'no', 'off', '0'];

export function parseValue(spec: OptionSpec, text: string): Parsed {
  const warnings: string[] = [];
  const value = convert(spec, text.trim(), warnings);
  const problem = spec.check?.(value);
  if (problem) throw new ValueProblem(problem);
  const warning = spec.warnIf?.(value);
  if (warning) warnings.push(warning);
  return { value, warnings };
}

function convert(spec: OptionSpec, text: string, warnings: string[]): OptionValue {
  const t = spec.type;
  switch (t.kind) {
    case 'string':
      return t.choices && text !== '' ? resolveChoice(t.choices, text, warnings) : text;
    case 'enum': {
      if (text === '') return spec.default; // an empty template value means "not set"
      if (t.values.includes(text)) return text;
      const s = closest(text, t.values);
      throw new ValueProblem(`'${text}' is not a valid value${suggest(s)} Allowed: ${t.values.join(', ')}`);
    }
    case 'bool': {
      const l = text.toLowerCase();
      if (TRUE.includes(l)) return true;
      if (FALSE.includes(l)) return false;
      const s = closest(l, ['true', 'false']);
      throw new ValueProblem(`'${text}' is not a boolean${suggest(s)} Allowed: true, false (also yes/no, on/off, 1/0, any case)`);
    }
    case 'int': {
      if (text === '') return spec.default; // oslo: an empty integer means "not set"
      const word = t.words?.[text.toLowerCase()];
      if (word !== undefined) return word;
      if (!/^[+-]?\d+$/.test(text)) throw new ValueProblem(`'${text}' is not an integer${rangeText(t.min, t.max, '; allowed: ')}`);
      return inRange(Number(text), text, t.min, t.max);
    }
    case 'float': {
      if (text === '') return spec.default;
      const n = Number(text);
      if (!Number.isFinite(n)) throw new ValueProblem(`'${text}' is not a number${rangeText(t.min, t.max, '; allowed: ')}`);
      return inRange(n, text, t.min, t.max);
    }
    case 'ip':
      if (text === '') return spec.default;
      if (isIP(text) === 0) throw new ValueProblem(`'${text}' is not an IP address (IPv4 such as 192.168.81.66, or IPv6)`);
      return text;
    case 'list':
      return splitList(text).map((item) => (t.choices ? resolveChoice(t.choices, item, warnings) : item));
    case 'dict': {
      const out: Record<string, string> = {};
      for (const item of splitList(text)) {
        const at = item.indexOf(':');
        if (at <= 0) throw new ValueProblem(`'${item}' is not a key:value pair (expected key:value,key:value)`);
        out[item.slice(0, at).trim()] = item.slice(at + 1).trim();
      }
      return out;
    }
  }
}

/** oslo List: comma separated, each item trimmed; empty items (a trailing comma) dropped. */
export function splitList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function resolveChoice(ch: Choices, value: string, warnings: string[]): string {
  if (ch.supported.includes(value)) return value;
  const alias = ch.aliases?.[value];
  if (alias !== undefined) return alias;
  const allowed = ` ${ch.onUnknown === 'warn' ? 'Known' : 'Allowed'}: ${ch.supported.join(', ')}`;
  const why = ch.unsupported?.[value];
  let msg: string;
  if (why !== undefined) {
    msg = `'${value}' is ${article(ch.noun)} ${ch.noun} Muon does not support (${why}).${allowed}`;
  } else {
    const s = closest(value, [...ch.supported, ...Object.keys(ch.aliases ?? {})]);
    const adjective = ch.onUnknown === 'warn' ? 'known' : 'supported';
    // For values Muon ignores, the suggestion is enough; the full list is only noise.
    const list = ch.onUnknown === 'warn' && s ? '' : allowed;
    msg = `'${value}' is not ${article(adjective)} ${adjective} ${ch.noun}${suggest(s)}${list}`;
  }
  if (ch.onUnknown !== 'warn') throw new ValueProblem(msg);
  warnings.push(ch.note ? `${msg}${msg.endsWith('?') ? '' : '.'} ${ch.note}` : msg);
  return value;
}

function inRange(n: number, text: string, min?: number, max?: number): number {
  if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
    throw new ValueProblem(`'${text}' is out of range${rangeText(min, max, ': must be ')}`);
  }
  return n;
}

function rangeText(min: number | undefined, max: number | undefined, lead: string): string {
  if (min !== undefined && max !== undefined) return `${lead}between ${min} and ${max}`;
  if (min !== undefined) return `${lead}at least ${min}`;
  if (max !== undefined) return `${lead}at most ${max}`;
  return '';
}

function suggest(s: string | null): string {
  return s ? `; did you mean '${s}'?` : '.';
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}
