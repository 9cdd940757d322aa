// Security groups and anti-spoofing of the linuxbridge agent (Neutron's iptables firewall on
// nftables), compiled from a HostState into ONE nft script that replaces Muon's two tables in a
// single transaction. Re-applying is idempotent and leaves conntrack (so established flows) alone.
//
// This kernel has no bridge-family conntrack (any `ct` in a bridge chain fails with EPROTO), so
// the work is split over two tables:
//   table bridge muon-sg  stateless. prerouting: the in-port id into mark bits 0-15 (the mark of
//                         every bridged frame is cleared first), then anti-spoofing of filtered
//                         ports against per-tap sets. forward: the out-port id into bits 16-31.
//   table inet muon-sg    stateful, reached through br_netfilter (bridge-nf-call-ip{,6}tables=1).
//                         There iifname/oifname are the bridge, so the ports come from the mark:
//                         forward runs the in-port's egress checks, whose "allow" goes on to the
//                         out-port's ingress checks (VM→VM on one host passes both), else the
//                         out-port's ingress checks alone. input runs the egress checks too (VM→host).
// A security group becomes two chains shared by all its ports (its ingress and its egress rules),
// so the rule count grows with the groups' rules, not with ports × rules; remote groups and
// address groups are named sets.
//
// The compiler builds a model (FirewallModel: per table, its sets and maps with their elements,
// its chains with their rules), rendered either as a whole replace of both tables or, against
// the model last applied, as an incremental update (planFirewallUpdate): element adds and
// deletes, chains added, rebuilt or deleted, in one transaction. nft parses a whole table slowly
// (~0.4 s for 10,000 rules), an update costs what changed. Port marks follow the sorted port
// ids when there is no applied model; updates keep them (a new port takes the lowest free mark).
// Marks live only in packets, so renumbering at a whole replace is harmless. Counters start
// from zero in a replaced table or a rebuilt chain, and are kept elsewhere.
import { formatIpValue, type IpVersion } from '../../domain/ip/address.ts';
import { cidrFirst, cidrLast, parseCidr, type Cidr } from '../../domain/ip/cidr.ts';
import { eui64, normalizeMac } from '../../domain/ip/mac.ts';
import { IP_PROTOCOL_MAP } from '../../domain/security-group-rules.ts';
import {
  deviceName, type HostState, type PortState, type SecurityGroupRuleState, type SecurityGroupState,
} from '../../feed/host-state.ts';
import { ExecError, type Place } from '../../linux/exec.ts';
import { apply, listTable, type NftObject } from '../../linux/nft.ts';

export const TABLE = 'muon-sg';

const IN_MASK = 0x0000ffff;
const OUT_MASK = 0xffff0000;
const MAX_PORTS = 0xffff;

/** Protocols whose rules carry a destination port range (tcp, udp, dccp, sctp, udplite). */
const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);

// ------------------------------------------------------------------------------- plan

/** Source addresses allowed with one MAC. */
export interface AddressSet {
  v4: Cidr[];
  v6: Cidr[];
}

export interface FilteredPort {
  port: PortState;
  /** 1..65535, in sorted port id order */
  id: number;
  device: string;
  /** ct rules only when a group is stateful (Neutron forbids mixing stateful and stateless) */
  stateful: boolean;
  groups: SecurityGroupState[];
  /** allowed source MAC → the source addresses allowed with it (anti-spoofing) */
  allowed: Map<string, AddressSet>;
}

export interface FirewallPlan {
  ports: FilteredPort[];
  /** groups used by filtered ports, sorted by id */
  groups: SecurityGroupState[];
  /** set name → (family, elements), for remote groups and address groups */
  sets: Map<string, { family: IpVersion; elements: string[] }>;
  /** bridge name → conntrack zone */
  zones: Map<string, number>;
}

/** Ports that get filtering: port security on, and not a network:* (DHCP, router) port. */
export function isFiltered(p: PortState): boolean {
  return p.port_security_enabled && !p.device_owner.startsWith('network:');
}

