// The L2 half of the linuxbridge agent (Neutron's linuxbridge agent + l2population), as a pure
// function: plan(desired HostState, agent settings, observed host) → the `ip -batch` and
// `bridge -batch` commands that make the host match, plus sysctls and the problems that keep
// a network from being served. An empty plan means "in sync" (the apply is then a no-op).
//
// What it builds (see shared/reference/dataplane-facts.md "Topology built"):
//   - per network a bridge `brq<net[:11]>` (stp off, forward delay 0, MTU = network MTU), its
//     alias "muon:<network id>" marking it as ours; or, with bridge_mappings, the operator's
//     existing bridge (never created, changed or deleted here);
//   - flat: the mapped interface enslaved, its IPv4 addresses and routes moved onto the bridge
//     and its MAC copied to it (Neutron's _update_interface_ip_details), so the host keeps
//     its address through the bridge;
//   - vxlan: `vxlan-<vni>` without multicast group (l2pop unicast flooding); with
//     arp_responder, `proxy` so that the kernel answers ARP/ND from the neighbour entries we write;
//   - ports: the existing tap enslaved to its network's bridge, MTU, up/down by admin state;
//   - l2pop: per remote VTEP a flood entry, per remote port a unicast fdb entry and a
//     permanent neighbour entry; stale ones of ours removed;
//   - removal: our bridges of networks no longer desired, with their vxlan device; a flat
//     interface is released and gets its addresses and routes back. Taps are never deleted.
//
// Commands are ordered so that a batch never names a device before it exists: removals,
// then per network bridge → uplink → vxlan, then ports, then neighbour entries.
//
// Its parts: l2pop entries in ./l2pop-plan.ts, the taps (plugging, presence) in ./port-plan.ts.
import type { HostState, NetworkState } from '../../feed/host-state.ts';
import { deviceName } from '../../feed/host-state.ts';
import type { FdbChange, FdbEntry } from '../../linux/bridge.ts';
import type { AddrInfo, IpCommand, Link, LinkAddresses, Neighbour, Route } from '../../linux/ip.ts';
import { planL2pop } from './l2pop-plan.ts';
import { planPort } from './port-plan.ts';

export interface VxlanSettings {
  enabled: boolean;
  /** [vxlan] local_ip: the VTEP address (the tunnel's source) */
  localIp: string | null;
  /** [vxlan] udp_dstport; default 4789 (the kernel's own default is 8472, so always pass it) */
  udpDstport?: number;
  /** [vxlan] ttl; default 64 */
  ttl?: number | null;
  /** [vxlan] tos; default unset */
  tos?: number | null;
  /** [vxlan] arp_responder (default off, as Neutron's): the vxlan device gets `proxy` and a
   *  permanent neighbour per remote port, so the kernel answers ARP/ND locally and ARP never
   *  crosses the tunnel — gratuitous ARP included, which is why it is off by default. */
  arpResponder?: boolean;
}

export interface L2Settings {
  /** [linux_bridge] physical_interface_mappings: physnet → interface */
  physicalInterfaceMappings: Record<string, string>;
  /** [linux_bridge] bridge_mappings: physnet → an existing bridge */
  bridgeMappings: Record<string, string>;
  vxlan: VxlanSettings;
}

export interface L2Observed {
  links: readonly Link[];
  addrs: readonly LinkAddresses[];
  /** IPv4 routes of the main table */
  routes: readonly Route[];
  fdb: readonly FdbEntry[];
  neigh: readonly Neighbour[];
}

export interface L2Plan {
  /** for one `ip -batch` */
  ip: IpCommand[];
  /** for one `bridge -batch`, after the ip batch (vxlan devices exist by then) */
  fdb: FdbChange[];
  /** after the ip batch */
  sysctls: Record<string, string>;
  /** why a network (or a port) cannot be served here */
  problems: string[];
  /** network id → the bridge its ports are plugged into, for every network served here */
  bridges: Record<string, string>;
  /** ids of desired ports whose tap does not exist (yet): Nova/the DHCP or L3 agent plugs it */
  absentPorts: string[];
}

