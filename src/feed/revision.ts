// The feed's revision is the position in the `changes` outbox (its autoincrement seq), which
// every write appends to in the same transaction as the change itself.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export async function currentRevision(db: Kysely<Database>): Promise<number> {
  const r = await db.selectFrom('changes').select((eb) => eb.fn.max('seq').as('rev')).executeTakeFirst();
  return Number(r?.rev ?? 0);
}

/**
 * The outbox only has to remember its position (agents compare revisions and re-read whole
 * snapshots), so old rows can go; the newest `keep` always stay, so the position never moves
 * back even where an autoincrement counter is not persisted. Returns the rows deleted.
 */
export async function pruneChanges(db: Kysely<Database>, keep = 10_000): Promise<number> {
  const top = await currentRevision(db);
  if (top <= keep) return 0;
  const r = await db.deleteFrom('changes').where('seq', '<=', top - keep).executeTakeFirst();
  return Number(r.numDeletedRows);
}
