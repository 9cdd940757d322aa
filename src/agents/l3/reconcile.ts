// reconcileL3: compile → observe → plan → apply for every router of a host. Callers run one
// reconcile at a time per host.
import type { HostState } from '../../feed/host-state.ts';
import type { Place } from '../../linux/exec.ts';
import { applyL3, type MetadataHook } from './apply.ts';
import { compileL3, type L3Options } from './desired.ts';
import { observeL3 } from './observe.ts';
import { rememberedHost } from './remembered.ts';
import { planL3, routerKey, wantsMetadata, type L3Memory, type RouterPlan } from './plan.ts';

/**
 * Every router is read again this often (hand edits to a router left alone otherwise wait for
 * it). The agent asks for it between changes (L3Memory.fullObserveDue); past twice this, the
 * next reconcile reads everything anyway.
 */
export const FULL_OBSERVE_MS = 60_000;

export interface L3RouterReport {
  id: string;
  error?: string;
  ports: number;
  gateway: boolean;
  floatingIps: number;
}

export interface L3ReconcileReport {
  routers: L3RouterReport[];
  /** routers (namespaces) removed */
  removed: string[];
  /** floating IP id → status */
  floatingips: Record<string, 'ACTIVE' | 'DOWN' | 'ERROR'>;
  problems: string[];
  /** the plans carried out (empty when the host already matched) */
  plans: RouterPlan[];
  failed: Map<string, Error>;
  /** gratuitous ARPs still running */
  pending: Promise<unknown>[];
  ms: number;
  /** phase → ms: observe, plan, then each apply step's op */
  timings: Record<string, number>;
}

export async function reconcileL3(
  place: Place | undefined, state: Pick<HostState, 'routers'>, opts: L3Options & { memory: L3Memory; metadata?: MetadataHook; awaitGarp?: boolean },
): Promise<L3ReconcileReport> {
  const t0 = performance.now();
  const desired = compileL3(state, opts);
  const tCompiled = performance.now();
  // a router this process realised as it is desired now is not read again (its namespace and
  // taps still are, in the host's listing); the others are read beside that listing
  const mem = opts.memory;
  const full = mem.fullObserveAt === 0 || mem.fullObserveDue || tCompiled - mem.fullObserveAt > 2 * FULL_OBSERVE_MS;
  if (full) { mem.fullObserveAt = tCompiled; mem.fullObserveDue = false; }
  const keys = new Map(desired.routers.map((d) => [d.id, routerKey(d)]));
  // between full reads, what this process realised stands in for the kernel (remembered.ts)
  let observed = full ? undefined : rememberedHost(desired.routers, mem.realised, keys);
  if (!observed) {
    const vouched = new Map<string, string[]>();
    const expect: string[] = [];
    for (const d of desired.routers) {
      const metadataOk = !opts.metadata || !wantsMetadata(d) || mem.metadata.has(d.id) || mem.metadataPending.has(d.id);
      if (!full && metadataOk && mem.realised.get(d.id)?.key === keys.get(d.id)) vouched.set(d.id, d.ports.map((p) => p.tap));
      else if (mem.realised.has(d.id) || mem.nft.has(d.id)) expect.push(d.id);
    }
    observed = await observeL3(place, opts.stateDir, { ...mem, routers: { vouched, expect } });
  }
  const tObserved = performance.now();
  const plans = planL3(desired, observed, opts.memory, !!opts.metadata);
  const tPlanned = performance.now();
  const outcome = await applyL3(place, plans, { stateDir: opts.stateDir, memory: opts.memory, metadata: opts.metadata, awaitGarp: opts.awaitGarp });
  for (const [id, e] of observed.errors ?? []) outcome.failed.set(id, new Error(`cannot read its namespace: ${e.message}`));

  // a router realised without error has its sysctls right now (set, or read as right)
  for (const d of desired.routers) if (!outcome.failed.has(d.id)) opts.memory.sysctls.add(d.id);
  for (const d of desired.routers) {
    // a router with trouble (a route that would not go in, …) is read and planned again next time
    if (outcome.failed.has(d.id) || outcome.problems.some((p) => p.startsWith(`router ${d.id}:`))) mem.realised.delete(d.id);
    else mem.realised.set(d.id, { key: keys.get(d.id)!, router: d });
  }
  // after a failure the kernel is read again: memory may be what was wrong
  if (outcome.failed.size) mem.fullObserveAt = 0;
  for (const id of [...mem.realised.keys()]) if (!keys.has(id)) mem.realised.delete(id);
  const floatingips: Record<string, 'ACTIVE' | 'DOWN' | 'ERROR'> = {};
  const problems = [...desired.problems];
  const routers = desired.routers.map((d): L3RouterReport => {
    const err = outcome.failed.get(d.id);
    for (const f of d.fipIds) floatingips[f] = err ? 'ERROR' : 'ACTIVE';
    problems.push(...d.problems);
    if (err) problems.push(`router ${d.id} failed: ${err.message}`);
    return { id: d.id, error: err?.message, ports: d.ports.length, gateway: d.ports.some((p) => p.kind === 'qg'), floatingIps: d.fipIds.length };
  });
  // floating IPs of routers in the feed that this agent does not realise
  for (const r of state.routers ?? []) {
    if (desired.routers.some((d) => d.id === r.id)) continue;
    for (const f of r.floating_ips) if (f.fixed_ip_address) floatingips[f.id] = 'DOWN';
  }
  // an admin-down router is simply not served (as Neutron's server does not send it); the rest is worth saying
  for (const s of desired.skipped) if (!s.why.startsWith('admin_state_up')) problems.push(`router ${s.id} not served: ${s.why}`);
  for (const [id, e] of observed.errors ?? []) if (!desired.routers.some((d) => d.id === id)) problems.push(`router ${id}: cannot read its namespace to remove it: ${e.message}`);
  const removed = plans.filter((p) => p.remove && !outcome.failed.has(p.id)).map((p) => p.id);
  for (const p of plans) if (p.remove && outcome.failed.has(p.id)) problems.push(`router ${p.id}: removal failed: ${outcome.failed.get(p.id)!.message}`);
  problems.push(...outcome.problems);
  // background metadata proxy starts that failed (their routers plan the start again)
  for (const [id, p] of mem.metadataProblems) if (keys.has(id)) problems.push(p); else mem.metadataProblems.delete(id);
  return {
    routers, removed, floatingips, problems, plans, failed: outcome.failed, pending: outcome.pending,
    ms: Math.round(performance.now() - t0),
    timings: {
      compile_ms: Math.round(tCompiled - t0), observe_ms: Math.round(tObserved - tCompiled), plan_ms: Math.round(tPlanned - tObserved),
      apply_ms: Math.round(performance.now() - tPlanned),
      ...Object.fromEntries(Object.entries(outcome.timings).map(([k, v]) => [`${k}_ms`, v])),
    },
  };
}
