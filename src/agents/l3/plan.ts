// plan: the difference between the compiled routers and what the kernel holds, as ordered
// steps per router. Pure: a router that already matches gets no steps, so an agent restart
// (same kernel) touches nothing but the nft table it cannot vouch for (replaced once, which
// keeps flows: NAT bindings live in conntrack). The nft table and the sysctls are what this
// process last applied or verified (L3Memory); everything else is read from the kernel.
import type { IpCommand } from '../../linux/ip.ts';
import type { CompiledL3, DesiredPort, DesiredRoute, DesiredRouter } from './desired.ts';
import { NAT_TABLE, parseFipMap, replaceTableScript } from './nat.ts';
import type { ObservedL3, ObservedRoute, ObservedRouter } from './observe.ts';

export type L3Step =
  | { op: 'netns-add' }
  /** `ip -batch` inside the namespace, before the host's (stray or wrong devices out) */
  | { op: 'ns-pre'; cmds: IpCommand[] }
  /** `ip -batch` on the host: veth pairs (peer straight into the namespace), tap MTU/up */
  | { op: 'host-ip'; cmds: IpCommand[] }
  | { op: 'sysctl'; values: Record<string, string> }
  /** `ip -batch` inside the namespace: links, addresses, removal of routes */
  | { op: 'ns-ip'; cmds: IpCommand[] }
  /** route replaces (a failure is a problem, not a router failure) */
  | { op: 'routes'; cmds: IpCommand[] }
  /**
   * new taps into their network's bridge, when it is there (ip stops at the first that is not:
   * the Linux bridge agent plugs those, as it always may) — as libvirt plugs a VM's tap, so a
   * new router's first packets and announcements need not wait for the agent's next reconcile
   */
  | { op: 'plug'; cmds: IpCommand[] }
  | { op: 'nft'; script: string; rendered: string }
  /** floating IPs removed or re-associated: forget their conntrack entries */
  | { op: 'conntrack-flush'; addresses: string[] }
  | { op: 'radvd'; action: 'start' | 'reload' | 'stop' | 'clean'; config?: string; pid?: number }
  | { op: 'metadata-ensure' }
  | { op: 'metadata-remove' }
  | { op: 'netns-del'; taps: string[] }
  /** gratuitous ARP for addresses that just appeared on qg-/qr-, once `tap` is bridged */
  | { op: 'garp'; device: string; tap: string; addresses: string[] };

export interface RouterPlan {
  id: string;
  netns: string;
  /** true: the router is going away */
  remove: boolean;
  steps: L3Step[];
}

/** What this agent process remembers (not the kernel's state). */
export interface L3Memory {
  /** router → the table text this process last applied (the kernel's is then that one) */
  nft: Map<string, string>;
  /** routers whose sysctls this process set or read as right */
  sysctls: Set<string>;
  /** routers whose metadata proxy this process has ensured */
  metadata: Set<string>;
  /** metadata proxies being started in the background (not on the way to a router's first packet) */
  metadataPending: Map<string, Promise<void>>;
  /** why a background metadata proxy start failed (reported, and retried, by the next reconcile) */
  metadataProblems: Map<string, string>;
  /**
   * router → its compiled desired state (routerKey) as this process last realised it without
   * error: such a router is not read again while its desired state stays the same (its
   * namespace and taps are still checked in the host's listing), except at a full resync
   */
  realised: Map<string, { key: string; router: DesiredRouter }>;
  /** when every router was last read (performance.now()); 0: never */
  fullObserveAt: number;
  /** read every router at the next reconcile (the agent's resync timer sets it, between changes) */
  fullObserveDue: boolean;
}

export const newMemory = (): L3Memory => ({
  nft: new Map(), sysctls: new Set(), metadata: new Set(), metadataPending: new Map(), metadataProblems: new Map(), realised: new Map(), fullObserveAt: 0, fullObserveDue: false,
});

/** What a router's realisation depends on: equal keys, same kernel state to aim for. */
export const routerKey = (d: DesiredRouter): string => JSON.stringify(d);

const routeKey = (r: { dst: string; via?: string; family: 4 | 6 }): string => `${r.family}|${r.dst}|${r.via ?? ''}`;

/** The destination token for ip (explicit, so a batch line needs no -4/-6). */
function dstToken(r: DesiredRoute | ObservedRoute): string {
  if (r.dst === 'default') return r.family === 6 ? '::/0' : '0.0.0.0/0';
  return r.dst;
}

const isV4Addr = (a: string): boolean => !a.includes(':');

function emptyObserved(d: DesiredRouter): ObservedRouter {
  return { id: d.id, netns: d.netns, loUp: false, devices: new Map(), routes: [] };
}

