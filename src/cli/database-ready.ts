// Start-up against a database that is not there yet (oslo.db's max_retries / retry_interval):
// on a controller that boots, MariaDB or PostgreSQL may accept connections some seconds after
// Muon starts. Only "cannot reach it" is waited out; a refused password or setting is final.
import type { Logger } from '../services/log.ts';

/** Socket-level and server-starting errors: the database may answer later. */
export function isUnreachable(e: unknown): boolean {
  const err = e as { code?: string; errno?: number };
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOENT', 'PROTOCOL_CONNECTION_LOST'].includes(err?.code ?? '')) return true;
  // MariaDB: can't connect (2002 socket, 2003 TCP), lost (2013), too many connections (1040), shutting down (1053)
  if ([2002, 2003, 2013, 1040, 1053].includes(err?.errno ?? 0)) return true;
  // PostgreSQL: starting up or shutting down (57P03, 57P01), too many connections (53300)
  return ['57P03', '57P01', '53300'].includes(err?.code ?? '');
}

export interface RetryOptions {
  /** attempts after the first; -1: no end */
  retries: number;
  intervalS: number;
  log: Logger;
  /** the database, password hidden, for the log */
  database: string;
  sleep?: (ms: number) => Promise<void>;
}

/** `attempt()`, tried again while the database cannot be reached, as [database] max_retries says. */
export async function onceReachable<T>(attempt: () => Promise<T>, o: RetryOptions): Promise<T> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isUnreachable(e) || (o.retries >= 0 && n > o.retries)) throw e;
      o.log.warn('database not reachable yet', {
        database: o.database, error: (e as Error).message || (e as { code?: string }).code, attempt: n, of: o.retries < 0 ? 'no limit' : o.retries + 1, retry_in_s: o.intervalS,
      });
      await sleep(o.intervalS * 1000);
    }
  }
}