/**
 * The plan of `state`. Port marks are 1..n in sorted port id order; given the marks of the model
 * last applied (`previousMarks`, port id → mark), each port keeps its mark and a new port takes
 * the lowest free one, so that an incremental update touches only the ports that changed.
 */
export function planFirewall(state: HostState, previousMarks?: ReadonlyMap<string, number>): FirewallPlan {
  const byId = new Map(state.security_groups.map((g) => [g.id, g]));
  const filtered = state.ports.filter(isFiltered).sort((a, b) => cmp(a.id, b.id));
  if (filtered.length > MAX_PORTS) throw new Error(`too many filtered ports for 16-bit port marks: ${filtered.length}`);
  const marks = portMarks(filtered.map((p) => p.id), previousMarks);
  const ports = filtered.map((port): FilteredPort => {
    checkId(port.id, 'port id');
    const groups = [...new Set(port.security_groups)].map((id) => byId.get(id)).filter((g) => g !== undefined);
    groups.forEach((g) => checkId(g.id, 'security group id'));
    return {
      port,
      id: marks.get(port.id)!,
      device: checkDevice(port.device || deviceName('tap', port.id)),
      stateful: groups.length === 0 || groups.some((g) => g.stateful),
      groups,
      allowed: allowedAddresses(port),
    };
  });
  const devices = new Set<string>();
  for (const p of ports) {
    if (devices.has(p.device)) throw new Error(`two filtered ports have the device ${p.device}`);
    devices.add(p.device);
  }
  const groups = [...new Map(ports.flatMap((p) => p.groups).map((g) => [g.id, g])).values()].sort((a, b) => cmp(a.id, b.id));
  return { ports, groups, sets: referencedSets(state, groups), zones: zonesOf(state) };
}

/** Port id → mark: previous marks kept (when valid and unique), then the lowest free ones in id order. */
function portMarks(ids: readonly string[], previous?: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  const used = new Set<number>();
  for (const id of ids) {
    const m = previous?.get(id);
    if (m === undefined || !Number.isInteger(m) || m < 1 || m > MAX_PORTS || used.has(m) || out.has(id)) continue;
    out.set(id, m);
    used.add(m);
  }
  let free = 1;
  for (const id of ids) {
    if (out.has(id)) continue;
    while (used.has(free)) free++;
    out.set(id, free);
    used.add(free);
  }
  return out;
}

/** MAC → allowed source addresses: the fixed IPs with the port MAC, each pair with its own MAC. */
export function allowedAddresses(port: PortState): Map<string, AddressSet> {
  const portMac = mac(port.mac_address);
  const cidrs = new Map<string, Cidr[]>([[portMac, []]]);
  for (const f of port.fixed_ips) cidrs.get(portMac)!.push(cidrOf(f.ip_address, `fixed IP of port ${port.id}`));
  for (const pair of port.allowed_address_pairs) {
    const m = pair.mac_address ? mac(pair.mac_address) : portMac;
    if (!cidrs.has(m)) cidrs.set(m, []);
    cidrs.get(m)!.push(cidrOf(pair.ip_address, `allowed address pair of port ${port.id}`));
  }
  const out = new Map<string, AddressSet>();
  for (const [m, list] of [...cidrs].sort(([a], [b]) => cmp(a, b))) {
    out.set(m, { v4: list.filter((c) => c.version === 4), v6: list.filter((c) => c.version === 6) });
  }
  return out;
}

/** The EUI-64 link-local address of a MAC (what the VM's kernel configures on its eth0). */
export function linkLocal(m: string): string {
  return formatIpValue(6, eui64(parseCidr('fe80::/64')!, m));
}

