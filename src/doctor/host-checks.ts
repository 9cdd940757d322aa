// The host checks: what neutron-sanity-check asks of a Linux bridge deployment (VXLAN, the
// dnsmasq version, conntrack, bridge netfilter, namespaces) and the tools each of this host's
// agents runs, over facts gathered by src/linux/host-facts.ts. Pure.
import type { HostFacts } from '../linux/host-facts.ts';
import { finding, type Finding, type Severity } from './finding.ts';

export type AgentKind = 'linuxbridge' | 'dhcp' | 'l3' | 'metadata';

export interface HostCheckOptions {
  /** the agents this host runs (from the config files given) */
  agents: ReadonlySet<AgentKind>;
  /** [vxlan] enable_vxlan with a local_ip */
  vxlan: boolean;
  /** [securitygroup] enable_security_group */
  securityGroups: boolean;
  host: string;
}

/** Neutron's minimum (neutron-sanity-check dnsmasq_version: 2.67). */
export const MIN_DNSMASQ = '2.67';
/** The kernel that first had VXLAN with the features the agent uses (the seed's lesson: 3.13). */
export const MIN_VXLAN_KERNEL = '3.13';

interface ToolNeed { tool: string; pkg: string; agents: AgentKind[]; severity: Severity; why: string }
const NEEDS: ToolNeed[] = [
  { tool: 'ip', pkg: 'iproute2', agents: ['linuxbridge', 'dhcp', 'l3'], severity: 'error', why: 'links, addresses, routes and namespaces' },
  { tool: 'bridge', pkg: 'iproute2', agents: ['linuxbridge'], severity: 'error', why: 'the VXLAN forwarding entries of l2population' },
  { tool: 'sysctl', pkg: 'procps', agents: ['linuxbridge', 'l3'], severity: 'error', why: 'bridge netfilter and forwarding settings' },
  { tool: 'nft', pkg: 'nftables', agents: ['linuxbridge', 'l3'], severity: 'error', why: 'security groups, anti-spoofing, SNAT and floating IPs' },
  { tool: 'conntrack', pkg: 'conntrack', agents: ['linuxbridge', 'l3'], severity: 'warning', why: 'flushing connections when rules or floating IPs change' },
  { tool: 'dnsmasq', pkg: 'dnsmasq-base', agents: ['dhcp'], severity: 'error', why: 'DHCP and DNS for every network' },
  { tool: 'dhcp_release', pkg: 'dnsmasq-utils', agents: ['dhcp'], severity: 'warning', why: 'releasing the leases of deleted ports at once' },
  { tool: 'dhcp_release6', pkg: 'dnsmasq-utils', agents: ['dhcp'], severity: 'info', why: 'releasing DHCPv6 leases (IPv6 stateful subnets only)' },
  { tool: 'haproxy', pkg: 'haproxy', agents: ['dhcp', 'l3'], severity: 'warning', why: 'the metadata proxy in router and DHCP namespaces' },
  { tool: 'radvd', pkg: 'radvd', agents: ['l3'], severity: 'info', why: 'router advertisements on IPv6 subnets' },
];

function toolFindings(f: HostFacts, o: HostCheckOptions): Finding[] {
  const out: Finding[] = [];
  for (const n of NEEDS) {
    const users = n.agents.filter((a) => o.agents.has(a));
    if (!users.length || f.tools[n.tool]) continue;
    out.push(finding(n.severity, 'tool-missing', { type: 'tool', id: n.tool },
      `${n.tool} is not on PATH on host ${o.host}; the ${users.join(' and ')} agent${users.length > 1 ? 's use' : ' uses'} it for ${n.why}`,
      `apt-get install ${n.pkg}`));
  }
  if (o.agents.has('l3') && !f.tools.arping && !f.tools.busybox) {
    out.push(finding('warning', 'tool-missing', { type: 'tool', id: 'arping' },
      `neither arping nor busybox is on PATH on host ${o.host}: the L3 agent sends no gratuitous ARP, so the upstream router keeps stale entries for reused floating IPs`,
      'apt-get install iputils-arping (or busybox)'));
  }
  return out;
}

