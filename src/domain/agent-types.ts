// Neutron's agent kinds: agent_type (the API's wire value; agents are unique per type and
// host), binary and topic as Neutron's own agents report them.
export const AGENT_IDENTITIES = {
  linuxbridge: { agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', topic: 'N/A' },
  dhcp: { agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', topic: 'dhcp_agent' },
  l3: { agent_type: 'L3 agent', binary: 'neutron-l3-agent', topic: 'l3_agent' },
  metadata: { agent_type: 'Metadata agent', binary: 'neutron-metadata-agent', topic: 'N/A' },
} as const;

export type AgentKind = keyof typeof AGENT_IDENTITIES;

export const LINUXBRIDGE_AGENT_TYPE = AGENT_IDENTITIES.linuxbridge.agent_type;
export const DHCP_AGENT_TYPE = AGENT_IDENTITIES.dhcp.agent_type;
export const L3_AGENT_TYPE = AGENT_IDENTITIES.l3.agent_type;

export const KNOWN_AGENT_TYPES: ReadonlySet<string> = new Set(Object.values(AGENT_IDENTITIES).map((t) => t.agent_type));
