// Query helpers the snapshot builders share: id lists run in chunks (bound parameter limits),
// rows grouped by a key.
import { chunks } from '../db/standard-attrs.ts';

export async function byChunks<T>(ids: readonly string[], f: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (const c of chunks(ids)) out.push(...(await f(c)));
  return out;
}

export function group<T, K>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const i of items) {
    const l = m.get(key(i));
    if (l) l.push(i); else m.set(key(i), [i]);
  }
  return m;
}
