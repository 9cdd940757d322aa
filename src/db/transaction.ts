// One transaction per request, retried on deadlocks and serialization failures
// (Neutron's retry_db_errors), and on RetryRequest thrown by services when a
// unique key shows that a concurrent request won a race.
import type { Transaction } from 'kysely';
import type { Db } from './connect.ts';
import type { Database } from './schema.ts';

export type Tx = Transaction<Database>;

export class RetryRequest extends Error {}

const MAX_ATTEMPTS = 10;

export function isRetryableDbError(e: unknown): boolean {
  const err = e as { code?: string; errno?: number; message?: string };
  if (e instanceof RetryRequest) return true;
  // MySQL/MariaDB: deadlock, lock wait timeout
  if (err?.errno === 1213 || err?.errno === 1205) return true;
  // PostgreSQL: serialization failure, deadlock
  if (err?.code === '40001' || err?.code === '40P01') return true;
  // SQLite: busy/locked (another process holds the write lock)
  if (err?.code === 'ERR_SQLITE_ERROR' && /database is locked|SQLITE_BUSY/i.test(err.message ?? '')) return true;
  return false;
}

export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; errno?: number; message?: string; errcode?: number };
  if (err?.errno === 1062) return true; // MySQL ER_DUP_ENTRY
  if (err?.code === '23505') return true; // PostgreSQL unique_violation
  if (typeof err?.message === 'string' && /UNIQUE constraint failed|PRIMARY KEY constraint failed/i.test(err.message)) return true;
  return false;
}

export async function inTransaction<T>(conn: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      // READ COMMITTED on MySQL as on PostgreSQL: after waiting for a lock, a
      // transaction must see what the lock holder committed. Under InnoDB's default
      // REPEATABLE READ its plain reads would keep an older snapshot.
      const trx = conn.kind === 'mysql' ? conn.db.transaction().setIsolationLevel('read committed') : conn.db.transaction();
      return await trx.execute(fn);
    } catch (e) {
      if (attempt >= MAX_ATTEMPTS || !isRetryableDbError(e)) throw e;
      // Jittered backoff so racing requests do not collide again in lockstep.
      await new Promise((r) => setTimeout(r, Math.random() * 4 * attempt));
    }
  }
}
