// The configuration Muon runs with, after every --config-file is merged and validated.
// Field names are camelCase; each notes the oslo.config section/option it comes from.

import type { OptionValue } from './option-spec.ts';

export interface VlanRange { physnet: string; min?: number; max?: number }
export interface VniRange { min: number; max: number }

export interface MuonConfig {
  /** [DEFAULT] bind_host (default 0.0.0.0; `muon server` in the lab/CLI default uses 127.0.0.1) */
  bindHost: string;
  /** [DEFAULT] bind_port (9696) */
  bindPort: number;
  /** [DEFAULT] auth_strategy: keystone | noauth (default keystone, as Neutron) */
  authStrategy: 'keystone' | 'noauth';
  /** [DEFAULT] core_plugin (ml2; "neutron.plugins.ml2.plugin.Ml2Plugin" accepted) */
  corePlugin: string;
  /** [DEFAULT] service_plugins (list; "router" etc.; full class paths normalised to aliases) */
  servicePlugins: string[];
  /** [DEFAULT] allow_overlapping_ips (default true in Neutron >= Ocata) */
  allowOverlappingIps: boolean;
  /** [DEFAULT] global_physnet_mtu (1500) */
  globalPhysnetMtu: number;
  /** [DEFAULT] base_mac (fa:16:3e:00:00:00) */
  baseMac: string;
  /** [DEFAULT] mac_generation_retries (16) */
  macGenerationRetries: number;
  /** [DEFAULT] max_dns_nameservers (5), max_subnet_host_routes (20), max_allowed_address_pair (10) */
  maxDnsNameservers: number;
  maxSubnetHostRoutes: number;
  maxAllowedAddressPair: number;
  /** [DEFAULT] pagination_max_limit (-1 = unlimited) */
  paginationMaxLimit: number;
  /** [DEFAULT] allow_bulk (true), allow_pagination, allow_sorting */
  allowBulk: boolean;
  /** [DEFAULT] dns_domain (openstacklocal) */
  dnsDomain: string;
  /** [DEFAULT] default_availability_zones (list) */
  defaultAvailabilityZones: string[];
  /** [DEFAULT] state_path (/var/lib/neutron); Muon default: ./state when not root-installed */
  statePath: string;
  /** [DEFAULT] debug, verbose, log_dir/log_file */
  debug: boolean;
  logFile: string | null;
  /** [DEFAULT] network_link_prefix (for pagination links) */
  networkLinkPrefix: string | null;
  /** [DEFAULT] agent_down_time (75), dhcp_agents_per_network (1) — used by later issues */
  agentDownTime: number;
  dhcpAgentsPerNetwork: number;
  /** [muon] agent_socket: the agent channel's unix socket (default <state_path>/agent.sock) */
  agentSocket: string;
  /** [agent] report_interval: seconds between agent heartbeats (30) */
  reportInterval: number;
  /** [DEFAULT] host: the name this agent reports and ports bind to (default: the system hostname) */
  host: string;

  /** [database] connection (default: sqlite under statePath) */
  databaseConnection: string;
  /** [database] max_pool_size, max_overflow, mysql_sql_mode: how each process connects (src/db/connect.ts);
   *  max_retries, retry_interval: how long start-up waits for a database not reachable yet (-1: for ever) */
  database: { poolSize: number; overflow: number; sqlMode: string | null; maxRetries: number; retryInterval: number };

  ml2: {
    /** [ml2] type_drivers (flat,vlan,vxlan — others are an error: geneve/gre unsupported here) */
    typeDrivers: string[];
    /** [ml2] tenant_network_types (must be a subset of type_drivers) */
    tenantNetworkTypes: string[];
    /** [ml2] mechanism_drivers (linuxbridge, l2population) */
    mechanismDrivers: string[];
    /** [ml2] extension_drivers (port_security, dns, ...) */
    extensionDrivers: string[];
    /** [ml2] path_mtu (0 = use global_physnet_mtu) */
    pathMtu: number;
    /** [ml2] physical_network_mtus: physnet -> mtu */
    physicalNetworkMtus: Record<string, number>;
    /** [ml2_type_flat] flat_networks ('*' = any) */
    flatNetworks: string[];
    /** [ml2_type_vlan] network_vlan_ranges physnet[:min:max] */
    networkVlanRanges: VlanRange[];
    /** [ml2_type_vxlan] vni_ranges min:max,... */
    vniRanges: VniRange[];
    /** [ml2_type_vxlan] vxlan_group (multicast; recorded, unused: l2population) */
    vxlanGroup: string | null;
  };

  securityGroup: {
    /** [securitygroup] enable_security_group (true), enable_ipset (true), firewall_driver */
    enableSecurityGroup: boolean;
    enableIpset: boolean;
    firewallDriver: string | null;
  };

  quotas: {
    /** [quotas] quota_network, quota_subnet, quota_port, quota_router, quota_floatingip,
     *  quota_security_group, quota_security_group_rule, quota_rbac_policy, ... (-1 = unlimited) */
    defaults: Record<string, number>;
    /** [quotas] quota_driver (ignored; DB driver) */
  };

  /** [linux_bridge] (agent side) */
  linuxBridge: {
    /** physical_interface_mappings: physnet -> interface (public:eno1) */
    physicalInterfaceMappings: Record<string, string>;
    /** bridge_mappings: physnet -> existing bridge */
    bridgeMappings: Record<string, string>;
  };

  /** [vxlan] (agent side) */
  vxlan: {
    enableVxlan: boolean;
    /** local_ip: this host's tunnel endpoint (null when unset) */
    localIp: string | null;
    l2Population: boolean;
    ttl: number | null;
    tos: number | null;
    udpDstport: number | null;
    /** arp_responder: answer ARP/ND from the vxlan device's neighbour entries (Neutron's default: off) */
    arpResponder: boolean;
  };

  /** Every registered option, typed and validated, defaults filled in, deprecated names folded into
   *  their replacements, driver/plugin class paths normalised: section -> option -> value. */
  values: Record<string, Record<string, OptionValue>>;

  /** Every option as read, for subsystems configured by later issues ([keystone_authtoken], [agent], ...):
   *  section -> option -> raw string value (last file wins). */
  raw: Record<string, Record<string, string>>;
}
