// RBAC entries (Neutron's networkrbacs, securitygrouprbacs, ... in one table keyed by
// object_type), seeded from networks that were already shared or external.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DbKind } from '../kind.ts';
import { tableBuilder } from './table-builders.ts';

export const name = '0005-rbac';

export async function up(db: Kysely<any>, kind: DbKind): Promise<void> {
  const table = tableBuilder(db, kind);
  await table('rbac_policies')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('object_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('object_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('action', 'varchar(255)', (c) => c.notNull())
    .addColumn('target_project', 'varchar(255)', (c) => c.notNull())
    .addUniqueConstraint('rbac_policies_entry', ['object_type', 'object_id', 'action', 'target_project'])
    .execute();
  // Visibility queries go from the caller's project to the objects shared with it.
  await db.schema.createIndex('rbac_policies_target').on('rbac_policies').columns(['target_project', 'object_type', 'object_id']).execute();
  await db.schema.createIndex('rbac_policies_project_id').on('rbac_policies').column('project_id').execute();

  const nets = await db.selectFrom('networks').select(['id', 'project_id', 'shared', 'router_external'])
    .where((eb) => eb.or([eb('shared', '=', 1), eb('router_external', '=', 1)])).execute();
  const rows = nets.flatMap((n: any) => [
    ...(n.shared ? [{ action: 'access_as_shared', n }] : []),
    ...(n.router_external ? [{ action: 'access_as_external', n }] : []),
  ]).map(({ action, n }) => ({ id: randomUUID(), project_id: n.project_id, object_type: 'network', object_id: n.id, action, target_project: '*' }));
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('rbac_policies').values(rows.slice(i, i + 500)).execute();
}
