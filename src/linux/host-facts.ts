// What `muon doctor` needs to know about a host, read without changing it: the tools on PATH
// and their versions, kernel features (probed in a throwaway network namespace, as
// neutron-sanity-check probes them by creating devices), sysctls, interfaces and addresses.
import { release } from 'node:os';
import { access } from 'node:fs/promises';
import { tryExec, which, type Place } from './exec.ts';
import { addresses, links } from './ip.ts';
import { read as readSysctls } from './sysctl.ts';

export interface InterfaceFact { name: string; mtu: number; up: boolean; master?: string; kind?: string; addresses: string[] }

export interface HostFacts {
  kernelRelease: string;
  isRoot: boolean;
  /** tool → its path, or null when not on PATH */
  tools: Record<string, string | null>;
  /** "2.90" from `dnsmasq --version`, null when absent or unreadable */
  dnsmasqVersion: string | null;
  /** feature → true (works), false (the kernel refused it: the message), or null (not probed: needs root) */
  kernel: Record<string, true | string | null>;
  /** sysctl key → value (absent: the key does not exist) */
  sysctls: Record<string, string>;
  /** `ip netns` readable here */
  netnsReadable: boolean | string;
  interfaces: InterfaceFact[];
}

export const TOOLS = ['ip', 'bridge', 'nft', 'sysctl', 'dnsmasq', 'dhcp_release', 'dhcp_release6', 'conntrack', 'arping', 'haproxy', 'radvd', 'unshare', 'busybox'] as const;

export const SYSCTLS = [
  'net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables', 'net.ipv4.ip_forward', 'net.netfilter.nf_conntrack_max',
] as const;

// one ip batch line per feature; run with -force so each failure is reported on its own
const IP_PROBES: [string, string][] = [
  ['vxlan', 'link add muon-probe-vx type vxlan id 4242 dstport 4789 nolearning'],
  ['bridge', 'link add muon-probe-br type bridge'],
  ['veth', 'link add muon-probe-v0 type veth peer name muon-probe-v1'],
];
const NFT_PROBE = [
  'add table inet muon_probe',
  'add set inet muon_probe addrs { type ipv4_addr; flags interval; }',
  'add chain inet muon_probe probe { type filter hook forward priority 0; policy accept; }',
  'add rule inet muon_probe probe ct state established,related accept',
  'add rule inet muon_probe probe ip saddr @addrs ct zone 1 drop',
].join('\n');

export async function gatherHostFacts(place?: Place): Promise<HostFacts> {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const tools: Record<string, string | null> = {};
  await Promise.all(TOOLS.map(async (t) => { tools[t] = (await which(t)) ?? null; }));
  const [dnsmasqVersion, kernel, sysctls, netnsReadable, interfaces] = await Promise.all([
    tools.dnsmasq ? tryExec(['dnsmasq', '--version'], { place }).then((r) => /version (\d+(?:\.\d+)+)/i.exec(r.stdout)?.[1] ?? null, () => null) : null,
    probeKernel(place, isRoot, tools),
    tools.sysctl ? readSysctls(place, SYSCTLS).then((m) => Object.fromEntries(m), () => ({})) : {},
    tryExec(['ip', 'netns', 'list'], { place }).then((r) => (r.code === 0 ? true : r.stderr.trim() || `exit ${r.code}`), (e: Error) => e.message),
    readInterfaces(place),
  ]);
  return { kernelRelease: release(), isRoot, tools, dnsmasqVersion, kernel, sysctls, netnsReadable, interfaces };
}

async function probeKernel(place: Place | undefined, isRoot: boolean, tools: Record<string, string | null>): Promise<Record<string, true | string | null>> {
  const out: Record<string, true | string | null> = {};
  for (const [f] of IP_PROBES) out[f] = null;
  out.nftables = null;
  out.conntrack = await exists('/proc/sys/net/netfilter/nf_conntrack_max') ? true : 'no /proc/sys/net/netfilter/nf_conntrack_max: nf_conntrack is not loaded';
  out.br_netfilter = await exists('/proc/sys/net/bridge/bridge-nf-call-iptables') ? true : 'no /proc/sys/net/bridge: br_netfilter is not loaded (modprobe br_netfilter)';
  out.netns = await exists('/proc/self/ns/net') ? true : 'no /proc/self/ns/net: the kernel has no network namespaces';
  if (!isRoot || !tools.unshare) return out;
  // a new, empty network namespace per probe: nothing is created where anything lives
  const ipRun = await tryExec(['unshare', '--net', 'ip', '-force', '-batch', '-'], { place, input: `${IP_PROBES.map(([, l]) => l).join('\n')}\n` });
  const failed = new Map<number, string>();
  const errLines = ipRun.stderr.split('\n');
  errLines.forEach((l, i) => {
    const m = /Command failed -:(\d+)/.exec(l);
    if (m) failed.set(Number(m[1]), errLines.slice(0, i).reverse().find((x) => x.trim() && !/Command failed/.test(x))?.trim() ?? 'refused');
  });
  IP_PROBES.forEach(([f, line], i) => { out[f] = failed.has(i + 1) ? `ip ${line}: ${failed.get(i + 1)}` : true; });
  if (tools.nft) {
    const nft = await tryExec(['unshare', '--net', 'nft', '-f', '-'], { place, input: `${NFT_PROBE}\n` });
    out.nftables = nft.code === 0 ? true : `nft refused an inet table with a set, a forward hook and conntrack matches: ${nft.stderr.trim().split('\n')[0]}`;
  }
  return out;
}

async function readInterfaces(place: Place | undefined): Promise<InterfaceFact[]> {
  try {
    const [ls, as] = await Promise.all([links(place), addresses(place)]);
    return ls.map((l) => ({
      name: l.ifname, mtu: l.mtu, up: l.flags.includes('UP'),
      ...(l.master ? { master: l.master } : {}),
      ...(l.linkinfo?.info_kind ? { kind: l.linkinfo.info_kind } : {}),
      addresses: (as.find((a) => a.ifname === l.ifname)?.addr_info ?? []).filter((i) => i.scope !== 'link' && i.scope !== 'host').map((i) => `${i.local}/${i.prefixlen}`),
    }));
  } catch {
    return [];
  }
}

async function exists(path: string): Promise<boolean> {
  try { await access(path); return true; } catch { return false; }
}
