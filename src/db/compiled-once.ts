// Statements built and compiled once per dialect, then reused with new values. Kysely builds a
// tree of frozen nodes and compiles it on every call: for a sequential port create on MariaDB
// that was about a tenth of the API's CPU. The first call builds the statement with stand-ins
// for its arguments and learns where each lands among the compiled parameters; later calls put
// their own values there. Values still travel as parameters, never in the SQL text.
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** A compiled parameter: the index of the argument it came from, or a constant of the builder's own. */
type Slot = { arg: number } | { value: unknown };

interface Template { sql: string; slots: Slot[]; node: CompiledQuery['query']; queryId: CompiledQuery['queryId'] }

/**
 * `build` must depend on nothing but its database handle and its arguments, and use each
 * argument only as a value (compared, inserted, set: never inspected, computed with, or
 * spread as a list), so that the statement's text is the same whatever they are.
 */
export function compiledOnce<A extends unknown[]>(build: (q: Kysely<Database>, ...args: A) => Compilable): (q: Kysely<Database>, ...args: A) => CompiledQuery {
  const templates = new Map<string, Template>();
  return (q, ...args) => {
    const dialect = q.getExecutor().adapter.constructor.name;
    let t = templates.get(dialect);
    if (!t) {
      const standIns = args.map((_, i) => ({ standInFor: i }));
      const c = build(q, ...(standIns as unknown as A)).compile();
      const slots = c.parameters.map((p): Slot => {
        const i = standIns.indexOf(p as { standInFor: number });
        return i >= 0 ? { arg: i } : { value: p };
      });
      const used = new Set(slots.flatMap((s) => ('arg' in s ? [s.arg] : [])));
      if (used.size !== args.length) throw new Error(`compiledOnce: an argument is not a plain value of the statement (${c.sql.slice(0, 80)})`);
      t = { sql: c.sql, slots, node: c.query, queryId: c.queryId };
      templates.set(dialect, t);
    }
    // the first compile's node keeps the statement's kind visible to drivers (SQLite sends reads to its reader)
    return { query: t.node, queryId: t.queryId, sql: t.sql, parameters: t.slots.map((s) => ('arg' in s ? args[s.arg] : s.value)) };
  };
}