/**
 * The metadata proxy answers what comes in on qr- interfaces (nat.ts): a router without one gets
 * its proxy with its first interface, not while it is being set up (the proxy's process starts
 * would compete with that).
 */
export const wantsMetadata = (d: DesiredRouter): boolean => d.ports.some((p) => p.kind === 'qr');

export function planRouter(d: DesiredRouter, o: ObservedRouter | undefined, hostLinks: ObservedL3['hostLinks'], memory: L3Memory, hasMetadataHook: boolean): RouterPlan {
  const steps: L3Step[] = [];
  const obs = o ?? emptyObserved(d);
  if (!o) steps.push({ op: 'netns-add' });

  const pre: IpCommand[] = [];
  const host: IpCommand[] = [];
  const ns: IpCommand[] = [];
  const addrAdd: IpCommand[] = [];
  const addrDel: IpCommand[] = [];
  const plug: IpCommand[] = [];
  const added = new Map<string, string[]>();
  const removedAddrs: string[] = [];
  if (!obs.loUp) ns.push(['link', 'set', 'lo', 'up']);

  const want = new Set(d.ports.map((p) => p.device));
  for (const name of [...obs.devices.keys()].sort()) if (!want.has(name)) pre.push(['link', 'del', 'dev', name]);

  const create = (p: DesiredPort): void => {
    if (hostLinks.has(p.tap)) host.push(['link', 'del', 'dev', p.tap]);
    host.push(['link', 'add', p.tap, 'mtu', String(p.mtu), 'type', 'veth', 'peer', 'name', p.device, 'address', p.mac, 'mtu', String(p.mtu), 'netns', d.netns]);
    host.push(['link', 'set', 'dev', p.tap, 'up']);
    plug.push(['link', 'set', 'dev', p.tap, 'master', p.bridge]);
    ns.push(['link', 'set', 'dev', p.device, p.up ? 'up' : 'down']);
    for (const a of p.addresses) addrAdd.push(['addr', 'add', a, 'dev', p.device]);
    added.set(p.device, p.addresses.map((a) => a.split('/')[0]));
  };

  for (const p of d.ports) {
    const dev = obs.devices.get(p.device);
    const tap = hostLinks.get(p.tap);
    if (!dev || dev.kind !== 'veth' || !tap || tap.kind !== 'veth') {
      if (dev) pre.push(['link', 'del', 'dev', p.device]);
      create(p);
      continue;
    }
    if (tap.mtu !== p.mtu) host.push(['link', 'set', 'dev', p.tap, 'mtu', String(p.mtu)]);
    if (!tap.up) host.push(['link', 'set', 'dev', p.tap, 'up']);
    if (dev.mac !== p.mac) ns.push(['link', 'set', 'dev', p.device, 'address', p.mac]);
    if (dev.mtu !== p.mtu) ns.push(['link', 'set', 'dev', p.device, 'mtu', String(p.mtu)]);
    if (dev.up !== p.up) ns.push(['link', 'set', 'dev', p.device, p.up ? 'up' : 'down']);
    const have = new Set(dev.addresses);
    const wantA = new Set(p.addresses);
    const newOnes: string[] = [];
    for (const a of p.addresses) if (!have.has(a)) { addrAdd.push(['addr', 'add', a, 'dev', p.device]); newOnes.push(a.split('/')[0]); }
    for (const a of dev.addresses) if (!wantA.has(a)) { addrDel.push(['addr', 'del', a, 'dev', p.device]); removedAddrs.push(a.split('/')[0]); }
    if (newOnes.length) added.set(p.device, newOnes);
  }
  // addresses of devices deleted outright (a gateway removed) lose their flows too
  for (const c of pre) {
    const dev = obs.devices.get(c[3]);
    if (dev?.name.startsWith('qg-')) removedAddrs.push(...dev.addresses.map((a) => a.split('/')[0]));
  }

  // routes: this agent's own (proto static) only
  const wantRoutes = new Map(d.routes.map((r) => [routeKey(r), r]));
  const haveRoutes = new Set(obs.routes.map(routeKey));
  const routeDel: IpCommand[] = [];
  for (const r of obs.routes) {
    if (wantRoutes.has(routeKey(r))) continue;
    routeDel.push(['route', 'del', dstToken(r), ...(r.via ? ['via', r.via] : []), 'proto', 'static']);
  }
  const routeAdd: IpCommand[] = [];
  for (const r of d.routes) if (!haveRoutes.has(routeKey(r))) routeAdd.push(['route', 'replace', dstToken(r), 'via', r.via, 'proto', 'static']);

  // sysctls first: a device takes conf.default.* when it is created, and the kernel ORs
  // send_redirects of `all` and the device (a qr- made before default=0 would send ICMP
  // redirects, and a VM told to reach a floating IP directly breaks hairpin NAT)
  const sys: Record<string, string> = {};
  // not read (undefined): this process set or verified them and vouches for them
  if (obs.sysctls || !memory.sysctls.has(d.id)) {
    for (const [k, v] of Object.entries(d.sysctls)) if (obs.sysctls?.get(k) !== v) sys[k] = v;
  }
  if (Object.keys(sys).length) steps.push({ op: 'sysctl', values: sys });
  if (pre.length) steps.push({ op: 'ns-pre', cmds: pre });
  if (host.length) steps.push({ op: 'host-ip', cmds: host });
  const nsCmds = [...ns, ...routeDel, ...addrAdd, ...addrDel];
  if (nsCmds.length) steps.push({ op: 'ns-ip', cmds: nsCmds });
  if (routeAdd.length) steps.push({ op: 'routes', cmds: routeAdd });
  if (plug.length) steps.push({ op: 'plug', cmds: plug });

  const mem = memory.nft.get(d.id);
  if (mem !== d.nft) steps.push({ op: 'nft', script: replaceTableScript(d.nft), rendered: d.nft });

  // conntrack: floating IPs gone or pointing elsewhere now (the table as applied, else as listed)
  const oldFips = parseFipMap(mem ?? obs.nft ?? '');
  const flush = new Set<string>();
  for (const [f, x] of oldFips) if (d.fips[f] !== x) flush.add(f);
  for (const a of removedAddrs) if (isV4Addr(a)) flush.add(a);
  if (flush.size) steps.push({ op: 'conntrack-flush', addresses: [...flush].sort() });

  // radvd
  const running = obs.radvd && (!o || obs.radvd.netInode === undefined || obs.radvd.netInode === obs.netnsInode) ? obs.radvd : undefined;
  if (!d.radvd) {
    if (obs.radvd) steps.push({ op: 'radvd', action: 'stop', pid: obs.radvd.pid });
    if (obs.radvdConf !== undefined) steps.push({ op: 'radvd', action: 'clean' });
  } else if (!running) {
    if (obs.radvd) steps.push({ op: 'radvd', action: 'stop', pid: obs.radvd.pid });
    steps.push({ op: 'radvd', action: 'start', config: d.radvd });
  } else if (obs.radvdConf !== d.radvd) {
    steps.push({ op: 'radvd', action: 'reload', config: d.radvd, pid: running.pid });
  }

  for (const g of [...(d.garp ? [d.garp] : []), ...(d.internalGarps ?? [])]) {
    const fresh = (added.get(g.device) ?? []).filter((a) => g.addresses.includes(a));
    if (fresh.length) steps.push({ op: 'garp', device: g.device, tap: g.tap, addresses: fresh });
  }
  // last: haproxy's check and start are several process starts, which wait behind the announcements
  if (hasMetadataHook && wantsMetadata(d) && !memory.metadata.has(d.id) && !memory.metadataPending.has(d.id)) steps.push({ op: 'metadata-ensure' });
  return { id: d.id, netns: d.netns, remove: false, steps };
}

