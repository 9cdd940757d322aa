// `muon agent dhcp`: Neutron's DHCP agent as a reconciler. The server schedules networks and
// makes this host's network:dhcp ports; the agent realises them (qdhcp namespace, veth,
// dnsmasq with host/opts files, SIGHUP on change) and reports which ports dnsmasq serves
// (Neutron's dhcp_ready_on_ports), which lifts their DHCP provisioning block.
import type { MuonConfig } from '../../config/types.ts';
import type { HostState } from '../../feed/host-state.ts';
import type { AgentDefinition, ReconcileOutcome } from '../loop.ts';
import type { DhcpAgentOptions } from './desired.ts';
import { reconcileDhcp } from './reconcile.ts';
import { newPlumbingMemory } from './plumbing-memory.ts';
import { AGENT_IDENTITIES } from '../../domain/agent-types.ts';
import { dhcpDir } from './desired.ts';
import { dnsmasqFiles } from '../../linux/dnsmasq.ts';
import { stat, truncate } from 'node:fs/promises';
import { metadataSocketPath } from '../metadata/options.ts';
import { proxyRunAs } from '../metadata/socket-access.ts';
import { proxyFiles } from '../metadata/proxy.ts';
import { PROXY_STEM } from './metadata.ts';

/** dnsmasq logs every DHCP exchange (--log-dhcp); a log past this size starts over. */
export const LOG_CAP_BYTES = 16 * 1024 * 1024;

/** dnsmasq appends (O_APPEND), so truncating the file under it is safe: it writes on at the new end. */
export async function capLogs(files: readonly string[], cap = LOG_CAP_BYTES): Promise<string[]> {
  const cut: string[] = [];
  for (const f of files) {
    const size = await stat(f).then((s) => s.size, () => 0);
    if (size > cap) {
      await truncate(f, 0).catch(() => {});
      cut.push(f);
    }
  }
  return cut;
}


export function dhcpOptions(config: MuonConfig): DhcpAgentOptions {
  const d = config.values.DEFAULT;
  return {
    stateDir: config.statePath.replace(/\/+$/, ''),
    leaseDuration: d.dhcp_lease_duration as number,
    leaseMax: d.dnsmasq_lease_max as number,
    dnsServers: d.dnsmasq_dns_servers as string[],
    localResolv: d.dnsmasq_local_resolv as boolean,
    configFile: (d.dnsmasq_config_file as string) || '',
    broadcastReply: d.dhcp_broadcast_reply as boolean,
    metadata: {
      enableIsolated: d.enable_isolated_metadata as boolean,
      force: d.force_metadata as boolean,
      socketPath: metadataSocketPath(config),
    },
  };
}

export function dhcpAgent(config: MuonConfig): AgentDefinition {
  const opts = dhcpOptions(config);
  let networks = 0;
  let runAsKnown = false;
  const memory = newPlumbingMemory();
  return {
    host: config.host,
    // DHCP (and L3) agents carry an availability zone ([agent] availability_zone); L2 agents do not
    identity: { ...AGENT_IDENTITIES.dhcp, availability_zone: (config.values.agent.availability_zone as string | null) ?? 'nova' },
    parts: ['dhcp'],
    configurations: () => ({
      dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq', dhcp_lease_duration: opts.leaseDuration, networks,
      log_agent_heartbeats: false,
    }),
    async reconcile(desired: HostState): Promise<ReconcileOutcome> {
      // the account the metadata proxies drop to, read once (/etc/passwd, /etc/group)
      if (opts.metadata && !runAsKnown) { opts.metadata.runAs = await proxyRunAs(); runAsKnown = true; }
      const r = await reconcileDhcp(undefined, desired, { ...opts, memory });
      networks = r.networks.filter((n) => !n.error).length;
      // haproxy's log (stderr, opened O_APPEND too) only has failures, but a VM can make many
      await capLogs(r.networks.flatMap((n) => {
        const dir = dhcpDir(opts.stateDir, n.id);
        return [dnsmasqFiles(dir).log, proxyFiles(dir, PROXY_STEM).log];
      }));
      return {
        report: { dhcp_ready: r.ready },
        problems: [
          ...r.errors.map((e) => `DHCP for network ${e.network} failed: ${e.message}`),
          ...r.warnings.map((e) => `network ${e.network}: ${e.message}`),
        ],
      };
    },
  };
}
