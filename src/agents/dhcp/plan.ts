// plan(desired, observed) → the actions that make the host match, per network, in order.
// Pure. Nothing is planned for a network that already matches, so a second run is empty.
//
// dnsmasq: started when none runs; restarted when its command line changed (a subnet
// added), when it runs in another namespace than qdhcp-<id>, or when the interface it is
// bound to was (re)made or re-addressed (--bind-interfaces binds at start); otherwise sent
// SIGHUP when a file it re-reads changed. Leases whose host entry is gone are released
// (dhcp_release) while dnsmasq runs. Last, the isolated-metadata haproxy (./metadata.ts).
import { dnsmasqFiles } from '../../linux/dnsmasq.ts';
import type { Lease } from '../../linux/dhcp-release.ts';
import { contains, parseCidr } from '../../domain/ip/cidr.ts';
import { parseIp } from '../../domain/ip/address.ts';
import { DHCP_FILES, dhcpNetns, type DesiredDhcpNetwork } from './desired.ts';
import type { ObservedDhcp, ObservedDhcpNetwork } from './observe.ts';
import type { HaproxyFiles } from '../../linux/haproxy.ts';
import { planProxy, proxyFiles, type ProxyStep } from '../metadata/proxy.ts';
import { METADATA_CIDR, PROXY_STEM } from './metadata.ts';

export type DhcpAction =
  /** one `ip -batch` in the host (netns unset) or in the namespace */
  | { kind: 'ip'; network: string; netns?: string; commands: string[][] }
  | { kind: 'mkdir'; network: string; path: string }
  | { kind: 'write'; network: string; path: string; content: string }
  /** dnsmasq in the namespace `netns` */
  | { kind: 'start'; network: string; netns: string; argv: string[]; logFile: string }
  | { kind: 'restart'; network: string; netns: string; pid: number; argv: string[]; logFile: string; why: string }
  | { kind: 'reload'; network: string; pid: number }
  /** dhcp_release in the namespace: leases whose (MAC, address) is no longer a host entry */
  | { kind: 'release'; network: string; netns: string; interface: string; leases: Lease[] }
  /** the isolated-metadata haproxy: (re)start it with `config` in `netns` */
  | { kind: 'proxy'; network: string; netns: string; files: HaproxyFiles; config: string; step: Exclude<ProxyStep, { kind: 'none' }>; observedConfig?: string }
  /** the network no longer needs it (a router serves it now, or the options went): stop it, remove its files */
  | { kind: 'proxy-stop'; network: string; pid?: number; files: HaproxyFiles }
  /** end processes (dnsmasq of a removed network, and anything left in its namespace) */
  | { kind: 'kill'; network: string; pids: number[] }
  | { kind: 'rmdir'; network: string; path: string };

const empty = (id: string): ObservedDhcpNetwork => ({ id, loUp: false, strayNs: [], dirExists: false, files: {}, leases: [], others: [] });

const sameArgv = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

const mtuArgs = (mtu: number): string[] => (mtu > 0 ? ['mtu', String(mtu)] : []);

/** Addresses in the namespace: v6 without DAD, so --bind-interfaces never meets a tentative address. */
const addrAdd = (dev: string, a: string): string[] => ['addr', 'add', a, 'dev', dev, ...(a.includes(':') ? ['nodad'] : [])];

interface Plumbing {
  /** in the namespace, before the host batch (a lone ns- end in the way) */
  nsFirst: string[][];
  host: string[][];
  ns: string[][];
  /** something dnsmasq is bound to was made or changed */
  rebound: boolean;
}

function plumbing(d: DesiredDhcpNetwork, o: ObservedDhcpNetwork): Plumbing {
  const p: Plumbing = { nsFirst: [], host: [], ns: [], rebound: false };
  const nsExists = o.netnsInode !== undefined;
  if (!nsExists) {
    p.host.push(['netns', 'add', d.netns]);
    p.rebound = true;
  }
  if (!nsExists || !o.loUp) p.ns.push(['link', 'set', 'lo', 'up']);
  // an earlier DHCP port's end (its tap peer goes with it)
  for (const n of o.strayNs) p.nsFirst.push(['link', 'del', n]);
  const pairOk = o.tap?.kind === 'veth' && o.ns !== undefined;
  if (!pairOk) {
    // (re)make the pair; a lone end left from something else is removed first
    if (o.tap) p.host.push(['link', 'del', d.tap]);
    if (o.ns) p.nsFirst.push(['link', 'del', d.ns]);
    p.host.push(
      ['link', 'add', d.tap, ...mtuArgs(d.mtu), 'type', 'veth', 'peer', 'name', d.ns, 'address', d.mac, ...mtuArgs(d.mtu), 'netns', d.netns],
      // no IPv6 link-local on the bridge port: it would send RS/NS into the tenant network
      ['link', 'set', d.tap, 'addrgenmode', 'none'],
      ['link', 'set', d.tap, 'up'],
    );
    p.ns.push(['link', 'set', d.ns, 'up'], ...[...d.addresses, ...d.extraAddresses].map((a) => addrAdd(d.ns, a)));
    p.rebound = true;
    return p;
  }
  const tap = o.tap!;
  const ns = o.ns!;
  if (d.mtu > 0 && tap.mtu !== d.mtu) p.host.push(['link', 'set', d.tap, 'mtu', String(d.mtu)]);
  if (!tap.up) p.host.push(['link', 'set', d.tap, 'up']);
  if (ns.mac?.toLowerCase() !== d.mac) p.ns.push(['link', 'set', d.ns, 'address', d.mac]);
  if (d.mtu > 0 && ns.mtu !== d.mtu) p.ns.push(['link', 'set', d.ns, 'mtu', String(d.mtu)]);
  if (!ns.up) {
    p.ns.push(['link', 'set', d.ns, 'up']);
    p.rebound = true;
  }
  // the metadata address comes and goes with the options; dnsmasq does not serve on it
  const quiet = (a: string) => a === METADATA_CIDR || d.extraAddresses.includes(a);
  for (const a of ns.addresses) {
    if (!d.addresses.includes(a) && !d.extraAddresses.includes(a)) {
      p.ns.push(['addr', 'del', a, 'dev', d.ns]);
      if (!quiet(a)) p.rebound = true;
    }
  }
  for (const a of [...d.addresses, ...d.extraAddresses]) {
    if (!ns.addresses.includes(a)) {
      p.ns.push(addrAdd(d.ns, a));
      if (!quiet(a)) p.rebound = true;
    }
  }
  return p;
}

