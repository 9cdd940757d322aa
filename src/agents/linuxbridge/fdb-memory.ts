// The l2pop entries of the vxlan devices as this process left them, so that a reconcile need
// not read the whole forwarding database (`bridge -j fdb show`: a process start on every
// reconcile of every host, for entries only this agent writes). As with the firewall model:
// trusted only after a bridge batch that went in whole, only while each vxlan device is the
// one it was (same ifindex), and read again every few minutes (which also undoes hand edits).
import type { FdbChange, FdbEntry } from '../../linux/bridge.ts';
import type { Link } from '../../linux/ip.ts';

export interface FdbMemory {
  /** the entries with a remote `dst` on vxlan devices (the only ones l2pop plans with) */
  entries: FdbEntry[];
  /** vxlan device → its ifindex when the entries were known (undefined: made by that batch) */
  devices: Map<string, number | undefined>;
}

const key = (e: { mac: string; ifname: string; dst?: string }): string => `${e.mac.toLowerCase()}|${e.ifname}|${e.dst ?? ''}`;

/** The l2pop entries once `changes` went in over `before` (append adds, replace takes the MAC's place, del removes). */
export function fdbAfter(before: readonly FdbEntry[], changes: readonly FdbChange[]): FdbEntry[] {
  const out = new Map<string, FdbEntry>();
  for (const e of before) if (e.dst && e.master === undefined) out.set(key(e), { mac: e.mac.toLowerCase(), ifname: e.ifname, dst: e.dst });
  for (const c of changes) {
    if (!c.dst) continue;
    const mac = c.mac.toLowerCase();
    if (c.op === 'replace') for (const [k, e] of out) if (e.mac === mac && e.ifname === c.dev) out.delete(k);
    if (c.op === 'del') { out.delete(key({ mac, ifname: c.dev, dst: c.dst })); continue; }
    out.set(key({ mac, ifname: c.dev, dst: c.dst }), { mac, ifname: c.dev, dst: c.dst });
  }
  return [...out.values()];
}

const isVxlan = (l: Link): boolean => l.linkinfo?.info_kind === 'vxlan';

/**
 * What to remember after a bridge batch that went in whole: the entries after it, and every
 * vxlan device there was (with its ifindex) or that the batch wrote to (made by the same
 * reconcile: ifindex not known yet).
 */
export function remember(before: readonly FdbEntry[], changes: readonly FdbChange[], linksBefore: readonly Link[]): FdbMemory {
  const devices = new Map<string, number | undefined>(linksBefore.filter(isVxlan).map((l) => [l.ifname, l.ifindex]));
  for (const c of changes) if (!devices.has(c.dev)) devices.set(c.dev, undefined);
  return { entries: fdbAfter(before, changes), devices };
}

/**
 * The remembered entries, if they still stand for the kernel: every vxlan device there now is
 * one the memory knows, and the same device (one deleted and made again has lost its
 * entries); entries of devices now gone are dropped. Undefined: read the forwarding database.
 */
export function stillTrue(memory: FdbMemory | undefined, links: readonly Link[]): FdbEntry[] | undefined {
  if (!memory) return undefined;
  for (const l of links) {
    if (!isVxlan(l)) continue;
    if (!memory.devices.has(l.ifname)) return undefined;
    const was = memory.devices.get(l.ifname);
    if (was !== undefined && was !== l.ifindex) return undefined;
  }
  const now = new Set(links.map((l) => l.ifname));
  return memory.entries.filter((e) => now.has(e.ifname));
}
