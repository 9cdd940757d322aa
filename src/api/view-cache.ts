// Rendered JSON of objects, keyed by id and revision_number. Neutron bumps an
// object's revision on every change to it or to its dependent rows, so (id,
// revision) names one exact view: a list reads only ids and revisions from the
// database and renders just the objects that changed since they were last shown.
// `variant` separates views shaped differently for different callers (hidden
// attributes). Bounded: the least recently stored entries are dropped first.
// Views are kept as UTF-8 bytes: a list of thousands is then one copy into the reply
// (Buffer.concat), where strings were joined and then encoded again for every reply.
export interface ViewCache {
  get(id: string, revision: number, variant: string): Buffer | undefined;
  set(id: string, revision: number, variant: string, json: Buffer): void;
  readonly size: number;
}

export function createViewCache(maxEntries = 50_000): ViewCache {
  const entries = new Map<string, { revision: number; json: Buffer }>();
  return {
    get(id, revision, variant) {
      const e = entries.get(`${variant}|${id}`);
      return e && e.revision === revision ? e.json : undefined;
    },
    set(id, revision, variant, json) {
      const key = `${variant}|${id}`;
      entries.delete(key); // re-insert: Map order is the eviction order
      entries.set(key, { revision, json });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    get size() { return entries.size; },
  };
}
