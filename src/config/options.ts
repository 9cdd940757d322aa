// The registry of every section and option Muon knows, with lookups the loader
// uses for validation and "did you mean". Names and defaults follow Neutron;
// where Muon differs the help says so.
import { EXTENSION_DRIVERS, FIREWALL_DRIVERS, MECHANISM_DRIVERS, TYPE_DRIVERS } from './choices.ts';
import { DEFAULT_OPTIONS } from './options-default.ts';
import { bool, choice, dict, float, int, ip, list, oneOf, port, str, type OptionSpec, type SectionSpec } from './option-spec.ts';
import {
  checkDbConnection, checkWith, parseMappings, parseNetworkMtus, parseTunnelRanges, parseVlanRanges, parseVniRanges,
} from './semantics.ts';

const TRANSPORT = 'use [DEFAULT] transport_url = rabbit://user:password@host:5672/ (Muon still honours this spelling; docs/rabbitmq.md)';

function quota(def: number, what: string): OptionSpec {
  return int(def, `Default ${what} per project; -1 = unlimited`, { min: -1 });
}

// keystoneauth password-plugin options, shared by [keystone_authtoken] and [nova].
function keystoneAuth(): Record<string, OptionSpec> {
  return {
    auth_url: str(null, 'Keystone URL for this service\'s own credentials'),
    auth_type: str(null, 'keystoneauth plugin (password)'),
    auth_plugin: str(null, 'keystoneauth plugin', { deprecated: 'use auth_type', replacedBy: 'auth_type' }),
    auth_section: str(null, 'Section holding the auth options'),
    project_domain_id: str(null, 'Domain id of project_name'),
    project_domain_name: str(null, 'Domain name of project_name'),
    user_domain_id: str(null, 'Domain id of username'),
    user_domain_name: str(null, 'Domain name of username'),
    project_name: str(null, 'Project to scope the token to'),
    project_id: str(null, 'Project id to scope the token to'),
    username: str(null, 'User name'),
    user_id: str(null, 'User id'),
    password: str(null, 'Password'),
    system_scope: str(null, 'System scope (all)'),
    region_name: str(null, 'Region for endpoint lookups'),
    cafile: str(null, 'CA bundle for TLS'),
    certfile: str(null, 'Client certificate'),
    keyfile: str(null, 'Client key'),
    insecure: bool(false, 'Skip TLS verification'),
    timeout: int(null, 'HTTP timeout seconds', { min: 0 }),
  };
}