function referencedSets(state: HostState, groups: readonly SecurityGroupState[]): FirewallPlan['sets'] {
  const sets: FirewallPlan['sets'] = new Map();
  for (const rule of groups.flatMap((g) => g.rules)) {
    const family: IpVersion = rule.ethertype === 'IPv6' ? 6 : 4;
    if (rule.remote_group_id) {
      const name = setName('rg', family, rule.remote_group_id);
      if (sets.has(name)) continue;
      const members = state.remote_groups[rule.remote_group_id] ?? { IPv4: [], IPv6: [] };
      const list = (family === 4 ? members.IPv4 : members.IPv6).map((a) => cidrOf(a, `member of remote group ${rule.remote_group_id}`));
      sets.set(name, { family, elements: elements(family, list) });
    } else if (rule.remote_address_group_id) {
      const name = setName('ag', family, rule.remote_address_group_id);
      if (sets.has(name)) continue;
      const list = (state.address_groups[rule.remote_address_group_id] ?? [])
        .map((a) => cidrOf(a, `address of address group ${rule.remote_address_group_id}`));
      sets.set(name, { family, elements: elements(family, list) });
    }
  }
  return new Map([...sets].sort(([a], [b]) => cmp(a, b)));
}

/**
 * A conntrack zone per network (as Neutron's CT --zone), so overlapping tenant addresses never
 * share conntrack entries. The zone comes from a hash of the network id (probing on collision),
 * so adding a network does not move the others' flows to another zone.
 */
export function zonesOf(state: HostState): Map<string, number> {
  const used = new Set<number>();
  const out = new Map<string, number>();
  for (const id of [...new Set(state.networks.map((n) => n.id))].sort(cmp)) {
    let z = (fnv1a(id) % 0xfffe) + 1;
    while (used.has(z)) z = (z % 0xfffe) + 1;
    used.add(z);
    out.set(checkDevice(deviceName('brq', id)), z);
  }
  return out;
}

// ------------------------------------------------------------------------------- rules

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

// ------------------------------------------------------------------------------- model

export type TableFamily = 'bridge' | 'inet';

/** A named set or map: its declaration and its elements, as nft writes them. */
export interface NftSetModel {
  kind: 'set' | 'map';
  name: string;
  /** declaration lines: `type …` (or `typeof …`), then `flags …` if any */
  declaration: string[];
  /** a set's elements; a map's as `key : value` */
  elements: string[];
}

export interface NftChainModel {
  name: string;
  /** a base chain's `type … hook … priority …; policy …;`, null for a regular chain */
  hook: string | null;
  rules: string[];
}

export interface NftTableModel {
  family: TableFamily;
  name: string;
  /** in declaration order (all of them are declared before the chains) */
  sets: NftSetModel[];
  chains: NftChainModel[];
}

/** What the firewall of a host is, table by table: rendered whole, or diffed against the applied one. */
export interface FirewallModel {
  tables: NftTableModel[];
  /** port id → its mark (1..65535), to keep them when the next model is built */
  marks: Map<string, number>;
}

/**
 * The firewall of `state` as a model. With `previous` (the model last applied), ports keep
 * their marks, so that `planFirewallUpdate(previous, model)` touches only what changed.
 */
export function firewallModel(state: HostState, previous?: FirewallModel): FirewallModel {
  const plan = planFirewall(state, previous?.marks);
  return {
    tables: [
      { family: 'bridge', name: TABLE, ...bridgeTable(plan) },
      { family: 'inet', name: TABLE, ...inetTable(plan) },
    ],
    marks: new Map(plan.ports.map((p) => [p.port.id, p.id])),
  };
}

// ------------------------------------------------------------------------------- text

/** The nft script: replaces `table bridge muon-sg` and `table inet muon-sg` in one transaction. */
export function compileFirewall(state: HostState): string {
  return renderFirewall(firewallModel(state));
}

/** The script that replaces every table of the model, whatever they hold now, in one transaction. */
export function renderFirewall(model: FirewallModel): string {
  return model.tables.flatMap((t) => replace(t.family, [
    ...t.sets.flatMap((x) => renderSet(x)),
    ...t.chains.flatMap((c) => renderChain(c)),
  ])).join('\n') + '\n';
}