/**
 * dhcp_release can only reach dnsmasq from an address on the lease's subnet: a lease on a
 * subnet this DHCP port left is not served anyway, and releasing it would be retried forever.
 */
function releasable(d: DesiredDhcpNetwork, ip: string): boolean {
  const addr = parseIp(ip);
  return addr !== null && d.addresses.some((a) => { const c = parseCidr(a); return c !== null && contains(c, addr); });
}

function planNetwork(d: DesiredDhcpNetwork, o: ObservedDhcpNetwork): DhcpAction[] {
  const network = d.id;
  const out: DhcpAction[] = [];
  const p = plumbing(d, o);
  if (p.nsFirst.length) out.push({ kind: 'ip', network, netns: d.netns, commands: p.nsFirst });
  if (p.host.length) out.push({ kind: 'ip', network, commands: p.host });
  if (p.ns.length) out.push({ kind: 'ip', network, netns: d.netns, commands: p.ns });
  if (!o.dirExists) out.push({ kind: 'mkdir', network, path: d.dir });
  let changed = false;
  for (const name of DHCP_FILES) {
    if (o.files[name] === d.files[name]) continue;
    out.push({ kind: 'write', network, path: `${d.dir}/${name}`, content: d.files[name] });
    changed = true;
  }
  const logFile = dnsmasqFiles(d.dir).log;
  const running = o.dnsmasq;
  // a lease outlives its host entry and would keep the address from the port given it next
  // (Neutron's _release_unused_leases); dnsmasq must be running to hear the release
  const leasable = new Set(d.leasable);
  const stale = o.leases.filter((l) => !leasable.has(`${l.mac} ${l.ip}`) && releasable(d, l.ip));
  const release: DhcpAction[] = stale.length ? [{ kind: 'release', network, netns: d.netns, interface: d.ns, leases: stale }] : [];
  if (!running) {
    out.push({ kind: 'start', network, netns: d.netns, argv: d.argv, logFile }, ...release);
  } else {
    const why = p.rebound
      ? `its interface ${d.ns} was (re)configured`
      : running.netInode !== o.netnsInode
        ? `it runs outside ${d.netns}`
        : !sameArgv(running.argv, d.argv)
          ? 'its command line changed'
          : undefined;
    if (why) out.push({ kind: 'restart', network, netns: d.netns, pid: running.pid, argv: d.argv, logFile, why }, ...release);
    else out.push(...release, ...(changed ? [{ kind: 'reload', network, pid: running.pid } as const] : []));
  }
  out.push(...planMetadataProxy(d, o));
  return out;
}

/** Last, once ns- holds 169.254.169.254 (haproxy binds it). A namespace made in this plan has no inode yet: whatever runs is elsewhere. */
function planMetadataProxy(d: DesiredDhcpNetwork, o: ObservedDhcpNetwork): DhcpAction[] {
  const network = d.id;
  if (d.metadataProxy) {
    const step = planProxy(d.metadataProxy.config, o.proxy ?? {}, o.netnsInode);
    if (step.kind === 'none') return [];
    return [{ kind: 'proxy', network, netns: d.netns, files: d.metadataProxy.files, config: d.metadataProxy.config, step, ...(o.proxy?.config !== undefined ? { observedConfig: o.proxy.config } : {}) }];
  }
  if (!o.proxy) return [];
  return [{ kind: 'proxy-stop', network, ...(o.proxy.running ? { pid: o.proxy.running.pid } : {}), files: proxyFiles(d.dir, PROXY_STEM) }];
}

/** A network that is no longer desired: its dnsmasq (and anything else in its namespace), the namespace (which takes ns- and its tap peer along), its state directory. */
function planRemoval(o: ObservedDhcpNetwork, dir: string): DhcpAction[] {
  const network = o.id;
  const out: DhcpAction[] = [];
  const pids = [...(o.dnsmasq ? [o.dnsmasq.pid] : []), ...o.others];
  if (pids.length) out.push({ kind: 'kill', network, pids });
  if (o.netnsInode !== undefined) out.push({ kind: 'ip', network, commands: [['netns', 'del', dhcpNetns(o.id)]] });
  if (o.dirExists) out.push({ kind: 'rmdir', network, path: dir });
  return out;
}

/** Removals first (they free names and processes), then each desired network. */
export function planDhcp(desired: readonly DesiredDhcpNetwork[], observed: ObservedDhcp, dirOf: (networkId: string) => string): DhcpAction[] {
  const want = new Set(desired.map((d) => d.id));
  const out: DhcpAction[] = [];
  for (const o of [...observed.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    if (!want.has(o.id)) out.push(...planRemoval(o, dirOf(o.id)));
  }
  for (const d of desired) out.push(...planNetwork(d, observed.get(d.id) ?? empty(d.id)));
  return out;
}
