// [DEFAULT]: neutron.conf's server options plus the options the L3, DHCP and
// metadata agents read from their own files' [DEFAULT] (all files share one namespace).
import { CORE_PLUGINS, DHCP_DRIVERS, INTERFACE_DRIVERS, SERVICE_PLUGINS } from './choices.ts';
import { bool, choice, int, list, oneOf, port, str, type OptionSpec } from './option-spec.ts';
import { checkMacPrefix, checkWith } from './semantics.ts';

const TRANSPORT = 'use [DEFAULT] transport_url = rabbit://user:password@host:5672/ (Muon still honours this spelling; docs/rabbitmq.md)';
const UNUSED_AUTH = 'metadata agent credentials from Liberty; unused (the metadata agent asks the Muon server)';

export const DEFAULT_OPTIONS: Record<string, OptionSpec> = {
  // API server
  bind_host: str('0.0.0.0', 'Address the API listens on (`muon server` without config files: 127.0.0.1)'),
  bind_port: port(9696, 'Port the API listens on'),
  auth_strategy: oneOf('keystone', ['keystone', 'noauth'], 'keystone: validate X-Auth-Token with Keystone; noauth: trust X-Project-Id/X-Roles headers'),
  core_plugin: choice('ml2', CORE_PLUGINS, 'Core plugin; only ML2 (Muon default ml2; Neutron has no default)'),
  service_plugins: list([], 'Service plugins by alias or class path (class paths are normalised to aliases)', { choices: SERVICE_PLUGINS }),
  allow_overlapping_ips: bool(true, 'Allow overlapping subnets in different projects'),
  global_physnet_mtu: int(1500, 'MTU of the underlying physical network; network MTUs derive from it', { min: 68 }),
  base_mac: str('fa:16:3e:00:00:00', 'Base MAC for ports; 00 octets are randomised', { check: checkWith(checkMacPrefix) }),
  mac_generation_retries: int(16, 'Attempts to find a free MAC', { min: 1 }),
  max_dns_nameservers: int(5, 'Maximum DNS nameservers per subnet', { min: -1 }),
  max_subnet_host_routes: int(20, 'Maximum host routes per subnet', { min: -1 }),
  max_allowed_address_pair: int(10, 'Maximum allowed address pairs per port', { min: -1 }),
  pagination_max_limit: int(-1, 'Maximum items per response; -1 or "infinite" = no limit', { min: -1, words: { infinite: -1 } }),
  allow_bulk: bool(true, 'Allow bulk create'),
  allow_pagination: bool(true, 'Allow pagination', { deprecated: 'removed from Neutron in Queens; pagination is always enabled' }),
  allow_sorting: bool(true, 'Allow sorting', { deprecated: 'removed from Neutron in Queens; sorting is always enabled' }),
  dns_domain: str('openstacklocal', 'Domain for port DNS names'),
  default_availability_zones: list([], 'Availability zones for networks/routers without hints'),
  state_path: str('./state', 'Where Muon keeps state (Neutron: /var/lib/neutron; Muon default ./state, relative to the working directory)'),
  api_workers: int(null, 'Processes serving the API on bind_port (default: the number of CPUs; 0 or 1: the server process itself). They share only the database and the broker (docs/scale-out.md)', { min: 0 }),
  rpc_workers: int(null, 'Ignored: Muon has no RPC workers', { min: 0 }),
  rpc_state_report_workers: int(null, 'Ignored: Muon has no RPC workers', { min: 0 }),
  network_link_prefix: str(null, 'Base URL for links in responses (pagination next/previous)'),
  agent_down_time: int(75, 'Seconds without a heartbeat before an agent is considered down', { min: 1 }),
  dhcp_agents_per_network: int(1, 'DHCP agents scheduled per network', { min: 1 }),
  allow_automatic_dhcp_failover: bool(true, 'Move networks off DHCP agents that stopped heartbeating to live ones'),
  allow_automatic_l3agent_failover: bool(false, 'Move routers off L3 agents that stopped heartbeating to live ones'),
  router_auto_schedule: bool(true, 'Schedule routers to L3 agents when they are created or an agent appears'),
  router_distributed: bool(false, 'Create distributed (DVR) routers by default; Muon routers are always centralised', {
    warnIf: (v) => (v ? 'Muon has no distributed (DVR) routers; routers are created centralised' : null),
  }),
  l3_ha: bool(false, 'Create HA (VRRP) routers by default; not supported by Muon', {
    warnIf: (v) => (v ? 'Muon has no HA (VRRP) routers; routers are created without HA' : null),
  }),
  enable_snat_by_default: bool(true, 'Default enable_snat for external gateways'),
  max_l3_agents_per_router: int(3, 'L3 HA agents per router', { min: 0 }),
  dhcp_load_type: oneOf('networks', ['networks', 'subnets', 'ports'], 'Resource the DHCP scheduler balances'),
  router_scheduler_driver: str(null, 'Ignored: Muon schedules routers itself'),
  network_scheduler_driver: str(null, 'Ignored: Muon schedules networks itself'),
  host: str(null, 'Hostname this service/agent reports (default: the system hostname)'),

  // logging (oslo.log)
  debug: bool(false, 'Log at debug level'),
  verbose: bool(false, 'Log at info level', { deprecated: 'removed in oslo.log (Newton); Muon ignores it (info is always logged; use debug for more)' }),
  log_file: str(null, 'Log to this file'),
  log_dir: str(null, 'Directory for log_file'),
  use_syslog: bool(false, 'Log to syslog'),
  use_stderr: bool(false, 'Log to stderr'),
  log_config_append: str(null, 'Ignored: Python logging config file'),

  // messaging
  transport_url: str(null, 'rabbit://user:pass@host:5672/ to use RabbitMQ for the agent channel; unset = the unix socket, unless [oslo_messaging_rabbit] rabbit_host(s) is set'),
  rpc_backend: str('rabbit', 'oslo.messaging driver', { deprecated: `removed from oslo.messaging; ${TRANSPORT}` }),
  control_exchange: str('neutron', 'AMQP exchange name'),
  rpc_response_timeout: int(60, 'Seconds to wait for an RPC reply', { min: 1 }),

  // Nova notifications
  notify_nova_on_port_status_changes: bool(true, 'Tell Nova when a port goes up or down (vif-plugged events)'),
  notify_nova_on_port_data_changes: bool(true, 'Tell Nova when port data (fixed IPs, floating IP) changes'),
  nova_url: str('http://127.0.0.1:8774/v2', 'Nova endpoint', { deprecated: 'removed in Mitaka; Nova is found through the Keystone catalog with the [nova] credentials' }),
  send_events_interval: int(2, 'Seconds between batches of Nova events', { min: 0 }),

  // L3 / DHCP agents (l3_agent.ini, dhcp_agent.ini)
  interface_driver: choice(null, INTERFACE_DRIVERS, 'Driver plugging agent ports; Muon always uses linux bridges'),
  // Liberty's linuxbridge guide sets it empty on purpose, so only a bridge name is worth a warning.
  external_network_bridge: str('', 'Bridge for external traffic (removed from Neutron in Stein); leave it empty', {
    warnIf: (v) => (v ? `Muon ignores external_network_bridge '${v}': router gateways attach to the external network's own bridge; leave it empty` : null),
  }),
  dhcp_driver: choice('neutron.agent.linux.dhcp.Dnsmasq', DHCP_DRIVERS, 'DHCP server driver; Muon always uses dnsmasq'),
  enable_isolated_metadata: bool(false, 'Serve metadata from the DHCP namespace on networks without a router'),
  enable_metadata_network: bool(false, 'Serve metadata on 169.254.169.254/16 networks attached to routers'),
  force_metadata: bool(false, 'Always serve metadata from the DHCP namespace'),
  dnsmasq_config_file: str('', 'Extra dnsmasq config file (the seed uses it for dhcp-option-force=26,1450)'),
  dnsmasq_dns_servers: list([], 'DNS servers dnsmasq forwards to'),
  dnsmasq_local_resolv: bool(false, 'Let dnsmasq use the host resolver'),
  dnsmasq_lease_max: int(16777216, 'Maximum dnsmasq leases', { min: 1 }),
  dhcp_lease_duration: int(86400, 'DHCP lease seconds; -1 = infinite', { min: -1 }),
  dhcp_broadcast_reply: bool(false, 'Broadcast DHCP replies'),
  resync_interval: int(5, 'Seconds between agent resyncs after errors', { min: 1 }),
  ovs_integration_bridge: str('br-int', 'Ignored: no Open vSwitch'),
  ha_vrrp_auth_password: str(null, 'Ignored: no L3 HA'),
  agent_mode: oneOf('legacy', ['legacy', 'dvr', 'dvr_snat', 'dvr_no_external'], 'L3 agent mode; Muon supports legacy', {
    warnIf: (v) => (v !== 'legacy' ? `agent_mode '${v}' is not supported: Muon's L3 agent runs legacy (centralised) routers` : null),
  }),
  gateway_external_network_id: str('', 'Ignored: Muon\'s L3 agent serves every external network'),
  handle_internal_only_routers: bool(true, 'Serve routers without an external gateway'),

  // metadata agent (metadata_agent.ini)
  nova_metadata_host: str('127.0.0.1', 'Nova metadata API host'),
  nova_metadata_ip: str(null, 'Nova metadata API host', { deprecated: 'use nova_metadata_host', replacedBy: 'nova_metadata_host' }),
  nova_metadata_port: port(8775, 'Nova metadata API port'),
  nova_metadata_protocol: oneOf('http', ['http', 'https'], 'Nova metadata API scheme'),
  nova_metadata_insecure: bool(false, 'Skip TLS verification towards Nova metadata'),
  metadata_proxy_shared_secret: str('', 'HMAC secret shared with Nova ([neutron] metadata_proxy_shared_secret in nova.conf)'),
  metadata_proxy_socket: str(null, 'Unix socket between metadata proxies and the metadata agent'),
  metadata_workers: int(null, 'Ignored: one event loop', { min: 0 }),
  metadata_backlog: int(4096, 'Listen backlog of the metadata agent', { min: 1 }),
  auth_uri: str(null, UNUSED_AUTH),
  auth_url: str(null, UNUSED_AUTH),
  auth_region: str(null, UNUSED_AUTH),
  auth_plugin: str(null, UNUSED_AUTH),
  auth_type: str(null, UNUSED_AUTH),
  auth_insecure: bool(false, UNUSED_AUTH),
  project_domain_id: str(null, UNUSED_AUTH),
  project_domain_name: str(null, UNUSED_AUTH),
  user_domain_id: str(null, UNUSED_AUTH),
  user_domain_name: str(null, UNUSED_AUTH),
  project_name: str(null, UNUSED_AUTH),
  username: str(null, UNUSED_AUTH),
  password: str(null, UNUSED_AUTH),
  admin_user: str(null, UNUSED_AUTH),
  admin_password: str(null, UNUSED_AUTH),
  admin_tenant_name: str(null, UNUSED_AUTH),
  endpoint_type: str(null, UNUSED_AUTH),
};
