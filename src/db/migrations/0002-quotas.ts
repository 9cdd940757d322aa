// Per-project quota limits (rows only where a project differs from the defaults),
// and named lock rows (see db/locks.ts) that serialise check-then-insert sequences
// — quota checks, tenant segment allocation — on MySQL/PostgreSQL.
import { sql, type Kysely, type CreateTableBuilder } from 'kysely';
import type { DbKind } from '../kind.ts';

export const name = '0002-quotas';

export async function up(db: Kysely<any>, kind: DbKind): Promise<void> {
  const table = (t: string) => {
    let b = db.schema.createTable(t) as CreateTableBuilder<string, never>;
    if (kind === 'mysql') b = b.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    return b;
  };
  await table('quotas')
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('resource', 'varchar(255)', (c) => c.notNull())
    .addColumn('quota_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'resource'])
    .execute();
  await table('locks')
    .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
    .execute();
}
