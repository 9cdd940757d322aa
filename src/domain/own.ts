// Look-ups keyed by request data (a path segment, a query parameter, a body
// attribute) must never reach Object.prototype: `constructor`, `__proto__` or
// `toString` are names a client may send, not members of our tables.

/** `table[key]` when `key` is the table's own entry, else undefined. */
export function own<T>(table: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return table !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}