/** -1, 0, 1 comparing dotted versions numerically ("2.9" < "2.10"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

const FEATURE_USE: Record<string, { agents: AgentKind[]; what: string; fix: string; when?: (o: HostCheckOptions) => boolean }> = {
  vxlan: { agents: ['linuxbridge'], what: 'VXLAN devices: self-service networks cannot be realised and their ports fail to bind', fix: `load the vxlan module (modprobe vxlan) or run a kernel >= ${MIN_VXLAN_KERNEL} built with CONFIG_VXLAN`, when: (o) => o.vxlan },
  bridge: { agents: ['linuxbridge'], what: 'Linux bridges: no network can be realised', fix: 'modprobe bridge (CONFIG_BRIDGE)' },
  veth: { agents: ['dhcp', 'l3'], what: 'veth pairs: DHCP and router namespaces cannot be wired', fix: 'modprobe veth (CONFIG_VETH)' },
  nftables: { agents: ['linuxbridge', 'l3'], what: 'nftables inet tables with sets and conntrack: no security groups, SNAT or floating IPs', fix: 'modprobe nf_tables nft_ct (CONFIG_NF_TABLES_INET, CONFIG_NFT_CT) and install nftables' },
  conntrack: { agents: ['linuxbridge', 'l3'], what: 'connection tracking: stateful security groups and NAT do not work', fix: 'modprobe nf_conntrack' },
  br_netfilter: { agents: ['linuxbridge'], what: 'bridge netfilter: bridged traffic bypasses every security group', fix: 'modprobe br_netfilter and add br_netfilter to /etc/modules-load.d/', when: (o) => o.securityGroups },
  netns: { agents: ['dhcp', 'l3'], what: 'network namespaces: no qdhcp- or qrouter- namespace can exist', fix: 'a kernel with CONFIG_NET_NS' },
};

function kernelFindings(f: HostFacts, o: HostCheckOptions): Finding[] {
  const out: Finding[] = [];
  const host = { type: 'host', id: o.host };
  let unprobed = false;
  for (const [feature, use] of Object.entries(FEATURE_USE)) {
    if (!use.agents.some((a) => o.agents.has(a)) || (use.when && !use.when(o))) continue;
    const r = f.kernel[feature];
    if (r === null || r === undefined) { unprobed = true; continue; }
    if (r === true) continue;
    out.push(finding('error', `kernel-no-${feature.replace('_', '-')}`, host, `the kernel ${f.kernelRelease} refused ${use.what} (${r})`, use.fix));
  }
  if (unprobed) {
    out.push(finding('info', 'kernel-not-probed', host,
      `kernel features (VXLAN, bridges, veth, nftables) were not probed: ${f.isRoot ? 'unshare is not on PATH' : 'that needs root (devices are created in a throwaway network namespace)'}`,
      'run muon doctor as root on this host'));
  }
  if (o.vxlan && o.agents.has('linuxbridge') && compareVersions(f.kernelRelease, MIN_VXLAN_KERNEL) < 0) {
    out.push(finding('error', 'kernel-too-old-for-vxlan', host,
      `kernel ${f.kernelRelease} is older than ${MIN_VXLAN_KERNEL}: its VXLAN lacks what the agent needs, ports on VXLAN networks fail with binding_failed (the seed's first failure)`,
      `boot a kernel >= ${MIN_VXLAN_KERNEL} (e.g. elrepo's kernel-ml on CentOS 7), or set [vxlan] enable_vxlan = false and use VLAN or flat networks`));
  }
  if (o.agents.has('linuxbridge') && o.securityGroups && f.kernel.br_netfilter === true) {
    for (const k of ['net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables']) {
      if (f.sysctls[k] !== undefined && f.sysctls[k] !== '1') {
        out.push(finding('info', 'bridge-netfilter-off', host, `${k} = ${f.sysctls[k]}: bridged traffic is not filtered until the Linux bridge agent starts (it sets it to 1)`, `nothing if the agent runs; to keep it across reboots: echo '${k} = 1' > /etc/sysctl.d/99-muon.conf`));
      }
    }
  }
  if ((o.agents.has('dhcp') || o.agents.has('l3')) && f.netnsReadable !== true) {
    out.push(finding('error', 'netns-unreadable', host, `ip netns list failed: ${f.netnsReadable}`, 'check that /run/netns is writable by root and iproute2 supports namespaces'));
  }
  return out;
}

function dnsmasqFindings(f: HostFacts, o: HostCheckOptions): Finding[] {
  if (!o.agents.has('dhcp') || !f.tools.dnsmasq) return [];
  const tool = { type: 'tool', id: 'dnsmasq' };
  if (f.dnsmasqVersion === null) return [finding('warning', 'dnsmasq-version-unknown', tool, 'dnsmasq --version printed no version', 'check the dnsmasq binary on PATH')];
  if (compareVersions(f.dnsmasqVersion, MIN_DNSMASQ) < 0) {
    return [finding('error', 'dnsmasq-too-old', tool, `dnsmasq ${f.dnsmasqVersion} is older than ${MIN_DNSMASQ}: it lacks options the DHCP agent passes`, `install dnsmasq >= ${MIN_DNSMASQ}`)];
  }
  return [];
}

export function checkHost(f: HostFacts, o: HostCheckOptions): Finding[] {
  return [...toolFindings(f, o), ...kernelFindings(f, o), ...dnsmasqFindings(f, o)];
}
