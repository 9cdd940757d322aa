// The configuration files of the seed's deployment, as the lab runs them: the server's
// (Muon's embedded defaults — the seed's ml2_conf.ini values — plus where the agent channel
// and state live) and each host's agent files (linuxbridge_agent.ini, dhcp_agent.ini with
// the seed's values; the hosts' tunnel addresses are their eno1 addresses). Pure: text only.

export interface LabServerSettings {
  statePath: string;
  agentSocket: string;
  apiPort: number;
  identityPort: number;
  /** [DEFAULT] agent_down_time */
  agentDownTime?: number;
  /** [DEFAULT] allow_automatic_l3agent_failover */
  l3Failover?: boolean;
  /** [nova]: the stand-in Nova's compute API and the built-in identity's admin account */
  nova?: { authUrl: string; username: string; password: string; projectName: string; endpoint: string };
}

export function serverOverlay(s: LabServerSettings): string {
  return [
    '# written by `muon up`: where the lab server keeps its state and serves its agents',
    '[DEFAULT]',
    `bind_port = ${s.apiPort}`,
    `state_path = ${s.statePath}`,
    ...(s.agentDownTime ? [`agent_down_time = ${s.agentDownTime}`] : []),
    ...(s.l3Failover !== undefined ? [`allow_automatic_l3agent_failover = ${s.l3Failover}`] : []),
    // Nova's boot waits for network-vif-plugged: the lab sends each event at once, where
    // Neutron's default batches them for 2 s (what `muon vm boot` waits on, as Nova does)
    ...(s.nova ? ['send_events_interval = 0'] : []),
    ...(s.nova ? [
      '[nova]',
      `auth_url = ${s.nova.authUrl}`, 'auth_type = password', `username = ${s.nova.username}`, `password = ${s.nova.password}`,
      `project_name = ${s.nova.projectName}`, 'user_domain_name = Default', 'project_domain_name = Default', 'region_name = RegionOne',
      '# the built-in identity has no compute endpoint in its catalog: the stand-in Nova is named here',
      `endpoint_override = ${s.nova.endpoint}`,
    ] : []),
    '[muon]',
    `agent_socket = ${s.agentSocket}`,
    `identity_port = ${s.identityPort}`,
    '',
  ].join('\n');
}

export interface LabAgentHost {
  host: string;
  /** the host's address on the physical segment = its VXLAN local_ip */
  localIp: string;
  /** physnet → interface */
  mappings: Record<string, string>;
  agents: LabAgentKind[];
}

export type LabAgentKind = 'linuxbridge' | 'dhcp' | 'l3' | 'metadata';

/** The lab's stand-in Nova and the metadata secret both sides share (the seed's nova.conf value). */
export const LAB_NOVA = { metadataHost: '192.168.81.66', metadataPort: 8775, secret: 'METADATA_SECRET' } as const;

export const SEED_AGENT_HOSTS: LabAgentHost[] = [
  { host: 'controller', localIp: '192.168.81.66', mappings: { public: 'eno1' }, agents: ['linuxbridge', 'dhcp', 'l3', 'metadata'] },
  { host: 'compute', localIp: '192.168.81.65', mappings: { public: 'eno1' }, agents: ['linuxbridge'] },
];

function common(h: LabAgentHost, agentSocket: string, stateDir: string, reportInterval: number): string[] {
  return [
    '[DEFAULT]',
    `host = ${h.host}`,
    `state_path = ${stateDir}`,
    '[agent]',
    `report_interval = ${reportInterval}`,
    '[muon]',
    `agent_socket = ${agentSocket}`,
  ];
}

/** linuxbridge_agent.ini as the seed wrote it (plus the lab's host name and channel). */
export function linuxbridgeAgentIni(h: LabAgentHost, agentSocket: string, stateDir: string, reportInterval = 30): string {
  return [
    ...common(h, agentSocket, stateDir, reportInterval),
    // the seed's [agent] option (common() ends in [muon]: it must not land there)
    '[agent]',
    'prevent_arp_spoofing = True',
    '[linux_bridge]',
    `physical_interface_mappings = ${Object.entries(h.mappings).map(([p, i]) => `${p}:${i}`).join(',')}`,
    '[vxlan]',
    'enable_vxlan = True',
    `local_ip = ${h.localIp}`,
    'l2_population = True',
    '[securitygroup]',
    'enable_security_group = True',
    'firewall_driver = neutron.agent.linux.iptables_firewall.IptablesFirewallDriver',
    '',
  ].join('\n');
}

