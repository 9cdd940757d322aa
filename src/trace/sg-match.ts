// Security group rules against one packet, as the linuxbridge agent's firewall matches them
// (src/agents/linuxbridge/firewall/rules.ts): ethertype, protocol (icmp in an IPv6 rule is
// ICMPv6), the destination port range in both directions, ICMP type in port_range_min, and the
// remote side (the source of ingress packets, the destination of egress ones) by prefix, by the
// members of a remote group or by an address group.
import { parseIp } from '../domain/ip/address.ts';
import { contains, parseCidr } from '../domain/ip/cidr.ts';
import { IP_PROTOCOL_MAP } from '../domain/security-group-rules.ts';
import type { PortM, Protocol, RuleM, SecurityGroupM, TraceModel } from './model.ts';

export interface Packet {
  version: 4 | 6;
  protocol: Protocol;
  /** tcp/udp destination port; null: any port (only rules covering every port count) */
  dport: number | null;
  /** a reply of a stateless flow: ICMP echo reply, and the client's port (unknown) */
  reply?: boolean;
}

const NUMBER: Record<Exclude<Protocol, 'any'>, number> = { icmp: 1, tcp: 6, udp: 17 };

function ruleProtocol(rule: RuleM, version: 4 | 6): number | null {
  const p = rule.protocol?.toLowerCase() ?? null;
  if (p === null || p === 'any') return null;
  let n = /^\d+$/.test(p) ? Number(p) : IP_PROTOCOL_MAP[p];
  if (n === undefined) return -1; // unknown: matches nothing we trace
  if (version === 6 && n === 1) n = 58;
  return n === 0 ? null : n;
}

/** Does the rule's protocol and port part admit the packet? */
export function protocolMatches(rule: RuleM, pkt: Packet): boolean {
  const proto = ruleProtocol(rule, pkt.version);
  const { port_range_min: min, port_range_max: max } = rule;
  if (proto === null) return true;
  if (pkt.protocol === 'any') return false; // a rule for one protocol lets only part of "any" through
  const want = pkt.protocol === 'icmp' && pkt.version === 6 ? 58 : NUMBER[pkt.protocol];
  if (proto !== want) return false;
  if (pkt.protocol === 'icmp') {
    if (min === null) return true;
    const type = pkt.reply ? (pkt.version === 4 ? 0 : 129) : (pkt.version === 4 ? 8 : 128);
    // port_range_max is the ICMP code: echo request and reply have code 0
    return min === type && (max === null || max === 0);
  }
  const lo = min ?? 1;
  const hi = max ?? 65535;
  if (lo <= 1 && hi >= 65535) return true;
  if (pkt.dport === null || pkt.reply) return false;
  return pkt.dport >= lo && pkt.dport <= hi;
}

const inCidr = (cidr: string, ip: string): boolean => {
  const c = parseCidr(cidr);
  const a = parseIp(ip);
  return !!c && !!a && contains(c, a);
};

/** Does the rule's remote part admit the peer address? */
export function remoteMatches(rule: RuleM, peerIp: string, model: TraceModel): boolean {
  if (rule.remote_ip_prefix) return inCidr(rule.remote_ip_prefix, peerIp);
  if (rule.remote_group_id) return (model.remote_group_members[rule.remote_group_id] ?? []).some((m) => inCidr(m, peerIp));
  if (rule.remote_address_group_id) return (model.address_groups[rule.remote_address_group_id]?.addresses ?? []).some((a) => inCidr(a, peerIp));
  return true;
}

export function ruleMatches(rule: RuleM, direction: 'ingress' | 'egress', pkt: Packet, peerIp: string, model: TraceModel): boolean {
  return rule.direction === direction && rule.ethertype === `IPv${pkt.version}` && protocolMatches(rule, pkt) && remoteMatches(rule, peerIp, model);
}

