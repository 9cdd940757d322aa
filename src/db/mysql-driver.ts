// Kysely's driver for MariaDB/MySQL over mysql2, with a transaction's statements pipelined:
// `begin` and the writes marked by sendLater (./send-later.ts) are held and go out in one
// multi-statement text query with the next statement someone awaits, or with the `commit`
// as one compound statement (BEGIN NOT ATOMIC … END: one answer instead of one per statement).
// A sequential port create is one round trip (docs/mariadb-path.md).
//
// Why this is safe: MariaDB runs the statements of one query, or of one compound statement, in
// order and stops at the first that fails (nothing after it runs, a `commit` included); the
// driver then reports that statement's error, mapped as its caller asked, and Kysely rolls the
// transaction back. Every value is still a `?` parameter escaped by mysql2, never text pasted
// into SQL.
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, type TransactionSettings } from 'kysely';
import type { Pool, PoolConnection, QueryError } from 'mysql2';
import { GuardsUnsupported, heldError, isGuard, laterMark, nestedInBlock, type MapError } from './send-later.ts';

/** Every pooled connection's session level (see ./transaction.ts for why READ COMMITTED). */
export const SESSION_LEVEL = 'read committed';

interface Held { sql: string; parameters: readonly unknown[]; mapError: MapError | null }

/** mysql2's answer to a multi-statement query: each statement's result, or the error and the index of the statement that failed. */
type Answer = { results: unknown[]; error: null } | { results: null; error: QueryError; failedAt: number };

function queryMany(raw: PoolConnection, sql: string, parameters: readonly unknown[], count: number): Promise<Answer> {
  return new Promise((resolve) => {
    // Held statements are writes (sendLater checks): each answers with one OK packet, for which
    // mysql2 emits 'result' (a result set emits none when a callback is given). The statement
    // that failed is the one after those answered.
    let answered = 0;
    const cmd = raw.query(sql, parameters as unknown[], (err, result) => {
      if (err) resolve({ results: null, error: err, failedAt: answered });
      else resolve({ results: count === 1 ? [result] : result as unknown as unknown[], error: null });
    });
    cmd.on('result', () => { answered++; });
  });
}

/**
 * A compound statement of up to this many parameters goes as a prepared statement, kept per
 * connection (mysql2's cache, bounded in ./connect.ts): MariaDB parses a block's text once per
 * connection instead of on every transaction, and values travel in the binary protocol
 * instead of escaped into the text. A sequential port create's block is ~45 parameters and
 * the same text every time; a large bulk's is neither, and goes as text.
 */
const PREPARED_MAX_PARAMS = 256;

/** Values the binary protocol carries as the text protocol would (no Date, Buffer or object). */
const plainValue = (v: unknown): boolean => v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** ER_MAX_PREPARED_STMT_COUNT_REACHED: the server's max_prepared_stmt_count is used up (by every client). */
const TOO_MANY_PREPARED = 1461;

/** A compound statement, prepared (and cached) when it can be, else as text. */
function executeBlock(raw: PoolConnection, sql: string, parameters: readonly unknown[]): Promise<Answer> {
  if (parameters.length > PREPARED_MAX_PARAMS || !parameters.every(plainValue)) return queryMany(raw, sql, parameters, 1);
  return new Promise((resolve) => {
    raw.execute(sql, parameters.map((v) => (v ?? null) as string | number | boolean | null), (err, result) => {
      // a failed prepare ran nothing: the block goes as text instead
      if (err?.errno === TOO_MANY_PREPARED) resolve(queryMany(raw, sql, parameters, 1));
      else if (err) resolve({ results: null, error: err, failedAt: 0 });
      else resolve({ results: [result], error: null });
    });
  });
}

/** Kysely's reading of a mysql2 result (its MysqlConnection's). */
function toQueryResult<R>(result: unknown): QueryResult<R> {
  if (Array.isArray(result)) return { rows: result as R[] };
  const ok = result as { insertId?: number | string; affectedRows?: number; changedRows?: number } | null;
  if (ok && typeof ok === 'object' && 'insertId' in ok && 'affectedRows' in ok) {
    return {
      insertId: ok.insertId !== undefined && ok.insertId !== null && ok.insertId.toString() !== '0' ? BigInt(ok.insertId) : undefined,
      numAffectedRows: ok.affectedRows !== undefined && ok.affectedRows !== null ? BigInt(ok.affectedRows) : undefined,
      numChangedRows: ok.changedRows !== undefined && ok.changedRows !== null ? BigInt(ok.changedRows) : undefined,
      rows: [],
    };
  }
  return { rows: [] };
}

export class PipelinedMysqlConnection implements DatabaseConnection {
  readonly raw: PoolConnection;
  /** `begin` (and a `set transaction`) of a transaction whose first round trip has not gone out. */
  #opening: string[] = [];
  /** Inside a transaction: writes not sent yet. null outside one (nothing is held there). */
  #held: Held[] | null = null;
  /** Compound statements (BEGIN NOT ATOMIC) are MariaDB's: MySQL gets the multi-statement form and no guards. */
  mariadb = true;

  constructor(raw: PoolConnection) {
    this.raw = raw;
  }

  begin(statements: string[]): void {
    this.#opening = statements;
    this.#held = [];
  }