/** Removes Muon's tables (a no-op when absent), one transaction. */
export function removalScript(): string {
  return ['bridge', 'inet'].flatMap((f) => [`table ${f} ${TABLE}`, `delete table ${f} ${TABLE}`]).join('\n') + '\n';
}

// "add table" is a no-op on an existing table, so the delete never fails and the whole script
// is one transaction: the new table replaces the old with no unfiltered moment
function replace(family: TableFamily, body: string[]): string[] {
  return [`table ${family} ${TABLE}`, `delete table ${family} ${TABLE}`, `table ${family} ${TABLE} {`, ...indent(body), '}'];
}

function renderSet(x: NftSetModel): string[] {
  const elems = x.elements.length ? [`elements = { ${x.elements.join(', ')} }`] : [];
  return [`${x.kind} ${x.name} {`, ...indent([...x.declaration, ...elems]), '}'];
}

function renderChain(c: NftChainModel): string[] {
  return [`chain ${c.name} {`, ...indent([...(c.hook !== null ? [c.hook] : []), ...c.rules]), '}'];
}

// ------------------------------------------------------------------------------- update

/**
 * The nft script (one transaction) that turns the applied firewall `prev` into `next`, or null
 * when that takes more than element and rule changes (a table, a set's type or flags, a base
 * chain's hook): then the tables are replaced whole. '' when nothing changes. In order:
 *   1. new sets and maps (with their elements) and new chains (empty), so anything may refer to them
 *   2. elements gone or whose value changed are deleted, then the new ones added (a map
 *      element whose verdict changed: delete + add; merged address ranges likewise)
 *   3. each new chain, and each chain whose rules changed, filled: `flush chain` + `add rule`s
 *   4. chains no longer needed are flushed, then sets and maps no longer needed deleted, then
 *      those chains: by then no rule, jump or vmap element refers to either.
 * Rebuilt chains' counters start from zero; the other counters, and conntrack, are untouched.
 */
export function planFirewallUpdate(prev: FirewallModel, next: FirewallModel): string | null {
  const tableKey = (t: NftTableModel): string => `${t.family} ${t.name}`;
  if (prev.tables.length !== next.tables.length) return null;
  const prevTables = new Map(prev.tables.map((t) => [tableKey(t), t]));
  const declare: string[] = [];
  const deleteElements: string[] = [];
  const addElements: string[] = [];
  const fill: string[] = [];
  const flushGone: string[] = [];
  const deleteSets: string[] = [];
  const deleteChains: string[] = [];
  for (const n of next.tables) {
    const p = prevTables.get(tableKey(n));
    if (!p) return null;
    const t = tableKey(n);
    const prevSets = new Map(p.sets.map((x) => [x.name, x]));
    const nextSets = new Set<string>();
    for (const x of n.sets) {
      nextSets.add(x.name);
      const o = prevSets.get(x.name);
      if (!o) {
        const elems = x.elements.length ? [`elements = { ${x.elements.join(', ')} }`] : [];
        declare.push(`add ${x.kind} ${t} ${x.name} { ${[...x.declaration, ...elems].join('; ')}; }`);
        continue;
      }
      if (o.kind !== x.kind || !sameList(o.declaration, x.declaration)) return null;
      const { gone, added } = x.kind === 'map' ? diffMap(o.elements, x.elements) : diffSet(o.elements, x.elements);
      if (gone.length) deleteElements.push(`delete element ${t} ${x.name} { ${gone.join(', ')} }`);
      if (added.length) addElements.push(`add element ${t} ${x.name} { ${added.join(', ')} }`);
    }
    for (const o of p.sets) if (!nextSets.has(o.name)) deleteSets.push(`delete ${o.kind} ${t} ${o.name}`);
    const prevChains = new Map(p.chains.map((c) => [c.name, c]));
    const nextChains = new Set<string>();
    for (const c of n.chains) {
      nextChains.add(c.name);
      const o = prevChains.get(c.name);
      if (!o) {
        declare.push(`add chain ${t} ${c.name}${c.hook !== null ? ` { ${c.hook} }` : ''}`);
        fill.push(...c.rules.map((r) => `add rule ${t} ${c.name} ${r}`));
        continue;
      }
      if (o.hook !== c.hook) return null;
      if (sameList(o.rules, c.rules)) continue;
      fill.push(`flush chain ${t} ${c.name}`, ...c.rules.map((r) => `add rule ${t} ${c.name} ${r}`));
    }
    for (const o of p.chains) {
      if (nextChains.has(o.name)) continue;
      flushGone.push(`flush chain ${t} ${o.name}`);
      deleteChains.push(`delete chain ${t} ${o.name}`);
    }
  }
  const lines = [...declare, ...deleteElements, ...addElements, ...fill, ...flushGone, ...deleteSets, ...deleteChains];
  return lines.length ? lines.join('\n') + '\n' : '';
}

