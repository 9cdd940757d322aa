// A security group rule as an nft match, as Neutron's iptables firewall matches it.
import type { IpVersion } from '../../../domain/ip/address.ts';
import { IP_PROTOCOL_MAP } from '../../../domain/security-group-rules.ts';
import type { SecurityGroupRuleState, SecurityGroupState } from '../../../feed/host-state.ts';
import { cidrOf, elements } from './addresses.ts';
import { setName } from './names.ts';

/** Protocols whose rules carry a destination port range (tcp, udp, dccp, sctp, udplite). */
const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);

/** The nft match of a rule (it always starts with the family), or null when it can never match. */
export function ruleMatch(rule: SecurityGroupRuleState): string | null {
  const family: IpVersion = rule.ethertype === 'IPv6' ? 6 : 4;
  const ipf = family === 6 ? 'ip6' : 'ip';
  // Neutron matches the remote side: the source of ingress packets, the destination of egress ones
  const peer = rule.direction === 'ingress' ? 'saddr' : 'daddr';
  const parts = [`meta nfproto ipv${family}`];
  if (rule.remote_ip_prefix) {
    const c = cidrOf(rule.remote_ip_prefix, `remote_ip_prefix of rule ${rule.id}`);
    if (c.version !== family) return null;
    if (c.prefixlen > 0) parts.push(`${ipf} ${peer} ${elements(family, [c])[0]}`);
  } else if (rule.remote_group_id) {
    parts.push(`${ipf} ${peer} @${setName('rg', family, rule.remote_group_id)}`);
  } else if (rule.remote_address_group_id) {
    parts.push(`${ipf} ${peer} @${setName('ag', family, rule.remote_address_group_id)}`);
  }
  parts.push(...protocolMatch(rule, family));
  return parts.join(' ');
}

function protocolMatch(rule: SecurityGroupRuleState, family: IpVersion): string[] {
  const proto = protocolNumber(rule.protocol, family);
  if (proto === null) return [];
  const { port_range_min: min, port_range_max: max } = rule;
  if (PORT_PROTOCOLS.has(proto)) {
    // Neutron matches the destination port in both directions
    const lo = min ?? 1;
    const hi = max ?? 65535;
    if (lo <= 1 && hi >= 65535) return [`meta l4proto ${proto}`];
    return [`meta l4proto ${proto}`, `th dport ${lo === hi ? lo : `${lo}-${hi}`}`];
  }
  if (proto === 1 || proto === 58) {
    // for ICMP, port_range_min is the type and port_range_max the code
    const icmp = proto === 1 ? 'icmp' : 'icmpv6';
    if (min === null) return [`meta l4proto ${proto}`];
    return [`${icmp} type ${min}`, ...(max !== null ? [`${icmp} code ${max}`] : [])];
  }
  return [`meta l4proto ${proto}`];
}

/** The IP protocol number of a rule, null for any. */
export function protocolNumber(protocol: string | null, family: IpVersion): number | null {
  if (protocol === null) return null;
  const p = protocol.toLowerCase();
  if (p === 'any') return null;
  let n = /^\d+$/.test(p) ? Number(p) : IP_PROTOCOL_MAP[p];
  if (n === undefined || n > 255) throw new Error(`unknown protocol ${JSON.stringify(protocol)}`);
  if (family === 6 && n === 1) n = 58; // Neutron: icmp in an IPv6 rule is ICMPv6
  return n === 0 ? null : n; // 0 ('ip'): iptables' "-p 0", any protocol
}

/** A group's rules of one direction, each with the verdict for a match. */
export function groupRules(g: SecurityGroupState, direction: 'ingress' | 'egress', verdict: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of g.rules) {
    if (r.direction !== direction) continue;
    const m = ruleMatch(r);
    if (m === null || seen.has(m)) continue;
    seen.add(m);
    out.push(`${m} counter ${verdict}`);
  }
  return out;
}
