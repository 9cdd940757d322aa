// The plan: which ports of a host are filtered, with their marks, groups, allowed addresses,
// the remote-group and address-group sets their rules name, and a conntrack zone per network.
import type { IpVersion } from '../../../domain/ip/address.ts';
import type { Cidr } from '../../../domain/ip/cidr.ts';
import { deviceName, type HostState, type PortState, type SecurityGroupState } from '../../../feed/host-state.ts';
import { cidrOf, elements, mac } from './addresses.ts';
import { checkDevice, checkId, cmp, fnv1a, setName } from './names.ts';

const MAX_PORTS = 0xffff;

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
