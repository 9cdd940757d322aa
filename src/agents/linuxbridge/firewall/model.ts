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
// The compiler builds a model (FirewallModel, here: per table, its sets and maps with their
// elements, its chains with their rules), rendered either as a whole replace of both tables
// (render.ts) or, against the model last applied, as an incremental update (update.ts): element
// adds and deletes, chains added, rebuilt or deleted, in one transaction. nft parses a whole table
// slowly (~0.4 s for 10,000 rules), an update costs what changed. Port marks follow the sorted
// port ids when there is no applied model; updates keep them (a new port takes the lowest free
// mark). Marks live only in packets, so renumbering at a whole replace is harmless. Counters
// start from zero in a replaced table or a rebuilt chain, and are kept elsewhere.
// The model comes from the plan (plan.ts: filtered ports, marks, sets, zones), the rules as nft
// matches (rules.ts) and the two tables' contents (tables.ts); apply.ts puts it in the kernel.
import type { HostState } from '../../../feed/host-state.ts';
import { TABLE } from './names.ts';
import { planFirewall } from './plan.ts';
import { bridgeTable, inetTable } from './tables.ts';

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
