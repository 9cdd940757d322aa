// The two tables' sets, maps and chains, built from the plan (the layout is described in
// model.ts): the bridge table's marks and anti-spoofing, the inet table's stateful checks.
import type { Cidr } from '../../../domain/ip/cidr.ts';
import type { SecurityGroupState } from '../../../feed/host-state.ts';
import { cidrOf, elements, linkLocal } from './addresses.ts';
import type { NftChainModel, NftSetModel, NftTableModel } from './model.ts';
import type { FilteredPort, FirewallPlan } from './plan.ts';
import { groupRules } from './rules.ts';

const IN_MASK = 0x0000ffff;
const OUT_MASK = 0xffff0000;

type TableContent = Pick<NftTableModel, 'sets' | 'chains'>;

export function bridgeTable(plan: FirewallPlan): TableContent {
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

export function inetTable(plan: FirewallPlan): TableContent {
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

const outMark = (p: FilteredPort): number => (p.id << 16) >>> 0;
const outMarkChain = (p: FilteredPort): string => `out-${p.device}`;
const fromChain = (p: FilteredPort): string => `from-${p.device}`;
const toChain = (p: FilteredPort): string => `to-${p.device}`;
const groupChain = (dir: 'in' | 'eg', g: SecurityGroupState): string => `sg-${dir}-${g.id}`;

const chain = (name: string, rules: readonly string[]): NftChainModel => ({ name, hook: null, rules: [...rules] });
const base = (name: string, hook: string, rules: readonly string[]): NftChainModel => ({ name, hook, rules: [...rules] });

function map(name: string, type: string, elems: readonly string[]): NftSetModel {
  return { kind: 'map', name, declaration: [type.startsWith('typeof ') ? type : `type ${type}`], elements: [...elems] };
}

function set(name: string, type: string, interval: boolean, elems: readonly string[]): NftSetModel {
  return { kind: 'set', name, declaration: [`type ${type}`, ...(interval ? ['flags interval'] : [])], elements: [...elems] };
}

// 0.0.0.0 (ARP probes, DHCP) and :: (duplicate address detection)
const UNSPECIFIED4: Cidr = { version: 4, network: 0n, prefixlen: 32 };
const UNSPECIFIED6: Cidr = { version: 6, network: 0n, prefixlen: 128 };

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
