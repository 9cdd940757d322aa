// Multi-row INSERTs with the statement text compiled once per shape (dialect, table,
// columns, row count). Kysely builds and compiles a node per value: for a 10,000-port bulk
// create that was a quarter of the time its transaction held SQLite's write lock (and of
// the event loop). The values still go as parameters, in the order Kysely's text expects.
import { CompiledQuery, type Insertable, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { sendLater, type MapError } from './send-later.ts';

const texts = new Map<string, string>();

export async function insertRows<T extends keyof Database & string>(q: Kysely<Database>, table: T, rows: readonly Insertable<Database[T]>[]): Promise<void> {
  const query = insertRowsQuery(q, table, rows);
  if (query) await q.executeQuery(query);
}

/** insertRows, sent with the transaction's next round trip on MariaDB (./send-later.ts). */
export async function insertRowsLater<T extends keyof Database & string>(
  q: Kysely<Database>, table: T, rows: readonly Insertable<Database[T]>[], mapError?: MapError,
): Promise<void> {
  const query = insertRowsQuery(q, table, rows);
  if (query) await sendLater(q, query, mapError);
}

/** insertRows' statement, to run later or elsewhere (./send-later.ts); null for no rows. */
export function insertRowsQuery<T extends keyof Database & string>(q: Kysely<Database>, table: T, rows: readonly Insertable<Database[T]>[]): CompiledQuery | null {
  if (!rows.length) return null;
  const columns = Object.keys(rows[0]);
  const params: unknown[] = [];
  for (const row of rows) {
    const r = row as Record<string, unknown>;
    // Kysely leaves an undefined value out (the column's default): only uniform rows take the shortcut
    if (Object.keys(r).length !== columns.length) return q.insertInto(table).values(rows as never).compile();
    for (const c of columns) {
      const v = r[c];
      if (v === undefined || !(c in r)) return q.insertInto(table).values(rows as never).compile();
      params.push(v);
    }
  }
  const key = `${q.getExecutor().adapter.constructor.name} ${table} ${columns.join(',')} ${rows.length}`;
  let text = texts.get(key);
  if (text === undefined) {
    text = q.insertInto(table).values(rows as never).compile().sql;
    if (texts.size > 1000) texts.clear();
    texts.set(key, text);
  }
  return CompiledQuery.raw(text, params);
}
