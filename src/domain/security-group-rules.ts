// Security group rules without IO: the API converters (protocol, ports, ethertype,
// remote_ip_prefix), Neutron's rule validation in its order, normalised CIDRs and
// the key two rules are compared by when looking for duplicates.
import {
  InvalidCIDR, SecurityGroupEthertypeConflictWithProtocol, SecurityGroupInvalidIcmpValue, SecurityGroupInvalidPortRange,
  SecurityGroupInvalidPortValue, SecurityGroupInvalidProtocolForPort, SecurityGroupMissingIcmpType, SecurityGroupMultipleRemoteEntites,
  SecurityGroupProtocolRequiredWithPorts, SecurityGroupRuleInvalidEtherType, SecurityGroupRuleInvalidProtocol,
  SecurityGroupRuleParameterConflict,
} from '../errors/catalog.ts';
import { formatIpValue } from './ip/address.ts';
import { formatCidr, parseCidr, parseNetaddrNetwork } from './ip/cidr.ts';
import { pyStr } from './py-str.ts';
import { own } from './own.ts';

/** neutron-lib IP_PROTOCOL_MAP (plus the icmpv6 alias). */
export const IP_PROTOCOL_MAP: Readonly<Record<string, number>> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ip: 0, ipip: 4, 'ipv6-encap': 41,
  'ipv6-frag': 44, 'ipv6-icmp': 58, icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60, 'ipv6-route': 43, ospf: 89,
  pgm: 113, rsvp: 46, sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};
/** Protocols whose rules may carry a port range. */
const PORT_PROTOCOLS = new Set([33, 132, 6, 17, 136]);
const PORT_PROTOCOL_NAMES = 'DCCP, SCTP, TCP, UDP, UDPLITE';
const IPV6_ONLY_PROTOCOLS = new Set(['ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', '41', '44', '58', '59', '60', '43']);

export interface RuleInput {
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  remote_address_group_id: string | null;
  security_group_id: string;
}

// ---- API converters (neutron/extensions/securitygroup.py) ----

/** A name (any case) or 0-255; numbers are kept as strings, as Neutron stores them. */
export function convertProtocol(v: unknown): string | null {
  if (v === null || v === undefined || v === 'any') return null;
  const s = pyStr(v);
  if (typeof v === 'number' || (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v))) {
    const n = typeof v === 'number' ? Math.trunc(v) : Number.parseInt(v, 10);
    if (n >= 0 && n <= 255) return String(typeof v === 'number' ? n : v);
    throw SecurityGroupRuleInvalidProtocol(s);
  }
  if (typeof v === 'string' && Object.hasOwn(IP_PROTOCOL_MAP, v.toLowerCase())) return v.toLowerCase();
  throw SecurityGroupRuleInvalidProtocol(s);
}

export function convertPort(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number.parseInt(v, 10) : NaN;
  if (Number.isNaN(n) || n < 0 || n > 65535) throw SecurityGroupInvalidPortValue(pyStr(v));
  return n;
}

export function convertEthertype(v: unknown): string {
  if (typeof v === 'string') {
    for (const e of ['IPv4', 'IPv6']) if (e.toLowerCase() === v.toLowerCase()) return e;
  }
  throw SecurityGroupRuleInvalidEtherType(pyStr(v));
}

/** str(netaddr.IPNetwork(v)): canonical address, host bits kept, prefix always shown. */
export function convertIpPrefix(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'string' ? parseNetaddrNetwork(v.trim()) : null;
  if (!n) throw InvalidCIDR(pyStr(v));
  return `${formatIpValue(n.version, n.ip)}/${n.prefixlen}`;
}

/** The prefix with host bits cleared (normalized_cidr). */
export function normalizedCidr(prefix: string | null): string | null {
  if (prefix === null) return null;
  const c = parseCidr(prefix);
  return c ? formatCidr(c) : null;
}

// ---- validation (securitygroups_db._validate_security_group_rule, in its order) ----

