// Networks, subnets (with IPAM tables), ports and their extension tables.
import type { Kysely } from 'kysely';
import type { DbKind } from '../kind.ts';
import { tableBuilder, withStandardColumns } from './table-builders.ts';

export const name = '0001-initial';

export async function up(db: Kysely<any>, kind: DbKind): Promise<void> {
  const table = tableBuilder(db, kind);
  const std = withStandardColumns;

  await std(table('networks')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('admin_state_up', 'integer', (c) => c.notNull())
    .addColumn('shared', 'integer', (c) => c.notNull())
    .addColumn('router_external', 'integer', (c) => c.notNull())
    .addColumn('mtu', 'integer', (c) => c.notNull())
    .addColumn('port_security_enabled', 'integer', (c) => c.notNull())
    .addColumn('availability_zone_hints', 'varchar(255)', (c) => c.notNull())
    .addColumn('dns_domain', 'varchar(255)', (c) => c.notNull())
    .addColumn('vlan_transparent', 'integer')).execute();
  await db.schema.createIndex('networks_project_id').on('networks').column('project_id').execute();

  await table('network_segments')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('physical_network', 'varchar(64)')
    .addColumn('segmentation_id', 'integer')
    .addColumn('segment_index', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('network_segments_network_id').on('network_segments').column('network_id').execute();

  await table('segment_allocations')
    .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('physical_network', 'varchar(64)', (c) => c.notNull())
    .addColumn('segmentation_id', 'integer', (c) => c.notNull())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('segment_allocations_pk', ['network_type', 'physical_network', 'segmentation_id'])
    .execute();

  await std(table('subnets')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
    .addColumn('gateway_ip', 'varchar(64)')
    .addColumn('enable_dhcp', 'integer', (c) => c.notNull())
    .addColumn('ipv6_ra_mode', 'varchar(16)')
    .addColumn('ipv6_address_mode', 'varchar(16)')
    .addColumn('subnetpool_id', 'varchar(36)')
    .addColumn('segment_id', 'varchar(36)')).execute();
  await db.schema.createIndex('subnets_network_id').on('subnets').column('network_id').execute();
  await db.schema.createIndex('subnets_project_id').on('subnets').column('project_id').execute();

  await table('subnet_pool_ranges')
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id').onDelete('cascade'))
    .addColumn('first_ip', 'varchar(64)', (c) => c.notNull())
    .addColumn('last_ip', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('subnet_pool_ranges_pk', ['subnet_id', 'first_ip'])
    .execute();
  await table('subnet_dns_nameservers')
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id').onDelete('cascade'))
    .addColumn('address', 'varchar(128)', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('subnet_dns_nameservers_pk', ['subnet_id', 'address'])
    .execute();
  await table('subnet_host_routes')
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id').onDelete('cascade'))
    .addColumn('destination', 'varchar(64)', (c) => c.notNull())
    .addColumn('nexthop', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('subnet_host_routes_pk', ['subnet_id', 'destination', 'nexthop'])
    .execute();
  await table('ip_free_ranges')
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id').onDelete('cascade'))
    .addColumn('first_key', 'varchar(32)', (c) => c.notNull())
    .addColumn('last_key', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('ip_free_ranges_pk', ['subnet_id', 'first_key'])
    .execute();

  await std(table('ports')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
    .addColumn('admin_state_up', 'integer', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('device_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('device_owner', 'varchar(255)', (c) => c.notNull())
    .addColumn('port_security_enabled', 'integer', (c) => c.notNull())
    .addColumn('binding_host_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('binding_vnic_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('binding_profile', 'text', (c) => c.notNull())
    .addColumn('binding_vif_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('binding_vif_details', 'text', (c) => c.notNull())
    .addColumn('binding_failure', 'text')
    .addColumn('dns_name', 'varchar(255)', (c) => c.notNull())
    .addUniqueConstraint('ports_network_id_mac_address', ['network_id', 'mac_address'])).execute();
  await db.schema.createIndex('ports_project_id').on('ports').column('project_id').execute();
  await db.schema.createIndex('ports_device_id').on('ports').column('device_id').execute();
  await db.schema.createIndex('ports_network_id_device_owner').on('ports').columns(['network_id', 'device_owner']).execute();

  await table('ip_allocations')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id'))
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('ip_allocations_pk', ['subnet_id', 'ip_address'])
    .execute();
  await db.schema.createIndex('ip_allocations_port_id').on('ip_allocations').column('port_id').execute();
  await db.schema.createIndex('ip_allocations_ip_address').on('ip_allocations').column('ip_address').execute();

  await table('port_security_groups')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull())
    .addPrimaryKeyConstraint('port_security_groups_pk', ['port_id', 'security_group_id'])
    .execute();
  await db.schema.createIndex('port_security_groups_sg').on('port_security_groups').column('security_group_id').execute();
  await table('port_allowed_address_pairs')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('port_allowed_address_pairs_pk', ['port_id', 'mac_address', 'ip_address'])
    .execute();
  await table('port_extra_dhcp_opts')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('opt_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('opt_value', 'varchar(255)', (c) => c.notNull())
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('port_extra_dhcp_opts_pk', ['port_id', 'opt_name', 'ip_version'])
    .execute();

  await table('tags')
    .addColumn('resource_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('tag', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('tags_pk', ['resource_id', 'tag'])
    .execute();
  await db.schema.createIndex('tags_tag').on('tags').column('tag').execute();

  await table('changes')
    .addColumn('seq', kind === 'postgres' ? 'serial' : 'integer', (c) =>
      kind === 'postgres' ? c.primaryKey() : kind === 'mysql' ? c.primaryKey().autoIncrement() : c.primaryKey().autoIncrement())
    .addColumn('resource_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('resource_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('op', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(20)', (c) => c.notNull())
    .execute();
}
