// The desired state of one host, as the server computes it and the agents realise it (the
// agent channel's snapshot, see DESIGN.md "The agent channel"). Plain JSON data: the server
// builds it from the database (src/feed/snapshot.ts), it travels over the channel as is, and
// every agent's pure compile/plan functions take it as input. Field names are Neutron's.

/** A network some object on the host needs (a bound port, a DHCP server). */
export interface NetworkState {
  id: string;
  /** 'flat' | 'vxlan' | 'vlan' | 'local' — the segment the host's ports are bound to */
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  mtu: number;
  admin_state_up: boolean;
}

export interface FixedIp {
  subnet_id: string;
  ip_address: string;
}

export interface AddressPair {
  ip_address: string; // an address or a CIDR
  mac_address: string;
}

/** A port bound to this host (binding:host_id = host, vif_type bridge). */
export interface PortState {
  id: string;
  network_id: string;
  mac_address: string;
  fixed_ips: FixedIp[];
  admin_state_up: boolean;
  device_owner: string;
  /** false: no anti-spoofing and no security groups (everything passes) */
  port_security_enabled: boolean;
  security_groups: string[];
  allowed_address_pairs: AddressPair[];
  /** Linux device names: `tap<id[:11]>` on the host */
  device: string;
}

export interface SecurityGroupRuleState {
  id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  /** null = any; otherwise a name ('tcp', 'udp', 'icmp', 'ipv6-icmp', …) or a number as text */
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  /** members' addresses are in HostState.remote_groups[remote_group_id] */
  remote_group_id: string | null;
  /** addresses are in HostState.address_groups[remote_address_group_id] */
  remote_address_group_id: string | null;
}

export interface SecurityGroupState {
  id: string;
  stateful: boolean;
  rules: SecurityGroupRuleState[];
}

/** Addresses (plain IPs, v4 and v6) of every port in a security group, cloud-wide. */
export interface MemberAddresses {
  IPv4: string[];
  IPv6: string[];
}

/** l2population: on a vxlan network, the ports behind a remote VTEP. */
export interface L2popPeer {
  network_id: string;
  segmentation_id: number;
  /** remote agent's tunneling_ip */
  vtep: string;
  /** [mac, ip] of each remote port (a port without IPs contributes [mac, '']) */
  ports: [string, string][];
}

export interface SubnetState {
  id: string;
  network_id: string;
  ip_version: 4 | 6;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  dns_nameservers: string[];
  host_routes: { destination: string; nexthop: string }[];
  ipv6_address_mode: string | null;
  ipv6_ra_mode: string | null;
  /**
   * DHCP agent: a router interface holds this subnet's gateway_ip (Neutron's
   * get_isolated_subnets). Absent = false: the subnet is isolated, so with
   * enable_isolated_metadata the DHCP namespace serves 169.254.169.254 for it.
   */
  has_router?: boolean;
}

export interface ExtraDhcpOpt {
  opt_name: string;
  opt_value: string;
  ip_version: 4 | 6;
}

/** A port the DHCP server must answer for. */
export interface DhcpHostEntry {
  id: string;
  mac_address: string;
  fixed_ips: FixedIp[];
  /** `host-172-16-1-10` unless the port has a dns_name */
  hostname: string;
  extra_dhcp_opts: ExtraDhcpOpt[];
}

/** A network scheduled to this host's DHCP agent. */
export interface DhcpNetworkState {
  network: NetworkState;
  /** the network:dhcp port the server created for this agent (device_id dhcp…-<net>) */
  port: PortState;
  subnets: SubnetState[];
  hosts: DhcpHostEntry[];
  dns_domain: string;
}

/** A subnet as a router port sees it: enough to address the port and route to it. */
export interface RouterSubnetState {
  id: string;
  cidr: string;
  gateway_ip: string | null;
  ip_version: 4 | 6;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
}

/**
 * A router's port (Neutron's `gw_port` / `_interfaces`). The L3 agent plugs it as a veth pair:
 * `tap<id[:11]>` on the network's `brq` bridge (plugged by the L3 agent when that bridge exists;
 * the Linux bridge agent wires and reports it, as it does for any port bound to its host) and `qr-<id[:11]>` / `qg-<id[:11]>` inside
 * `qrouter-<router id>` carrying the port's MAC and addresses.
 */
