// Writes whose answer the caller does not need before its next statement. sendLater() marks
// the statement; inside a transaction on MariaDB the driver (./mysql-driver.ts) holds it and
// sends it in the same round trip as the transaction's next statement that someone awaits (one
// multi-statement query) or with its commit (one compound statement). SQLite and PostgreSQL
// run it at once. The same
// statements go out in the same order on every backend: only the moment they leave differs.
import { sql, type Compilable, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema.ts';
import { kindOf } from './kind.ts';

/** What a failed write means to its caller (a Neutron error, a RetryRequest), or the error itself. */
export type MapError = (e: unknown) => unknown;

const marks = new WeakMap<CompiledQuery, MapError | null>();

/**
 * A write held back and sent later failed: its error reaches the caller of a later statement,
 * whose own error handling must not take it for its statement's (a duplicate key of an
 * unrelated insert is not "address taken"). Deadlocks and lock waits stay retryable
 * (./transaction.ts looks inside).
 */
export class HeldStatementFailed extends Error {
  constructor(cause: unknown, sql: string) {
    super(`a write sent with a later statement failed: ${(cause as Error)?.message ?? String(cause)} (${sql.slice(0, 120)})`, { cause });
  }
}

/** sendLater's mark on a compiled statement: undefined when unmarked, else its error mapper (or null). */
export function laterMark(q: CompiledQuery): MapError | null | undefined {
  return marks.get(q);
}

/** The error a held write's failure is reported as, where it surfaces (a later statement). */
export async function heldError(sql: string, mapError: MapError | null, e: unknown): Promise<unknown> {
  const mapped = mapError ? await mapError(e) : e;
  return mapped === e ? new HeldStatementFailed(e, sql) : mapped;
}

// Only statements that answer with an OK packet may be held: the driver finds the one that failed
// by counting those (./mysql-driver.ts). A guard (below) is a compound statement that selects nothing.
const WRITE = /^\s*(insert|update|delete|replace)\b/i;

/**
 * Runs a write (INSERT, UPDATE, DELETE) whose result nobody reads. On MariaDB inside a
 * transaction it is sent with the next awaited statement, and a failure surfaces there,
 * as `mapError` makes it (else as HeldStatementFailed); elsewhere it runs now and throws
 * what `mapError` makes of its error.
 */
export async function sendLater(q: Kysely<Database>, query: CompiledQuery | Compilable, mapError?: MapError): Promise<void> {
  const compiled = 'compile' in query ? query.compile() : query;
  if (!WRITE.test(compiled.sql) && !isGuard(compiled.sql)) throw new Error(`sendLater takes writes only: ${compiled.sql.slice(0, 60)}`);
  marks.set(compiled, mapError ?? null);
  try {
    await q.executeQuery(compiled);
  } catch (e) {
    throw mapError ? await mapError(e) : e;
  }
}

/** What a guard's failure says (MariaDB's SIGNAL, errno 1644). */
const GUARD_MESSAGE = 'muon: a guarded fact changed';

/** guardLater on a server without compound statements (MySQL rather than MariaDB): nothing was sent. */
export class GuardsUnsupported extends Error {
  constructor() { super('guards need MariaDB (compound statements)'); }
}

// A guard's text starts so (guardStatement); inside another compound statement it must be a plain block.
const GUARD_OPENING = /^\s*begin not atomic (?=if not )/i;

export const isGuard = (sqlText: string): boolean => GUARD_OPENING.test(sqlText);

/** A held statement as it stands inside the driver's compound commit: a guard as a nested block. */
export const nestedInBlock = (sqlText: string): string => sqlText.replace(GUARD_OPENING, 'begin ');

/** A failed guard (guardLater): the transaction never wrote, and was rolled back. */
export const isGuardFailure = (e: unknown): boolean =>
  (e as { errno?: number })?.errno === 1644 && (e as { message?: string }).message === GUARD_MESSAGE;

/** The statement of a guard: true `condition`, or the SIGNAL guardLater's failure is. */
export function guardStatement(condition: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`begin not atomic if not (${condition}) then signal sqlstate '45000' set message_text = ${sql.lit(GUARD_MESSAGE)}; end if; end`;
}

/**
 * MariaDB only: a check held like a write (sent with the transaction's next round trip) that
 * fails the transaction, with what `onFail` makes, when its condition is not true: a compound
 * statement that SIGNALs (`guard`: guardStatement's, compiled). Lets a transaction act on facts
 * read earlier (by this process, in another transaction) and have the database confirm them in
 * the same round trip as the writes, instead of reading them again first.
 */
export async function guardLater(q: Kysely<Database>, guard: CompiledQuery, onFail: () => unknown): Promise<void> {
  if (kindOf(q) !== 'mysql') throw new Error('guardLater: MariaDB only');
  await sendLater(q, guard, (e) => (isGuardFailure(e) ? onFail() : e));
}
