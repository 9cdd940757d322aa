// The router's nftables table (`table ip neutron-l3` inside qrouter-<id>): Neutron's legacy L3
// iptables rules (neutron-agents.md §4.2) in nft, rendered as ONE `nft -f` text that replaces
// the whole table atomically. NAT bindings live in conntrack, so replacing the table does not
// disturb established flows.
import type { FloatingIpState, PortForwardingState } from '../../feed/host-state.ts';

export const NAT_TABLE = 'neutron-l3';
export const METADATA_ADDR = '169.254.169.254';
/** Neutron's metadata_access_mark (mask 0xffff) */
export const METADATA_MARK = 0x1;
/** Neutron's external_ingress_mark (mask 0xffff): set on packets coming in from qg- */
export const EXTERNAL_INGRESS_MARK = 0x2;

export interface NatInput {
  /** qg- device; undefined when the router has no gateway */
  gwDevice?: string;
  /** IPv4 address of the gateway port (SNAT source); undefined: no SNAT, no hairpin */
  gwIp?: string;
  enableSnat: boolean;
  floatingIps: Pick<FloatingIpState, 'floating_ip_address' | 'fixed_ip_address'>[];
  portForwardings: PortForwardingState[];
  /** haproxy port in the namespace (Neutron's metadata_port, 9697) */
  metadataPort: number;
}

const isV4 = (a: string | null | undefined): a is string => !!a && /^\d+\.\d+\.\d+\.\d+$/.test(a);

function portSpec(start: number, end: number): string {
  return start === end ? String(start) : `${start}-${end}`;
}

/** DNAT statement of one port forwarding (ranges of equal length map port to port). */
export function pfDnat(pf: PortForwardingState): string {
  const { protocol: p, internal_ip_address: ip } = pf;
  const extLen = pf.external_port_end - pf.external_port_start;
  const intLen = pf.internal_port_end - pf.internal_port_start;
  if (extLen === 0 || pf.external_port_start === pf.internal_port_start && extLen === intLen) {
    return extLen === 0 ? `dnat to ${ip}:${pf.internal_port_start}` : `dnat to ${ip}`;
  }
  if (extLen === intLen && extLen < 4096) {
    const pairs: string[] = [];
    for (let i = 0; i <= extLen; i++) pairs.push(`${pf.external_port_start + i} : ${pf.internal_port_start + i}`);
    return `dnat to ${ip} : ${p} dport map { ${pairs.join(', ')} }`;
  }
  return `dnat to ${ip}:${portSpec(pf.internal_port_start, pf.internal_port_end)}`;
}

/** The rules, chain by chain (without the table wrapper); stable order for stable text. */
export function natChains(n: NatInput): Record<string, string[]> {
  const fips = n.floatingIps
    .filter((f) => isV4(f.floating_ip_address) && isV4(f.fixed_ip_address))
    .sort((a, b) => a.floating_ip_address.localeCompare(b.floating_ip_address));
  const pfs = n.portForwardings
    .filter((p) => isV4(p.floating_ip_address) && isV4(p.internal_ip_address))
    .sort((a, b) => a.floating_ip_address.localeCompare(b.floating_ip_address) || a.protocol.localeCompare(b.protocol) || a.external_port_start - b.external_port_start);
  const md = `iifname "qr-*" ip daddr ${METADATA_ADDR} tcp dport 80`;
  const dnat = [
    ...fips.map((f) => `ip daddr ${f.floating_ip_address} dnat to ${f.fixed_ip_address}`),
    ...pfs.map((p) => `ip daddr ${p.floating_ip_address} ${p.protocol} dport ${portSpec(p.external_port_start, p.external_port_end)} ${pfDnat(p)}`),
  ];
  const post: string[] = [];
  if (n.gwDevice) {
    const qg = `"${n.gwDevice}"`;
    // east-west and internal traffic that was not DNATed leaves untouched
    post.push(`oifname != ${qg} ct status & dnat == 0 accept`);
    // float-snat: a VM with a floating IP goes out as that floating IP
    for (const f of fips) post.push(`ip saddr ${f.fixed_ip_address} snat to ${f.floating_ip_address} fully-random`);
    if (n.gwIp) {
      if (n.enableSnat) post.push(`oifname ${qg} snat to ${n.gwIp} fully-random`);
      // hairpin: DNATed traffic that did not come in from outside is SNATed, so replies return
      // through the router. The input device is unknown in postrouting: a mark set in prerouting says it.
      post.push(`meta mark & 0x0000ffff != 0x${EXTERNAL_INGRESS_MARK.toString(16)} ct status dnat snat to ${n.gwIp}`);
    }
  }
  return {
    mangle: [
      `${md} meta mark set meta mark & 0xffff0000 | 0x${METADATA_MARK.toString(16)}`,
      ...(n.gwDevice ? [`iifname "${n.gwDevice}" meta mark set meta mark & 0xffff0000 | 0x${EXTERNAL_INGRESS_MARK.toString(16)}`] : []),
    ],
    prerouting: [`${md} redirect to :${n.metadataPort}`, ...dnat],
    output: dnat,
    postrouting: post,
    input: [`meta mark & 0x0000ffff == 0x${METADATA_MARK.toString(16)} accept`, `tcp dport ${n.metadataPort} drop`],
  };
}

const HOOKS: Record<string, string> = {
  mangle: 'type filter hook prerouting priority mangle; policy accept;',
  prerouting: 'type nat hook prerouting priority dstnat; policy accept;',
  output: 'type nat hook output priority -100; policy accept;',
  postrouting: 'type nat hook postrouting priority srcnat; policy accept;',
  input: 'type filter hook input priority filter; policy accept;',
};

/** The table's definition (what `nft -f` gets after the delete). */
export function renderNatTable(n: NatInput): string {
  const chains = natChains(n);
  const out = [`table ip ${NAT_TABLE} {`];
  for (const name of Object.keys(HOOKS)) {
    out.push(`\tchain ${name} {`, `\t\t${HOOKS[name]}`);
    for (const r of chains[name]) out.push(`\t\t${r}`);
    out.push('\t}');
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

/** The transaction replacing the table (created if absent): add, delete, define — all or nothing. */
export function replaceTableScript(tableText: string): string {
  return `add table ip ${NAT_TABLE}\ndelete table ip ${NAT_TABLE}\n${tableText}`;
}

/** floating IP → fixed IP, read back from a listed table (`nft list table ip neutron-l3`): the DNAT rules of prerouting. */
export function parseFipMap(listed: string): Map<string, string> {
  const out = new Map<string, string>();
  const pre = /chain prerouting \{([\s\S]*?)\n\s*\}/.exec(listed);
  if (!pre) return out;
  for (const line of pre[1].split('\n')) {
    const m = /^\s*ip daddr (\d+\.\d+\.\d+\.\d+) dnat (?:ip )?to (\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}
