// Maps validated option values onto the typed MuonConfig the rest of Muon reads.
import { hostname } from 'node:os';
import type { OptionValue } from './option-spec.ts';
import { parseMappings, parseNetworkMtus, parseVlanRanges, parseVniRanges } from './semantics.ts';
import type { MuonConfig } from './types.ts';

export type Values = Record<string, Record<string, OptionValue>>;

export function buildConfig(values: Values, raw: Record<string, Record<string, string>>): MuonConfig {
  const d = values.DEFAULT;
  const ml2 = values.ml2;
  const statePath = d.state_path as string;
  return {
    bindHost: d.bind_host as string,
    bindPort: d.bind_port as number,
    authStrategy: d.auth_strategy as MuonConfig['authStrategy'],
    corePlugin: d.core_plugin as string,
    servicePlugins: d.service_plugins as string[],
    allowOverlappingIps: d.allow_overlapping_ips as boolean,
    globalPhysnetMtu: d.global_physnet_mtu as number,
    baseMac: (d.base_mac as string).toLowerCase(),
    macGenerationRetries: d.mac_generation_retries as number,
    maxDnsNameservers: d.max_dns_nameservers as number,
    maxSubnetHostRoutes: d.max_subnet_host_routes as number,
    maxAllowedAddressPair: d.max_allowed_address_pair as number,
    paginationMaxLimit: d.pagination_max_limit as number,
    allowBulk: d.allow_bulk as boolean,
    dnsDomain: d.dns_domain as string,
    defaultAvailabilityZones: d.default_availability_zones as string[],
    statePath,
    debug: d.debug as boolean,
    logFile: logFile(d.log_file as string | null, d.log_dir as string | null),
    networkLinkPrefix: (d.network_link_prefix as string | null) || null,
    agentDownTime: d.agent_down_time as number,
    agentSocket: (values.muon.agent_socket as string | null) || `${statePath.replace(/\/+$/, '')}/agent.sock`,
    reportInterval: values.agent.report_interval as number,
    host: (d.host as string | null) || hostname(),
    dhcpAgentsPerNetwork: d.dhcp_agents_per_network as number,
    // SQLAlchemy form: three slashes then the path, so an absolute state_path gives four.
    databaseConnection: (values.database.connection as string | null) || `sqlite:///${statePath.replace(/\/+$/, '')}/muon.sqlite`,
    database: {
      poolSize: values.database.max_pool_size as number,
      overflow: values.database.max_overflow as number,
      sqlMode: (values.database.mysql_sql_mode as string | null) || null,
      maxRetries: values.database.max_retries as number,
      retryInterval: values.database.retry_interval as number,
    },
    ml2: {
      typeDrivers: ml2.type_drivers as string[],
      tenantNetworkTypes: ml2.tenant_network_types as string[],
      mechanismDrivers: ml2.mechanism_drivers as string[],
      extensionDrivers: ml2.extension_drivers as string[],
      pathMtu: ml2.path_mtu as number,
      physicalNetworkMtus: parseNetworkMtus(ml2.physical_network_mtus as Record<string, string>),
      flatNetworks: values.ml2_type_flat.flat_networks as string[],
      networkVlanRanges: parseVlanRanges(values.ml2_type_vlan.network_vlan_ranges as string[]),
      vniRanges: parseVniRanges(values.ml2_type_vxlan.vni_ranges as string[]),
      vxlanGroup: (values.ml2_type_vxlan.vxlan_group as string | null) || null,
    },
    securityGroup: {
      enableSecurityGroup: values.securitygroup.enable_security_group as boolean,
      enableIpset: values.securitygroup.enable_ipset as boolean,
      firewallDriver: (values.securitygroup.firewall_driver as string | null) || null,
    },
    quotas: { defaults: quotaDefaults(values.quotas) },
    linuxBridge: {
      physicalInterfaceMappings: parseMappings(values.linux_bridge.physical_interface_mappings as string[], 'interface'),
      bridgeMappings: parseMappings(values.linux_bridge.bridge_mappings as string[], 'bridge'),
    },
    vxlan: {
      enableVxlan: values.vxlan.enable_vxlan as boolean,
      localIp: values.vxlan.local_ip as string | null,
      l2Population: values.vxlan.l2_population as boolean,
      ttl: values.vxlan.ttl as number | null,
      tos: values.vxlan.tos as number | null,
      udpDstport: values.vxlan.udp_dstport as number | null,
      arpResponder: values.vxlan.arp_responder as boolean,
    },
    values,
    raw,
  };
}

function logFile(file: string | null, dir: string | null): string | null {
  if (!file) return null;
  return dir && !file.startsWith('/') ? `${dir.replace(/\/+$/, '')}/${file}` : file;
}

// [quotas] quota_<resource> → { <resource>: limit }, the names the quotas API uses.
function quotaDefaults(q: Record<string, OptionValue>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(q)) {
    if (name.startsWith('quota_') && typeof value === 'number') out[name.slice('quota_'.length)] = value;
  }
  return out;
}
