// `muon agent l3`: Neutron's legacy L3 agent as a reconciler. The server schedules routers to
// this host and binds their ports here; the agent realises each router in `qrouter-<id>`
// (veth pairs whose tap ends the Linux bridge agent plugs, addresses, routes, NAT in
// nftables, radvd, conntrack flushes, gratuitous ARPs) and reports floating IP statuses.
import type { MuonConfig } from '../../config/types.ts';
import type { HostState } from '../../feed/host-state.ts';
import type { Place } from '../../linux/exec.ts';
import { AGENT_IDENTITIES } from '../../domain/agent-types.ts';
import type { AgentDefinition, ReconcileOutcome } from '../loop.ts';
import type { MetadataHook } from './apply.ts';
import type { L3Options } from './desired.ts';
import { newRouterHold } from './hold.ts';
import { newMemory } from './plan.ts';
import { FULL_OBSERVE_MS, reconcileL3 } from './reconcile.ts';

export type { MetadataHook } from './apply.ts';

export function l3Options(config: MuonConfig): L3Options {
  const d = config.values.DEFAULT;
  return {
    stateDir: config.statePath.replace(/\/+$/, ''),
    agentMode: (d.agent_mode as string | undefined) ?? 'legacy',
    handleInternalOnlyRouters: (d.handle_internal_only_routers as boolean | undefined) ?? true,
  };
}

export interface L3AgentHooks {
  metadata?: MetadataHook;
  /** where the agent works (default: this process's namespaces); tests use a scratch host */
  place?: Place;
}

export interface L3AgentDefinition extends AgentDefinition {
  /**
   * Give the agent the loop's kick: after a reconcile in which some router failed (the loop
   * itself only retries when reconcile throws, and this one reports instead), the agent asks
   * for another round after a backoff (1 s doubling to 30 s). Optional.
   */
  retryWith(kick: () => void): void;
}

export function l3Agent(config: MuonConfig, hooks: L3AgentHooks = {}): L3AgentDefinition {
  const opts = l3Options(config);
  let kick: (() => void) | undefined;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  const memory = newMemory();
  const hold = newRouterHold();
  let holdTimer: NodeJS.Timeout | undefined;
  const counts = { routers: 0, ex_gw_ports: 0, interfaces: 0, floating_ips: 0 };
  const d = config.values.DEFAULT;
  return {
    host: config.host,
    identity: { ...AGENT_IDENTITIES.l3, availability_zone: (config.values.agent.availability_zone as string | null) ?? 'nova' },
    parts: ['routers'],
    configurations: () => ({
      agent_mode: opts.agentMode,
      handle_internal_only_routers: opts.handleInternalOnlyRouters,
      interface_driver: (d.interface_driver as string | null) ?? 'linuxbridge',
      external_network_bridge: (d.external_network_bridge as string | null) ?? '',
      gateway_external_network_id: (d.gateway_external_network_id as string | null) ?? '',
      log_agent_heartbeats: false,
      extensions: ['port_forwarding'],
      ...counts,
    }),
    retryWith(k) {
      kick = k;
      // the periodic read of every router happens on its own round, not on a change's
      setInterval(() => { memory.fullObserveDue = true; kick?.(); }, FULL_OBSERVE_MS).unref();
    },
    async reconcile(desired: HostState): Promise<ReconcileOutcome> {
      // a new router without its gateway or interface waits a moment for it (hold.ts)
      const h = hold.filter(desired.routers ?? [], performance.now());
      if (h.againInMs !== undefined && kick) {
        if (holdTimer) clearTimeout(holdTimer);
        holdTimer = setTimeout(() => { holdTimer = undefined; kick?.(); }, Math.ceil(h.againInMs) + 1);
        holdTimer.unref();
      }
      const r = await reconcileL3(hooks.place, { routers: h.routers }, { ...opts, memory, metadata: hooks.metadata });
      const ok = r.routers.filter((x) => !x.error);
      counts.routers = ok.length;
      counts.ex_gw_ports = ok.filter((x) => x.gateway).length;
      counts.interfaces = ok.reduce((n, x) => n + x.ports - (x.gateway ? 1 : 0), 0);
      counts.floating_ips = ok.reduce((n, x) => n + x.floatingIps, 0);
      const retryLater = () => {
        failures++;
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => { timer = undefined; kick?.(); }, Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5)));
        timer.unref();
      };
      if (r.failed.size > 0 && kick) {
        retryLater();
      } else if (r.failed.size === 0 && memory.metadataProblems.size === 0) {
        failures = 0;
      }
      // metadata proxies start in the background: one that fails is reported and retried
      const starting = [...memory.metadataPending.values()];
      if (starting.length && kick) void Promise.allSettled(starting).then(() => { if (memory.metadataProblems.size) retryLater(); });
      return { report: { floatingips: r.floatingips }, problems: r.problems, timings: r.timings };
    },
  };
}
