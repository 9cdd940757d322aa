// reconcileDhcp: compile → observe → plan → apply for every DHCP network of a host, and say
// which ports are now served (the caller reports them as dhcp_ready_on_ports). Callers
// run one reconcile at a time per host.
import type { HostState } from '../../feed/host-state.ts';
import type { Place } from '../../linux/exec.ts';
import { applyDhcp } from './apply.ts';
import { compileDhcp, dhcpDir, type DhcpAgentOptions } from './desired.ts';
import { observeDhcp } from './observe.ts';
import { planDhcp, type DhcpAction } from './plan.ts';

export interface DhcpNetworkReport {
  id: string;
  /** the dnsmasq serving it (undefined when it failed) */
  pid?: number;
  /** port ids of its host entries, served by that dnsmasq; empty when it failed */
  ready: string[];
  error?: string;
}

export interface DhcpReconcileReport {
  /** every port id now served, all networks together */
  ready: string[];
  /** one per desired network */
  networks: DhcpNetworkReport[];
  /** networks torn down (namespace, dnsmasq, state dir) */
  removed: string[];
  /** failures, desired or removed networks alike */
  errors: { network: string; message: string }[];
  /** what failed without stopping DHCP: metadata proxies, lease releases */
  warnings: { network: string; message: string }[];
  /** what was done (empty when the host already matched) */
  actions: DhcpAction[];
  ms: number;
}

export async function reconcileDhcp(place: Place | undefined, state: Pick<HostState, 'dhcp'>, opts: DhcpAgentOptions & { concurrency?: number }): Promise<DhcpReconcileReport> {
  const t0 = performance.now();
  const desired = compileDhcp(state, opts);
  const observed = await observeDhcp(place, desired, opts.stateDir);
  const actions = planDhcp(desired, observed, (id) => dhcpDir(opts.stateDir, id));
  const outcome = await applyDhcp(place, actions, { concurrency: opts.concurrency });

  const want = new Set(desired.map((d) => d.id));
  const networks = desired.map((d): DhcpNetworkReport => {
    const err = outcome.failed.get(d.id);
    if (err) return { id: d.id, ready: [], error: err.message };
    return { id: d.id, pid: outcome.started.get(d.id) ?? observed.get(d.id)?.dnsmasq?.pid, ready: d.ports };
  });
  const removed = [...observed.keys()].filter((id) => !want.has(id) && !outcome.failed.has(id)).sort();
  return {
    ready: networks.flatMap((n) => n.ready),
    networks,
    removed,
    errors: [...outcome.failed].map(([network, e]) => ({ network, message: e.message })),
    warnings: [...outcome.warnings].flatMap(([network, es]) => es.map((e) => ({ network, message: e.message }))),
    actions: outcome.done,
    ms: Math.round(performance.now() - t0),
  };
}
