// Per-project quota limits (rows only where a project differs from the defaults),
// and named lock rows (see db/locks.ts) that serialise check-then-insert sequences
// — quota checks, tenant segment allocation — on MySQL/PostgreSQL.
import type { Kysely } from 'kysely';
import type { DbKind } from '../kind.ts';
import { tableBuilder } from './table-builders.ts';

export const name = '0002-quotas';

export async function up(db: Kysely<any>, kind: DbKind): Promise<void> {
  const table = tableBuilder(db, kind);
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
