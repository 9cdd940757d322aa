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
  /** set by the channel: identifies the content (not the revision); agents send it back */
  digest?: string;
}

/** Neutron's device name rule: prefix + first 11 characters of the id. */
export function deviceName(prefix: 'tap' | 'ns-' | 'qr-' | 'qg-' | 'brq', id: string): string {
  return `${prefix}${id.slice(0, 11)}`;
}
