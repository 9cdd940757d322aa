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
  constructor(stmt: StatementSync) {
    this.#stmt = stmt;
    this.reader = stmt.columns().length > 0;
  }
  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.#stmt.all(...(parameters as Param[]));
  }
  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.#stmt.run(...(parameters as Param[]));
  }
  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.#stmt.iterate(...(parameters as Param[])) as IterableIterator<unknown>;
  }
}

export function openSqlite(path: string): SqliteDatabase {
  const db = new DatabaseSync(path, { timeout: 5000 });
  if (path !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode; only an OS crash can
  // lose the last commits, which is the trade SQLite's docs recommend for WAL.
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA busy_timeout = 5000');
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
