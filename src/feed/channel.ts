// The agent channel's protocol: what agents send and receive. The HTTP transport
// (src/api/agent-channel.ts server side, src/agents/channel/http-channel.ts agent side)
// carries exactly these, and so does RabbitMQ (src/api/agent-channel-amqp.ts,
// src/agents/channel/amqp-channel.ts; chosen by src/config/transport.ts).
import type { HostState, HostStatePart, InstanceLookup } from './host-state.ts';

/** Neutron's report_state agent_state. */
export interface AgentStateReport {
  agent_type: string;
  binary: string;
  host: string;
  topic?: string;
  configurations?: Record<string, unknown>;
  availability_zone?: string | null;
  /** true on the agent's first report after it started */
  start_flag?: boolean;
}

export type ReportOutcome = 'new' | 'alive' | 'revived';

export interface DeviceReport {
  /** ports the agent has wired (tap plugged into the right bridge, up) */
  up?: string[];
  /** ports bound here whose device is gone */
  down?: string[];
  /** ports whose DHCP host entry dnsmasq serves */
  dhcp_ready?: string[];
  /**
   * L3 agent (update_floatingip_statuses): floating IP id → ACTIVE (realised in its router's
   * namespace) | DOWN (not) | ERROR (the agent could not); level-triggered, all of the host's
   */
  floatingips?: Record<string, 'ACTIVE' | 'DOWN' | 'ERROR'>;
}

/** The metadata agent's question: which port has this address on this router's or network's subnets? */
export interface InstanceQuery {
  /** from the router namespace's proxy (X-Neutron-Router-ID) */
  router_id?: string;
  /** from the DHCP namespace's proxy (X-Neutron-Network-ID) */
  network_id?: string;
  /** the VM's address (X-Forwarded-For) */
  ip: string;
}

export interface AgentChannel {
  report(state: AgentStateReport): Promise<{ id: string; outcome: ReportOutcome }>;
  /**
   * The host's desired state once the feed is past `since` (at once if it already is) and it
   * differs from the state whose digest is `digest`; null after waitMs without such a change.
   * With `parts`, only those sections count as a difference (and the digest covers only
   * them): an agent is not woken for changes it does not read. Undefined: every section.
   */
  watch(host: string, since: number, waitMs: number, digest?: string, parts?: readonly HostStatePart[]): Promise<HostState | null>;
  devices(host: string, report: DeviceReport): Promise<string[]>;
  /** The port behind a metadata request; null when none matches (the VM gets a 404). */
  lookupInstance(query: InstanceQuery): Promise<InstanceLookup | null>;
  close(): void;
}
