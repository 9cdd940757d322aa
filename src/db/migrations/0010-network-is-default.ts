// The default external network (auto-allocated-topology's is_default, kept by Neutron
// on externalnetworks): one flag on the network row, meaningful while it is external.
import type { Kysely } from 'kysely';
import type { DbKind } from '../kind.ts';

export const name = '0010-network-is-default';

export async function up(db: Kysely<any>, _kind: DbKind): Promise<void> {
  await db.schema.alterTable('networks').addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
