// Kysely driver for SQLite with two connections to one file: a writer, taken by one
// transaction (or one write outside a transaction) at a time, and a reader for plain
// SELECTs. node:sqlite is synchronous but a transaction spans awaits; with a single
// connection every other request's query waited behind the open transaction (a bulk
// create held them for seconds). In WAL mode the reader sees only committed rows, so
// reads proceed during a transaction and still see none of it until it commits.
// An in-memory database cannot be shared between connections: it runs on the writer alone.
//
// Several processes on one file (api_workers, src/cli/server-workers.ts): a transaction begins
// IMMEDIATE, taking SQLite's write lock before its first read, so its reads are as fresh as its
// writes (the check-then-insert sequences that need no lock on one writer stay safe across
// processes). The writer connection has no busy timeout: node:sqlite would wait for another
// process's lock synchronously, stalling this event loop; a busy writer is retried here after
// an asynchronous, jittered pause instead.
import {
  CompiledQuery, SelectQueryNode, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
  type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryResult, type SqliteDatabase,
} from 'kysely';

function run(db: SqliteDatabase, q: CompiledQuery): QueryResult<unknown> {
  const stmt = db.prepare(q.sql);
  if (stmt.reader) return { rows: stmt.all(q.parameters) as unknown[] };
  const { changes, lastInsertRowid } = stmt.run(q.parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

/** SQLITE_BUSY: another process holds the write lock (primary result code 5). */
const isBusy = (e: unknown): boolean => ((e as { errcode?: number })?.errcode ?? 0) % 256 === 5;
/** how long a writer waits for another process's write lock before giving up (as busy_timeout did) */
const BUSY_WAIT_MS = 10_000;

/** run(writer, q), retried while another process holds the write lock. */
async function runWhenFree(db: SqliteDatabase, q: CompiledQuery): Promise<QueryResult<unknown>> {
  const start = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return run(db, q);
    } catch (e) {
      if (!isBusy(e) || Date.now() - start > BUSY_WAIT_MS) throw e;
      // a write transaction lasts milliseconds: poll soon, then back off (at most 20 ms)
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(20, 1 + attempt)));
    }
  }
}

/** One waiter at a time, in arrival order. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  async lock(): Promise<() => void> {
    let release!: () => void;
    const prev = this.#tail;
    this.#tail = new Promise<void>((r) => { release = r; });
    await prev;
    return release;
  }
}

class Connection implements DatabaseConnection {
  /** Set while this connection holds the writer (inside a transaction). */
  release: (() => void) | null = null;
  readonly #driver: TwoConnectionDriver;
  constructor(driver: TwoConnectionDriver) { this.#driver = driver; }

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const d = this.#driver;
    if (this.release) return run(d.writer, q) as QueryResult<R>;
    if (d.reader && SelectQueryNode.is(q.query)) return run(d.reader, q) as QueryResult<R>;
    const release = await d.writerLock.lock();
    try { return await runWhenFree(d.writer, q) as QueryResult<R>; } finally { release(); }
  }

  async *streamQuery<R>(q: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    yield await this.executeQuery<R>(q);
  }
}

class TwoConnectionDriver implements Driver {
  readonly writer: SqliteDatabase;
  readonly reader: SqliteDatabase | null;
  readonly writerLock = new Mutex();
  constructor(writer: SqliteDatabase, reader: SqliteDatabase | null) {
    this.writer = writer;
    this.reader = reader;
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> { return new Connection(this); }
  async beginTransaction(c: Connection): Promise<void> {
    const release = await this.writerLock.lock();
    try {
      await runWhenFree(this.writer, CompiledQuery.raw('begin immediate'));
    } catch (e) {
      release();
      throw e;
    }
    c.release = release;
  }
  async commitTransaction(c: Connection): Promise<void> { await c.executeQuery(CompiledQuery.raw('commit')); }
  async rollbackTransaction(c: Connection): Promise<void> { await c.executeQuery(CompiledQuery.raw('rollback')); }
  async savepoint(c: Connection, name: string): Promise<void> { await c.executeQuery(CompiledQuery.raw(`savepoint ${quote(name)}`)); }
  async rollbackToSavepoint(c: Connection, name: string): Promise<void> { await c.executeQuery(CompiledQuery.raw(`rollback to ${quote(name)}`)); }
  async releaseSavepoint(c: Connection, name: string): Promise<void> { await c.executeQuery(CompiledQuery.raw(`release ${quote(name)}`)); }
  /** Kysely calls this after commit or rollback (and after a single query): the writer is free again. */
  async releaseConnection(c: Connection): Promise<void> {
    const release = c.release;
    c.release = null;
    release?.();
  }
  async destroy(): Promise<void> {
    this.reader?.close();
    this.writer.close();
  }
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export function sqliteDialect(writer: SqliteDatabase, reader: SqliteDatabase | null): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new TwoConnectionDriver(writer, reader),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createIntrospector: (db: Kysely<any>) => new SqliteIntrospector(db),
  };
}
