// observe: what the kernel holds now for routers — qrouter-* namespaces, the qr-/qg- devices,
// addresses and this agent's (proto static) routes in each, sysctls, the nft table as listed,
// radvd by pid file — and the tap ends on the host. Nothing is remembered here.
import { readFile } from 'node:fs/promises';
import type { Place } from '../../linux/exec.ts';
import { tryExec } from '../../linux/exec.ts';
import { links, parseJsonList, type AddrInfo, type Route } from '../../linux/ip.ts';
import { inodes } from '../../linux/netns.ts';
import { read as readSysctls } from '../../linux/sysctl.ts';
import { findRadvd, type RunningRadvd } from '../../linux/radvd.ts';
import { mapLimit } from '../dhcp/pool.ts';
import { NAT_TABLE } from './nat.ts';
import { NETNS_PREFIX, ROUTER_SYSCTLS, radvdFiles } from './desired.ts';

export interface ObservedDevice {
  name: string;
  kind?: string;
  mac?: string;
  mtu: number;
  up: boolean;
  /** global-scope addresses "ip/len" */
  addresses: string[];
}

export interface ObservedRoute {
  dst: string;
  via?: string;
  family: 4 | 6;
}

export interface ObservedRouter {
  id: string;
  netns: string;
  netnsInode: number;
  loUp: boolean;
  /** qr-/qg- devices in the namespace */
  devices: Map<string, ObservedDevice>;
  routes: ObservedRoute[];
  sysctls: Map<string, string>;
  /** `nft list table ip neutron-l3`, undefined when absent */
  nft?: string;
  radvd?: RunningRadvd;
  radvdConf?: string;
}

export interface ObservedL3 {
  routers: Map<string, ObservedRouter>;
  /** host links by name (taps) */
  hostLinks: Map<string, ObservedDevice>;
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

async function ipJson<T>(place: Place, args: string[]): Promise<T[]> {
  const r = await tryExec(['ip', '-j', ...args], { place });
  if (r.code !== 0) throw new Error(`ip -j ${args.join(' ')} in ${place.netns}: ${r.stderr.trim()}`);
  return parseJsonList<T>(r.stdout, `ip -j ${args.join(' ')}`);
}

export async function observeRouter(place: Place | undefined, id: string, netns: string, netnsInode: number, stateDir: string): Promise<ObservedRouter> {
  const ns: Place = { ...place, netns };
  const files = radvdFiles(stateDir, id);
  const [addrs, r4, r6, sysctls, nft, radvd, radvdConf] = await Promise.all([
    ipJson<AddrLink>(ns, ['-d', 'addr', 'show']),
    ipJson<Route>(ns, ['-4', 'route', 'show', 'proto', 'static']),
    ipJson<Route>(ns, ['-6', 'route', 'show', 'proto', 'static']),
    readSysctls(ns, Object.keys(ROUTER_SYSCTLS)),
    tryExec(['nft', 'list', 'table', 'ip', NAT_TABLE], { place: ns }).then((r) => (r.code === 0 ? r.stdout : undefined)),
    findRadvd(files.pid),
    readFile(files.conf, 'utf8').catch(() => undefined),
  ]);
  const devices = new Map<string, ObservedDevice>();
  for (const l of addrs) {
    if (!/^q[rg]-/.test(l.ifname)) continue;
    devices.set(l.ifname, { name: l.ifname, kind: l.linkinfo?.info_kind, mac: l.address?.toLowerCase(), mtu: l.mtu, up: isUp(l.flags), addresses: globalAddrs(l.addr_info) });
  }
  const routes: ObservedRoute[] = [
    ...r4.map((r) => ({ dst: r.dst, via: r.gateway, family: 4 as const })),
    ...r6.map((r) => ({ dst: r.dst, via: r.gateway, family: 6 as const })),
  ];
  return {
    id, netns, netnsInode,
    loUp: addrs.some((l) => l.ifname === 'lo' && isUp(l.flags)),
    devices, routes, sysctls, nft,
    radvd,
    radvdConf,
  };
}

/** Every qrouter-* namespace of the place, read. */
export async function observeL3(place: Place | undefined, stateDir: string): Promise<ObservedL3> {
  const [ino, host] = await Promise.all([inodes(place), links(place)]);
  const hostLinks = new Map<string, ObservedDevice>();
  for (const l of host) {
    if (!l.ifname.startsWith('tap')) continue;
    hostLinks.set(l.ifname, { name: l.ifname, kind: l.linkinfo?.info_kind, mac: l.address, mtu: l.mtu, up: isUp(l.flags), addresses: [] });
  }
  const routers = new Map<string, ObservedRouter>();
  const names = [...ino.keys()].filter((n) => n.startsWith(NETNS_PREFIX));
  await mapLimit(names, 8, async (n) => {
    const id = n.slice(NETNS_PREFIX.length);
    routers.set(id, await observeRouter(place, id, n, ino.get(n)!, stateDir));
  });
  return { routers, hostLinks };
}
