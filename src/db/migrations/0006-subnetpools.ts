// Address scopes, subnet pools and their prefixes; subnets are looked up by pool
// (allocation, "in use") so subnets.subnetpool_id gets an index.
import type { Kysely } from 'kysely';
import type { DbKind } from '../kind.ts';
import { tableBuilder } from './table-builders.ts';

export const name = '0006-subnetpools';

export async function up(db: Kysely<any>, kind: DbKind): Promise<void> {
  const table = tableBuilder(db, kind);

  // Neutron's address scopes carry no standard attributes (no description, tags, revision).
  await table('address_scopes')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('shared', 'integer', (c) => c.notNull())
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('address_scopes_project_id').on('address_scopes').column('project_id').execute();

  await table('subnetpools')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('default_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('min_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('max_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('shared', 'integer', (c) => c.notNull())
    .addColumn('is_default', 'integer', (c) => c.notNull())
    .addColumn('default_quota', 'integer')
    .addColumn('address_scope_id', 'varchar(36)')
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(20)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(20)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('subnetpools_project_id').on('subnetpools').column('project_id').execute();
  await db.schema.createIndex('subnetpools_address_scope_id').on('subnetpools').column('address_scope_id').execute();

  await table('subnetpool_prefixes')
    .addColumn('subnetpool_id', 'varchar(36)', (c) => c.notNull().references('subnetpools.id').onDelete('cascade'))
    .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('subnetpool_prefixes_pk', ['subnetpool_id', 'cidr'])
    .execute();

  await db.schema.createIndex('subnets_subnetpool_id').on('subnets').column('subnetpool_id').execute();
}
