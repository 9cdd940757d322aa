// l2population on one vxlan device, as a pure function: what the server says lives behind each
// remote VTEP (flood entries, unicast fdb entries, and with arp_responder permanent
// neighbours) against what the device holds, → the `bridge fdb` and `ip neigh` changes.
import { isIP } from 'node:net';
import type { FdbChange, FdbEntry } from '../../linux/bridge.ts';
import type { IpCommand, Neighbour } from '../../linux/ip.ts';

export const FLOOD_MAC = '00:00:00:00:00:00';
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The remote ports behind one VTEP: [mac, ip] pairs (the host state's l2pop entries). */
export interface L2popPeer {
  vtep: string;
  ports: [string, string][];
}

export interface L2popPlan {
  /** for the `bridge -batch` */
  fdb: FdbChange[];
  /** neighbour entries, for the `ip -batch` */
  ip: IpCommand[];
  problems: string[];
}

/**
 * l2pop on one vxlan device: flood entries per VTEP, one unicast entry per remote MAC, and,
 * with arp_responder, a permanent neighbour per remote IP (then ARP never crosses the tunnel;
 * without it, ours are removed and ARP floods to the VTEPs). Only entries
 * we would have made are considered: fdb entries with a `dst` on the device itself (not the
 * bridge's learned/local ones), permanent neighbours.
 */
export function planL2pop(
  dev: string,
  peers: readonly L2popPeer[],
  observed: { fdb: readonly FdbEntry[]; neigh: readonly Neighbour[] },
  arpResponder: boolean,
): L2popPlan {
  const plan: L2popPlan = { fdb: [], ip: [], problems: [] };
  const flood = new Set<string>();
  const unicast = new Map<string, string>(); // mac → vtep (last one wins, like fdb replace)
  const neigh = new Map<string, string>(); // ip → mac
  for (const p of peers) {
    if (!isIP(p.vtep)) { plan.problems.push(`l2pop: invalid VTEP address ${JSON.stringify(p.vtep)} on ${dev}`); continue; }
    flood.add(p.vtep);
    for (const [m, addr] of p.ports) {
      const mac = m.toLowerCase();
      if (!MAC.test(mac) || (addr && !isIP(addr))) { plan.problems.push(`l2pop: invalid port entry ${JSON.stringify([m, addr])} behind ${p.vtep} on ${dev}`); continue; }
      if (mac === FLOOD_MAC) continue;
      unicast.set(mac, p.vtep);
      if (addr && arpResponder) neigh.set(addr, mac);
    }
  }
  const have = new Map<string, string[]>(); // mac → dsts
  for (const e of observed.fdb) {
    if (e.ifname !== dev || !e.dst || e.master !== undefined) continue;
    const mac = e.mac.toLowerCase();
    have.set(mac, [...(have.get(mac) ?? []), e.dst]);
  }
  const add = (c: FdbChange) => plan.fdb.push(c);
  const haveFlood = have.get(FLOOD_MAC) ?? [];
  for (const v of flood) if (!haveFlood.includes(v)) add({ op: 'append', mac: FLOOD_MAC, dev, dst: v });
  for (const [mac, v] of unicast) {
    const dsts = have.get(mac) ?? [];
    if (dsts.length === 1 && dsts[0] === v) continue;
    if (dsts.length === 1) { add({ op: 'replace', mac, dev, dst: v }); continue; }
    for (const d of dsts) if (d !== v) add({ op: 'del', mac, dev, dst: d });
    if (!dsts.includes(v)) add({ op: 'replace', mac, dev, dst: v });
  }
  for (const [mac, dsts] of have) {
    if (mac === FLOOD_MAC || unicast.has(mac)) continue;
    for (const d of dsts) add({ op: 'del', mac, dev, dst: d });
  }
  for (const d of haveFlood) if (!flood.has(d)) add({ op: 'del', mac: FLOOD_MAC, dev, dst: d });

  const haveNeigh = new Map<string, string>();
  for (const n of observed.neigh) {
    if (n.dev === dev && n.state?.includes('PERMANENT')) haveNeigh.set(n.dst, (n.lladdr ?? '').toLowerCase());
  }
  for (const [addr, mac] of neigh) {
    if (haveNeigh.get(addr) !== mac) plan.ip.push(['neigh', 'replace', addr, 'lladdr', mac, 'dev', dev, 'nud', 'permanent']);
  }
  for (const addr of haveNeigh.keys()) if (!neigh.has(addr)) plan.ip.push(['neigh', 'del', addr, 'dev', dev]);
  return plan;
}
