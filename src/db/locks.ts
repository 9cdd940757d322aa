// Named locks for "check, then insert" sequences that no unique key can guard
// (a count under a quota, the lowest free segment id): a row per name, taken
// FOR UPDATE until the transaction ends. SQLite needs none: it runs one writer
// at a time and Muon's transactions on it never interleave, also across processes
// (api_workers): they begin IMMEDIATE, taking the write lock before their first read
// (./sqlite-driver.ts).
import type { DbKind } from './kind.ts';
import type { Tx } from './transaction.ts';

export async function lockNamed(kind: DbKind, tx: Tx, name: string): Promise<void> {
  if (kind === 'sqlite') return;
  const take = () => tx.selectFrom('locks').select('name').where('name', '=', name).forUpdate().executeTakeFirst();
  if (await take()) return;
  // First use of this name. Inserting only when the row is missing matters on InnoDB:
  // INSERT IGNORE of an existing key takes a shared lock, and two transactions
  // upgrading shared locks to FOR UPDATE deadlock each other.
  if (kind === 'mysql') await tx.insertInto('locks').ignore().values({ name }).execute();
  else await tx.insertInto('locks').values({ name }).onConflict((oc) => oc.doNothing()).execute();
  await take();
}
