// `muon agent linuxbridge`: Neutron's Linux bridge agent as a reconciler. Desired state from
// the feed; observed from the kernel (the l2pop entries it wrote are remembered between the
// reads of the whole forwarding database, ./fdb-memory.ts); L2 (bridges, VXLAN, l2population, taps) applied with one
// ip batch and one bridge batch; security groups and anti-spoofing with one nft transaction:
// the first after start replaces Muon's tables whole (resyncing whatever the kernel holds),
// later ones only change what differs from the model this process last applied (skipped when
// nothing does), falling back to the whole replace when that cannot be done or nft refuses it.
// Taps are noticed as the kernel announces them (`ip monitor link`), not by polling.
import type { MuonConfig } from '../../config/types.ts';
import type { HostState, HostStatePart } from '../../feed/host-state.ts';
import { monitorLinks, type LinkEvent, type LinkMonitor } from '../../linux/link-monitor.ts';
import { ensure as ensureSysctls } from '../../linux/sysctl.ts';
import type { AgentDefinition, AgentLog, ReconcileOutcome } from '../loop.ts';
import { updateFirewall } from './firewall/apply.ts';
import type { FirewallModel } from './firewall/model.ts';
import { applyL2 } from './l2-apply.ts';
import type { FdbMemory } from './fdb-memory.ts';
import { AGENT_IDENTITIES } from '../../domain/agent-types.ts';
import type { L2Settings } from './l2-plan.ts';
import { pluggedTaps, tapsChanged } from './port-plan.ts';
import type { UplinkFacts } from './uplink-facts.ts';

/** how long incremental firewall updates (and the remembered l2pop entries) may go on before the kernel's are rewritten (read) whole again */
const RESYNC_MS = 10 * 60_000;

const BR_NETFILTER = { 'net.bridge.bridge-nf-call-iptables': '1', 'net.bridge.bridge-nf-call-ip6tables': '1' };

export function l2Settings(config: MuonConfig): L2Settings {
  return {
    physicalInterfaceMappings: config.linuxBridge.physicalInterfaceMappings,
    bridgeMappings: config.linuxBridge.bridgeMappings,
    vxlan: {
      enabled: config.vxlan.enableVxlan && !!config.vxlan.localIp,
      localIp: config.vxlan.localIp,
      udpDstport: config.vxlan.udpDstport ?? 4789,
      ttl: config.vxlan.ttl,
      tos: config.vxlan.tos,
      arpResponder: config.vxlan.arpResponder,
    },
  };
}

/** What the Linux bridge agent reads of its host's state: bridges, taps, l2pop and the filter,
 *  not the DHCP or router sections (bench/agents/ simulates it with the same). */
export const LINUXBRIDGE_PARTS: readonly HostStatePart[] = ['networks', 'ports', 'security_groups', 'remote_groups', 'address_groups', 'l2pop'];

export interface LinuxbridgeAgent extends AgentDefinition {
  /**
   * Watch the host's links; `kick` is called when a tap appears, changes or goes, `uplink`
   * when a mapped interface or bridge does (the host check looks again).
   */
  watch(kick: () => void, log: AgentLog, uplink?: () => void): Promise<LinkMonitor>;
}

