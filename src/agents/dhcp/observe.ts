// observe: what the host has now, read from the kernel (`ip -j` in the host and in each
// qdhcp namespace), the files under <stateDir>/dhcp and the dnsmasq pid files. Nothing is
// remembered between runs, so a restarted agent sees exactly what a running one would.
import { readdir, readFile, stat } from 'node:fs/promises';
import type { Place } from '../../linux/exec.ts';
import { addresses, links, type AddrInfo, type ObservedLink } from '../../linux/ip.ts';
import { inodes } from '../../linux/netns.ts';
import { findRunning, dnsmasqFiles, type RunningDnsmasq } from '../../linux/dnsmasq.ts';
import { processesIn } from '../../linux/proc.ts';
import { parseLeases, type Lease } from '../../linux/dhcp-release.ts';
import { observeProxy, proxyFiles, type ObservedProxy } from '../metadata/proxy.ts';
import { PROXY_STEM } from './metadata.ts';
import { mapLimit } from './pool.ts';
import { vouched, type PlumbingMemory } from './plumbing-memory.ts';
import { DHCP_FILES, dhcpDir, dhcpRoot, NETNS_PREFIX, type DesiredDhcpNetwork, type DhcpFileName } from './desired.ts';

export interface ObservedDhcpNetwork {
  id: string;
  /** inode of the qdhcp-<id> namespace, when it exists */
  netnsInode?: number;
  /** host end of the veth */
  tap?: ObservedLink;
  /** namespace end */
  ns?: ObservedLink;
  loUp: boolean;
  /** other ns-… devices in the namespace (an earlier DHCP port's) */
  strayNs: string[];
  dirExists: boolean;
  files: Partial<Record<DhcpFileName, string>>;
  dnsmasq?: RunningDnsmasq;
  /** dnsmasq's IPv4 leases (its lease file), read for desired networks */
  leases: Lease[];
  /** the isolated-metadata haproxy's config file and process (desired networks) */
  proxy?: ObservedProxy;
  /** other processes in the namespace (read only for networks that are not desired) */
  others: number[];
  /** plumbing not read: what this process left stands for it (./plumbing-memory.ts) */
  vouched?: true;
}

export type ObservedDhcp = Map<string, ObservedDhcpNetwork>;

const up = (flags: readonly string[]): boolean => flags.includes('UP');

const globalAddrs = (info: readonly AddrInfo[]): string[] =>
  info.filter((a) => (a.family === 'inet' || a.family === 'inet6') && (a.scope ?? 'global') === 'global').map((a) => `${a.local}/${a.prefixlen}`);

async function readFiles(dir: string): Promise<Partial<Record<DhcpFileName, string>>> {
  const out: Partial<Record<DhcpFileName, string>> = {};
  await Promise.all(DHCP_FILES.map(async (n) => {
    try { out[n] = await readFile(`${dir}/${n}`, 'utf8'); } catch { /* absent */ }
  }));
  return out;
}

async function isDir(path: string): Promise<boolean> {
  try { return (await stat(path)).isDirectory(); } catch { return false; }
}

/** Network ids that have a directory under <stateDir>/dhcp (only names that can be ids). */
async function stateDirs(stateDir: string): Promise<string[]> {
  try {
    const entries = await readdir(dhcpRoot(stateDir), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && /^[A-Za-z0-9_.-]+$/.test(e.name) && !/^\.+$/.test(e.name)).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * Read the desired networks' plumbing, files and dnsmasq, and every other qdhcp namespace /
 * state dir (to remove). A network whose plumbing `memory` vouches for (./plumbing-memory.ts)
 * is not read: neither its namespace nor, when all are vouched for, the host's links.
 */
export async function observeDhcp(place: Place | undefined, desired: readonly DesiredDhcpNetwork[], stateDir: string, memory?: PlumbingMemory): Promise<ObservedDhcp> {
  const [nsInodes, dirs] = await Promise.all([inodes(place), stateDirs(stateDir)]);
  const now = Date.now();
  const vouch = new Map(desired.map((d) => [d.id, vouched(memory, d, nsInodes.get(`${NETNS_PREFIX}${d.id}`), now)]));
  const hostLinks = desired.every((d) => vouch.get(d.id)) ? [] : await links(place);
  const want = new Map(desired.map((d) => [d.id, d]));
  const ids = new Set<string>(want.keys());
  for (const name of nsInodes.keys()) if (name.startsWith(NETNS_PREFIX)) ids.add(name.slice(NETNS_PREFIX.length));
  for (const d of dirs) ids.add(d);

  const out: ObservedDhcp = new Map();
  await mapLimit([...ids].sort(), 8, async (id) => {
    const d = want.get(id);
    const dir = dhcpDir(stateDir, id);
    const netnsInode = nsInodes.get(`${NETNS_PREFIX}${id}`);
    const o: ObservedDhcpNetwork = {
      id,
      netnsInode,
      loUp: false,
      strayNs: [],
      dirExists: dirs.includes(id),
      files: {},
      dnsmasq: await findRunning(dnsmasqFiles(dir).pid),
      leases: [],
      others: [],
    };
    const v = d && vouch.get(id);
    if (v) Object.assign(o, { tap: v.tap, ns: v.ns, loUp: v.loUp, strayNs: v.strayNs, vouched: true });
    else if (d) {
      const t = hostLinks.find((l) => l.ifname === d.tap);
      if (t) o.tap = { name: t.ifname, kind: t.linkinfo?.info_kind, mac: t.address, mtu: t.mtu, up: up(t.flags), addresses: [] };
      if (netnsInode !== undefined) {
        const inNs = await addresses({ ...place, netns: d.netns });
        o.loUp = inNs.some((l) => l.ifname === 'lo' && up(l.flags as string[]));
        const n = inNs.find((l) => l.ifname === d.ns);
        o.strayNs = inNs.map((l) => l.ifname).filter((n) => n.startsWith('ns-') && n !== d.ns);
        if (n) o.ns = { name: n.ifname, mac: n.address as string | undefined, mtu: n.mtu as number, up: up(n.flags as string[]), addresses: globalAddrs(n.addr_info) };
      }
    }
    if (d) {
      if (o.dirExists) {
        o.files = await readFiles(dir);
        o.leases = parseLeases(await readFile(dnsmasqFiles(dir).leases, 'utf8').catch(() => ''));
        const proxy = await observeProxy(proxyFiles(dir, PROXY_STEM));
        if (proxy.config !== undefined || proxy.running) o.proxy = proxy;
      }
    }
    out.set(id, o);
  });

  // processes left in namespaces about to be deleted (they would live on in an unnamed netns)
  const doomed = new Map<number, ObservedDhcpNetwork>();
  for (const o of out.values()) if (!want.has(o.id) && o.netnsInode !== undefined) doomed.set(o.netnsInode, o);
  if (doomed.size > 0) {
    for (const p of await processesIn({ net: new Set(doomed.keys()) })) {
      const o = doomed.get(p.net as number);
      if (o && p.pid !== o.dnsmasq?.pid) o.others.push(p.pid);
    }
  }
  return out;
}
