// L3 agent scheduling (Neutron's RouterL3AgentBinding): which L3 agent hosts each router.
// Legacy routers have one; the table allows more (HA would).
import type { Kysely } from 'kysely';
import type { DbKind } from '../kind.ts';
import { tableBuilder } from './table-builders.ts';

export const name = '0009-l3-agents';

export async function up(db: Kysely<any>, kind: DbKind): Promise<void> {
  const table = tableBuilder(db, kind);
  await table('router_l3_agent_bindings')
    .addColumn('router_id', 'varchar(36)', (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('l3_agent_id', 'varchar(36)', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('router_l3_agent_bindings_pk', ['router_id', 'l3_agent_id'])
    .execute();
  await db.schema.createIndex('router_l3_agent_bindings_agent').on('router_l3_agent_bindings').column('l3_agent_id').execute();
}