export type SgVerdict =
  | { filtered: false; why: 'port_security_disabled' | 'network_port' }
  | { filtered: true; allowed: true; group: SecurityGroupM; rule: RuleM; stateful: boolean }
  | { filtered: true; allowed: false; groups: SecurityGroupM[]; stateful: boolean };

/** Is the port filtered at all: port security on, and not a network:* (router, DHCP) port. */
export function isFiltered(port: PortM): boolean {
  return port.port_security_enabled && !port.device_owner.startsWith('network:');
}

/** The port's groups in one direction: the first rule that admits the packet, or none. */
export function evaluateGroups(port: PortM, direction: 'ingress' | 'egress', pkt: Packet, peerIp: string, model: TraceModel): SgVerdict {
  if (!port.port_security_enabled) return { filtered: false, why: 'port_security_disabled' };
  if (port.device_owner.startsWith('network:')) return { filtered: false, why: 'network_port' };
  const groups = port.security_group_ids.map((id) => model.security_groups.find((g) => g.id === id)).filter((g) => g !== undefined);
  // Neutron forbids mixing stateful and stateless groups on a port; no group at all is stateful
  const stateful = groups.length === 0 || groups.some((g) => g.stateful);
  for (const g of groups) {
    const rule = g.rules.find((r) => ruleMatches(r, direction, pkt, peerIp, model));
    if (rule) return { filtered: true, allowed: true, group: g, rule, stateful };
  }
  return { filtered: true, allowed: false, groups, stateful };
}

/** A rule as people read it: "ingress IPv4 tcp 22 from 0.0.0.0/0". */
export function describeRule(rule: RuleM, model: TraceModel): string {
  const proto = rule.protocol ?? 'any protocol';
  const ports = rule.port_range_min === null ? '' : rule.protocol && /^(icmp|1|ipv6-icmp|icmpv6|58)$/.test(rule.protocol)
    ? ` type ${rule.port_range_min}${rule.port_range_max !== null ? ` code ${rule.port_range_max}` : ''}`
    : ` ${rule.port_range_min === rule.port_range_max ? rule.port_range_min : `${rule.port_range_min}-${rule.port_range_max ?? 65535}`}`;
  const side = rule.direction === 'ingress' ? 'from' : 'to';
  const remote = rule.remote_ip_prefix ? `${side} ${rule.remote_ip_prefix}`
    : rule.remote_group_id ? `${side} members of group ${model.security_groups.find((g) => g.id === rule.remote_group_id)?.name || rule.remote_group_id}`
      : rule.remote_address_group_id ? `${side} address group ${model.address_groups[rule.remote_address_group_id]?.name || rule.remote_address_group_id}`
        : `${side} anywhere`;
  return `${rule.direction} ${rule.ethertype} ${proto}${ports} ${remote}`;
}

/** "tcp 22", "icmp", "udp (any port)", "any protocol". */
export function describePacket(pkt: Packet): string {
  if (pkt.protocol === 'any') return 'any protocol';
  if (pkt.protocol === 'icmp') return pkt.reply ? 'icmp echo reply' : 'icmp (echo request)';
  if (pkt.reply) return `${pkt.protocol} replies`;
  return pkt.dport === null ? `${pkt.protocol} (every port)` : `${pkt.protocol} ${pkt.dport}`;
}

/** The openstack command adding a rule that admits the packet from/to the peer. */
export function ruleFix(group: string, direction: 'ingress' | 'egress', pkt: Packet, peerIp: string): string {
  const proto = pkt.protocol === 'any' ? '--protocol any' : `--protocol ${pkt.protocol}`;
  const port = (pkt.protocol === 'tcp' || pkt.protocol === 'udp') && pkt.dport !== null && !pkt.reply ? ` --dst-port ${pkt.dport}` : '';
  const remote = `--remote-ip ${peerIp}/${pkt.version === 4 ? 32 : 128}`;
  return `openstack security group rule create --${direction} --ethertype IPv${pkt.version} ${proto}${port} ${remote} ${group}`;
}
