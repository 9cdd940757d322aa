// An agent checks its own host, as `muon doctor` would (the same checks: src/doctor/), at start
// and whenever the host changes, and reports what it finds upward in its `configurations`
// (`host_problems`): the server binds ports by it, `muon doctor --server` and `muon status`
// show it. A mapped interface that is missing, a local_ip that is not this host's, an underlay
// too small for VXLAN, a dnsmasq_config_file forcing a bigger MTU than a network carries, a
// kernel without VXLAN: said once, where the operator looks, not only in the agent's log.
import type { MuonConfig } from '../config/types.ts';
import { checkLinuxbridgeHost, forcedDhcpMtu } from '../doctor/config-checks.ts';
import { finding, type Finding } from '../doctor/finding.ts';
import { checkHost, type AgentKind } from '../doctor/host-checks.ts';
import type { HostFacts } from '../linux/host-facts.ts';

export type { Finding };

/** A network the DHCP agent serves and the MTU it must tell its VMs. */
export interface ServedNetwork { id: string; mtu: number }

export interface SelfCheckInput {
  kind: AgentKind;
  config: MuonConfig;
  facts: HostFacts;
  /** the DHCP agent's [DEFAULT] dnsmasq_config_file, read (or why it could not be) */
  dnsmasqConfig?: { path: string; text: string | Error };
  /** the DHCP agent's networks, from its last desired state */
  served?: readonly ServedNetwork[];
}

/** Only what needs the operator: info findings stay with `muon doctor`. */
const reportable = (f: Finding) => f.severity !== 'info';

/** The host's problems as this agent sees them (pure). */
export function selfCheck(i: SelfCheckInput): Finding[] {
  const c = i.config;
  const out = checkHost(i.facts, {
    agents: new Set([i.kind]), vxlan: c.vxlan.enableVxlan && !!c.vxlan.localIp, securityGroups: c.securityGroup.enableSecurityGroup, host: c.host,
  });
  // interfaces read as []: the read failed, not a host without interfaces
  if (i.kind === 'linuxbridge' && i.facts.interfaces.length) out.push(...checkLinuxbridgeHost(c, i.facts.interfaces));
  if (i.kind === 'dhcp' && i.dnsmasqConfig) out.push(...dnsmasqMtu(i.dnsmasqConfig, i.served ?? []));
  return out.filter(reportable);
}

// The seed's dhcp-option-force=26,1454: bigger than a VXLAN network's 1450, so VMs send frames
// the tunnel drops (ping works, SSH and HTTPS stall). The agent knows each network's MTU.
function dnsmasqMtu(cfg: { path: string; text: string | Error }, served: readonly ServedNetwork[]): Finding[] {
  const obj = { type: 'config', id: cfg.path, name: '[DEFAULT] dnsmasq_config_file' };
  if (cfg.text instanceof Error) {
    return [finding('warning', 'dnsmasq-config-unreadable', obj, `[DEFAULT] dnsmasq_config_file = ${cfg.path} cannot be read: ${cfg.text.message}; dnsmasq refuses to start without it`, 'create it or remove the option (Muon already tells VMs each network\'s MTU)')];
  }
  const forced = forcedDhcpMtu(cfg.text);
  if (forced === undefined) return [];
  const over = served.filter((n) => n.mtu < forced);
  if (!over.length) return [];
  const smallest = Math.min(...over.map((n) => n.mtu));
  return [finding('error', 'dhcp-mtu-too-big', obj,
    `${cfg.path} forces DHCP option 26 (MTU) = ${forced} on every network, more than network${over.length > 1 ? 's' : ''} ${over.map((n) => `${n.id} (MTU ${n.mtu})`).join(', ')} carr${over.length > 1 ? 'y' : 'ies'}: their VMs' full-size packets are dropped (ping works, SSH and HTTPS stall)`,
    `remove the dhcp-option-force=26 line from ${cfg.path} (Muon sends each network's own MTU), or lower it to ${smallest}; then restart the DHCP agent`)];
}

/** Findings compared for "did anything change" (the report is sent at once when it did). */
export const sameFindings = (a: readonly Finding[], b: readonly Finding[]): boolean => JSON.stringify(a) === JSON.stringify(b);