export function planRemoval(o: ObservedRouter, hasMetadataHook: boolean): RouterPlan {
  const steps: L3Step[] = [];
  if (o.radvd) steps.push({ op: 'radvd', action: 'stop', pid: o.radvd.pid });
  if (hasMetadataHook) steps.push({ op: 'metadata-remove' });
  const taps = [...o.devices.keys()].filter((n) => /^q[rg]-/.test(n)).map((n) => `tap${n.slice(3)}`).sort();
  steps.push({ op: 'netns-del', taps });
  if (o.radvdConf !== undefined || o.radvd) steps.push({ op: 'radvd', action: 'clean' });
  return { id: o.id, netns: o.netns, remove: true, steps };
}

/** Plans for every router with something to do (desired ones first, then removals). */
export function planL3(desired: CompiledL3, observed: ObservedL3, memory: L3Memory, hasMetadataHook: boolean): RouterPlan[] {
  const out: RouterPlan[] = [];
  const want = new Set(desired.routers.map((r) => r.id));
  for (const d of desired.routers) {
    if (observed.errors?.has(d.id)) continue; // unreadable: nothing planned (reconcile reports it)
    if (observed.unread?.has(d.id)) continue; // realised by this process as desired now: nothing to do
    const p = planRouter(d, observed.routers.get(d.id), observed.hostLinks, memory, hasMetadataHook);
    if (p.steps.length) out.push(p);
  }
  for (const o of [...observed.routers.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    if (!want.has(o.id)) out.push(planRemoval(o, hasMetadataHook));
  }
  return out;
}

export { NAT_TABLE };