export interface RouterPortState {
  id: string;
  network_id: string;
  mac_address: string;
  mtu: number;
  admin_state_up: boolean;
  /** this port's addresses; each on one of `subnets` (prefix length from its cidr) */
  fixed_ips: FixedIp[];
  /** the subnets of fixed_ips */
  subnets: RouterSubnetState[];
  /** `qr-<id[:11]>` (interfaces) or `qg-<id[:11]>` (gateway), inside the router's namespace */
  device: string;
  /** `tap<id[:11]>`: the peer on the host, enslaved to the network's bridge */
  tap: string;
}

export interface FloatingIpState {
  id: string;
  floating_ip_address: string;
  /** the associated fixed address (null: not associated; the agent removes it) */
  fixed_ip_address: string | null;
  fixed_port_id: string | null;
}

export interface PortForwardingState {
  id: string;
  floating_ip_address: string;
  protocol: 'tcp' | 'udp';
  internal_ip_address: string;
  /** ranges; start = end for a single port */
  external_port_start: number;
  external_port_end: number;
  internal_port_start: number;
  internal_port_end: number;
}

/** A legacy (centralised) router scheduled to this host's L3 agent. */
export interface RouterState {
  id: string;
  /** project of the router (X-Tenant-ID fallbacks, logs) */
  project_id: string;
  admin_state_up: boolean;
  /** `qrouter-<id>` */
  namespace: string;
  enable_snat: boolean;
  /** the external gateway port (null: no gateway) */
  gw_port: RouterPortState | null;
  interfaces: RouterPortState[];
  /** extra routes */
  routes: { destination: string; nexthop: string }[];
  /** associated floating IPs (only those with a fixed address) */
  floating_ips: FloatingIpState[];
  port_forwardings: PortForwardingState[];
}

/** What a metadata request is resolved to (the metadata agent's port lookup). */
export interface InstanceLookup {
  /** the port's device_id = Nova's instance uuid */
  instance_id: string;
  project_id: string;
  port_id: string;
}

export interface HostState {
  host: string;
  /** feed revision this snapshot reflects (changes outbox position) */
  revision: number;
  /** networks of `ports` and of `dhcp` */
  networks: NetworkState[];
  ports: PortState[];
  /** security groups used by `ports` */
  security_groups: SecurityGroupState[];
  /** sg id → member addresses, for every group referenced as a remote group */
  remote_groups: Record<string, MemberAddresses>;
  /** address group id → CIDRs, for every address group referenced by a rule */
  address_groups: Record<string, string[]>;
  l2pop: L2popPeer[];
  dhcp: DhcpNetworkState[];
  /** routers scheduled to this host's L3 agent (empty when the host runs none) */
  routers: RouterState[];
  /** set by the channel: identifies the content (not the revision); agents send it back */
  digest?: string;
  /**
   * Set by the channel: sections left out of this answer because they equal those of the
   * digest the agent sent (it keeps its own). Sections outside the watch's `parts` are left
   * out too. withKeptSections() makes the answer whole again.
   */
  unchanged?: HostStatePart[];
}

/** The sections of a HostState an agent may follow (each agent type reads only some). */
export type HostStatePart = Exclude<keyof HostState, 'host' | 'revision' | 'digest' | 'unchanged'>;

export const HOST_STATE_PARTS: readonly HostStatePart[] = [
  'networks', 'ports', 'security_groups', 'remote_groups', 'address_groups', 'l2pop', 'dhcp', 'routers',
];

/**
 * A watch's answer made whole: the sections it left out (unchanged since `had`, or not asked
 * for) taken from the state the agent had, or empty.
 */
export function withKeptSections(had: HostState | undefined, answer: HostState): HostState {
  const empty: Omit<HostState, 'host' | 'revision'> = {
    networks: [], ports: [], security_groups: [], remote_groups: {}, address_groups: {}, l2pop: [], dhcp: [], routers: [],
  };
  const whole: HostState = { ...empty, ...had, ...answer };
  delete whole.unchanged;
  return whole;
}

/** Neutron's device name rule: prefix + first 11 characters of the id. */
export function deviceName(prefix: 'tap' | 'ns-' | 'qr-' | 'qg-' | 'brq', id: string): string {
  return `${prefix}${id.slice(0, 11)}`;
}
