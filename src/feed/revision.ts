// The feed's revision is the position in the `changes` outbox (its autoincrement seq), which
// every write appends to in the same transaction as the change itself.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export async function currentRevision(db: Kysely<Database>): Promise<number> {
  const r = await db.selectFrom('changes').select((eb) => eb.fn.max('seq').as('rev')).executeTakeFirst();
  return Number(r?.rev ?? 0);
}
