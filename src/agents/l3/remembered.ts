// What the kernel holds for a router this process realised without error: the desired state it
// realised, read back as an observation. Planning a change from it needs no `ip`/`nft` reads
// (a floating IP associated goes straight to its two writes). Nothing else on the host changes
// a router's namespace; if something did, the apply fails, and the next reconcile reads the
// kernel (as it does every FULL_OBSERVE_MS anyway).
import type { DesiredRouter } from './desired.ts';
import type { ObservedLink } from '../../linux/ip.ts';
import type { ObservedL3, ObservedRouter } from './observe.ts';

export function rememberedRouter(d: DesiredRouter): ObservedRouter {
  const devices = new Map<string, ObservedLink>(d.ports.map((p) => [p.device,
    { name: p.device, kind: 'veth', mac: p.mac, mtu: p.mtu, up: p.up, addresses: [...p.addresses].sort() }]));
  return { id: d.id, netns: d.netns, loUp: true, devices, routes: d.routes.map((r) => ({ dst: r.dst, via: r.via, family: r.family })) };
}

/**
 * The observation of a host where `realised` (router → what was realised) is all there is:
 * routers whose desired state is unchanged are left unread, the others read back from memory,
 * new ones absent. Undefined when memory cannot stand in for the kernel: a router to remove
 * (its processes and taps are read from the kernel), or radvd (its pid is).
 */
export function rememberedHost(desired: readonly DesiredRouter[], realised: ReadonlyMap<string, { key: string; router: DesiredRouter }>, keys: ReadonlyMap<string, string>): ObservedL3 | undefined {
  const want = new Set(desired.map((d) => d.id));
  for (const id of realised.keys()) if (!want.has(id)) return undefined;
  const routers = new Map<string, ObservedRouter>();
  const unread = new Set<string>();
  const hostLinks = new Map<string, ObservedLink>();
  for (const d of desired) {
    const r = realised.get(d.id);
    if (d.radvd || r?.router.radvd) return undefined;
    if (!r) continue; // new: no namespace yet
    for (const p of r.router.ports) hostLinks.set(p.tap, { name: p.tap, kind: 'veth', mtu: p.mtu, up: true, addresses: [] });
    if (r.key === keys.get(d.id)) unread.add(d.id);
    else routers.set(d.id, rememberedRouter(r.router));
  }
  return { routers, unread, hostLinks, errors: new Map() };
}