  /** Ends the transaction: `commit` sent with what is still held, in one round trip; `rollback`
   *  drops what is held. Neither costs a round trip when the server never saw the transaction. */
  async end(how: 'commit' | 'rollback'): Promise<void> {
    const unsent = this.#opening.length > 0;
    try {
      if (how === 'rollback') this.#held = [];
      if (unsent && !this.#held?.length) return;
      if (how === 'commit' && this.mariadb && this.#held?.length && this.#opening.every((o) => o === 'begin')) await this.#commitAsBlock();
      else await this.#send(how, []);
    } finally {
      this.#opening = [];
      this.#held = null;
    }
  }

  /**
   * The held writes and the commit (and the `begin`, when not sent yet) as one compound
   * statement: MariaDB answers it with one OK packet where a multi-statement query answers
   * each statement with its own, each a write to the socket that wakes this process (on a
   * virtual machine the largest part of the server's work for a small transaction). A
   * statement that fails ends the block before the commit; `@muon_held`, set before each,
   * says which one it was (asked only then).
   */
  async #commitAsBlock(): Promise<void> {
    const held = this.#held!.splice(0);
    const lines = ['set @muon_held = -1', ...this.#opening.map(() => 'start transaction')];
    held.forEach((h, i) => lines.push(`set @muon_held = ${i}`, nestedInBlock(h.sql)));
    lines.push(`set @muon_held = ${held.length}`, 'commit');
    this.#opening = [];
    const a = await executeBlock(this.raw, `begin not atomic\n${lines.join('\n;\n')}\n;\nend`, held.flatMap((h) => h.parameters));
    if (!a.error) return;
    if (a.error.fatal) throw a.error;
    const which = await queryMany(this.raw, 'select @muon_held as i', [], 1);
    const i = which.error ? -1 : Number((which.results[0] as { i: unknown }[])[0]?.i);
    if (i >= 0 && i < held.length) throw await heldError(held[i].sql, held[i].mapError, a.error);
    throw a.error;
  }

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const mapError = laterMark(q);
    if (mapError !== undefined && !this.mariadb && isGuard(q.sql)) throw new GuardsUnsupported();
    if (this.#held && mapError !== undefined) {
      this.#held.push({ sql: q.sql, parameters: q.parameters, mapError });
      return { rows: [] };
    }
    return this.#send(q.sql, q.parameters);
  }

  async *streamQuery<R>(q: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    // not used inside transactions today; one result is what Kysely's stream() callers need
    yield await this.executeQuery<R>(q);
  }

  /** This statement's result, after what is held, all in one round trip. */
  async #send<R>(sql: string, parameters: readonly unknown[]): Promise<QueryResult<R>> {
    const opening = this.#opening;
    const held = this.#held?.splice(0) ?? [];
    this.#opening = [];
    if (!opening.length && !held.length) {
      const a = await queryMany(this.raw, sql, parameters, 1);
      if (a.error) throw a.error;
      return toQueryResult(a.results[0]);
    }
    // each `;` on a line of its own: a statement ending in a `--` comment cannot swallow it
    const text = [...opening, ...held.map((h) => h.sql), sql].join('\n;\n');
    const params = held.length ? [...held.flatMap((h) => h.parameters), ...parameters] : parameters;
    const a = await queryMany(this.raw, text, params, opening.length + held.length + 1);
    if (a.error) {
      const i = a.failedAt - opening.length;
      if (i >= 0 && i < held.length) throw await heldError(held[i].sql, held[i].mapError, a.error);
      throw a.error;
    }
    return toQueryResult(a.results[a.results.length - 1]);
  }
}

export class PipelinedMysqlDriver implements Driver {
  readonly #pool: Pool;
  readonly #sqlMode: string | null;
  readonly #connections = new WeakMap<PoolConnection, PipelinedMysqlConnection>();

  constructor(pool: Pool, sqlMode: string | null = null) {
    this.#pool = pool;
    this.#sqlMode = sqlMode;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const raw = await new Promise<PoolConnection>((resolve, reject) => this.#pool.getConnection((err, c) => (err ? reject(err) : resolve(c))));
    let c = this.#connections.get(raw);
    if (!c) {
      c = new PipelinedMysqlConnection(raw);
      this.#connections.set(raw, c);
      // The session's level is the one ./transaction.ts asks for, so a `begin` needs no
      // `set transaction` before it (one round trip less per transaction). sql_mode as oslo.db
      // sets it (TRADITIONAL: a value that does not fit is an error, never silently cut).
      try {
        const mode = this.#sqlMode === null ? [] : ['set session sql_mode = ?'];
        const a = await queryMany(raw, [...mode, `set session transaction isolation level ${SESSION_LEVEL}`, 'select version() as v'].join('; '),
          this.#sqlMode === null ? [] : [this.#sqlMode], mode.length + 2);
        if (a.error) throw a.error;
        c.mariadb = /mariadb/i.test(String((a.results[mode.length + 1] as { v?: unknown }[])[0]?.v ?? ''));
      } catch (e) {
        this.#connections.delete(raw);
        raw.release();
        throw e;
      }
    }
    return c;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const opening: string[] = [];
    if ((settings.isolationLevel && settings.isolationLevel !== SESSION_LEVEL) || settings.accessMode) {
      opening.push(`set transaction ${[settings.isolationLevel && `isolation level ${settings.isolationLevel}`, settings.accessMode].filter(Boolean).join(', ')}`);
    }
    opening.push('begin');
    (connection as PipelinedMysqlConnection).begin(opening);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PipelinedMysqlConnection).end('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PipelinedMysqlConnection).end('rollback');
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quote(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quote(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quote(name)}`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PipelinedMysqlConnection).raw.release();
  }

  async destroy(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.#pool.end((err) => (err ? reject(err) : resolve())));
  }
}

const quote = (name: string): string => `\`${name.replace(/`/g, '``')}\``;