export function linuxbridgeAgent(config: MuonConfig): LinuxbridgeAgent {
  const settings = l2Settings(config);
  const firewall = config.securityGroup.enableSecurityGroup;
  /** the firewall as this process last applied it; undefined: replace the tables whole next time */
  let applied: FirewallModel | undefined;
  let lastReplace = 0;
  /** the l2pop entries as this process last left them; undefined: read the forwarding database */
  let fdbMemory: FdbMemory | undefined;
  let lastFdbRead = 0;
  let devices = 0;
  let uplinks: UplinkFacts = { addresses: {}, tunnelMtu: null };
  let bridgeNetfilter = false;
  /** tap → how this agent plugged it and counts it up: the link events its own ip batch causes
   *  (master, MTU, up) show just that, and need no new look at the host */
  let plugged = new Map<string, string>();
  /** while a reconcile runs, the tap events that came meanwhile: judged once it is over, by what
   *  it plugged (a VM's new tap seen by its observation needs no second reconcile, one less
   *  per boot beside the VM's DHCP exchange) */
  let during: LinkEvent[] | undefined;
  let lookAgain = (): void => {};
  return {
    host: config.host,
    identity: AGENT_IDENTITIES.linuxbridge,
    parts: LINUXBRIDGE_PARTS,
    configurations: () => ({
      interface_mappings: settings.physicalInterfaceMappings,
      bridge_mappings: settings.bridgeMappings,
      tunnel_types: settings.vxlan.enabled ? ['vxlan'] : [],
      tunneling_ip: settings.vxlan.localIp,
      l2_population: config.vxlan.l2Population,
      devices,
      extensions: [],
      // Muon's additions, for the server's doctor: the segment each physnet is on, the underlay MTU
      physical_network_addresses: uplinks.addresses,
      tunneling_interface_mtu: uplinks.tunnelMtu,
    }),
    async reconcile(desired: HostState): Promise<ReconcileOutcome> {
      during = [];
      try {
        const out = await reconcileHost(desired);
        if (tapsChanged(during, plugged)) lookAgain();
        return out;
      } finally {
        during = undefined;
      }
    },
    async watch(kick, log, uplink) {
      lookAgain = kick;
      const mapped = new Set([...Object.values(settings.physicalInterfaceMappings), ...Object.values(settings.bridgeMappings)]);
      const start = async (): Promise<LinkMonitor> => monitorLinks(undefined, {
        filter: (n) => n.startsWith('tap') || mapped.has(n),
        onChange: (names, events) => {
          if (names.some((n) => mapped.has(n))) uplink?.();
          if (during) during.push(...events);
          else if (tapsChanged(events, plugged)) kick();
        },
        onExit: (info) => {
          log.warn('link monitor ended; restarting it', { code: info.code, signal: info.signal, stderr: info.stderr });
          setTimeout(() => { start().then(() => kick(), (e: unknown) => log.error('cannot restart the link monitor', { error: (e as Error).message })); }, 500);
        },
      });
      return start();
    },
  };

  async function reconcileHost(desired: HostState): Promise<ReconcileOutcome> {
    // The filter is compiled from the desired state alone (its maps name taps, they need not
    // exist): it is written while L2 reads and wires the host, not after it.
    const fwProblems: string[] = [];
    const t0 = performance.now();
    const fw = firewall ? (async () => {
      // a whole replace now and then undoes any hand edits an incremental update would keep
      const previous = Date.now() - lastReplace > RESYNC_MS ? undefined : applied;
      applied = undefined; // until this update is known to have been applied
      const r = await updateFirewall(undefined, desired, previous);
      applied = r.model;
      if (r.how === 'replaced') lastReplace = Date.now();
      if (r.failed !== undefined) {
        fwProblems.push(`incremental firewall update failed, replaced the tables instead: ${r.failed.split('\n')[0]}`);
      }
      return Math.round(performance.now() - t0);
    })() : Promise.resolve(0);
    // like the firewall: the forwarding database is read whole now and then, and after trouble
    const memory = Date.now() - lastFdbRead > RESYNC_MS ? undefined : fdbMemory;
    if (!memory) lastFdbRead = Date.now();
    fdbMemory = undefined; // until this apply is known to have gone in
    const [l2r, fwr] = await Promise.allSettled([applyL2(undefined, desired, settings, memory), fw]);
    if (l2r.status === 'rejected') { plugged = new Map(); throw l2r.reason; }
    const l2 = l2r.value;
    fdbMemory = l2.fdbMemory;
    // the ports really up (a failed batch left some as they were)
    plugged = pluggedTaps(desired.ports, new Map(desired.networks.map((n) => [n.id, n.mtu])), l2, new Set(l2.presentPorts));
    if (fwr.status === 'rejected') throw fwr.reason;
    if (firewall && !bridgeNetfilter) {
      // Without these, bridged traffic never reaches the inet table: every security group
      // would be silently bypassed (the data-plane facts show it). Set once per start.
      const set = await ensureSysctls(undefined, BR_NETFILTER);
      if (set.length) l2.problems.push(`set ${set.join(', ')} = 1: bridged traffic was bypassing the security groups`);
      bridgeNetfilter = true;
    }
    l2.problems.push(...fwProblems);
    l2.timings.firewall_ms = fwr.value;
    devices = l2.presentPorts.length;
    uplinks = l2.uplinks;
    // a port is "up" only once its tap is plugged AND its filter is in place
    return { report: { up: l2.presentPorts, down: l2.absentPorts }, problems: l2.problems, timings: l2.timings };
  }
}
