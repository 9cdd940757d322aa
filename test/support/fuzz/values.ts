// Seeded randomness and the raw material of the fuzz test: hostile strings,
// numbers, keys named like JavaScript built-ins, deep nesting, random JSON.

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  /** One of `choices` by weight. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    let r = this.next() * choices.reduce((s, [w]) => s + w, 0);
    for (const [w, v] of choices) { if ((r -= w) < 0) return v; }
    return choices[choices.length - 1][1];
  }
  hex(n: number): string { let s = ''; for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(16)]; return s; }
  uuid(): string { return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}`; }
}

/** Names that live on Object.prototype (or are special to it): data must never reach them. */
export const BUILTIN_NAMES = [
  'constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable',
  'toLocaleString', '__defineGetter__', '__lookupSetter__', 'prototype', 'length', 'then', 'call', 'apply', 'bind', 'name',
] as const;

export const NASTY_STRINGS = [
  '', ' ', '%', '%%', '%E0%A4%A', '%zz', '\u0000', '\t\n', 'a'.repeat(300), 'ü', '💥', '\ud800', "'", '"', '\\', '../..', '/',
  'null', 'None', 'True', 'true', 'false', '-1', '0', '1.5', '1e309', 'NaN', 'Infinity', '99999999999999999999999',
  '-9223372036854775809', '18446744073709551616', '0x10', '10.0.0.0/8', '10.0.0.300', '::1', '::/0', 'fe80::/64', '0.0.0.0/0',
  'fa:16:3e:00:00:01', 'IPv4', 'IPv6', 'ingress', 'egress', 'tcp', 'icmp', '256', 'vxlan', 'flat', 'public',
  '00000000-0000-0000-0000-000000000000', 'not-a-uuid', '<script>', '${x}', 'DROP TABLE networks;--', 'revision_number=1',
  ...BUILTIN_NAMES,
];

export const NASTY_NUMBERS = [0, -1, 1, 2, 4, 6, 31, 32, 65535, 65536, 2 ** 31, 2 ** 32, 2 ** 53 + 2, 2 ** 64, 1e308, -1e308, 0.5, -0, 4094, 4095, 9000];

/** Marks a spot to be replaced, in the JSON text, by `n` levels of nesting (JSON.stringify cannot build them: it recurses). */
export const deepMarker = (n: number, open: '[' | '{') => `\u0001DEEP:${n}:${open}\u0001`;

/** Replaces deep markers with their nesting and BIG markers with integers beyond 2^63. */
export function expandMarkers(json: string): string {
  return json
    .replace(/"\\u0001DEEP:(\d+):([[{])\\u0001"/g, (_, n: string, open: string) => {
      const k = Number(n);
      return open === '[' ? '['.repeat(k) + ']'.repeat(k) : '{"a":'.repeat(k) + '1' + '}'.repeat(k);
    })
    .replace(/"\\u0001BIG:(-?\d+)\\u0001"/g, (_, digits: string) => digits);
}
/** An integer the JSON text carries exactly, beyond what a double holds. */
export const bigMarker = (digits: string) => `\u0001BIG:${digits}\u0001`;
export const BIG_INTEGERS = ['9223372036854775808', '-9223372036854775809', '18446744073709551616', '123456789012345678901234567890'];

export function randomString(rng: Rng): string {
  return rng.weighted<() => string>([
    [6, () => rng.pick(NASTY_STRINGS)],
    [2, () => `fz-${rng.hex(rng.int(12))}`],
    [1, () => String.fromCharCode(...Array.from({ length: 1 + rng.int(8) }, () => rng.int(0x3000)))],
    [1, () => rng.uuid()],
  ])();
}

/** Any JSON value, occasionally deep or huge. */
export function randomValue(rng: Rng, depth = 0): unknown {
  return rng.weighted<() => unknown>([
    [4, () => randomString(rng)],
    [3, () => rng.pick(NASTY_NUMBERS)],
    [1, () => bigMarker(rng.pick(BIG_INTEGERS))],
    [2, () => rng.chance(0.5)],
    [2, () => null],
    [depth < 3 ? 2 : 0, () => Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1))],
    [depth < 3 ? 2 : 0, () => randomObject(rng, depth + 1)],
    [0.3, () => deepMarker(rng.pick([50, 500, 5000, 20000]), rng.pick(['[', '{'] as const))],
  ])();
}

export function randomObject(rng: Rng, depth = 0): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = rng.int(4);
  for (let i = 0; i < n; i++) setOwn(o, rng.chance(0.4) ? rng.pick(BUILTIN_NAMES) : randomString(rng), randomValue(rng, depth + 1));
  return o;
}

/** An own, enumerable key even for `__proto__` (plain assignment would set the prototype instead). */
export function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** The JSON text of `v`, markers expanded. */
export function toJsonText(v: unknown): string {
  return expandMarkers(JSON.stringify(v));
}
