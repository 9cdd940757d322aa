// observe: what the kernel holds now for routers — qrouter-* namespaces, the qr-/qg- devices,
// addresses and this agent's (proto static) routes in each, sysctls, the nft table as listed,
// radvd by pid file — and the tap ends on the host. Nothing is remembered here.
import { readFile } from 'node:fs/promises';
import type { Place } from '../../linux/exec.ts';
import { tryExec } from '../../linux/exec.ts';
import { splitJsonDocs, type AddrInfo, type Link, type ObservedLink, type Route } from '../../linux/ip.ts';
import { RUN_NETNS } from '../../linux/netns.ts';
import { read as readSysctls } from '../../linux/sysctl.ts';
import { findRadvd, type RunningRadvd } from '../../linux/radvd.ts';
import { mapLimit } from '../dhcp/pool.ts';
import { NAT_TABLE } from './nat.ts';
import { NETNS_PREFIX, ROUTER_SYSCTLS, radvdFiles } from './desired.ts';

export interface ObservedRoute {
  dst: string;
  via?: string;
  family: 4 | 6;
}

export interface ObservedRouter {
  id: string;
  netns: string;
  /** inode of the namespace, read only when a radvd is found (to tell whether it runs in it) */
  netnsInode?: number;
  loUp: boolean;
  /** qr-/qg- devices in the namespace */
  devices: Map<string, ObservedLink>;
  routes: ObservedRoute[];
  /** read only when this process does not vouch for them (L3Memory.sysctls) */
  sysctls?: Map<string, string>;
  /** `nft list table ip neutron-l3`, read only when this process has not applied it (undefined: absent or not read) */
  nft?: string;
  radvd?: RunningRadvd;
  radvdConf?: string;
}

export interface ObservedL3 {
  routers: Map<string, ObservedRouter>;
  /** routers not read: their namespace exists and the caller vouches for the rest (ObserveSkip.router) */
  unread?: Set<string>;
  /** namespaces that could not be read (left alone this round; their routers reported failed) */
  errors?: Map<string, Error>;
  /** host links by name (taps) */
  hostLinks: Map<string, ObservedLink>;
}

/** What observe may skip: what this process applied itself (see plan.ts L3Memory). */
export interface ObserveSkip {
  nft: { has(id: string): boolean };
  sysctls: { has(id: string): boolean };
  /**
   * Routers the caller vouches for as long as their namespace and these host links (taps)
   * exist: not read. `expect`: routers to read at once, beside the host's listing (their
   * namespaces are expected to exist; a read of one that does not is dropped).
   */
  routers?: { vouched: Map<string, readonly string[]>; expect: readonly string[] };
}

const isUp = (flags: unknown): boolean => Array.isArray(flags) && flags.includes('UP');

const globalAddrs = (info: readonly AddrInfo[]): string[] =>
  info.filter((a) => (a.family === 'inet' || a.family === 'inet6') && (a.scope ?? 'global') === 'global').map((a) => `${a.local}/${a.prefixlen}`).sort();

interface AddrLink {
  ifname: string;
  flags: string[];
  mtu: number;
  address?: string;
  linkinfo?: { info_kind?: string };
  addr_info: AddrInfo[];
}

export { splitJsonDocs };

/** One `ip -j -d -batch -` in the namespace: links with addresses, then this agent's v4 and v6 routes. */
export const OBSERVE_BATCH = ['addr show', 'route show root 0.0.0.0/0 proto static', 'route show root ::/0 proto static'];