export const SECTIONS: Record<string, SectionSpec> = {
  DEFAULT: { help: 'Server and agent options', options: DEFAULT_OPTIONS },

  database: {
    help: 'Database (oslo.db)',
    options: {
      connection: str(null, 'SQLAlchemy-style URL: sqlite:///path, mysql://user:pass@host/db, postgresql://…; default sqlite:///<state_path>/muon.sqlite', {
        check: checkWith(checkDbConnection),
      }),
      slave_connection: str(null, 'Ignored: read replica'),
      max_pool_size: int(10, 'Connections each server process keeps open to MariaDB/PostgreSQL (oslo.db default 5; 0 = no limit)', { min: 0 }),
      max_overflow: int(0, 'Connections a process may open beyond max_pool_size under load, closed again when idle (oslo.db default 50)', { min: 0 }),
      pool_timeout: int(null, 'Seconds to wait for a pooled connection', { min: 0 }),
      connection_recycle_time: int(3600, 'Seconds before a pooled connection is replaced', { min: 0 }),
      idle_timeout: int(null, 'Seconds before a pooled connection is replaced', { min: 0 }, { deprecated: 'use connection_recycle_time', replacedBy: 'connection_recycle_time' }),
      max_retries: int(10, 'Attempts more when the database cannot be reached at start-up (not started yet, its host booting); -1 = for ever', { min: -1 }),
      retry_interval: int(10, 'Seconds between those attempts', { min: 0 }),
      mysql_sql_mode: str('TRADITIONAL', "sql_mode of Muon's MariaDB/MySQL sessions (empty: the server's own)"),
      connection_debug: int(0, 'SQL logging verbosity (0-100)', { min: 0, max: 100 }),
    },
  },

  ml2: {
    help: 'ML2 plugin',
    options: {
      type_drivers: list(['flat', 'vlan', 'vxlan'], 'Network type drivers (Neutron default also lists local, gre, geneve; Muon supports flat, vlan, vxlan)', { choices: TYPE_DRIVERS }),
      tenant_network_types: list(['vxlan'], 'Types for self-service networks, in order of preference; must be in type_drivers (Neutron default local; Muon default vxlan)', { choices: TYPE_DRIVERS }),
      mechanism_drivers: list([], 'Mechanism drivers: linuxbridge, l2population (Neutron default: none, so no port can bind)', { choices: MECHANISM_DRIVERS }),
      extension_drivers: list([], 'Extension drivers (port_security, dns, qos, ...)', { choices: EXTENSION_DRIVERS }),
      path_mtu: int(0, 'Maximum IP packet size on overlay paths; 0 = global_physnet_mtu', { min: 0 }),
      physical_network_mtus: dict({}, 'physnet:mtu pairs overriding global_physnet_mtu per physical network', {
        check: checkWith((m: Record<string, string>) => parseNetworkMtus(m)),
      }),
      overlay_ip_version: int(4, 'IP version of tunnel endpoints (4 or 6)', {}, {
        check: (v) => (v === 4 || v === 6 ? null : `'${v}' is not an IP version: allowed 4 or 6`),
      }),
      external_network_type: oneOf(null, ['flat', 'vlan', 'vxlan'], 'Type of external networks created without provider attributes'),
    },
  },

  ml2_type_flat: {
    help: 'Flat networks',
    options: {
      flat_networks: list(['*'], 'Physical networks allowed for flat networks; * = any, empty = none'),
    },
  },
  ml2_type_vlan: {
    help: 'VLAN networks',
    options: {
      network_vlan_ranges: list([], 'physnet or physnet:min:max (VLAN ids 1-4094); ranges are allocatable to self-service networks', {
        check: checkWith((items: string[]) => parseVlanRanges(items)),
      }),
    },
  },
  ml2_type_vxlan: {
    help: 'VXLAN networks',
    options: {
      vni_ranges: list([], 'min:max VNI ranges (1-16777215) for self-service networks; empty = none can be created (NoNetworkAvailable)', {
        check: checkWith((items: string[]) => parseVniRanges(items)),
      }),
      vxlan_group: str(null, 'Multicast group (recorded; Muon uses l2population unicast flooding)'),
    },
  },
  ml2_type_gre: {
    help: 'GRE networks (not supported by Muon; accepted so existing files load)',
    options: {
      tunnel_id_ranges: list([], 'min:max GRE key ranges', { check: checkWith((items: string[]) => parseTunnelRanges(items)) }),
    },
  },

  securitygroup: {
    help: 'Security groups',
    options: {
      enable_security_group: bool(true, 'Enforce security groups'),
      enable_ipset: bool(true, 'Use address sets for remote-group rules (Muon: nftables sets, always)'),
      firewall_driver: choice(null, FIREWALL_DRIVERS, 'Recorded only: Muon always enforces security groups with nftables'),
      permitted_ethertypes: list([], 'Extra ethertypes allowed through'),
    },
  },

  quotas: {
    help: 'Default quotas',
    options: {
      quota_network: quota(100, 'networks'),
      quota_subnet: quota(100, 'subnets'),
      quota_port: quota(500, 'ports'),
      quota_router: quota(10, 'routers'),
      quota_floatingip: quota(50, 'floating IPs'),
      quota_security_group: quota(10, 'security groups'),
      quota_security_group_rule: quota(100, 'security group rules'),
      quota_rbac_policy: quota(10, 'RBAC policies'),
      quota_subnetpool: quota(-1, 'subnet pools'),
      quota_trunk: quota(-1, 'trunks'),
      default_quota: int(-1, 'Default for resources without their own quota_ option; -1 = unlimited', { min: -1 }),
      quota_driver: str('neutron.db.quota.driver.DbQuotaDriver', 'Ignored: Muon keeps quotas in its database'),
      track_quota_usage: bool(true, 'Track usage in the database'),
      quota_items: list([], 'Resources with quotas', { deprecated: 'removed in Ocata; every resource has a quota' }),
    },
  },

  oslo_messaging_rabbit: {
    help: 'RabbitMQ (oslo.messaging)',
    options: {
      rabbit_host: str('localhost', 'RabbitMQ host', { deprecated: TRANSPORT }),
      rabbit_port: port(5672, 'RabbitMQ port', { deprecated: TRANSPORT }),
      rabbit_hosts: list([], 'RabbitMQ host:port list', { deprecated: TRANSPORT }),
      rabbit_userid: str('guest', 'RabbitMQ user', { deprecated: TRANSPORT }),
      rabbit_password: str('guest', 'RabbitMQ password', { deprecated: TRANSPORT }),
      rabbit_virtual_host: str('/', 'RabbitMQ vhost', { deprecated: TRANSPORT }),
      rabbit_use_ssl: bool(false, 'TLS to RabbitMQ', { deprecated: 'use ssl' }),
      ssl: bool(false, 'TLS to RabbitMQ'),
      rabbit_ha_queues: bool(false, 'Mirrored queues'),
      amqp_durable_queues: bool(false, 'Durable queues'),
      heartbeat_timeout_threshold: int(60, 'Seconds before an unresponsive broker is considered dead', { min: 0 }),
    },
  },

  keystone_authtoken: {
    help: 'Keystone token validation (keystonemiddleware)',
    options: {
      ...keystoneAuth(),
      www_authenticate_uri: str(null, 'Public Keystone URL sent to clients in WWW-Authenticate'),
      auth_uri: str(null, 'Public Keystone URL', { deprecated: 'use www_authenticate_uri', replacedBy: 'www_authenticate_uri' }),
      auth_version: str(null, 'Identity API version'),
      identity_uri: str(null, 'Keystone admin URL', { deprecated: 'use auth_url' }),
      admin_user: str(null, 'Service user', { deprecated: 'use username with auth_type = password' }),
      admin_password: str(null, 'Service password', { deprecated: 'use password with auth_type = password' }),
      admin_tenant_name: str(null, 'Service project', { deprecated: 'use project_name with auth_type = password' }),
      memcached_servers: list([], 'Token cache servers (Muon caches tokens in memory)'),
      memcache_security_strategy: oneOf(null, ['MAC', 'ENCRYPT', 'None'], 'Token cache protection'),
      memcache_secret_key: str(null, 'Token cache key'),
      token_cache_time: int(300, 'Seconds a validated token is cached', { min: -1 }),
      service_token_roles: list(['service'], 'Roles a service token must carry'),
      service_token_roles_required: bool(false, 'Enforce service_token_roles'),
      service_type: str(null, 'Service type for access rules'),
      delay_auth_decision: bool(false, 'Let the application decide on invalid tokens'),
      interface: str('internal', 'Keystone endpoint interface'),
    },
  },

  nova: {
    help: 'Credentials for notifying Nova',
    options: {
      ...keystoneAuth(),
      endpoint_type: oneOf('public', ['public', 'admin', 'internal'], 'Nova endpoint interface'),
      endpoint_override: str(null, 'Nova compute API URL to use instead of the catalog\'s (keystoneauth adapter option), e.g. http://controller:8774/v2.1'),
      // keystoneauth's admin_token plugin (auth_type = admin_token): a fixed token and URL, no Keystone
      endpoint: str(null, 'With auth_type = admin_token: the Nova URL always used'),
      token: str(null, 'With auth_type = admin_token: the token always sent'),
    },
  },

  oslo_concurrency: {
    help: 'Locks',
    options: {
      lock_path: str(null, 'Directory for external locks'),
      disable_process_locking: bool(false, 'Disable inter-process locks'),
    },
  },

  oslo_policy: {
    help: 'Policy',
    options: {
      policy_file: str('policy.yaml', 'Policy overrides (YAML or JSON), relative to the config directory'),
      policy_default_rule: str('default', 'Rule used when a rule is missing'),
      policy_dirs: list(['policy.d'], 'Directories with more policy files'),
      enforce_new_defaults: bool(false, 'Use only the new (reader/member/manager/service) default rules; false, as Zed ships: legacy rules are honoured too'),
      enforce_scope: bool(false, 'Check token scope against rules (not enforced by Muon yet)'),
    },
  },

  agent: {
    help: 'Agent behaviour',
    options: {
      prevent_arp_spoofing: bool(true, 'Anti-spoofing rules (Muon: always on for ports with port security)', {
        warnIf: (v) => (v === false ? 'Muon always applies anti-spoofing to ports with port security enabled; to lift it, disable port_security on the port' : null),
      }),
      report_interval: float(30, 'Seconds between agent heartbeats', { min: 0 }),
      root_helper: str('sudo', 'Ignored: Muon agents run as root'),
      root_helper_daemon: str(null, 'Ignored: Muon agents run as root'),
      polling_interval: int(2, 'Ignored: Muon agents are event driven', { min: 1 }),
      availability_zone: str('nova', 'Availability zone the agent reports'),
      extensions: list([], 'Agent extensions (qos, ...)'),
      log_agent_heartbeats: bool(false, 'Log every heartbeat'),
      quitting_rpc_timeout: int(10, 'Seconds to drain RPC at shutdown', { min: 0 }),
      dscp: int(null, 'DSCP of tunnel packets', { min: 0, max: 63 }),
    },
  },

  linux_bridge: {
    help: 'Linux bridge agent',
    options: {
      physical_interface_mappings: list([], 'physnet:interface pairs (public:eno1)', {
        check: checkWith((items: string[]) => parseMappings(items, 'interface')),
      }),
      bridge_mappings: list([], 'physnet:bridge pairs for pre-existing bridges', {
        check: checkWith((items: string[]) => parseMappings(items, 'bridge')),
      }),
    },
  },

  vxlan: {
    help: 'VXLAN on the linux bridge agent',
    options: {
      enable_vxlan: bool(true, 'Create VXLAN interfaces for VXLAN networks'),
      local_ip: ip(null, 'Tunnel endpoint address of this host'),
      l2_population: bool(false, 'Program FDB/ARP entries from the server instead of multicast flooding'),
      ttl: int(null, 'TTL of VXLAN packets', { min: 1, max: 255 }),
      tos: int(null, 'TOS of VXLAN packets', { min: 0, max: 255 }),
      udp_dstport: port(null, 'VXLAN UDP port (kernel default 8472; IANA 4789)'),
      vxlan_group: str('224.0.0.1', 'Multicast group (unused with l2_population)'),
      multicast_ranges: list([], 'Multicast group:vni ranges'),
      arp_responder: bool(false, 'Answer ARP locally from l2population entries'),
    },
  },

  experimental: {
    help: 'Experimental features',
    options: {
      linuxbridge: bool(false, 'Neutron (2024.1+) requires true to run linuxbridge; Muon always runs it and ignores this'),
    },
  },

  muon: {
    help: 'Muon-specific options',
    options: {
      // With auth_strategy = keystone: where tokens come from (src/identity/).
      identity: oneOf('keystone', ['keystone', 'embedded'], 'keystone: validate tokens with the Keystone named in [keystone_authtoken]; embedded: Muon serves a minimal Keystone v3 itself (accounts in state_path/identity.json) and validates in-process'),
      identity_bind_host: str(null, 'Address the embedded identity listens on (default: bind_host)'),
      identity_port: port(5000, 'Port of the embedded identity'),
      identity_public_url: str(null, 'Identity URL given to clients in the catalog and the openrc files (default http://<identity host>:<identity_port>/v3)'),
      agent_socket: str(null, 'Unix socket of the agent channel (HTTP; file mode 0600): the server listens on it, agents connect to it (default <state_path>/agent.sock)'),
      revision_poll_interval: float(1, 'Seconds between checks of the database for changes made by a server this one hears nothing from (several servers without RabbitMQ); writes by its own api_workers, and by other servers through RabbitMQ, wake agents at once', { min: 0.05 }),
      identity_token_expiration: int(3600, 'Seconds an embedded identity token is valid (Keystone [token] expiration)', { min: 60 }),
    },
  },
};

// Sections Neutron or its libraries define that Muon does not read: no warnings for them.
const OPAQUE = [
  'oslo_messaging_amqp', 'oslo_messaging_qpid', 'oslo_messaging_zmq', 'oslo_messaging_kafka',
  'oslo_messaging_notifications', 'oslo_middleware', 'oslo_versionedobjects', 'oslo_reports',
  'matchmaker_redis', 'matchmaker_ring', 'cors', 'cors.subdomain', 'ssl', 'qos', 'placement',
  'designate', 'privsep', 'ironic', 'ovs', 'ovn', 'service_providers', 'ml2_type_geneve',
  'sriov_nic', 'healthcheck', 'profiler', 'network_log', 'l2pop',
];
for (const name of OPAQUE) SECTIONS[name] = { help: 'Not read by Muon; kept in raw', options: {}, opaque: true };

export function optionSpec(section: string, option: string): OptionSpec | undefined {
  const s = SECTIONS[section];
  return s && Object.hasOwn(s.options, option) ? s.options[option] : undefined;
}

/** Sections (other than `except`) that define `option`. */
export function sectionsDefining(option: string, except?: string): string[] {
  return Object.keys(SECTIONS).filter((name) => name !== except && Object.hasOwn(SECTIONS[name].options, option));
}
