// The ports' taps, as pure functions: how a tap is plugged (bridge, MTU, admin state), what the
// taps look like once a plan's ip batch went in, and which ports are present — plugged and
// up, what the agent reports to the server as "device up".
import type { PortState } from '../../feed/host-state.ts';
import type { Link } from '../../linux/ip.ts';

const isUp = (l: Link | undefined): boolean => !!l?.flags.includes('UP');

/** `link set` arguments for a tap: master, MTU, up/down by admin state (never deleted). */
export function planPort(p: PortState, tap: Link, bridge: string, mtu: number): string[] {
  const set: string[] = [];
  if (tap.master !== bridge) set.push('master', bridge);
  if (tap.mtu !== mtu) set.push('mtu', String(mtu));
  if (p.admin_state_up !== isUp(tap)) set.push(p.admin_state_up ? 'up' : 'down');
  return set;
}

/**
 * The port taps as they are once a plan's ip batch has gone in whole: each tap that was there
 * is in its network's bridge, up or down as its port's admin_state_up says (planPort's work).
 * Lets the agent report its ports without reading the links back (one process start less).
 */
export function portLinksAfter(ports: readonly PortState[], plan: { bridges: Readonly<Record<string, string>>; absentPorts: readonly string[] }, links: readonly Link[]): Link[] {
  const absent = new Set(plan.absentPorts);
  const byDevice = new Map(links.map((l) => [l.ifname, l]));
  const out: Link[] = [];
  for (const p of ports) {
    const tap = byDevice.get(p.device);
    const bridge = plan.bridges[p.network_id];
    if (!tap || absent.has(p.id) || bridge === undefined) continue;
    const flags = tap.flags.filter((f) => f !== 'UP');
    out.push({ ...tap, master: bridge, flags: p.admin_state_up ? [...flags, 'UP'] : flags });
  }
  return out;
}

/**
 * Ids of the desired ports whose tap is plugged into its network's bridge and up — what the
 * agent reports to the server as "device up".
 */
export function presentPorts(ports: readonly PortState[], bridges: Readonly<Record<string, string>>, links: readonly Link[]): string[] {
  const by = new Map(links.map((l) => [l.ifname, l]));
  return ports.filter((p) => {
    const tap = by.get(p.device);
    return p.admin_state_up && bridges[p.network_id] !== undefined && tap?.master === bridges[p.network_id] && isUp(tap);
  }).map((p) => p.id);
}

/** What a link event says of a tap (src/linux/link-monitor.ts). */
export interface TapSeen {
  up?: boolean;
  mtu?: number;
  master?: string;
}

const tapKey = (s: TapSeen): string => `${s.master ?? ''}|${s.mtu ?? ''}|${!!s.up}`;

/**
 * tap → how it looks once plugged for its port (bridge, MTU, up by admin state), for the
 * desired ports whose tap exists in `plan` (only those in `ids` when given). The link events
 * that the agent's own ip batch causes show exactly this: they need no new look at the host.
 */
export function pluggedTaps(ports: readonly PortState[], mtus: ReadonlyMap<string, number>, plan: { bridges: Readonly<Record<string, string>>; absentPorts: readonly string[] }, ids?: ReadonlySet<string>): Map<string, string> {
  const absent = new Set(plan.absentPorts);
  const out = new Map<string, string>();
  for (const p of ports) {
    const bridge = plan.bridges[p.network_id];
    const mtu = mtus.get(p.network_id);
    if (bridge === undefined || mtu === undefined || absent.has(p.id) || (ids && !ids.has(p.id))) continue;
    out.set(p.device, tapKey({ master: bridge, mtu, up: p.admin_state_up }));
  }
  return out;
}

/**
 * Do these link events (one burst, in order) leave a tap other than as plugged — a new tap, one
 * taken out of its bridge, changed or deleted — so that the host must be looked at again? A tap
 * judged by its last event: one `link set … master … mtu … up` shows each step on its way.
 */
export function tapsChanged(events: readonly (TapSeen & { ifname: string; deleted: boolean })[], plugged: ReadonlyMap<string, string>): boolean {
  const last = new Map<string, TapSeen>();
  for (const e of events) {
    if (!e.ifname.startsWith('tap')) continue;
    if (e.deleted) return true;
    last.set(e.ifname, e);
  }
  for (const [name, seen] of last) if (plugged.get(name) !== tapKey(seen)) return true;
  return false;
}