export async function observeRouter(place: Place | undefined, id: string, netns: string, stateDir: string, skip?: ObserveSkip): Promise<ObservedRouter> {
  const ns: Place = { ...place, netns };
  const files = radvdFiles(stateDir, id);
  const [ipOut, sysctls, nft, radvd, radvdConf] = await Promise.all([
    // `ip -n`: ip enters the namespace itself (no `ip netns exec` and its /sys remount)
    tryExec(['ip', '-n', netns, '-j', '-d', '-batch', '-'], { place, input: `${OBSERVE_BATCH.join('\n')}\n` }),
    skip?.sysctls.has(id) ? undefined : readSysctls(ns, Object.keys(ROUTER_SYSCTLS)),
    skip?.nft.has(id) ? undefined : tryExec(['nft', 'list', 'table', 'ip', NAT_TABLE], { place: ns }).then((r) => (r.code === 0 ? r.stdout : undefined)),
    findRadvd(files.pid),
    readFile(files.conf, 'utf8').catch(() => undefined),
  ]);
  if (ipOut.code !== 0) throw new Error(`ip -j -d -batch in ${netns}: ${ipOut.stderr.trim()}`);
  const docs = splitJsonDocs(ipOut.stdout);
  if (docs.length !== 3) throw new Error(`ip -j -d -batch in ${netns}: expected 3 JSON lists, got ${docs.length}`);
  const [addrs, r4, r6] = docs as [AddrLink[], Route[], Route[]];
  const devices = new Map<string, ObservedLink>();
  for (const l of addrs) {
    if (!/^q[rg]-/.test(l.ifname)) continue;
    devices.set(l.ifname, { name: l.ifname, kind: l.linkinfo?.info_kind, mac: l.address?.toLowerCase(), mtu: l.mtu, up: isUp(l.flags), addresses: globalAddrs(l.addr_info) });
  }
  let netnsInode: number | undefined;
  if (radvd) {
    const st = await tryExec(['stat', '-L', '-c', '%i', '--', `${RUN_NETNS}/${netns}`], { place });
    if (st.code === 0) netnsInode = Number(st.stdout.trim());
  }
  const routes: ObservedRoute[] = [
    ...r4.map((r) => ({ dst: r.dst, via: r.gateway, family: 4 as const })),
    ...r6.map((r) => ({ dst: r.dst, via: r.gateway, family: 6 as const })),
  ];
  return {
    id, netns, netnsInode,
    loUp: addrs.some((l) => l.ifname === 'lo' && isUp(l.flags)),
    devices, routes, sysctls, nft, radvd, radvdConf,
  };
}

/** Every qrouter-* namespace of the place, read. */
export async function observeL3(place: Place | undefined, stateDir: string, skip?: ObserveSkip): Promise<ObservedL3> {
  // the routers expected to change are read beside the host's listing (one round of process
  // starts, not two); a read fails when the namespace is not there, which the listing tells
  const early = new Map<string, Promise<ObservedRouter | Error>>();
  for (const id of skip?.routers?.expect ?? []) {
    early.set(id, observeRouter(place, id, `${NETNS_PREFIX}${id}`, stateDir, skip).catch((e: unknown) => e as Error));
  }
  // one exec for the host: its links and its namespaces
  const r = await tryExec(['ip', '-j', '-d', '-batch', '-'], { place, input: 'link show\nnetns list\n' });
  if (r.code !== 0) {
    await Promise.all(early.values());
    throw new Error(`ip -j -d -batch (links, namespaces): ${r.stderr.trim()}`);
  }
  const docs = splitJsonDocs(r.stdout) as [Link[], { name: string }[]?];
  const host = docs[0] ?? [];
  const nsNames = (docs[1] ?? []).map((n) => n.name);
  const hostLinks = new Map<string, ObservedLink>();
  for (const l of host) {
    if (!l.ifname.startsWith('tap')) continue;
    hostLinks.set(l.ifname, { name: l.ifname, kind: l.linkinfo?.info_kind, mac: l.address, mtu: l.mtu, up: isUp(l.flags), addresses: [] });
  }
  const routers = new Map<string, ObservedRouter>();
  const errors = new Map<string, Error>();
  const unread = new Set<string>();
  const names = nsNames.filter((n) => n.startsWith(NETNS_PREFIX)).sort();
  const vouched = skip?.routers?.vouched;
  const toRead: string[] = [];
  for (const n of names) {
    const id = n.slice(NETNS_PREFIX.length);
    const taps = vouched?.get(id);
    if (taps && !early.has(id) && taps.every((t) => hostLinks.has(t))) unread.add(id);
    else toRead.push(n);
  }
  await mapLimit(toRead, 8, async (n) => {
    const id = n.slice(NETNS_PREFIX.length);
    const got = await (early.get(id) ?? observeRouter(place, id, n, stateDir, skip).catch((e: unknown) => e as Error));
    if (got instanceof Error) errors.set(id, got);
    else routers.set(id, got);
  });
  // reads of namespaces that are not there are dropped (the routers are planned as new)
  await Promise.all(early.values());
  return { routers, hostLinks, errors, unread };
}
