// compile: HostState.routers → what each router namespace must hold. Pure.
import type { HostState, RouterPortState, RouterState } from '../../feed/host-state.ts';
import { radvdConfig, type RadvdInterface, type RaMode } from '../../linux/radvd.ts';
import { bridgeName } from '../linuxbridge/l2-plan.ts';
import { renderNatTable } from './nat.ts';

export const NETNS_PREFIX = 'qrouter-';
export const METADATA_PORT = 9697;

export interface L3Options {
  /** state_path: radvd files go under <stateDir>/ra */
  stateDir: string;
  agentMode: string;
  handleInternalOnlyRouters: boolean;
  metadataPort?: number;
}

export interface DesiredPort {
  id: string;
  kind: 'qr' | 'qg';
  /** inside the namespace */
  device: string;
  /** host end of the veth */
  tap: string;
  /** the network's bridge as the Linux bridge agent names it (`brq<network id[:11]>`) */
  bridge: string;
  mac: string;
  mtu: number;
  up: boolean;
  /** "ip/prefixlen", sorted */
  addresses: string[];
}

export interface DesiredRoute {
  /** "default", a CIDR, or a bare address for host routes (as `ip -j route` shows them) */
  dst: string;
  via: string;
  family: 4 | 6;
}

export interface DesiredRouter {
  id: string;
  netns: string;
  ports: DesiredPort[];
  /** routes this agent owns (proto static) */
  routes: DesiredRoute[];
  sysctls: Record<string, string>;
  /** the nft table text (see nat.ts) */
  nft: string;
  /** floating IP → fixed IP (IPv4), for conntrack flushing */
  fips: Record<string, string>;
  /** floating IP ids realised with this router */
  fipIds: string[];
  /** qg- device and the IPv4 addresses to announce with gratuitous ARP when they appear */
  garp?: Garp;
  /**
   * qr- devices and their IPv4 addresses, announced too when they appear (as Neutron's
   * _internal_network_added does): a router re-created on a subnet has a new MAC behind the
   * same gateway address, and VMs would keep the old one in their ARP caches. Over VXLAN this
   * reaches VMs on other hosts only without [vxlan] arp_responder (Neutron's default): the
   * kernel's ARP proxy consumes every ARP frame, gratuitous ones included
   */
  internalGarps: Garp[];
  /** radvd.conf text, or '' (no radvd) */
  radvd: string;
  problems: string[];
}

/** Addresses to announce from a router device; `tap` is its host end, which must be in a
 *  bridge (plugged by the kernel batch, or by the Linux bridge agent when the bridge was not
 *  there yet) before an announcement can reach anyone. */
export interface Garp {
  device: string;
  tap: string;
  addresses: string[];
}

export interface CompiledL3 {
  routers: DesiredRouter[];
  /** routers in the feed this agent does not realise (and why) */
  skipped: { id: string; why: string }[];
  problems: string[];
}

export const ROUTER_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.ip_forward': '1',
  'net.ipv6.conf.all.forwarding': '1',
  'net.ipv4.conf.all.send_redirects': '0',
  'net.ipv4.conf.default.send_redirects': '0',
};

export const raDir = (stateDir: string): string => `${stateDir.replace(/\/+$/, '')}/ra`;
export const radvdFiles = (stateDir: string, routerId: string) => ({
  conf: `${raDir(stateDir)}/${routerId}.radvd.conf`,
  pid: `${raDir(stateDir)}/${routerId}.pid`,
  log: `${raDir(stateDir)}/${routerId}.radvd.log`,
});

const isV6 = (a: string): boolean => a.includes(':');

export function prefixLen(cidr: string): number {
  const n = Number(cidr.split('/')[1]);
  if (!Number.isInteger(n)) throw new Error(`bad cidr ${cidr}`);
  return n;
}

// ---------------------------------------------------------------- address arithmetic (on-link checks)

