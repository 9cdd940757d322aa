// Table shapes as Kysely sees them. Columns keep Neutron's snake_case names.
// Booleans are stored as 0/1 integers and timestamps as ISO-8601 UTC strings
// ("2026-11-25T12:45:10Z") so the three backends behave identically.
import type { Generated } from 'kysely';

type Bool = number;

export interface StandardColumns {
  description: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface NetworksTable extends StandardColumns {
  id: string;
  project_id: string;
  name: string;
  status: string;
  admin_state_up: Bool;
  shared: Bool;
  router_external: Bool;
  /** The default external network (auto-allocated-topology); 0 unless external. */
  is_default: Bool;
  mtu: number;
  port_security_enabled: Bool;
  availability_zone_hints: string; // JSON array
  dns_domain: string;
  vlan_transparent: Bool | null;
}

export interface NetworkSegmentsTable {
  id: string;
  network_id: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  segment_index: number;
}

/** One row per segmentation id in use; the primary key makes allocation race-free. */
export interface SegmentAllocationsTable {
  network_type: string;
  physical_network: string; // '' for tunnel types
  segmentation_id: number; // 0 for flat
  network_id: string;
}

export interface SubnetsTable extends StandardColumns {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: Bool;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
  subnetpool_id: string | null;
  segment_id: string | null;
}

export interface SubnetPoolRangesTable {
  subnet_id: string;
  first_ip: string;
  last_ip: string;
}

export interface SubnetDnsNameserversTable {
  subnet_id: string;
  address: string;
  position: number;
}

export interface SubnetHostRoutesTable {
  subnet_id: string;
  destination: string;
  nexthop: string;
}

/** Free address ranges of a subnet's pools, keys as 32-hex-digit strings (see ipKey):
 *  allocation takes from the lowest range without scanning allocations. */
export interface IpFreeRangesTable {
  subnet_id: string;
  first_key: string;
  last_key: string;
}

export interface IpAllocationsTable {
  port_id: string;
  subnet_id: string;
  network_id: string;
  ip_address: string;
}

export interface PortsTable extends StandardColumns {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  mac_address: string;
  admin_state_up: Bool;
  status: string;
  device_id: string;
  device_owner: string;
  port_security_enabled: Bool;
  binding_host_id: string;
  binding_vnic_type: string;
  binding_profile: string; // JSON object
  binding_vif_type: string;
  binding_vif_details: string; // JSON object
  binding_failure: string | null; // why binding failed, for admins
  dns_name: string;
}

export interface PortSecurityGroupsTable {
  port_id: string;
  security_group_id: string;
}

export interface PortAllowedAddressPairsTable {
  port_id: string;
  mac_address: string;
  ip_address: string;
}

export interface PortExtraDhcpOptsTable {
  port_id: string;
  opt_name: string;
  opt_value: string;
  ip_version: number;
}

export interface TagsTable {
  resource_id: string;
  tag: string;
}

/** The outbox: every write appends here in the same transaction; agents' feeds read it. */
export interface ChangesTable {
  seq: Generated<number>;
  resource_type: string;
  resource_id: string;
  revision_number: number;
  op: string; // create | update | delete
  created_at: string;
}

export interface QuotasTable {
  project_id: string;
  resource: string;
  quota_limit: number;
}

export interface LocksTable {
  name: string;
}

export interface RoutersTable extends StandardColumns {
  id: string;
  project_id: string;
  name: string;
  status: string;
  admin_state_up: Bool;
  gw_port_id: string | null;
  gw_network_id: string | null;
  enable_snat: Bool;
  distributed: Bool;
  ha: Bool;
  availability_zone_hints: string; // JSON array
}

export interface RouterPortsTable {
  port_id: string;
  router_id: string;
  port_type: string; // the port's device_owner
}

export interface RouterRoutesTable {
  router_id: string;
  destination: string;
  nexthop: string;
}

export interface FloatingIpsTable extends StandardColumns {
  id: string;
  project_id: string;
  floating_network_id: string;
  floating_port_id: string;
  floating_ip_address: string;
  fixed_port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: string;
}

export interface PortForwardingsTable {
  id: string;
  floatingip_id: string;
  internal_port_id: string;
  internal_ip_address: string;
  protocol: string;
  external_port_start: number;
  external_port_end: number;
  internal_port_start: number;
  internal_port_end: number;
  description: string;
}

export interface SecurityGroupsTable extends StandardColumns {
  id: string;
  project_id: string;
  name: string;
  stateful: Bool;
}

/** One row per project that has its default group (the key makes creation race-safe). */
export interface DefaultSecurityGroupsTable {
  project_id: string;
  security_group_id: string;
}

export interface SecurityGroupRulesTable {
  /** Neutron's standard_attr_id. */
  seq: Generated<number>;
  id: string;
  project_id: string;
  security_group_id: string;
  remote_group_id: string | null;
  remote_address_group_id: string | null;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  description: string | null;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface AddressGroupsTable extends StandardColumns {
  id: string;
  project_id: string;
  name: string;
}

export interface AddressGroupAddressesTable {
  address_group_id: string;
  address: string;
}

/** Neutron's address scope: no standard attributes. */
export interface AddressScopesTable {
  id: string;
  project_id: string;
  name: string;
  shared: Bool;
  ip_version: number;
}

export interface SubnetpoolsTable extends StandardColumns {
  id: string;
  project_id: string;
  name: string;
  ip_version: number;
  default_prefixlen: number;
  min_prefixlen: number;
  max_prefixlen: number;
  shared: Bool;
  is_default: Bool;
  default_quota: number | null;
  address_scope_id: string | null;
}

export interface SubnetpoolPrefixesTable {
  subnetpool_id: string;
  cidr: string;
}

/** RBAC entries of every object type (network, security_group, subnetpool, ...). */
export interface RbacPoliciesTable {
  id: string;
  project_id: string;
  object_type: string;
  object_id: string;
  action: string; // access_as_shared | access_as_external
  target_project: string; // a project id or '*'
}

export interface Database {
  networks: NetworksTable;
  network_segments: NetworkSegmentsTable;
  segment_allocations: SegmentAllocationsTable;
  subnets: SubnetsTable;
  subnet_pool_ranges: SubnetPoolRangesTable;
  subnet_dns_nameservers: SubnetDnsNameserversTable;
  subnet_host_routes: SubnetHostRoutesTable;
  ip_free_ranges: IpFreeRangesTable;
  ip_allocations: IpAllocationsTable;
  ports: PortsTable;
  port_security_groups: PortSecurityGroupsTable;
  port_allowed_address_pairs: PortAllowedAddressPairsTable;
  port_extra_dhcp_opts: PortExtraDhcpOptsTable;
  tags: TagsTable;
  changes: ChangesTable;
  quotas: QuotasTable;
  locks: LocksTable;
  rbac_policies: RbacPoliciesTable;
  address_scopes: AddressScopesTable;
  subnetpools: SubnetpoolsTable;
  subnetpool_prefixes: SubnetpoolPrefixesTable;
  security_groups: SecurityGroupsTable;
  default_security_groups: DefaultSecurityGroupsTable;
  security_group_rules: SecurityGroupRulesTable;
  address_groups: AddressGroupsTable;
  address_group_addresses: AddressGroupAddressesTable;
  routers: RoutersTable;
  router_ports: RouterPortsTable;
  router_routes: RouterRoutesTable;
  floatingips: FloatingIpsTable;
  port_forwardings: PortForwardingsTable;
  agents: AgentsTable;
  network_dhcp_agents: NetworkDhcpAgentsTable;
  router_l3_agent_bindings: RouterL3AgentBindingsTable;
  provisioning_blocks: ProvisioningBlocksTable;
}

/** One row per (agent_type, host); timestamps as the other tables (ISO-8601 UTC). */
export interface AgentsTable {
  id: string;
  agent_type: string;
  binary: string;
  topic: string;
  host: string;
  admin_state_up: Bool;
  created_at: string;
  started_at: string;
  heartbeat_timestamp: string;
  description: string;
  configurations: string; // JSON object, as the agent reported it
  availability_zone: string | null;
  resources_synced: Bool | null;
}

export interface NetworkDhcpAgentsTable {
  network_id: string;
  dhcp_agent_id: string;
}

export interface RouterL3AgentBindingsTable {
  router_id: string;
  l3_agent_id: string;
}

/** What still has to report before a port goes ACTIVE: 'L2' (its host's L2 agent), 'DHCP'. */
export interface ProvisioningBlocksTable {
  port_id: string;
  entity: string;
}