export const OWNER_PREFIX = 'muon:';
const DEFAULT_DSTPORT = 4789;
const DEFAULT_TTL = 64;

/** The bridge Muon creates for a network: Neutron's `brq<network_id[:11]>`. */
export const bridgeName = (networkId: string): string => deviceName('brq', networkId);
export const vxlanName = (vni: number): string => `vxlan-${vni}`;

/** How a network is realised on this host. */
export type Realisation =
  | { bridge: string; owned: true; uplink?: string; vxlan?: { dev: string; vni: number } }
  | { bridge: string; owned: false };

const isUp = (l: Link | undefined): boolean => !!l?.flags.includes('UP');
const kind = (l: Link | undefined): string | undefined => l?.linkinfo?.info_kind;
const lower = (mac: string): string => mac.toLowerCase();
const ownerOf = (l: Link): string | undefined =>
  typeof l.ifalias === 'string' && l.ifalias.startsWith(OWNER_PREFIX) ? l.ifalias.slice(OWNER_PREFIX.length) : undefined;
const keyList = (r: Record<string, string>): string =>
  Object.keys(r).length ? `has only ${Object.keys(r).sort().join(', ')}` : 'is empty';

/** Pure: how `net` can be served with these settings on a host with these links, or why not. */
export function realise(net: NetworkState, settings: L2Settings, links: ReadonlyMap<string, Link>): Realisation | { problem: string } {
  const id = net.id;
  switch (net.network_type) {
    case 'vxlan': {
      const vni = net.segmentation_id;
      if (vni === null || !Number.isInteger(vni) || vni < 1 || vni > 0xffffff) return { problem: `network ${id} is vxlan with an invalid VNI ${vni}` };
      if (!settings.vxlan.enabled) return { problem: `network ${id} is vxlan (vni ${vni}) but [vxlan] enable_vxlan is false on this host` };
      if (!settings.vxlan.localIp) return { problem: `network ${id} is vxlan (vni ${vni}) but [vxlan] local_ip is not set on this host` };
      return { bridge: bridgeName(id), owned: true, vxlan: { dev: vxlanName(vni), vni } };
    }
    case 'flat': {
      const pn = net.physical_network;
      if (!pn) return { problem: `network ${id} is flat but has no physical_network` };
      // bridge_mappings first, as Neutron's ensure_physical_in_bridge does
      const br = settings.bridgeMappings[pn];
      if (br !== undefined) {
        const l = links.get(br);
        if (kind(l) !== 'bridge') {
          return { problem: `network ${id} is flat on physnet '${pn}': bridge_mappings names bridge '${br}', which ${l ? 'is not a bridge' : 'does not exist on this host'}` };
        }
        return { bridge: br, owned: false };
      }
      const iface = settings.physicalInterfaceMappings[pn];
      if (iface === undefined) {
        const also = Object.keys(settings.bridgeMappings).length ? ` and bridge_mappings ${keyList(settings.bridgeMappings)}` : '';
        return { problem: `network ${id} is flat on physnet '${pn}' but physical_interface_mappings ${keyList(settings.physicalInterfaceMappings)}${also}` };
      }
      if (!links.has(iface)) return { problem: `network ${id} is flat on physnet '${pn}': interface '${iface}' of physical_interface_mappings does not exist on this host` };
      return { bridge: bridgeName(id), owned: true, uplink: iface };
    }
    case 'local':
      return { bridge: bridgeName(id), owned: true };
    case 'vlan':
      return { problem: `network ${id} is vlan (physnet '${net.physical_network}', vlan ${net.segmentation_id}): VLAN networks are not supported by Muon's linuxbridge agent` };
    default:
      return { problem: `network ${id} has network_type '${net.network_type}', which the linuxbridge agent cannot serve` };
  }
}

/** The IPv4 state of an interface as the plan goes along (removals give addresses back to uplinks). */
interface IfView {
  addrs: AddrInfo[];
  routes: Route[];
  master?: string;
}

