// One transaction per request, retried on deadlocks and serialization failures
// (Neutron's retry_db_errors), and on RetryRequest thrown by services when a
// unique key shows that a concurrent request won a race.
import type { Transaction } from 'kysely';
import type { Db } from './connect.ts';
import type { Database } from './schema.ts';
import { HeldStatementFailed } from './send-later.ts';

export type Tx = Transaction<Database>;

export class RetryRequest extends Error {}

// Neutron's db_api.MAX_RETRIES is 20 (oslo.db wrap_db_retry, jittered exponential backoff
// from 0.1 s capped at 10 s). Muon's transactions last milliseconds, so its pauses are
// milliseconds too: full jitter over 2^attempt ms, capped at 250 ms (about 3 s in all).
const MAX_ATTEMPTS = 20;
const BASE_MS = 1;
const CAP_MS = 250;

/** The pause before attempt `attempt + 1`: random, so racing requests do not collide again in lockstep. */
export function retryDelayMs(attempt: number): number {
  return Math.random() * Math.min(CAP_MS, BASE_MS * 2 ** attempt);
}

export function isRetryableDbError(e: unknown): boolean {
  const err = e as { code?: string; errno?: number; message?: string };
  if (e instanceof RetryRequest) return true;
  // a write held for a later round trip (./mysql-driver.ts) that hit a deadlock or lock wait
  if (e instanceof HeldStatementFailed) return isRetryableDbError(e.cause);
  // MySQL/MariaDB (and Galera's certification failure, reported as a deadlock): 1213; lock wait
  // timeout 1205. Retrying is safe: inTransaction rolls the whole transaction back first (InnoDB
  // itself undoes only the timed-out statement), and neither error can come from a COMMIT whose
  // outcome is unknown (a connection lost mid-commit is not retried).
  if (err?.errno === 1213 || err?.errno === 1205) return true;
  // PostgreSQL: serialization failure, deadlock
  if (err?.code === '40001' || err?.code === '40P01') return true;
  // SQLite: busy/locked (another process holds the write lock; its driver already waited)
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

/** A row refers to one that is not there (a parent deleted by a concurrent request). */
export function isForeignKeyViolation(e: unknown): boolean {
  const err = e as { code?: string; errno?: number; message?: string };
  if (err?.errno === 1452) return true; // MySQL ER_NO_REFERENCED_ROW_2
  if (err?.code === '23503') return true; // PostgreSQL foreign_key_violation
  return typeof err?.message === 'string' && /FOREIGN KEY constraint failed/i.test(err.message);
}

/** Runs fn in a transaction, again (from scratch, after a rollback) when the database reports a
 *  deadlock or serialization failure or fn throws RetryRequest; `onRetry` sees each retried error. */
export async function inTransaction<T>(conn: Db, fn: (tx: Tx) => Promise<T>, onRetry?: (e: unknown, attempt: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      // READ COMMITTED on MySQL as on PostgreSQL: after waiting for a lock, a
      // transaction must see what the lock holder committed. Under InnoDB's default
      // REPEATABLE READ its plain reads would keep an older snapshot.
      const trx = conn.kind === 'mysql' ? conn.db.transaction().setIsolationLevel('read committed') : conn.db.transaction();
      return await trx.execute(fn);
    } catch (e) {
      if (attempt >= MAX_ATTEMPTS || !isRetryableDbError(e)) throw e;
      onRetry?.(e, attempt);
      await new Promise((r) => setTimeout(r, retryDelayMs(attempt)));
    }
  }
}
