// What one Muon process remembers between port creates so that a create on MariaDB can skip
// its reads: the facts about a network that the create reads first (./port-create.ts), and
// where each subnet's lowest free range starts (./ipam-bulk.ts). Nothing here is trusted: a
// create that uses a remembered fact has MariaDB confirm it in the create's own round trip
// (a guard, or a write that matches nothing when the fact is stale) and, when it does not
// hold, forgets it and takes the reading way. Other processes and servers write the same
// database; that is why nothing is ever believed without that check.
import type { PortNetwork } from '../db/repos/port-network.ts';

/** A subnet's lowest free range as last seen here (ip_free_ranges keys). */
export interface RangeHint { first: string; last: string }

/** A bounded map that forgets the least recently used entry first. */
class Recent<V> {
  readonly #max: number;
  readonly #map = new Map<string, V>();
  constructor(max: number) { this.#max = max; }
  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) { this.#map.delete(key); this.#map.set(key, v); }
    return v;
  }
  set(key: string, v: V): void {
    this.#map.delete(key);
    this.#map.set(key, v);
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
  }
  take(key: string): V | undefined {
    const v = this.#map.get(key);
    this.#map.delete(key);
    return v;
  }
  delete(key: string): void { this.#map.delete(key); }
}

/** The range hints one attempt of a transaction took and would leave: left only once it commits. */
export interface RangeAttempt {
  /** The subnet's hint, taken away (a concurrent create in this process reads instead of guessing the same address). */
  take(subnetId: string): RangeHint | undefined;
  /** Where the subnet's lowest free range will start once this commits (null: unknown, read next time). */
  propose(subnetId: string, hint: RangeHint | null): void;
  /** The hint taken for the subnet was stale: another process allocates there too. */
  stale(subnetId: string): void;
}

/** How long a subnet's range is read rather than guessed after a stale guess: while several
 *  processes allocate on one subnet, their guesses go stale, and each costs a retry. */
const STALE_PAUSE_MS = 2000;

export class CreateMemory {
  readonly #networks = new Recent<PortNetwork>(1024);
  readonly #ranges = new Recent<RangeHint>(4096);
  /** subnet → until when its range is read rather than guessed */
  readonly #paused = new Recent<number>(4096);
  /** Port creates under way in this process (whileCreating). Free ranges are guessed only by
   *  a create that runs alone: creates in parallel come from clients in parallel, who reach the
   *  other workers and servers too, and there a guess is likely stale (each stale guess costs a
   *  failed query, a rollback and a retry that reads). */
  #creating = 0;
  /** How often each was used (facts confirmed or not, range hints taken): for tests and benches. */
  readonly counts = { factsConfirmed: 0, factsForgotten: 0, rangesTaken: 0, rangesStale: 0 };

  #off = false;

  /** Facts read for a create by `caller` (whose view: an admin's, a project's) with ports for `groupProject`. */
  network(id: string, caller: string, groupProject: string): PortNetwork | undefined {
    return this.#off ? undefined : this.#networks.get(networkKey(id, caller, groupProject));
  }

  /** The database cannot confirm remembered facts (not MariaDB): every create reads. */
  turnOff(): void {
    this.#off = true;
  }

  /** Facts without a default group are not kept: the create that makes the group would have
   *  every later one look it up again (the fingerprint does not cover it). */
  rememberNetwork(id: string, caller: string, groupProject: string, facts: PortNetwork): void {
    if (facts.fingerprint !== null && facts.defaultGroup !== null) this.#networks.set(networkKey(id, caller, groupProject), facts);
  }

  forgetNetwork(id: string, caller: string, groupProject: string): void {
    this.counts.factsForgotten++;
    this.#networks.delete(networkKey(id, caller, groupProject));
  }

  /** Runs a port create, counted among those under way. */
  async whileCreating<T>(create: () => Promise<T>): Promise<T> {
    this.#creating++;
    try {
      return await create();
    } finally {
      this.#creating--;
    }
  }

  /** Range hints for one attempt of a transaction; `publish` after it commits. */
  rangeAttempt(): RangeAttempt & { publish(): void } {
    const proposed = new Map<string, RangeHint | null>();
    return {
      take: (subnetId) => {
        if (this.#creating > 1) return undefined;
        const paused = this.#paused.get(subnetId);
        if (paused !== undefined && paused > performance.now()) return undefined;
        const hint = this.#ranges.take(subnetId);
        if (hint) this.counts.rangesTaken++;
        return hint;
      },
      propose: (subnetId, hint) => { proposed.set(subnetId, hint); },
      stale: (subnetId) => {
        this.counts.rangesStale++;
        this.#paused.set(subnetId, performance.now() + STALE_PAUSE_MS);
      },
      publish: () => {
        for (const [subnetId, hint] of proposed) {
          if (hint) this.#ranges.set(subnetId, hint);
          else this.#ranges.delete(subnetId);
        }
      },
    };
  }
}

const networkKey = (id: string, caller: string, groupProject: string): string => `${id}\n${caller}\n${groupProject}`;