function diffSet(prev: readonly string[], next: readonly string[]): { gone: string[]; added: string[] } {
  const before = new Set(prev);
  const after = new Set(next);
  return { gone: prev.filter((e) => !after.has(e)), added: next.filter((e) => !before.has(e)) };
}

/** Map elements by key: a key gone, or whose value changed, is deleted (by its key); then the new ones added. */
function diffMap(prev: readonly string[], next: readonly string[]): { gone: string[]; added: string[] } {
  const before = new Map(prev.map((e) => [mapKey(e), e]));
  const after = new Map(next.map((e) => [mapKey(e), e]));
  return {
    gone: [...before].filter(([k, e]) => after.get(k) !== e).map(([k]) => k),
    added: [...after].filter(([k, e]) => before.get(k) !== e).map(([, e]) => e),
  };
}

const mapKey = (element: string): string => {
  const i = element.indexOf(' : ');
  if (i < 0) throw new Error(`map element without a value: ${element}`);
  return element.slice(0, i);
};

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

// ------------------------------------------------------------------------------- tables

type TableContent = Pick<NftTableModel, 'sets' | 'chains'>;

function bridgeTable(plan: FirewallPlan): TableContent {
  const el = spoofElements(plan.ports);
  return {
    sets: [
      set('port-mac', 'ifname . ether_addr', false, el.mac),
      set('port-arp', 'ifname . ether_addr . ether_addr . ipv4_addr', true, el.arp),
      set('port-ip4', 'ifname . ether_addr . ipv4_addr', true, el.ip4),
      set('port-ip6', 'ifname . ether_addr . ipv6_addr', true, el.ip6),
      map('port-in-id', 'ifname : mark', plan.ports.map((p) => `"${p.device}" : ${hex(p.id)}`)),
      map('port-out-id', 'ifname : verdict', plan.ports.map((p) => `"${p.device}" : jump ${outMarkChain(p)}`)),
    ],
    chains: [
      base('prerouting', 'type filter hook prerouting priority -300; policy accept;', [
        // bridged frames carry only Muon's port marks, so the inet chains never act on a stranger's mark
        'meta mark set 0x00000000',
        'meta mark set iifname map @port-in-id',
        'meta mark != 0x00000000 jump anti-spoof',
      ]),
      chain('anti-spoof', SPOOF_RULES),
      base('forward', 'type filter hook forward priority -200; policy accept;', ['oifname vmap @port-out-id']),
      // a rule per port: nft can only OR a constant into the mark
      ...plan.ports.map((p) => chain(outMarkChain(p), [`meta mark set meta mark or ${hex(outMark(p))}`])),
    ],
  };
}

/**
 * Stateless anti-spoofing of the filtered ports (Neutron's s-chain, arp_protect and DHCP/RA
 * drops), shared by all of them: what each port may send is in the port-* sets, keyed by tap.
 */
