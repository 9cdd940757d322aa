// Long-poll support: wait until the outbox moves past a revision. The API server pokes the
// watch after every write request it served (so agents hear about a change within
// milliseconds), and tells its peers (other api_workers of this server through the primary,
// other servers through the broker: `announce`), whose watches are woken the same way (`wake`);
// a slow fallback check (default 1 s, only while someone waits) catches writes made by a
// process no peer link reaches (several servers on unix sockets only).
//
// The newest revision read is kept, with the number of wakes it covers: a watch that arrives
// (or goes back to waiting) while no write was announced since that read parks without asking
// the database. One change answers ~1,000 watches, and each agent's next watch came straight
// back: that was 1,000 identical revision queries per change. A write no peer announces is
// still seen at the next fallback check, as it is by the watches already parked.
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
  private readonly onInterest: ((listening: boolean) => void) | undefined;
  /** the newest revision read from the database, and how many wakes had happened when it was read */
  private known = -1;
  private knownAt = -1;
  private wakes = 0;
  /** the revision query under way (shared by every caller that needs it), and the wakes before it began */
  private reading: Promise<number> | undefined;
  private readingAt = -1;

  /** `interest`: told when the first watch starts waiting and when the last one stops. */
  constructor(db: Kysely<Database>, opts: { fallbackMs?: number; announce?: () => void; interest?: (listening: boolean) => void } = {}) {
    this.db = db;
    this.fallbackMs = opts.fallbackMs ?? 1000;
    this.announce = opts.announce;
    this.onInterest = opts.interest;
  }

  /** Resolves with the current revision as soon as it is > since, or when timeoutMs passes. */
  async wait(since: number, timeoutMs: number): Promise<number> {
    let now: number;
    do {
      now = this.fresh() ? this.known : await this.read();
      if (now > since || timeoutMs <= 0) return now;
      // a write announced while the read was under way may not be in it: read again
    } while (!this.fresh());
    // parked from here on: the next wake() looks at the outbox for this waiter too
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
    this.wakes++;
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
    try { rev = await this.read(); } catch { return; }
    for (const w of [...this.waiters]) if (rev > w.since) w.resolve(rev);
  }

  /** no write was announced since `known` was read */
  private fresh(): boolean {
    return this.knownAt === this.wakes;
  }

  /** The current revision from the database: one query at a time, shared by whoever asks meanwhile. */
  private read(): Promise<number> {
    if (this.reading && this.readingAt === this.wakes) return this.reading;
    const at = this.wakes;
    const p: Promise<number> = currentRevision(this.db).then((rev) => {
      if (at >= this.knownAt) { this.known = Math.max(this.known, rev); this.knownAt = at; }
      return rev;
    }).finally(() => { if (this.reading === p) this.reading = undefined; });
    this.reading = p;
    this.readingAt = at;
    return p;
  }

  private updateFallback(): void {
    if (this.waiters.size > 0 && !this.fallback) {
      this.fallback = setInterval(() => this.wake(), this.fallbackMs);
      this.fallback.unref();
      this.onInterest?.(true);
    } else if (this.waiters.size === 0 && this.fallback) {
      clearInterval(this.fallback);
      this.fallback = undefined;
      // nothing checks the outbox now: the next watch reads it rather than trust `known`
      this.wakes++;
      this.onInterest?.(false);
    }
  }
}
