// What a trace is evaluated over: a plain snapshot of the objects a flow can cross (read by
// src/services/trace.ts, admin view), the flow asked about, and the answer's wire shape
// (POST /v2.0/muon/trace). Snake_case where the fields are Neutron's or the API's.

export interface SegmentM { network_type: string; physical_network: string | null; segmentation_id: number | null }
export interface NetworkM {
  id: string; name: string; admin_state_up: boolean; router_external: boolean; segments: SegmentM[];
}
export interface SubnetM { id: string; name: string; network_id: string; cidr: string; gateway_ip: string | null; ip_version: number; enable_dhcp: boolean }
export interface PortM {
  id: string; name: string; network_id: string; admin_state_up: boolean; status: string;
  device_owner: string; device_id: string; port_security_enabled: boolean;
  binding_host_id: string; binding_vif_type: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  security_group_ids: string[];
  allowed_address_pairs: { ip_address: string; mac_address: string }[];
}
export interface RuleM {
  id: string; direction: 'ingress' | 'egress'; ethertype: string; protocol: string | null;
  port_range_min: number | null; port_range_max: number | null;
  remote_ip_prefix: string | null; remote_group_id: string | null; remote_address_group_id: string | null;
}
export interface SecurityGroupM { id: string; name: string; stateful: boolean; rules: RuleM[] }
export interface RouterM {
  id: string; name: string; admin_state_up: boolean; status: string; enable_snat: boolean;
  gw_port_id: string | null; gw_network_id: string | null;
  routes: { destination: string; nexthop: string }[];
  /** router_interface ports: one entry per fixed IP */
  interfaces: { port_id: string; subnet_id: string; ip_address: string }[];
}
export interface FloatingIpM {
  id: string; floating_ip_address: string; floating_network_id: string;
  fixed_port_id: string | null; fixed_ip_address: string | null; router_id: string | null; status: string;
}
/** A floating IP's port forwarding: external protocol ports → an internal port's address and ports. */
export interface PortForwardingM {
  id: string; floatingip_id: string; internal_port_id: string; internal_ip_address: string; protocol: string;
  external_port_start: number; external_port_end: number; internal_port_start: number; internal_port_end: number;
}
export interface AgentM { id: string; agent_type: string; host: string; alive: boolean; admin_state_up: boolean }

export interface TraceModel {
  networks: NetworkM[];
  subnets: SubnetM[];
  /** the ports the flow can touch: the two ends, the routers' ports */
  ports: PortM[];
  security_groups: SecurityGroupM[];
  /** remote group id → its members' addresses (fixed IPs and allowed address pairs); the
   *  service reads only those of them the flow can meet (its peers), enough to decide its rules */
  remote_group_members: Record<string, string[]>;
  /** address group id → its name and CIDRs */
  address_groups: Record<string, { name: string; addresses: string[] }>;
  routers: RouterM[];
  floatingips: FloatingIpM[];
  /** the forwardings of the floating IPs asked about */
  port_forwardings: PortForwardingM[];
  agents: AgentM[];
  /** router id → ids of the L3 agents hosting it */
  l3_agents_by_router: Record<string, string[]>;
  /** network id → ids of the DHCP agents hosting it */
  dhcp_agents_by_network: Record<string, string[]>;
}

export type Protocol = 'icmp' | 'tcp' | 'udp' | 'any';

/** One end as the API names it; a port may also say which of its addresses it speaks from. */
export type EndpointSpec = { port_id: string; ip_address?: string } | { ip_address: string };

export interface TraceRequest {
  source: EndpointSpec;
  destination: EndpointSpec;
  protocol: Protocol;
  destination_port?: number;
}

export type HopStep =
  | 'source_port' | 'security_group_egress' | 'network' | 'router_interface' | 'route' | 'snat'
  | 'floating_ip' | 'external_network' | 'security_group_ingress' | 'destination_port';

export interface TraceObject { type: 'port' | 'security_group' | 'security_group_rule' | 'network' | 'subnet' | 'router' | 'floatingip' | 'address'; id: string; name: string }

export interface Realised {
  host: string | null;
  state: 'yes' | 'no' | 'unknown';
  evidence: string;
}

export interface Hop {
  step: HopStep;
  object: TraceObject;
  verdict: 'pass' | 'block' | 'info';
  reason: string;
  realised: Realised;
}

export interface Blocker { object: TraceObject; setting: string; fix: string }

export interface TraceResult {
  reachable: boolean;
  hops: Hop[];
  blocking: Blocker[];
  /** the flow as evaluated: addresses after resolution */
  flow: { protocol: Protocol; destination_port: number | null; source_ip: string; destination_ip: string };
}
