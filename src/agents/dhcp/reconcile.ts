// reconcileDhcp: compile → observe → plan → apply for every DHCP network of a host, and say
// which ports are now served (the caller reports them as dhcp_ready_on_ports). Callers
// run one reconcile at a time per host.
import type { HostState } from '../../feed/host-state.ts';
import type { Place } from '../../linux/exec.ts';
import { applyDhcp } from './apply.ts';
import { compileDhcp, dhcpDir, type DesiredDhcpNetwork, type DhcpAgentOptions } from './desired.ts';
import { observeDhcp } from './observe.ts';
import { planDhcp, type DhcpAction } from './plan.ts';
import type { ObservedDhcp } from './observe.ts';
import { plumbingKey, type PlumbingMemory } from './plumbing-memory.ts';
import { inodes } from '../../linux/netns.ts';

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

/** `memory`: the plumbing this process left (./plumbing-memory.ts), kept up to date here; none: read every time. */
export async function reconcileDhcp(place: Place | undefined, state: Pick<HostState, 'dhcp'>, opts: DhcpAgentOptions & { concurrency?: number; memory?: PlumbingMemory }): Promise<DhcpReconcileReport> {
  const t0 = performance.now();
  const desired = compileDhcp(state, opts);
  const readAt = Date.now();
  const observed = await observeDhcp(place, desired, opts.stateDir, opts.memory);
  const actions = planDhcp(desired, observed, (id) => dhcpDir(opts.stateDir, id));
  const outcome = await applyDhcp(place, actions, { concurrency: opts.concurrency });
  if (opts.memory) await rememberPlumbing(place, opts.memory, desired, observed, actions, outcome.failed, readAt);

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

/**
 * After an apply: each desired network that did not fail has the plumbing it wants, in the
 * namespace there is now (read again only when one was made); a full read (nothing vouched
 * for) starts the next period.
 */
async function rememberPlumbing(
  place: Place | undefined, memory: PlumbingMemory, desired: readonly DesiredDhcpNetwork[], observed: ObservedDhcp,
  actions: readonly DhcpAction[], failed: ReadonlyMap<string, Error>, readAt: number,
): Promise<void> {
  const made = actions.some((a) => a.kind === 'ip' && a.commands.some((c) => c[0] === 'netns' && c[1] === 'add'));
  const now = made ? await inodes(place) : undefined;
  memory.networks.clear();
  let allRead = true;
  for (const d of desired) {
    if (observed.get(d.id)?.vouched) allRead = false;
    if (failed.has(d.id)) continue;
    const inode = now ? now.get(d.netns) : observed.get(d.id)?.netnsInode;
    if (inode !== undefined) memory.networks.set(d.id, { key: plumbingKey(d), inode });
  }
  if (allRead) memory.readAt = readAt;
}