const SPOOF_RULES = [
  'iifname . ether saddr != @port-mac counter drop comment "spoof-mac"',
  // ARP: sender MAC is the frame's own (allowed) MAC, sender IP one allowed with it or 0.0.0.0 (probes)
  'ether type arp iifname . ether saddr . arp saddr ether . arp saddr ip @port-arp return',
  'ether type arp counter drop comment "spoof-arp"',
  // the VM may not act as a DHCP server or router
  'udp sport 67 udp dport 68 counter drop comment "dhcp-server"',
  'udp sport 547 counter drop comment "dhcp6-server"',
  'icmpv6 type { nd-router-advert, nd-redirect } counter drop comment "router-advert"',
  // IPv4: DHCP DISCOVER/REQUEST before the VM has an address, then allowed sources only
  'ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 return',
  'iifname . ether saddr . ip saddr @port-ip4 return',
  'ether type ip counter drop comment "spoof-ip"',
  // IPv6: the MAC's link-local address, :: (DAD), or allowed addresses
  'iifname . ether saddr . ip6 saddr @port-ip6 return',
  'ether type ip6 counter drop comment "spoof-ip6"',
  'counter drop comment "spoof-ethertype"',
];

/** Elements of the anti-spoofing sets: what each filtered port may send. */
export function spoofElements(ports: readonly FilteredPort[]): { mac: string[]; arp: string[]; ip4: string[]; ip6: string[] } {
  const out = { mac: [] as string[], arp: [] as string[], ip4: [] as string[], ip6: [] as string[] };
  for (const p of ports) {
    for (const [m, a] of p.allowed) {
      const key = `"${p.device}" . ${m}`;
      out.mac.push(key);
      out.arp.push(...elements(4, [...a.v4, UNSPECIFIED4]).map((e) => `${key} . ${m} . ${e}`));
      out.ip4.push(...elements(4, a.v4).map((e) => `${key} . ${e}`));
      out.ip6.push(...elements(6, [cidrOf(linkLocal(m), 'link-local'), UNSPECIFIED6, ...a.v6]).map((e) => `${key} . ${e}`));
    }
  }
  return out;
}

