// The thin, impure half of the L2 agent: read the host (five `-j` reads in parallel), plan
// (./l2-plan.ts), apply with ONE `ip -batch`, the sysctls, and ONE `bridge -batch`, then say
// which ports are plugged and up (what the agent reports as "device up").
//
// Data-plane errors do not throw: they become `problems` (the batches run with -force so
// one bad network does not hold up the others), and the next apply re-plans from what is
// really there. Failing to read the host does throw.
import type { HostState } from '../../feed/host-state.ts';
import { applyFdb, fdb, fdbCommand } from '../../linux/bridge.ts';
import type { Place } from '../../linux/exec.ts';
import { addresses, batch, links, neighbours, routes } from '../../linux/ip.ts';
import { write as writeSysctls } from '../../linux/sysctl.ts';
import { planL2, presentPorts, type L2Observed, type L2Plan, type L2Settings } from './l2-plan.ts';

export interface L2ApplyResult {
  /** what was done, one line per command ("ip link add …", "bridge fdb …", "sysctl k=v") */
  changed: string[];
  problems: string[];
  /** ids of desired ports whose tap is in its network's bridge and up */
  presentPorts: string[];
  /** ids of desired ports whose tap does not exist yet */
  absentPorts: string[];
  ms: number;
}

/** Read what the plan needs from the host at `place`. */
export async function observeL2(place: Place | undefined): Promise<L2Observed> {
  const [l, a, r, f, n] = await Promise.all([
    links(place), addresses(place), routes(place, { family: 4 }), fdb(place), neighbours(place),
  ]);
  return { links: l, addrs: a, routes: r, fdb: f, neigh: n };
}

async function run(step: () => Promise<void>, problems: string[]): Promise<void> {
  try {
    await step();
  } catch (e) {
    problems.push((e as Error).message);
  }
}

/** Apply a plan made from `observed`; returns the change lines (errors go to `problems`). */
export async function applyPlan(place: Place | undefined, plan: L2Plan, problems: string[]): Promise<string[]> {
  const changed = [
    ...plan.ip.map((c) => `ip ${c.join(' ')}`),
    ...Object.entries(plan.sysctls).map(([k, v]) => `sysctl ${k}=${v}`),
    ...plan.fdb.map((c) => `bridge ${fdbCommand(c).join(' ')}`),
  ];
  // order matters: the ip batch creates the devices that sysctls and fdb entries name
  await run(() => batch(place, plan.ip, { force: true }), problems);
  await run(() => writeSysctls(place, plan.sysctls), problems);
  await run(() => applyFdb(place, plan.fdb, { force: true }), problems);
  return changed;
}

/** Make the host's L2 match `desired`. */
export async function applyL2(place: Place | undefined, desired: HostState, settings: L2Settings): Promise<L2ApplyResult> {
  const t0 = performance.now();
  const observed = await observeL2(place);
  const plan = planL2(desired, settings, observed);
  const problems = [...plan.problems];
  const changed = await applyPlan(place, plan, problems);
  // port state after the change; when nothing changed the observation is still true
  const after = changed.length ? await links(place) : observed.links;
  return {
    changed,
    problems,
    presentPorts: presentPorts(desired.ports, plan.bridges, after),
    absentPorts: plan.absentPorts,
    ms: Math.round(performance.now() - t0),
  };
}
