// Kysely's MySQL dialect (adapter, compiler, introspector) with the project's own driver
// (./mysql-driver.ts): sessions in READ COMMITTED, transactions pipelined.
import { MysqlAdapter, MysqlIntrospector, MysqlQueryCompiler, type Dialect, type Kysely } from 'kysely';
import type { Pool } from 'mysql2';
import { PipelinedMysqlDriver } from './mysql-driver.ts';

/** `sqlMode`: every session's sql_mode (oslo.db sets TRADITIONAL); null leaves the server's. */
export function mysqlDialect(pool: Pool, sqlMode: string | null = null): Dialect {
  return {
    createAdapter: () => new MysqlAdapter(),
    createDriver: () => new PipelinedMysqlDriver(pool, sqlMode),
    createQueryCompiler: () => new MysqlQueryCompiler(),
    createIntrospector: (db: Kysely<unknown>) => new MysqlIntrospector(db),
  };
}
