// Agents (registration + heartbeats), DHCP scheduling, and provisioning blocks (a port goes
// ACTIVE only when every entity that must wire it — the L2 agent, DHCP — has reported).
import type { Kysely } from 'kysely';
import type { DbKind } from '../kind.ts';
import { tableBuilder } from './table-builders.ts';

export const name = '0008-agents';

export async function up(db: Kysely<any>, kind: DbKind): Promise<void> {
  const table = tableBuilder(db, kind);
  await table('agents')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('agent_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('binary', 'varchar(255)', (c) => c.notNull())
    .addColumn('topic', 'varchar(255)', (c) => c.notNull())
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('admin_state_up', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(20)', (c) => c.notNull())
    .addColumn('started_at', 'varchar(20)', (c) => c.notNull())
    .addColumn('heartbeat_timestamp', 'varchar(20)', (c) => c.notNull())
    .addColumn('description', 'varchar(255)', (c) => c.notNull())
    .addColumn('configurations', 'text', (c) => c.notNull())
    .addColumn('availability_zone', 'varchar(255)')
    .addColumn('resources_synced', 'integer')
    .addUniqueConstraint('agents_type_host', ['agent_type', 'host'])
    .execute();
  await db.schema.createIndex('agents_host').on('agents').column('host').execute();

  await table('network_dhcp_agents')
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('dhcp_agent_id', 'varchar(36)', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('network_dhcp_agents_pk', ['network_id', 'dhcp_agent_id'])
    .execute();
  await db.schema.createIndex('network_dhcp_agents_agent').on('network_dhcp_agents').column('dhcp_agent_id').execute();

  await table('provisioning_blocks')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('entity', 'varchar(16)', (c) => c.notNull())
    .addPrimaryKeyConstraint('provisioning_blocks_pk', ['port_id', 'entity'])
    .execute();

  await db.schema.createIndex('ports_binding_host_id').on('ports').column('binding_host_id').execute();
}
