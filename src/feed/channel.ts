// The agent channel's protocol: what agents send and receive. The HTTP transport
// (src/api/agent-channel.ts server side, src/agents/channel/http-channel.ts agent side)
// carries exactly these; a RabbitMQ transport would implement the same interface.
import type { HostState } from './host-state.ts';

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
}

export interface AgentChannel {
  report(state: AgentStateReport): Promise<{ id: string; outcome: ReportOutcome }>;
  /**
   * The host's desired state once the feed is past `since` (at once if it already is) and it
   * differs from the state whose digest is `digest`; null after waitMs without such a change.
   */
  watch(host: string, since: number, waitMs: number, digest?: string): Promise<HostState | null>;
  devices(host: string, report: DeviceReport): Promise<string[]>;
  close(): void;
}