function inetTable(plan: FirewallPlan): TableContent {
  const stateless = plan.ports.filter((p) => !p.stateful);
  return {
    sets: [
      ...[...plan.sets].map(([name, x]) => set(name, `ipv${x.family}_addr`, true, x.elements)),
      set('stateless-from', 'mark', false, stateless.map((p) => hex(p.id))),
      set('stateless-to', 'mark', false, stateless.map((p) => hex(outMark(p)))),
      map('port-from', 'mark : verdict', plan.ports.map((p) => `${hex(p.id)} : jump ${fromChain(p)}`)),
      map('port-to', 'mark : verdict', plan.ports.map((p) => `${hex(outMark(p))} : jump ${toChain(p)}`)),
      map('net-zone', 'typeof iifname : ct zone', [...plan.zones].map(([b, z]) => `"${b}" : ${z}`)),
    ],
    chains: [
      // conntrack zones must be set before conntrack (priority raw < conntrack)
      base('zone-prerouting', 'type filter hook prerouting priority raw; policy accept;', ['ct zone set iifname map @net-zone']),
      base('zone-output', 'type filter hook output priority raw; policy accept;', ['ct zone set oifname map @net-zone']),
      // bridged packets only: their mark was set (or cleared) by the bridge table
      base('forward', 'type filter hook forward priority filter; policy accept;', [
        'meta iifkind != "bridge" return',
        `meta mark and ${hex(IN_MASK)} != 0x00000000 jump from-vm`,
        `meta mark and ${hex(OUT_MASK)} != 0x00000000 jump to-vm`,
      ]),
      // VM → host: the egress rules apply too (as Neutron's INPUT chain)
      base('input', 'type filter hook input priority filter; policy accept;', [
        `meta iifkind "bridge" meta mark and ${hex(IN_MASK)} != 0x00000000 jump from-vm`,
      ]),
      chain('from-vm', [
        // DHCP and ND/MLD clients always work, whatever the groups say (as in Neutron); ND and MLD
        // are untracked, so they come before the conntrack checks
        'meta nfproto ipv4 udp sport 68 udp dport 67 goto egress-allowed',
        'meta nfproto ipv6 udp sport 546 udp dport 547 goto egress-allowed',
        'icmpv6 type { mld-listener-report, nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld2-listener-report } goto egress-allowed',
        `meta mark and ${hex(IN_MASK)} @stateless-from meta mark and ${hex(IN_MASK)} vmap @port-from`,
        'ct state invalid counter drop comment "egress-invalid"',
        'ct state established,related goto egress-allowed',
        `meta mark and ${hex(IN_MASK)} vmap @port-from`,
      ]),
      // an allowed egress packet still meets the destination port's ingress rules (VM→VM on this host)
      chain('egress-allowed', [`meta mark and ${hex(OUT_MASK)} != 0x00000000 goto to-vm`, 'accept']),
      chain('to-vm', [
        'meta nfproto ipv4 udp sport 67 udp dport 68 accept',
        'meta nfproto ipv6 udp sport 547 udp dport 546 accept',
        'icmpv6 type { mld-listener-query, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept',
        `meta mark and ${hex(OUT_MASK)} @stateless-to meta mark and ${hex(OUT_MASK)} vmap @port-to`,
        'ct state established,related accept',
        'ct state invalid counter drop comment "ingress-invalid"',
        `meta mark and ${hex(OUT_MASK)} vmap @port-to`,
      ]),
      ...plan.groups.flatMap((g) => [
        chain(groupChain('in', g), groupRules(g, 'ingress', 'accept')),
        chain(groupChain('eg', g), groupRules(g, 'egress', 'goto egress-allowed')),
      ]),
      ...plan.ports.flatMap((p) => [
        chain(fromChain(p), [...p.groups.map((g) => `jump ${groupChain('eg', g)}`), `counter drop comment "egress-drop ${p.port.id}"`]),
        chain(toChain(p), [...p.groups.map((g) => `jump ${groupChain('in', g)}`), `counter drop comment "ingress-drop ${p.port.id}"`]),
      ]),
    ],
  };
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

const outMark = (p: FilteredPort): number => (p.id << 16) >>> 0;
const outMarkChain = (p: FilteredPort): string => `out-${p.device}`;
const fromChain = (p: FilteredPort): string => `from-${p.device}`;
const toChain = (p: FilteredPort): string => `to-${p.device}`;
const groupChain = (dir: 'in' | 'eg', g: SecurityGroupState): string => `sg-${dir}-${g.id}`;

export function setName(kind: 'rg' | 'ag', family: IpVersion, id: string): string {
  return `${kind}${family}-${checkId(id, kind === 'rg' ? 'remote group id' : 'address group id')}`;
}

const chain = (name: string, rules: readonly string[]): NftChainModel => ({ name, hook: null, rules: [...rules] });
const base = (name: string, hook: string, rules: readonly string[]): NftChainModel => ({ name, hook, rules: [...rules] });

function map(name: string, type: string, elems: readonly string[]): NftSetModel {
  return { kind: 'map', name, declaration: [type.startsWith('typeof ') ? type : `type ${type}`], elements: [...elems] };
}

function set(name: string, type: string, interval: boolean, elems: readonly string[]): NftSetModel {
  return { kind: 'set', name, declaration: [`type ${type}`, ...(interval ? ['flags interval'] : [])], elements: [...elems] };
}

const indent = (lines: readonly string[]): string[] => lines.map((l) => `\t${l}`);

// 0.0.0.0 (ARP probes, DHCP) and :: (duplicate address detection)
const UNSPECIFIED4: Cidr = { version: 4, network: 0n, prefixlen: 32 };
const UNSPECIFIED6: Cidr = { version: 6, network: 0n, prefixlen: 128 };

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

// ------------------------------------------------------------------------------- addresses

function cidrOf(s: string, what: string): Cidr {
  const c = parseCidr(s);
  if (!c) throw new Error(`invalid address ${JSON.stringify(s)} (${what})`);
  return c;
}

function mac(s: string): string {
  const m = normalizeMac(s);
  if (m === null) throw new Error(`invalid MAC address ${JSON.stringify(s)}`);
  return m;
}

/**
 * The set elements covering the CIDRs of one family: overlapping and adjacent ranges merged
 * (nft refuses overlapping intervals), each written as an address, a prefix or a range.
 */
export function elements(family: IpVersion, cidrs: readonly Cidr[]): string[] {
  const ranges = cidrs.filter((c) => c.version === family).map((c) => [cidrFirst(c), cidrLast(c)] as [bigint, bigint])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1n) {
      if (r[1] > last[1]) last[1] = r[1];
    } else {
      merged.push([r[0], r[1]]);
    }
  }
  return merged.map(([a, b]) => {
    if (a === b) return formatIpValue(family, a);
    const size = b - a + 1n;
    const bits = size.toString(2).length - 1;
    if (size === 1n << BigInt(bits) && a % size === 0n) return `${formatIpValue(family, a)}/${(family === 4 ? 32 : 128) - bits}`;
    return `${formatIpValue(family, a)}-${formatIpValue(family, b)}`;
  });
}

