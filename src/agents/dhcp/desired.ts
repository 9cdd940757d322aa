// compile: what the host must look like for each DHCP network scheduled to it. Pure.
// A network is served when it is admin-up and has a subnet dnsmasq has a range for;
// otherwise it is not desired at all (Neutron's agent disables DHCP for it).
import type { DhcpNetworkState, HostState } from '../../feed/host-state.ts';
import { deviceName } from '../../feed/host-state.ts';
import { cidrSize, formatNetmaskV4, parseCidr } from '../../domain/ip/cidr.ts';
import { formatIpValue, normalizeIp } from '../../domain/ip/address.ts';
import { checkName } from '../../linux/exec.ts';
import { dnsmasqArgv, type DhcpRange } from '../../linux/dnsmasq.ts';
import { addnHostsFile, dnsDomain, hostsFile, optsFile, subnetTag } from './config-files.ts';
import { hasRange } from './subnets.ts';
import { compileMetadata, type DesiredProxy, type DhcpMetadataOptions } from './metadata.ts';

/** The DHCP agent's options (dhcp_agent.ini names in comments). */
export interface DhcpAgentOptions {
  /** state_path; files go to <stateDir>/dhcp/<network id>/. Same path for this process and for the place. */
  stateDir: string;
  /** dhcp_lease_duration, seconds; -1 = infinite (default 86400) */
  leaseDuration?: number;
  /** dnsmasq_lease_max (default 2^24) */
  leaseMax?: number;
  /** dnsmasq_dns_servers */
  dnsServers?: readonly string[];
  /** dnsmasq_local_resolv */
  localResolv?: boolean;
  /** dnsmasq_config_file ('' = none) */
  configFile?: string;
  /** dhcp_broadcast_reply */
  broadcastReply?: boolean;
  /** dnsmasq executable (default 'dnsmasq') */
  dnsmasqBin?: string;
  /** enable_isolated_metadata / force_metadata and the metadata agent's socket (unset: no metadata) */
  metadata?: DhcpMetadataOptions;
}

/** The files written by the agent (dnsmasq writes pid, leases and log itself). */
export const DHCP_FILES = ['host', 'addn_hosts', 'opts'] as const;
export type DhcpFileName = (typeof DHCP_FILES)[number];

export interface DesiredDhcpNetwork {
  id: string;
  /** qdhcp-<network id> */
  netns: string;
  /** host end of the veth: tap<port[:11]> (the linuxbridge agent enslaves it) */
  tap: string;
  /** namespace end: ns-<port[:11]> */
  ns: string;
  /** the DHCP port's MAC, on ns- */
  mac: string;
  /** network MTU on both ends (0: left alone) */
  mtu: number;
  /** the DHCP port's fixed IPs as ip/prefixlen (canonical text, as `ip -j` shows them) */
  addresses: string[];
  /** also on ns-, but dnsmasq need not rebind for them: 169.254.169.254/32 (isolated metadata) */
  extraAddresses: string[];
  /** haproxy on 169.254.169.254:80 in the namespace (isolated metadata) */
  metadataProxy?: DesiredProxy;
  /** <stateDir>/dhcp/<network id> */
  dir: string;
  /** file name (in dir) → content */
  files: Record<DhcpFileName, string>;
  argv: string[];
  /** port ids of the host entries (dhcp_ready_on_ports once this network is realised) */
  ports: string[];
  /** `<mac> <ip>` of every IPv4 host-file address: a lease on anything else is stale (released) */
  leasable: string[];
}

export const dhcpNetns = (networkId: string): string => `qdhcp-${networkId}`;
export const NETNS_PREFIX = 'qdhcp-';
export const dhcpRoot = (stateDir: string): string => `${stateDir.replace(/\/+$/, '')}/dhcp`;
export const dhcpDir = (stateDir: string, networkId: string): string => `${dhcpRoot(stateDir)}/${networkId}`;

/** Network ids become a namespace name and a directory name. */
export function checkNetworkId(id: string): void {
  checkName(id, 'network id');
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`invalid network id ${JSON.stringify(id)}`);
}

const DEFAULT_LEASE = 86400;
const DEFAULT_LEASE_MAX = 2 ** 24;

