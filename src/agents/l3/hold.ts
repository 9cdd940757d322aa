// A router that appears in the feed without a gateway or without an interface is realised a
// moment later, unless the missing part comes first: clients create a router, then add its
// interface and gateway in a burst (tens of ms apart). Realising each state at once costs a
// whole reconcile (process starts, 0.1–0.9 s on a loaded machine) that the next part then
// waits behind; held, the three are one reconcile. A router that stays incomplete is realised
// as it is once the grace has passed. Routers in the agent's first snapshot are never held (their namespaces may exist:
// a held router is not desired, so it must be one this process has not realised yet).
import type { RouterState } from '../../feed/host-state.ts';

/** How long a new router without a gateway or an interface waits for it before it is realised as it is. */
export const NEW_ROUTER_GRACE_MS = 500;

export interface HeldRouters {
  /** the routers to realise now */
  routers: RouterState[];
  /** ids held back */
  held: string[];
  /** ask for another reconcile this much later (the first hold to run out); undefined: none held */
  againInMs?: number;
}

export interface NewRouterHold {
  filter(routers: readonly RouterState[], now: number): HeldRouters;
}

const incomplete = (r: RouterState): boolean => !r.gw_port || r.interfaces.length === 0;

export function newRouterHold(graceMs = NEW_ROUTER_GRACE_MS): NewRouterHold {
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
        if (incomplete(r) && left > 0) {
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