// ------------------------------------------------------------------------------- names

// Names go into the script as identifiers and comments: anything else could change its meaning
function checkId(id: string, what: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(id)) throw new Error(`invalid ${what} ${JSON.stringify(id)}`);
  return id;
}

function checkDevice(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/.test(name)) throw new Error(`invalid device name ${JSON.stringify(name)}`);
  return name;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

// ------------------------------------------------------------------------------- apply

/** Compile and apply the firewall of `state` in `place` (one nft transaction). */
export async function applyFirewall(place: Place | undefined, state: HostState): Promise<void> {
  await apply(place, compileFirewall(state), { timeoutMs: 60_000 });
}

export interface FirewallUpdate {
  /** the firewall now applied: pass it to the next updateFirewall */
  model: FirewallModel;
  /** 'replaced': both tables rewritten whole; 'updated': only what changed; 'unchanged': nothing to do */
  how: 'replaced' | 'updated' | 'unchanged';
  /** nft's error when the incremental update failed (the tables were then replaced whole) */
  failed?: string;
}

/**
 * Bring the firewall of `place` from `applied` (the model last applied there; none: unknown, so
 * the tables are replaced whole) to `state`: incrementally when it can, else (or when nft
 * refuses the update, e.g. because someone changed the tables) by replacing both tables. Throws
 * when the replace fails; then the kernel holds what it held before that replace, which may be
 * neither model, so the caller passes no `applied` next time.
 */
export async function updateFirewall(place: Place | undefined, state: HostState, applied?: FirewallModel): Promise<FirewallUpdate> {
  const model = firewallModel(state, applied);
  const update = applied ? planFirewallUpdate(applied, model) : null;
  if (update === '') return { model, how: 'unchanged' };
  let failed: string | undefined;
  if (update !== null) {
    try {
      await apply(place, update, { timeoutMs: 60_000 });
      return { model, how: 'updated' };
    } catch (e) {
      failed = e instanceof ExecError ? (e.result.stderr.trim() || e.message) : (e as Error).message;
    }
  }
  await apply(place, renderFirewall(model), { timeoutMs: 60_000 });
  return { model, how: 'replaced', ...(failed !== undefined ? { failed } : {}) };
}

/** Remove Muon's tables from `place`. */
export async function removeFirewall(place: Place | undefined): Promise<void> {
  await apply(place, removalScript());
}

/** Packet counts of the commented rules of both tables (comment → packets), for tests and diagnostics. */
export async function ruleCounters(place: Place | undefined): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const family of ['bridge', 'inet'] as const) {
    for (const o of (await listTable(place, family, TABLE)) ?? []) {
      const r = (o as NftObject).rule;
      if (!r || typeof r.comment !== 'string') continue;
      const counter = (r.expr as Record<string, { packets?: number }>[]).find((e) => 'counter' in e)?.counter;
      if (counter) out.set(r.comment, (out.get(r.comment) ?? 0) + (counter.packets ?? 0));
    }
  }
  return out;
}
