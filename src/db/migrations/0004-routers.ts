// Routers (with their ports, extra routes), floating IPs and their port forwardings.
import type { Kysely } from 'kysely';
import type { DbKind } from '../kind.ts';
import { tableBuilder, withStandardColumns } from './table-builders.ts';

export const name = '0004-routers';

export async function up(db: Kysely<any>, kind: DbKind): Promise<void> {
  const table = tableBuilder(db, kind);
  const std = withStandardColumns;

  await std(table('routers')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('admin_state_up', 'integer', (c) => c.notNull())
    .addColumn('gw_port_id', 'varchar(36)')
    .addColumn('gw_network_id', 'varchar(36)')
    .addColumn('enable_snat', 'integer', (c) => c.notNull())
    .addColumn('distributed', 'integer', (c) => c.notNull())
    .addColumn('ha', 'integer', (c) => c.notNull())
    .addColumn('availability_zone_hints', 'varchar(255)', (c) => c.notNull())).execute();
  await db.schema.createIndex('routers_project_id').on('routers').column('project_id').execute();
  await db.schema.createIndex('routers_gw_network_id').on('routers').column('gw_network_id').execute();

  // Neutron's routerports: which ports a router owns (gateway and interfaces).
  await table('router_ports')
    .addColumn('port_id', 'varchar(36)', (c) => c.primaryKey().references('ports.id').onDelete('cascade'))
    .addColumn('router_id', 'varchar(36)', (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('port_type', 'varchar(255)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('router_ports_router_id').on('router_ports').column('router_id').execute();

  await table('router_routes')
    .addColumn('router_id', 'varchar(36)', (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('destination', 'varchar(64)', (c) => c.notNull())
    .addColumn('nexthop', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('router_routes_pk', ['router_id', 'destination', 'nexthop'])
    .execute();

  await std(table('floatingips')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('floating_network_id', 'varchar(36)', (c) => c.notNull().references('networks.id'))
    .addColumn('floating_port_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('floating_ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('fixed_port_id', 'varchar(36)')
    .addColumn('fixed_ip_address', 'varchar(64)')
    .addColumn('router_id', 'varchar(36)')
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    // One floating IP per fixed address per external network (Neutron's unique key); NULLs never collide.
    .addUniqueConstraint('floatingips_network_fixed', ['floating_network_id', 'fixed_port_id', 'fixed_ip_address'])).execute();
  await db.schema.createIndex('floatingips_project_id').on('floatingips').column('project_id').execute();
  await db.schema.createIndex('floatingips_fixed_port_id').on('floatingips').column('fixed_port_id').execute();
  await db.schema.createIndex('floatingips_router_id').on('floatingips').column('router_id').execute();

  await table('port_forwardings')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('floatingip_id', 'varchar(36)', (c) => c.notNull().references('floatingips.id').onDelete('cascade'))
    .addColumn('internal_port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('internal_ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('protocol', 'varchar(16)', (c) => c.notNull())
    .addColumn('external_port_start', 'integer', (c) => c.notNull())
    .addColumn('external_port_end', 'integer', (c) => c.notNull())
    .addColumn('internal_port_start', 'integer', (c) => c.notNull())
    .addColumn('internal_port_end', 'integer', (c) => c.notNull())
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addUniqueConstraint('port_forwardings_external', ['floatingip_id', 'protocol', 'external_port_start'])
    .execute();
  await db.schema.createIndex('port_forwardings_internal_port_id').on('port_forwardings').column('internal_port_id').execute();
}
