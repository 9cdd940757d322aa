// The metadata agent's port lookups, cached briefly as Neutron's agent does (its
// cache_url / oslo.cache region, 5 s): a VM's first boot asks for a dozen metadata paths
// in a row, and each would otherwise be a round trip to the server. Misses (null) are
// cached too, so a VM hammering a path it has no port for does not load the server.
import type { InstanceQuery } from '../../feed/channel.ts';
import type { InstanceLookup } from '../../feed/host-state.ts';

export const CACHE_TTL_MS = 5000;

export class InstanceCache {
  private readonly entries = new Map<string, { value: InstanceLookup | null; expires: number }>();
  private readonly lookup: (q: InstanceQuery) => Promise<InstanceLookup | null>;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(lookup: (q: InstanceQuery) => Promise<InstanceLookup | null>, opts: { ttlMs?: number; now?: () => number } = {}) {
    this.lookup = lookup;
    this.ttlMs = opts.ttlMs ?? CACHE_TTL_MS;
    this.now = opts.now ?? Date.now;
  }

  async get(q: InstanceQuery): Promise<InstanceLookup | null> {
    const key = q.router_id ? `router:${q.router_id}:${q.ip}` : `network:${q.network_id}:${q.ip}`;
    const t = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > t) return hit.value;
    const value = await this.lookup(q);
    // errors are not cached (they reject above); drop expired entries now and then
    if (this.entries.size > 1000) for (const [k, e] of this.entries) if (e.expires <= t) this.entries.delete(k);
    this.entries.set(key, { value, expires: t + this.ttlMs });
    return value;
  }
}
