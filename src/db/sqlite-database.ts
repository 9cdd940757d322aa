// Adapts node:sqlite (built into Node 24, no native addon to compile) to the
// SqliteDatabase shape Kysely's SqliteDialect drives. Prepared statements are
// cached by SQL text: Kysely prepares on every query and re-preparing is the
// largest per-query cost on SQLite.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

type Param = null | number | bigint | string | Uint8Array;

class CachedStatement implements SqliteStatement {
  readonly reader: boolean;
  readonly #stmt: StatementSync;
  #names: string[];
  constructor(stmt: StatementSync) {
    this.#stmt = stmt;
    this.#names = stmt.columns().map((c) => c.name);
    this.reader = this.#names.length > 0;
    // Rows as arrays, turned into plain objects here: node:sqlite's own row objects
    // have a null prototype and are several times slower to read field by field,
    // which dominated large list responses.
    if (this.reader) stmt.setReturnArrays(true);
  }
  all(parameters: ReadonlyArray<unknown>): unknown[] {
    const rows = this.#stmt.all(...(parameters as Param[])) as unknown as unknown[][];
    // SQLite re-prepares a statement whose tables changed (a migration added a column): a
    // `select *` cached before then returns more columns than the names read at prepare
    if (rows.length > 0 && rows[0].length !== this.#names.length) this.#names = this.#stmt.columns().map((c) => c.name);
    const names = this.#names;
    const n = names.length;
    const out = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      const o: Record<string, unknown> = {};
      for (let j = 0; j < n; j++) o[names[j]] = r[j];
      out[i] = o;
    }
    return out;
  }
  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.#stmt.run(...(parameters as Param[]));
  }
  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.all(parameters)[Symbol.iterator]();
  }
}

/** The writer connection (or the only one, in memory); `reader`: a second connection
 *  to the same file for plain SELECTs (src/db/sqlite-driver.ts), which may not write. */
export function openSqlite(path: string, opts: { reader?: boolean } = {}): SqliteDatabase {
  // The writer waits for other processes' write locks asynchronously (./sqlite-driver.ts);
  // a reader in WAL mode waits only while a WAL file is being recovered.
  const busyMs = opts.reader || path === ':memory:' ? 5000 : 0;
  // (5 s while opening: switching a new file to WAL needs a lock that a sibling may hold)
  const db = new DatabaseSync(path, { timeout: 5000 });
  if (opts.reader) db.exec('PRAGMA query_only = ON');
  else if (path !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode; only an OS crash can
  // lose the last commits, which is the trade SQLite's docs recommend for WAL.
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec(`PRAGMA busy_timeout = ${busyMs}`);
  const cache = new Map<string, CachedStatement>();
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      let s = cache.get(sql);
      if (!s) {
        s = new CachedStatement(db.prepare(sql));
        if (cache.size > 2000) cache.clear();
        cache.set(sql, s);
      }
      return s;
    },
  };
}