/** Routes that belong to the interface's configuration (not the kernel's prefix routes). */
function movableRoutes(routes: readonly Route[], dev: string): Route[] {
  return routes.filter((r) => r.dev === dev && r.protocol !== 'kernel' && !('nexthops' in r)
    && (r.type === undefined || r.type === 'unicast') && (r.table === undefined || r.table === 'main'));
}

function addrAdd(a: AddrInfo, dev: string): IpCommand {
  const t = ['addr', 'add', `${a.local}/${a.prefixlen}`];
  if (a.broadcast) t.push('brd', a.broadcast);
  if (a.scope && a.scope !== 'global') t.push('scope', a.scope);
  return [...t, 'dev', dev];
}

function routeReplace(r: Route, dev: string): IpCommand {
  const t = ['route', 'replace', r.dst];
  if (typeof r.tos === 'string' || typeof r.tos === 'number') t.push('tos', String(r.tos));
  if (r.gateway) t.push('via', r.gateway);
  t.push('dev', dev);
  if (r.protocol && r.protocol !== 'boot') t.push('proto', r.protocol);
  if (r.scope) t.push('scope', r.scope);
  if (r.prefsrc) t.push('src', r.prefsrc);
  if (typeof r.metric === 'number') t.push('metric', String(r.metric));
  if (r.flags?.includes('onlink')) t.push('onlink');
  return t;
}

/** Does an existing vxlan device have exactly the parameters we would create it with? */
function vxlanMatches(l: Link, vni: number, v: VxlanSettings): boolean {
  const d = l.linkinfo?.info_data ?? {};
  const tos = v.tos ? tosText(v.tos) : undefined;
  return d.id === vni && d.local === v.localIp && d.port === (v.udpDstport ?? DEFAULT_DSTPORT)
    && d.learning === false && (d.proxy === true) === !!v.arpResponder && // ip prints proxy only when on
    d.ttl === (v.ttl ?? DEFAULT_TTL)
    && d.tos === tos && d.group === undefined && d.remote === undefined && d.link === undefined;
}

// ip parses tos as hex (and prints it so): "16" would mean 0x16
const tosText = (tos: number): string => `0x${tos.toString(16)}`;

function vxlanAdd(dev: string, vni: number, v: VxlanSettings): IpCommand {
  return ['link', 'add', dev, 'type', 'vxlan', 'id', String(vni), 'dstport', String(v.udpDstport ?? DEFAULT_DSTPORT),
    'local', v.localIp as string, 'ttl', String(v.ttl ?? DEFAULT_TTL), ...(v.tos ? ['tos', tosText(v.tos)] : []), 'nolearning',
    ...(v.arpResponder ? ['proxy'] : [])];
}

const disableIpv6 = (dev: string): string => `net.ipv6.conf.${dev}.disable_ipv6`;

