// Standard attributes every resource shares: timestamps, revision numbers, tags,
// and the change log (outbox) row written in the same transaction as the change.
import { insertRowsLater } from './insert-rows.ts';
import type { Kysely } from 'kysely';
import type { Tx } from './transaction.ts';
import type { Database } from './schema.ts';
import { RevisionNumberConstraintFailed } from '../errors/catalog.ts';

/** Neutron's format: UTC, whole seconds, 'Z'. */
export function nowIso(): string {
  return new Date().toISOString().slice(0, 19) + 'Z';
}

type RevisedTable = 'networks' | 'subnets' | 'ports' | 'security_groups' | 'subnetpools';

/** Bumps revision_number and updated_at (a dependent row changed, or the object itself). */
export async function bumpRevision(tx: Tx, table: RevisedTable, id: string, resourceType: string): Promise<void> {
  const now = nowIso();
  await tx.updateTable(table).set((eb) => ({ revision_number: eb('revision_number', '+', 1), updated_at: now })).where('id', '=', id).execute();
  await recordChange(tx, resourceType, id, 'update');
}

export async function recordChange(tx: Tx, resourceType: string, id: string, op: 'create' | 'update' | 'delete', revision = 0): Promise<void> {
  await tx.insertInto('changes').values({ resource_type: resourceType, resource_id: id, revision_number: revision, op, created_at: nowIso() }).execute();
}

/** recordChange for many objects of one type, in one statement. */
export async function recordChanges(tx: Tx, resourceType: string, ids: readonly string[], op: 'create' | 'update' | 'delete', revision = 0): Promise<void> {
  if (!ids.length) return;
  const created_at = nowIso();
  // the outbox row goes with the transaction's next round trip, its commit at the latest (./send-later.ts)
  await insertRowsLater(tx, 'changes', ids.map((resource_id) => ({ resource_type: resourceType, resource_id, revision_number: revision, op, created_at })));
}

/** If-Match: revision_number=N on PUT/DELETE. */
export function checkRevision(expected: number | null, current: number): void {
  if (expected !== null && expected !== current) throw RevisionNumberConstraintFailed(expected, current);
}

export async function insertTags(tx: Tx, id: string, tags: readonly string[]): Promise<void> {
  const unique = [...new Set(tags)];
  if (unique.length) await tx.insertInto('tags').values(unique.map((tag) => ({ resource_id: id, tag }))).execute();
}

/** resource id → tags, for a batch of ids (one query per 500 ids). */
export async function loadTags(tx: Kysely<Database>, ids: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const chunk of chunks(ids)) {
    const rows = await tx.selectFrom('tags').select(['resource_id', 'tag']).where('resource_id', 'in', chunk).orderBy('tag').execute();
    for (const r of rows) {
      const l = out.get(r.resource_id);
      if (l) l.push(r.tag); else out.set(r.resource_id, [r.tag]);
    }
  }
  return out;
}

export function* chunks<T>(items: readonly T[], size = 500): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
