// The thin, impure half of the L2 agent: read the host (one `ip -j -d -batch`, and `bridge -j
// fdb` unless the entries this process left are known, ./fdb-memory.ts), plan
// (./l2-plan.ts), apply with ONE `ip -batch`, the sysctls, and ONE `bridge -batch`, then say
// which ports are plugged and up (what the agent reports as "device up").
//
// Data-plane errors do not throw: they become `problems` (the batches run with -force so
// one bad network does not hold up the others), and the next apply re-plans from what is
// really there. Failing to read the host does throw.
import type { HostState } from '../../feed/host-state.ts';
import { applyFdb, fdb, fdbCommand } from '../../linux/bridge.ts';
import type { Place } from '../../linux/exec.ts';
import { exec } from '../../linux/exec.ts';
import { batch, links, splitJsonDocs, type Link, type LinkAddresses, type Neighbour, type Route } from '../../linux/ip.ts';
import { write as writeSysctls } from '../../linux/sysctl.ts';
import { planL2, type L2Observed, type L2Plan, type L2Settings } from './l2-plan.ts';
import { portLinksAfter, presentPorts } from './port-plan.ts';
import { uplinkFacts, type UplinkFacts } from './uplink-facts.ts';
import { remember, stillTrue, type FdbMemory } from './fdb-memory.ts';

export interface L2ApplyResult {
  /** what was done, one line per command ("ip link add …", "bridge fdb …", "sysctl k=v") */
  changed: string[];
  problems: string[];
  /** ids of desired ports whose tap is in its network's bridge and up */
  presentPorts: string[];
  /** ids of desired ports whose tap does not exist yet */
  absentPorts: string[];
  /** network id → the bridge its ports are plugged into */
  bridges: Record<string, string>;
  ms: number;
  /** phase → ms: observe, plan, ip, then sysctl and fdb (from the ip batch's end), after_ip (those and the links read back) */
  timings: Record<string, number>;
  /** the uplinks as observed, for the agent's report */
  uplinks: UplinkFacts;
  /** the l2pop entries as this apply left them, when it went in whole (pass it to the next applyL2) */
  fdbMemory?: FdbMemory;
}

/** `ip -d` prints what plain `ip -j route` leaves out as defaults; without them a route reads the same either way. */
function plainRoute(r: Route & { type?: string }): Route {
  const out: Route & { type?: string } = { ...r };
  if (out.type === 'unicast') delete out.type;
  if (out.scope === 'global') delete out.scope;
  if (out.protocol === 'boot') delete out.protocol;
  return out;
}

/**
 * Read what the plan needs from the host at `place`: one `ip -j -d -batch` (links, addresses,
 * IPv4 routes, neighbours) beside `bridge -j fdb` — or instead of the latter, the l2pop entries
 * this process left (`memory`) while they still stand for the kernel (./fdb-memory.ts).
 */
export async function observeL2(place: Place | undefined, memory?: FdbMemory): Promise<L2Observed> {
  const [r, f] = await Promise.all([
    exec(['ip', '-j', '-d', '-batch', '-'], { place, input: 'link show\naddr show\nroute show\nneigh show\n' }),
    memory ? Promise.resolve(undefined) : fdb(place),
  ]);
  const docs = splitJsonDocs(r.stdout);
  if (docs.length !== 4) throw new Error(`ip -j -d -batch (links, addresses, routes, neighbours): expected 4 JSON lists, got ${docs.length}`);
  const [l, a, routes, n] = docs as [Link[], LinkAddresses[], Route[], Neighbour[]];
  return { links: l, addrs: a, routes: routes.map(plainRoute), fdb: f ?? stillTrue(memory, l) ?? await fdb(place), neigh: n };
}

async function run(step: () => Promise<void>, problems: string[]): Promise<void> {
  try {
    await step();
  } catch (e) {
    problems.push((e as Error).message);
  }
}

/** Apply a plan made from `observed`; returns the change lines (errors go to `problems`). */
export async function applyPlan(place: Place | undefined, plan: L2Plan, problems: string[], timings: Record<string, number> = {}, alongside?: (ipFailed: boolean) => Promise<unknown>): Promise<string[]> {
  const changed = [
    ...plan.ip.map((c) => `ip ${c.join(' ')}`),
    ...Object.entries(plan.sysctls).map(([k, v]) => `sysctl ${k}=${v}`),
    ...plan.fdb.map((c) => `bridge ${fdbCommand(c).join(' ')}`),
  ];
  // order matters: the ip batch creates the devices that sysctls and fdb entries name; those
  // two do not depend on each other (nor does `alongside`, e.g. reading the links back)
  let t1 = performance.now();
  const timed = async (k: string, f: () => Promise<unknown>) => { await f(); timings[k] = Math.round(performance.now() - t1); };
  const before = problems.length;
  await timed('ip_ms', () => run(() => batch(place, plan.ip, { force: true }), problems));
  const ipFailed = problems.length > before;
  t1 = performance.now();
  await Promise.all([
    timed('sysctl_ms', () => run(() => writeSysctls(place, plan.sysctls), problems)),
    timed('fdb_ms', () => run(() => applyFdb(place, plan.fdb, { force: true }), problems)),
    alongside?.(ipFailed),
  ]);
  timings.after_ip_ms = Math.round(performance.now() - t1);
  return changed;
}

/** Make the host's L2 match `desired`; `fdbMemory`: the previous apply's (none: the forwarding database is read). */
export async function applyL2(place: Place | undefined, desired: HostState, settings: L2Settings, fdbMemory?: FdbMemory): Promise<L2ApplyResult> {
  const t0 = performance.now();
  const observed = await observeL2(place, fdbMemory);
  const tObserved = performance.now();
  const plan = planL2(desired, settings, observed);
  const tPlanned = performance.now();
  const problems = [...plan.problems];
  const timings: Record<string, number> = { observe_ms: Math.round(tObserved - t0), plan_ms: Math.round(tPlanned - tObserved) };
  // port state after the change: when nothing changes the observation is still true; when the
  // ip batch went in whole, what it did to the taps is known; only after a failure is it read
  // back (sysctls and fdb entries do not change it)
  let after = observed.links;
  const changed = await applyPlan(place, plan, problems, timings, async (ipFailed) => {
    if (ipFailed) after = await links(place);
    else if (plan.ip.length) after = portLinksAfter(desired.ports, plan, observed.links);
  });
  const wentIn = problems.length === plan.problems.length;
  return {
    timings,
    changed,
    problems,
    ...(wentIn ? { fdbMemory: remember(observed.fdb, plan.fdb, observed.links) } : {}),
    presentPorts: presentPorts(desired.ports, plan.bridges, after),
    absentPorts: plan.absentPorts,
    bridges: plan.bridges,
    ms: Math.round(performance.now() - t0),
    uplinks: uplinkFacts(settings, observed),
  };
}