function v4ToInt(a: string): number {
  return a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function v6ToBig(a: string): bigint {
  let [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  // a trailing dotted quad
  const expand = (parts: string[]): string[] => parts.flatMap((p) => {
    if (!p.includes('.')) return [p];
    const n = v4ToInt(p);
    return [(n >>> 16).toString(16), (n & 0xffff).toString(16)];
  });
  const hh = expand(h);
  const tt = expand(t);
  const fill = tail !== undefined ? new Array(8 - hh.length - tt.length).fill('0') : [];
  return [...hh, ...fill, ...tt].reduce((acc, p) => (acc << 16n) + BigInt(parseInt(p || '0', 16)), 0n);
}

/** Is `addr` inside `cidr`? */
export function inCidr(addr: string, cidr: string): boolean {
  const [net, lenText] = cidr.split('/');
  const len = Number(lenText);
  if (isV6(addr) !== isV6(net)) return false;
  if (!isV6(addr)) {
    if (len === 0) return true;
    const mask = len === 32 ? 0xffffffff : (~0 << (32 - len)) >>> 0;
    return ((v4ToInt(addr) & mask) >>> 0) === ((v4ToInt(net) & mask) >>> 0);
  }
  const shift = BigInt(128 - len);
  return (v6ToBig(addr) >> shift) === (v6ToBig(net) >> shift);
}

/** A destination as `ip -j route` prints it: host routes without their /32 or /128. */
export function routeDst(dest: string): string {
  if (dest === '0.0.0.0/0' || dest === '::/0') return 'default';
  if (dest.endsWith('/32') && !isV6(dest)) return dest.slice(0, -3);
  if (dest.endsWith('/128') && isV6(dest)) return dest.slice(0, -4);
  return dest;
}

// ---------------------------------------------------------------- compile

function portAddresses(p: RouterPortState): { addrs: string[]; problems: string[] } {
  const addrs: string[] = [];
  const problems: string[] = [];
  for (const f of p.fixed_ips) {
    const s = p.subnets.find((x) => x.id === f.subnet_id);
    if (!s) { problems.push(`port ${p.id}: fixed IP ${f.ip_address} is on subnet ${f.subnet_id}, which the port's subnets do not list; not configured`); continue; }
    addrs.push(`${f.ip_address}/${prefixLen(s.cidr)}`);
  }
  return { addrs, problems };
}

const RA_MODES: readonly string[] = ['slaac', 'dhcpv6-stateless', 'dhcpv6-stateful'];

export function compileRouter(r: RouterState, opts: L3Options): DesiredRouter {
  const problems: string[] = [];
  const ports: DesiredPort[] = [];
  const routes: DesiredRoute[] = [];
  const onLink: string[] = [];
  const ra: RadvdInterface[] = [];
  const mk = (p: RouterPortState, kind: 'qr' | 'qg', extra: string[] = []): DesiredPort => {
    const { addrs, problems: pp } = portAddresses(p);
    problems.push(...pp.map((x) => `router ${r.id}: ${x}`));
    for (const s of p.subnets) onLink.push(s.cidr);
    return {
      id: p.id, kind, device: p.device, tap: p.tap, bridge: bridgeName(p.network_id), mac: p.mac_address.toLowerCase(), mtu: p.mtu,
      up: p.admin_state_up, addresses: [...new Set([...addrs, ...extra])].sort(),
    };
  };
  for (const p of r.interfaces) {
    ports.push(mk(p, 'qr'));
    const prefixes = p.subnets
      .filter((s) => s.ip_version === 6 && s.ipv6_ra_mode && RA_MODES.includes(s.ipv6_ra_mode))
      .filter((s) => p.fixed_ips.some((f) => f.subnet_id === s.id))
      .map((s) => ({ cidr: s.cidr, mode: s.ipv6_ra_mode as RaMode }));
    if (prefixes.length) ra.push({ device: p.device, mtu: p.mtu, prefixes });
  }

  let gwIp: string | undefined;
  let garp: DesiredRouter['garp'];
  const fips: Record<string, string> = {};
  const fipIds: string[] = [];
  if (r.gw_port) {
    const g = r.gw_port;
    const fipAddrs = new Set<string>();
    for (const f of r.floating_ips) {
      if (!f.fixed_ip_address) continue;
      if (isV6(f.floating_ip_address)) { problems.push(`router ${r.id}: floating IP ${f.floating_ip_address} is IPv6; not supported`); continue; }
      fipAddrs.add(f.floating_ip_address);
      fips[f.floating_ip_address] = f.fixed_ip_address;
      fipIds.push(f.id);
    }
    for (const pf of r.port_forwardings) if (!isV6(pf.floating_ip_address)) fipAddrs.add(pf.floating_ip_address);
    const port = mk(g, 'qg', [...fipAddrs].map((a) => `${a}/32`));
    ports.push(port);
    gwIp = g.fixed_ips.find((f) => !isV6(f.ip_address))?.ip_address;
    for (const s of g.subnets) {
      if (!g.fixed_ips.some((f) => f.subnet_id === s.id)) continue;
      if (!s.gateway_ip) {
        problems.push(`router ${r.id}: external subnet ${s.id} has no gateway_ip; no default route`);
        continue;
      }
      const family = s.ip_version;
      if (routes.some((x) => x.dst === 'default' && x.family === family)) continue;
      routes.push({ dst: 'default', via: s.gateway_ip, family });
    }
    const v4 = port.addresses.filter((a) => !isV6(a)).map((a) => a.split('/')[0]);
    if (v4.length) garp = { device: g.device, tap: port.tap, addresses: v4 };
  } else if (r.floating_ips.length || r.port_forwardings.length) {
    problems.push(`router ${r.id}: floating IPs without an external gateway; not realised`);
  }

  for (const rt of r.routes) {
    const family = isV6(rt.nexthop) ? 6 : 4;
    if (!onLink.some((c) => inCidr(rt.nexthop, c))) {
      problems.push(`router ${r.id}: extra route ${rt.destination} via ${rt.nexthop}: the nexthop is on none of the router's subnets; not installed`);
      continue;
    }
    const dst = routeDst(rt.destination);
    if (routes.some((x) => x.dst === dst && x.family === family)) {
      problems.push(`router ${r.id}: extra route ${rt.destination} via ${rt.nexthop} duplicates another route; not installed`);
      continue;
    }
    routes.push({ dst, via: rt.nexthop, family });
  }

  const nft = renderNatTable({
    gwDevice: r.gw_port?.device, gwIp, enableSnat: r.enable_snat,
    floatingIps: Object.entries(fips).map(([floating_ip_address, fixed_ip_address]) => ({ floating_ip_address, fixed_ip_address })),
    portForwardings: r.gw_port ? r.port_forwardings : [],
    metadataPort: opts.metadataPort ?? METADATA_PORT,
  });
  return {
    id: r.id, netns: r.namespace || `${NETNS_PREFIX}${r.id}`, ports, routes, sysctls: { ...ROUTER_SYSCTLS }, nft, fips,
    fipIds: fipIds.sort(), garp, radvd: radvdConfig(ra), problems,
    internalGarps: ports.filter((p) => p.device.startsWith('qr-'))
      .map((p) => ({ device: p.device, tap: p.tap, addresses: p.addresses.filter((a) => !isV6(a)).map((a) => a.split('/')[0]) }))
      .filter((g) => g.addresses.length > 0),
  };
}

export function compileL3(state: Pick<HostState, 'routers'>, opts: L3Options): CompiledL3 {
  const problems: string[] = [];
  if (opts.agentMode !== 'legacy') {
    problems.push(`agent_mode '${opts.agentMode}' is not supported: this L3 agent runs legacy (centralised) routers`);
  }
  const routers: DesiredRouter[] = [];
  const skipped: CompiledL3['skipped'] = [];
  for (const r of [...(state.routers ?? [])].sort((a, b) => a.id.localeCompare(b.id))) {
    if (!r.admin_state_up) { skipped.push({ id: r.id, why: 'admin_state_up is false' }); continue; }
    if (!r.gw_port && !opts.handleInternalOnlyRouters) { skipped.push({ id: r.id, why: 'no external gateway and handle_internal_only_routers is false' }); continue; }
    routers.push(compileRouter(r, opts));
  }
  return { routers, skipped, problems };
}