/** Pure: the commands that make the host's L2 match `desired`. */
export function planL2(desired: HostState, settings: L2Settings, observed: L2Observed): L2Plan {
  const plan: L2Plan = { ip: [], fdb: [], sysctls: {}, problems: [], bridges: {}, absentPorts: [] };
  const links = new Map(observed.links.map((l) => [l.ifname, l]));
  const inet = new Map(observed.addrs.map((a) => [a.ifname, a.addr_info.filter((i) => i.family === 'inet')]));
  const hasInet6 = (dev: string) => !!observed.addrs.find((a) => a.ifname === dev)?.addr_info.some((i) => i.family === 'inet6');
  const views = new Map<string, IfView>();
  const view = (dev: string): IfView => {
    let v = views.get(dev);
    if (!v) {
      v = { addrs: [...(inet.get(dev) ?? [])], routes: movableRoutes(observed.routes, dev), master: links.get(dev)?.master };
      views.set(dev, v);
    }
    return v;
  };
  const ip = (...cmds: IpCommand[]) => plan.ip.push(...cmds);

  // ---- what each desired network becomes here
  const wanted = new Map<string, { net: NetworkState; r: Realisation }>();
  const desiredIds = new Set(desired.networks.map((n) => n.id));
  const uplinkUser = new Map<string, string>();
  for (const net of desired.networks) {
    const r = realise(net, settings, links);
    if ('problem' in r) { plan.problems.push(r.problem); continue; }
    const shared = r.owned ? r.uplink : r.bridge;
    if (shared !== undefined) {
      // Neutron allows one flat network per physnet; two would fight over the interface
      const other = uplinkUser.get(shared);
      if (other) { plan.problems.push(`network ${net.id} is flat on physnet '${net.physical_network}', which network ${other} already uses on this host`); continue; }
      uplinkUser.set(shared, net.id);
    }
    const existing = links.get(r.bridge);
    if (r.owned && existing && kind(existing) !== 'bridge') {
      plan.problems.push(`network ${net.id} needs bridge ${r.bridge}, but a ${kind(existing) ?? 'non-bridge'} device of that name exists`);
      continue;
    }
    wanted.set(net.id, { net, r });
  }
  const wantedBridges = new Set([...wanted.values()].map((w) => w.r.bridge));

  // ---- removal: our bridges that no desired network uses any more
  const removed = new Set<string>();
  for (const b of observed.links) {
    const owner = ownerOf(b);
    if (owner === undefined || kind(b) !== 'bridge' || !b.ifname.startsWith('brq') || wantedBridges.has(b.ifname)) continue;
    // a desired network we cannot serve right now keeps its bridge (and its ports' connectivity)
    if (desiredIds.has(owner) && !wanted.has(owner) && bridgeName(owner) === b.ifname) continue;
    const slaves = observed.links.filter((l) => l.master === b.ifname);
    const vxlans = slaves.filter((l) => kind(l) === 'vxlan');
    const uplinks = slaves.filter((l) => kind(l) !== 'vxlan' && !l.ifname.startsWith('tap'));
    const bv = view(b.ifname);
    for (const u of uplinks) {
      ip(['link', 'set', u.ifname, 'nomaster']);
      view(u.ifname).master = undefined;
    }
    if (uplinks.length === 1) {
      // give the interface back what was moved from it
      const uv = view(uplinks[0].ifname);
      for (const a of bv.addrs) ip(addrAdd(a, uplinks[0].ifname));
      for (const r of bv.routes) ip(routeReplace(r, uplinks[0].ifname));
      uv.addrs.push(...bv.addrs);
      uv.routes.push(...bv.routes.map((r) => ({ ...r, dev: uplinks[0].ifname })));
    }
    for (const v of vxlans) { ip(['link', 'del', v.ifname]); removed.add(v.ifname); }
    ip(['link', 'del', b.ifname]);
    removed.add(b.ifname);
  }

  // ---- desired networks: bridge, uplink, vxlan device
  const vteps = new Map<string, { dev: string; fresh: boolean }>(); // network id → its vxlan device
  for (const { net, r } of wanted.values()) {
    plan.bridges[net.id] = r.bridge;
    if (!r.owned) continue;
    const br = r.bridge;
    const l = links.get(br);
    if (!l) ip(['link', 'add', br, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
    else {
      const d = l.linkinfo?.info_data ?? {};
      if (d.stp_state !== 0 || d.forward_delay !== 0) ip(['link', 'set', br, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
    }
    const set: string[] = [];
    const mac = r.uplink ? links.get(r.uplink)?.address : undefined;
    if (mac && lower(l?.address ?? '') !== lower(mac)) set.push('address', mac);
    if (l?.ifalias !== `${OWNER_PREFIX}${net.id}`) set.push('alias', `${OWNER_PREFIX}${net.id}`);
    if (l?.mtu !== net.mtu) set.push('mtu', String(net.mtu));
    if (!isUp(l)) set.push('up');
    if (set.length) ip(['link', 'set', br, ...set]);
    if (!l || hasInet6(br)) plan.sysctls[disableIpv6(br)] = '1';

    if (r.uplink) planUplink(r.uplink, br, net, links.get(r.uplink) as Link);
    const vt = r.vxlan ? planVxlan(r.vxlan.dev, r.vxlan.vni, br, net) : undefined;
    if (vt) vteps.set(net.id, vt);
  }

  function planUplink(dev: string, br: string, net: NetworkState, l: Link): void {
    const uv = view(dev);
    if (uv.master !== undefined && uv.master !== br) {
      plan.problems.push(`network ${net.id} is flat on physnet '${net.physical_network}', but interface ${dev} is a port of bridge ${uv.master}, which is not Muon's for this network`);
      return;
    }
    const bv = view(br);
    const have = new Set(bv.addrs.map((a) => `${a.local}/${a.prefixlen}`));
    for (const a of uv.addrs) if (!have.has(`${a.local}/${a.prefixlen}`)) ip(addrAdd(a, br));
    const set: string[] = [];
    if (uv.master !== br) set.push('master', br);
    if (!isUp(l)) set.push('up');
    if (set.length) ip(['link', 'set', dev, ...set]);
    // routes first (replace keeps the default route alive), then the addresses: deleting an
    // interface's last IPv4 address flushes every route still on it
    for (const r of uv.routes) ip(routeReplace(r, br));
    for (const a of [...uv.addrs].reverse()) ip(['addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', dev]);
    bv.addrs.push(...uv.addrs);
    uv.addrs = [];
    uv.routes = [];
    uv.master = br;
  }

  /** The vxlan device of a network (fresh: made in this plan, so it has no fdb/neigh entries yet). */
  function planVxlan(dev: string, vni: number, br: string, net: NetworkState): { dev: string; fresh: boolean } | undefined {
    const v = settings.vxlan;
    let l = removed.has(dev) ? undefined : links.get(dev);
    let fresh = false;
    if (l && (kind(l) !== 'vxlan' || !vxlanMatches(l, vni, v))) {
      if (kind(l) !== 'vxlan') {
        plan.problems.push(`network ${net.id} needs device ${dev}, but a ${kind(l) ?? 'non-vxlan'} device of that name exists`);
        return undefined;
      }
      ip(['link', 'del', dev]); // parameters (local ip, port, …) changed: only a new device has them
      l = undefined;
    }
    if (!l) { ip(vxlanAdd(dev, vni, v)); fresh = true; }
    const set: string[] = [];
    if (l?.mtu !== net.mtu) set.push('mtu', String(net.mtu));
    if (l?.master !== br) set.push('master', br);
    if (!isUp(l)) set.push('up');
    if (set.length) ip(['link', 'set', dev, ...set]);
    if (fresh || hasInet6(dev)) plan.sysctls[disableIpv6(dev)] = '1';
    return { dev, fresh };
  }

  // ---- ports: plug existing taps
  const netById = new Map(desired.networks.map((n) => [n.id, n]));
  for (const p of desired.ports) {
    const w = wanted.get(p.network_id);
    if (!w) {
      if (!netById.has(p.network_id)) plan.problems.push(`port ${p.id}: its network ${p.network_id} is not in the host state`);
      continue;
    }
    const tap = links.get(p.device);
    if (!tap || removed.has(p.device)) { plan.absentPorts.push(p.id); continue; }
    const set = planPort(p, tap, w.r.bridge, w.net.mtu);
    if (set.length) ip(['link', 'set', p.device, ...set]);
  }

  // ---- l2population on our vxlan devices
  for (const [netId, vt] of vteps) {
    const peers = desired.l2pop.filter((p) => p.network_id === netId && p.vtep !== settings.vxlan.localIp);
    const l2pop = planL2pop(vt.dev, peers, vt.fresh ? { fdb: [], neigh: [] } : observed, !!settings.vxlan.arpResponder);
    plan.problems.push(...l2pop.problems);
    plan.fdb.push(...l2pop.fdb);
    plan.ip.push(...l2pop.ip);
  }
  return plan;
}

/** Is the plan empty (the host is in sync)? */
export function isEmptyPlan(p: Pick<L2Plan, 'ip' | 'fdb' | 'sysctls'>): boolean {
  return p.ip.length === 0 && p.fdb.length === 0 && Object.keys(p.sysctls).length === 0;
}