function protocolNumber(protocol: string): number {
  const n = IP_PROTOCOL_MAP[protocol];
  return n !== undefined ? n : Number.parseInt(protocol, 10);
}

/** Normalises the rule in place and throws the first error Neutron would raise. */
export function validateRule(rule: RuleInput): void {
  // Legacy IPv6 ICMP names/numbers become the canonical ones.
  if (rule.ethertype === 'IPv6') {
    if (rule.protocol === 'icmp' || rule.protocol === 'icmpv6') rule.protocol = 'ipv6-icmp';
    else if (rule.protocol === '1') rule.protocol = '58';
  }
  // The whole range 1-65535 is the same as no range; the backends handle it better.
  if (rule.port_range_min === 1 && rule.port_range_max === 65535) {
    rule.port_range_min = null;
    rule.port_range_max = null;
  }
  validatePortRange(rule);
  if (rule.remote_ip_prefix !== null) {
    const version = rule.remote_ip_prefix.includes(':') ? 6 : 4;
    if (rule.ethertype !== `IPv${version}`) throw SecurityGroupRuleParameterConflict(rule.ethertype, rule.remote_ip_prefix);
  }
  if (rule.protocol !== null && IPV6_ONLY_PROTOCOLS.has(rule.protocol) && rule.ethertype === 'IPv4') {
    throw SecurityGroupEthertypeConflictWithProtocol(rule.ethertype, rule.protocol);
  }
  const remotes = [rule.remote_ip_prefix, rule.remote_group_id, rule.remote_address_group_id].filter((x) => x !== null);
  if (remotes.length > 1) throw SecurityGroupMultipleRemoteEntites();
}

function validatePortRange(rule: RuleInput): void {
  const { port_range_min: min, port_range_max: max } = rule;
  if (min === null && max === null) return;
  if (!rule.protocol) throw SecurityGroupProtocolRequiredWithPorts();
  const proto = protocolNumber(rule.protocol);
  if (PORT_PROTOCOLS.has(proto)) {
    if (min === 0 || max === 0) throw SecurityGroupInvalidPortValue('0');
    if (min !== null && max !== null && min <= max) return;
    throw SecurityGroupInvalidPortRange();
  }
  if (proto === 1 || proto === 58) {
    for (const [attr, field, v] of [['port_range_min', 'type', min], ['port_range_max', 'code', max]] as const) {
      if (v !== null && !(v >= 0 && v <= 255)) throw SecurityGroupInvalidIcmpValue(field, attr, v);
    }
    if (min === null && max !== null) throw SecurityGroupMissingIcmpType(max);
    return;
  }
  throw SecurityGroupInvalidProtocolForPort(String(proto), PORT_PROTOCOL_NAMES);
}

/** _rule_to_key: two rules with the same key are duplicates (any-address prefixes equal none). */
export function ruleKey(rule: RuleInput): string {
  const norm = (k: keyof RuleInput): string => {
    const v = rule[k];
    if (k === 'remote_ip_prefix') return v === null || v === '0.0.0.0/0' || v === '::/0' ? '+' : String(v);
    if (v === null) return '+';
    if (k === 'protocol') return protocolNameAndNumber(String(v), rule.ethertype);
    return String(v);
  };
  const keys: (keyof RuleInput)[] = [
    'direction', 'ethertype', 'port_range_max', 'port_range_min', 'protocol', 'remote_group_id', 'remote_address_group_id',
    'remote_ip_prefix', 'security_group_id',
  ];
  return keys.map(norm).join('_');
}

/** 'tcp' and '6' compare equal. */
function protocolNameAndNumber(protocol: string, ethertype: string): string {
  let p = protocol;
  if (ethertype === 'IPv6') {
    if (p === 'icmp' || p === 'icmpv6') p = 'ipv6-icmp';
    else if (p === '1') p = '58';
  }
  if (p === 'icmpv6') p = 'ipv6-icmp';
  const n = own(IP_PROTOCOL_MAP, p);
  return String(n !== undefined ? n : p);
}
