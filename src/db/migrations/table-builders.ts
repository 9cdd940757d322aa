// What every migration builds tables with. Kept deliberately stable: a change here
// changes how already-released migrations create tables on a fresh database.
import { sql, type Kysely, type CreateTableBuilder } from 'kysely';
import type { DbKind } from '../kind.ts';

/** CREATE TABLE; on MySQL/MariaDB with exact (binary) comparisons, so filters and
 *  unique keys behave as on SQLite and PostgreSQL. */
export function tableBuilder(db: Kysely<any>, kind: DbKind): (name: string) => CreateTableBuilder<string, never> {
  return (name) => {
    let b = db.schema.createTable(name) as CreateTableBuilder<string, never>;
    if (kind === 'mysql') b = b.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    return b;
  };
}

/** Neutron's standard attributes: description, revision_number, created_at, updated_at. */
export function withStandardColumns<T extends string>(b: CreateTableBuilder<T, never>): CreateTableBuilder<T, never> {
  return b.addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(20)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(20)', (c) => c.notNull());
}