/** --dhcp-range per served subnet, and the lease cap: addresses in those ranges, capped by leaseMax. */
function ranges(net: DhcpNetworkState, leaseMax: number): { ranges: DhcpRange[]; leaseMax: number } {
  const out: DhcpRange[] = [];
  let possible = 0n;
  for (const s of net.subnets.filter(hasRange)) {
    const c = parseCidr(s.cidr);
    if (!c) throw new Error(`subnet ${s.id}: invalid cidr ${JSON.stringify(s.cidr)}`);
    if (c.version === 6 && c.prefixlen < 64) continue; // dnsmasq cannot serve it (Neutron skips it too)
    const mask = c.version === 4 ? formatNetmaskV4(c.prefixlen) : String(c.prefixlen);
    out.push({ tag: subnetTag(s.id), address: formatIpValue(c.version, c.network), mask });
    possible += cidrSize(c);
  }
  const cap = possible < BigInt(leaseMax) ? Number(possible) : leaseMax;
  return { ranges: out, leaseMax: cap };
}

function portAddresses(net: DhcpNetworkState): string[] {
  const out: string[] = [];
  for (const f of net.port.fixed_ips) {
    const s = net.subnets.find((x) => x.id === f.subnet_id);
    const c = s && parseCidr(s.cidr);
    const ip = normalizeIp(f.ip_address);
    if (c && ip) out.push(`${ip}/${c.prefixlen}`);
  }
  return out;
}

export function compileNetwork(net: DhcpNetworkState, opts: DhcpAgentOptions): DesiredDhcpNetwork | undefined {
  const id = net.network.id;
  checkNetworkId(id);
  if (!net.network.admin_state_up) return undefined;
  const r = ranges(net, opts.leaseMax ?? DEFAULT_LEASE_MAX);
  if (r.ranges.length === 0) return undefined;
  const dir = dhcpDir(opts.stateDir, id);
  const ns = deviceName('ns-', net.port.id);
  const hosts = hostsFile(net);
  const mtu = net.network.mtu > 0 ? net.network.mtu : 0;
  const meta = compileMetadata(net, opts.metadata, dir);
  return {
    id,
    netns: dhcpNetns(id),
    tap: deviceName('tap', net.port.id),
    ns,
    mac: net.port.mac_address.toLowerCase(),
    mtu,
    addresses: portAddresses(net),
    extraAddresses: meta.addresses,
    ...(meta.proxy ? { metadataProxy: meta.proxy } : {}),
    dir,
    files: { host: hosts, addn_hosts: addnHostsFile(net), opts: optsFile(net, opts.metadata) },
    argv: dnsmasqArgv({
      dir,
      interface: ns,
      ranges: r.ranges,
      leaseSeconds: opts.leaseDuration ?? DEFAULT_LEASE,
      leaseMax: r.leaseMax,
      mtu,
      domain: dnsDomain(net),
      servers: opts.dnsServers,
      localResolv: opts.localResolv,
      confFile: opts.configFile,
      broadcastReply: opts.broadcastReply,
      bin: opts.dnsmasqBin,
    }),
    ports: net.hosts.map((h) => h.id),
    leasable: leasablePairs(hosts),
  };
}

/** `<mac> <ip>` of each IPv4 line of a hosts file (`<mac>[,id:<cid>],<name>,<ip>[,set:…]`). */
export function leasablePairs(hosts: string): string[] {
  const out: string[] = [];
  for (const line of hosts.split('\n')) {
    const f = line.split(',');
    // as Neutron's _read_hosts_file_leases: the address follows the name, after an optional id:
    const ip = f[1]?.startsWith('id:') ? f[3] : f[2];
    if (ip && /^\d+\.\d+\.\d+\.\d+$/.test(ip)) out.push(`${f[0].toLowerCase()} ${ip}`);
  }
  return out;
}

/** Every served network of the host (the first entry wins if a network is listed twice). */
export function compileDhcp(state: Pick<HostState, 'dhcp'>, opts: DhcpAgentOptions): DesiredDhcpNetwork[] {
  const seen = new Set<string>();
  const out: DesiredDhcpNetwork[] = [];
  for (const net of state.dhcp) {
    if (seen.has(net.network.id)) continue;
    seen.add(net.network.id);
    const d = compileNetwork(net, opts);
    if (d) out.push(d);
  }
  return out;
}

/** The path of a file of a network. */
export const filePath = (d: Pick<DesiredDhcpNetwork, 'dir'>, name: DhcpFileName): string => `${d.dir}/${name}`;
