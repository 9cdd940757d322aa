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
}

export function serverOverlay(s: LabServerSettings): string {
  return [
    '# written by `muon up`: where the lab server keeps its state and serves its agents',
    '[DEFAULT]',
    `bind_port = ${s.apiPort}`,
    `state_path = ${s.statePath}`,
    ...(s.agentDownTime ? [`agent_down_time = ${s.agentDownTime}`] : []),
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
  agents: ('linuxbridge' | 'dhcp')[];
}

export const SEED_AGENT_HOSTS: LabAgentHost[] = [
  { host: 'controller', localIp: '192.168.81.66', mappings: { public: 'eno1' }, agents: ['linuxbridge', 'dhcp'] },
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
