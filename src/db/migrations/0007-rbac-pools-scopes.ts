// Subnet pools and address scopes made shared before RBAC covered them get the
// wildcard access_as_shared entry that `shared=True` now stands for.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DbKind } from '../kind.ts';

export const name = '0007-rbac-pools-scopes';

export async function up(db: Kysely<any>, _kind: DbKind): Promise<void> {
  for (const [table, objectType] of [['subnetpools', 'subnetpool'], ['address_scopes', 'address_scope']] as const) {
    const rows = await db.selectFrom(table).select(['id', 'project_id']).where('shared', '=', 1)
      .where('id', 'not in', db.selectFrom('rbac_policies').select('object_id').where('object_type', '=', objectType)
        .where('action', '=', 'access_as_shared').where('target_project', '=', '*'))
      .execute();
    const entries = rows.map((r: any) => ({
      id: randomUUID(), project_id: r.project_id, object_type: objectType, object_id: r.id, action: 'access_as_shared', target_project: '*',
    }));
    for (let i = 0; i < entries.length; i += 500) await db.insertInto('rbac_policies').values(entries.slice(i, i + 500)).execute();
  }
}
