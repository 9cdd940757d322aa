// One query layer, three backends: the [database] connection URL picks the dialect.
import { Kysely, PostgresDialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createPool } from 'mysql2';
import pg from 'pg';
import { parseDbUrl } from './connection-url.ts';
import { mysqlDialect } from './mysql-dialect.ts';
import { openSqlite } from './sqlite-database.ts';
import { sqliteDialect } from './sqlite-driver.ts';
import type { Database } from './schema.ts';
import type { DbKind } from './kind.ts';

export interface Db {
  db: Kysely<Database>;
  kind: DbKind;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Connections kept open ([database] max_pool_size; 0: no limit). */
  poolSize?: number;
  /** Connections beyond poolSize under load, closed when idle ([database] max_overflow). */
  overflow?: number;
  /** MariaDB/MySQL sessions' sql_mode ([database] mysql_sql_mode); null: the server's own. */
  sqlMode?: string | null;
  baseDir?: string;
}

export function connect(url: string, opts: ConnectOptions = {}): Db {
  const u = parseDbUrl(url, opts.baseDir);
  const poolSize = opts.poolSize ?? 10;
  // oslo.db's pool_size 0 is "no limit" (mysql2 spells it 0, pg-pool Infinity)
  const most = poolSize === 0 ? 0 : poolSize + (opts.overflow ?? 0);
  let db: Kysely<Database>;
  if (u.kind === 'sqlite') {
    if (u.path !== ':memory:') mkdirSync(dirname(u.path), { recursive: true });
    const writer = openSqlite(u.path);
    // The writer made the file WAL, so the reader sees committed rows only, never blocked by a writer.
    const reader = u.path === ':memory:' ? null : openSqlite(u.path, { reader: true });
    db = new Kysely<Database>({ dialect: sqliteDialect(writer, reader) });
  } else if (u.kind === 'mysql') {
    const pool = createPool({
      host: u.host, port: u.port, user: u.user, password: u.password, database: u.database,
      ...(u.socketPath ? { socketPath: u.socketPath } : {}),
      connectionLimit: most, ...(poolSize ? { maxIdle: poolSize } : {}), charset: 'utf8mb4', supportBigNumbers: true, bigNumberStrings: false,
      // Several statements per query: the driver pipelines a transaction's writes
      // (./mysql-driver.ts). PyMySQL, Neutron's driver, enables this by default too.
      multipleStatements: true,
      // A transaction's closing block is a prepared statement when small (./mysql-driver.ts): a
      // few texts recur. Bounded per connection (the least used is closed) because the server's
      // max_prepared_stmt_count (16382 by default) is shared by every client.
      maxPreparedStatements: 32,
    });
    db = new Kysely<Database>({ dialect: mysqlDialect(pool, opts.sqlMode ?? null) });
  } else {
    // COUNT() and bigint come back as strings from pg; int8 here never exceeds 2^53.
    pg.types.setTypeParser(20, (v: string) => Number(v));
    const pool = new pg.Pool({ host: u.host, port: u.port, user: u.user, password: u.password, database: u.database, max: most || Infinity });
    // An idle pooled connection that the server closes (restart, failover, admin
    // termination) emits 'error' on the pool; unhandled, it would crash the process.
    // The pool drops that client and the next query opens a new one.
    pool.on('error', () => {});
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  return { db, kind: u.kind, close: () => db.destroy() };
}
