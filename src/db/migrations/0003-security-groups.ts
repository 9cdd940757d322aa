// Security groups, their rules, the per-project default group and address groups.
import type { Kysely } from 'kysely';
import type { DbKind } from '../kind.ts';
import { tableBuilder, withStandardColumns } from './table-builders.ts';

export const name = '0003-security-groups';

export async function up(db: Kysely<any>, kind: DbKind): Promise<void> {
  const table = tableBuilder(db, kind);
  const std = withStandardColumns;

  await std(table('security_groups')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('stateful', 'integer', (c) => c.notNull())).execute();
  await db.schema.createIndex('security_groups_project_id').on('security_groups').column('project_id').execute();

  // One default group per project: the primary key makes its lazy creation race-safe
  // (Neutron's default_security_group table).
  await table('default_security_groups')
    .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().unique().references('security_groups.id').onDelete('cascade'))
    .execute();

  await std(table('address_groups')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())).execute();
  await db.schema.createIndex('address_groups_project_id').on('address_groups').column('project_id').execute();
  await table('address_group_addresses')
    .addColumn('address_group_id', 'varchar(36)', (c) => c.notNull().references('address_groups.id').onDelete('cascade'))
    .addColumn('address', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('address_group_addresses_pk', ['address_group_id', 'address'])
    .execute();

  // seq is Neutron's standard_attr_id (shown in the group's embedded rules). Rules made
  // with the group have a NULL description, as Zed shows them.
  await table('security_group_rules')
    .addColumn('seq', kind === 'postgres' ? 'serial' : 'integer', (c) => (kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('id', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().references('security_groups.id').onDelete('cascade'))
    .addColumn('remote_group_id', 'varchar(36)', (c) => c.references('security_groups.id').onDelete('cascade'))
    .addColumn('remote_address_group_id', 'varchar(36)', (c) => c.references('address_groups.id').onDelete('cascade'))
    .addColumn('direction', 'varchar(16)', (c) => c.notNull())
    .addColumn('ethertype', 'varchar(40)', (c) => c.notNull())
    .addColumn('protocol', 'varchar(40)')
    .addColumn('port_range_min', 'integer')
    .addColumn('port_range_max', 'integer')
    .addColumn('remote_ip_prefix', 'varchar(255)')
    .addColumn('description', 'varchar(255)')
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(20)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(20)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('security_group_rules_sg').on('security_group_rules').column('security_group_id').execute();
  await db.schema.createIndex('security_group_rules_remote_sg').on('security_group_rules').column('remote_group_id').execute();
  await db.schema.createIndex('security_group_rules_remote_ag').on('security_group_rules').column('remote_address_group_id').execute();
  await db.schema.createIndex('security_group_rules_project_id').on('security_group_rules').column('project_id').execute();
}
