// Kysely's MySQL dialect (adapter, compiler, introspector) with the project's own driver
// (./mysql-driver.ts): sessions in READ COMMITTED, transactions pipelined.
import { MysqlAdapter, MysqlIntrospector, MysqlQueryCompiler, type Dialect, type Kysely } from 'kysely';
import type { Pool } from 'mysql2';
import { PipelinedMysqlDriver } from './mysql-driver.ts';

export function mysqlDialect(pool: Pool): Dialect {
  return {
    createAdapter: () => new MysqlAdapter(),
    createDriver: () => new PipelinedMysqlDriver(pool),
    createQueryCompiler: () => new MysqlQueryCompiler(),
    createIntrospector: (db: Kysely<unknown>) => new MysqlIntrospector(db),
  };
}
