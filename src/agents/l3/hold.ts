// A router that appears in the feed without any port is realised a moment later, unless its
// ports come first: clients create a router, then add its interface and gateway at once (tens
// of ms apart), and an empty router carries no packet. Realising it at once costs a whole
// reconcile that the router's interface and gateway then wait behind; held, the three are one
// reconcile. Routers in the agent's first snapshot are never held (their namespaces may exist:
// a held router is not desired, so it must be one this process has not realised yet).
import type { RouterState } from '../../feed/host-state.ts';

/** How long a new router without ports waits for them before it is realised empty. */
export const EMPTY_ROUTER_GRACE_MS = 500;

export interface HeldRouters {
  /** the routers to realise now */
  routers: RouterState[];
  /** ids held back */
  held: string[];
  /** ask for another reconcile this much later (the first hold to run out); undefined: none held */
  againInMs?: number;
}

export interface EmptyRouterHold {
  filter(routers: readonly RouterState[], now: number): HeldRouters;
}

const isEmpty = (r: RouterState): boolean => !r.gw_port && r.interfaces.length === 0;

export function emptyRouterHold(graceMs = EMPTY_ROUTER_GRACE_MS): EmptyRouterHold {
  /** router id → when this process first saw it (-Infinity: in the first snapshot) */
  const firstSeen = new Map<string, number>();
  let first = true;
  return {
    filter(routers, now) {
      const ids = new Set(routers.map((r) => r.id));
      for (const id of [...firstSeen.keys()]) if (!ids.has(id)) firstSeen.delete(id);
      const held: string[] = [];
      let againInMs: number | undefined;
      for (const r of routers) {
        if (!firstSeen.has(r.id)) firstSeen.set(r.id, first ? -Infinity : now);
        const left = firstSeen.get(r.id)! + graceMs - now;
        if (isEmpty(r) && left > 0) {
          held.push(r.id);
          againInMs = Math.min(againInMs ?? Infinity, left);
        } else {
          firstSeen.set(r.id, -Infinity); // realised once: never held again
        }
      }
      first = false;
      return { routers: held.length ? routers.filter((r) => !held.includes(r.id)) : [...routers], held, againInMs };
    },
  };
}
