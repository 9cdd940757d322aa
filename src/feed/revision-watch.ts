// Long-poll support: wait until the outbox moves past a revision. The API server pokes the
// watch after every write request it served (so agents hear about a change within
// milliseconds), and tells its peers (other api_workers of this server through the primary,
// other servers through the broker: `announce`), whose watches are woken the same way (`wake`);
// a slow fallback check (default 1 s, only while someone waits) catches writes made by a
// process no peer link reaches (several servers on unix sockets only).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { currentRevision } from './revision.ts';

interface Waiter {
  since: number;
  resolve: (rev: number) => void;
  timer: NodeJS.Timeout;
}

export class RevisionWatch {
  private readonly waiters = new Set<Waiter>();
  private fallback: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private again = false;
  private readonly db: Kysely<Database>;
  private readonly fallbackMs: number;
  private readonly announce: (() => void) | undefined;

  constructor(db: Kysely<Database>, opts: { fallbackMs?: number; announce?: () => void } = {}) {
    this.db = db;
    this.fallbackMs = opts.fallbackMs ?? 1000;
    this.announce = opts.announce;
  }

  /** Resolves with the current revision as soon as it is > since, or when timeoutMs passes. */
  async wait(since: number, timeoutMs: number): Promise<number> {
    const now = await currentRevision(this.db);
    if (now > since || timeoutMs <= 0) return now;
    return new Promise<number>((resolve) => {
      const w: Waiter = {
        since,
        resolve: (rev) => { clearTimeout(w.timer); this.waiters.delete(w); this.updateFallback(); resolve(rev); },
        timer: setTimeout(() => w.resolve(now), timeoutMs),
      };
      this.waiters.add(w);
      this.updateFallback();
    });
  }

  /** when the last write was announced (performance.now()): the feed's latency is measured from it */
  pokedAt = 0;

  /** Something was written here: tell the peers, and look at the outbox now (coalesced). */
  poke(): void {
    this.announce?.();
    this.wake();
  }

  /** A peer wrote something (or a fallback tick): look at the outbox now (coalesced). */
  wake(): void {
    this.pokedAt = performance.now();
    if (this.waiters.size === 0) return;
    if (this.checking) { this.again = true; return; }
    this.checking = this.check().finally(() => {
      this.checking = undefined;
      if (this.again) { this.again = false; this.wake(); }
    });
  }

  get waiting(): number {
    return this.waiters.size;
  }

  close(): void {
    for (const w of [...this.waiters]) w.resolve(w.since);
    if (this.fallback) clearInterval(this.fallback);
    this.fallback = undefined;
  }

  private async check(): Promise<void> {
    let rev: number;
    try { rev = await currentRevision(this.db); } catch { return; }
    for (const w of [...this.waiters]) if (rev > w.since) w.resolve(rev);
  }

  private updateFallback(): void {
    if (this.waiters.size > 0 && !this.fallback) {
      this.fallback = setInterval(() => this.wake(), this.fallbackMs);
      this.fallback.unref();
    } else if (this.waiters.size === 0 && this.fallback) {
      clearInterval(this.fallback);
      this.fallback = undefined;
    }
  }
}
