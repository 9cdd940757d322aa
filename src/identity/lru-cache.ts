// A bounded map whose entries expire: the token cache (keystonemiddleware keeps one
// in-process when memcached_servers is unset). Least recently used entries go first.
export class ExpiringLru<V> {
  private readonly map = new Map<string, { value: V; until: number }>();
  private readonly max: number;
  private readonly now: () => number;

  constructor(max: number, now: () => number = Date.now) {
    this.max = max;
    this.now = now;
  }

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    if (e.until <= this.now()) return undefined;
    this.map.set(key, e); // most recently used goes last
    return e.value;
  }

  /** Keeps `value` until the epoch-ms `until` (nothing is stored when that has passed). */
  set(key: string, value: V, until: number): void {
    this.map.delete(key);
    if (until <= this.now() || this.max <= 0) return;
    this.map.set(key, { value, until });
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }

  delete(key: string): void { this.map.delete(key); }
  clear(): void { this.map.clear(); }
  get size(): number { return this.map.size; }
}
