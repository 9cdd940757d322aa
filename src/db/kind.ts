import { MysqlAdapter, PostgresAdapter } from 'kysely';

export type DbKind = 'sqlite' | 'mysql' | 'postgres';

/** The dialect of a handle's connection (a transaction's too): for FOR UPDATE (not supported by
 *  SQLite, which serialises writers anyway) and MariaDB-only statements. */
export function kindOf(q: { getExecutor(): { adapter: unknown } }): DbKind {
  const adapter = q.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof MysqlAdapter) return 'mysql';
  return 'sqlite';
}