/** dhcp_agent.ini as the seed wrote it, without the hand-written MTU file (Muon sends option 26 itself). */
export function dhcpAgentIni(h: LabAgentHost, agentSocket: string, stateDir: string, reportInterval = 30): string {
  const lines = common(h, agentSocket, stateDir, reportInterval);
  // options of [DEFAULT] go right after its header
  lines.splice(3, 0,
    'interface_driver = neutron.agent.linux.interface.BridgeInterfaceDriver',
    'dhcp_driver = neutron.agent.linux.dhcp.Dnsmasq',
    'enable_isolated_metadata = True');
  return [...lines, ''].join('\n');
}

/** l3_agent.ini as the seed wrote it (external_network_bridge empty on purpose). */
export function l3AgentIni(h: LabAgentHost, agentSocket: string, stateDir: string, reportInterval = 30): string {
  const lines = common(h, agentSocket, stateDir, reportInterval);
  lines.splice(3, 0,
    'interface_driver = neutron.agent.linux.interface.BridgeInterfaceDriver',
    'external_network_bridge =');
  return [...lines, ''].join('\n');
}

/**
 * metadata_agent.ini as the seed wrote it, with two corrections the seed needed: the address
 * of the controller instead of its name (the lab has no name service), and the same shared
 * secret as nova.conf (the seed's two files differed, so every VM got a 403).
 */
export function metadataAgentIni(h: LabAgentHost, agentSocket: string, stateDir: string, reportInterval = 30): string {
  const lines = common(h, agentSocket, stateDir, reportInterval);
  lines.splice(3, 0,
    `nova_metadata_host = ${LAB_NOVA.metadataHost}`,
    `nova_metadata_port = ${LAB_NOVA.metadataPort}`,
    `metadata_proxy_shared_secret = ${LAB_NOVA.secret}`);
  return [...lines, ''].join('\n');
}

export function agentIni(kind: LabAgentKind, h: LabAgentHost, agentSocket: string, stateDir: string, reportInterval?: number): string {
  switch (kind) {
    case 'linuxbridge': return linuxbridgeAgentIni(h, agentSocket, stateDir, reportInterval);
    case 'dhcp': return dhcpAgentIni(h, agentSocket, stateDir, reportInterval);
    case 'l3': return l3AgentIni(h, agentSocket, stateDir, reportInterval);
    case 'metadata': return metadataAgentIni(h, agentSocket, stateDir, reportInterval);
  }
}

/** Where and how an agent or the server reaches the broker: the seed's `[oslo_messaging_rabbit]` values. */
export interface LabRabbitSettings {
  /** an address: the lab has no name service, so the seed's `controller` is written 192.168.81.66 */
  host: string;
  port: number;
  userid: string;
  password: string;
}

/**
 * neutron.conf's messaging lines as the seed wrote them on both machines (Liberty's
 * `rpc_backend = rabbit` and `[oslo_messaging_rabbit]`), for the two-machine lab; the agents and
 * the server read it before their own file, as `--config-file neutron.conf --config-file …`.
 */
export function libertyMessagingConf(r: LabRabbitSettings): string {
  return [
    '# written by `muon up --two-machines`: the seed\'s neutron.conf messaging options',
    '[DEFAULT]',
    'rpc_backend = rabbit',
    '[oslo_messaging_rabbit]',
    '# the address, not the name `controller`: the lab has no name service',
    `rabbit_host = ${r.host}`,
    ...(r.port !== 5672 ? [`rabbit_port = ${r.port}`] : []),
    `rabbit_userid = ${r.userid}`,
    `rabbit_password = ${r.password}`,
    '',
  ].join('\n');
}
