// apply: carry out each router's steps in order (its kernel steps as one process, see
// kernel-batch.ts); routers are independent (a few at a time) and a failure stops only that
// router's remaining steps.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tryExec, type Place } from '../../linux/exec.ts';
import { untilEnslaved } from '../../linux/ip.ts';
import { del as delNetns, inodes } from '../../linux/netns.ts';
import { flushAddress } from '../../linux/conntrack.ts';
import { gratuitousArp } from '../../linux/arping.ts';
import { findRadvd, reloadRadvd, startRadvd, stopRadvd } from '../../linux/radvd.ts';
import { processesIn, terminate } from '../../linux/proc.ts';
import { mapLimit } from '../dhcp/pool.ts';
import { raDir, radvdFiles } from './desired.ts';
import { KERNEL_OPS, applyKernelSteps } from './kernel-batch.ts';
import type { L3Memory, L3Step, RouterPlan } from './plan.ts';

/** How long an announcement waits for its tap to be bridged before going out anyway. */
const GARP_PLUG_WAIT_MS = 10_000;

export interface MetadataHook {
  ensure(routerId: string, namespace: string): Promise<void>;
  remove(routerId: string): Promise<void>;
}

export interface L3ApplyOptions {
  stateDir: string;
  memory: L3Memory;
  metadata?: MetadataHook;
  concurrency?: number;
  /** wait for gratuitous ARPs and metadata proxy starts to finish (tests); default: in the background */
  awaitGarp?: boolean;
}

export interface L3ApplyOutcome {
  done: { router: string; step: L3Step }[];
  failed: Map<string, Error>;
  /** non-fatal trouble (a route that would not go in, a metadata hook failure) */
  problems: string[];
  /** gratuitous ARPs still running */
  pending: Promise<unknown>[];
  /** step op → ms spent in it (summed over routers) */
  timings: Record<string, number>;
}

/** `plugged`: the taps this plan's kernel batch put into their bridges */
async function step(place: Place | undefined, plan: RouterPlan, s: L3Step, opts: L3ApplyOptions, out: L3ApplyOutcome, plugged: ReadonlySet<string>): Promise<void> {
  const ns: Place = { ...place, netns: plan.netns };
  const files = radvdFiles(opts.stateDir, plan.id);
  switch (s.op) {
    case 'netns-add': case 'sysctl': case 'ns-pre': case 'host-ip': case 'ns-ip': case 'routes': case 'nft': case 'plug':
      throw new Error(`${s.op} is applied with the router's other kernel steps (kernel-batch.ts)`);
    case 'conntrack-flush':
      // independent deletions: one round of process starts, not one after another
      await Promise.all(s.addresses.map((a) => flushAddress(ns, a)));
      return;
    case 'radvd':
      if (s.action === 'stop') { await stopRadvd(s.pid!); return; }
      if (s.action === 'clean') { await rm(files.conf, { force: true }); await rm(files.pid, { force: true }); await rm(files.log, { force: true }); return; }
      await mkdir(raDir(opts.stateDir), { recursive: true, mode: 0o755 });
      await writeFile(files.conf, s.config!, { mode: 0o644 });
      if (s.action === 'reload') { reloadRadvd(s.pid!); return; }
      {
        const stale = await findRadvd(files.pid);
        if (stale) await stopRadvd(stale.pid);
        await rm(files.pid, { force: true });
        await startRadvd(ns, files.conf, files.pid, files.log);
      }
      return;
    case 'metadata-ensure': {
      // haproxy's check and start take a second or more and no packet of the router waits for
      // them: they run in the background (the next reconcile reports a failure and retries)
      const { memory } = opts;
      memory.metadataProblems.delete(plan.id);
      const p = (async () => {
        try {
          await opts.metadata?.ensure(plan.id, plan.netns);
          memory.metadata.add(plan.id);
        } catch (e) {
          memory.metadataProblems.set(plan.id, `router ${plan.id}: metadata proxy: ${(e as Error).message}`);
        } finally {
          memory.metadataPending.delete(plan.id);
        }
      })();
      memory.metadataPending.set(plan.id, p);
      if (opts.awaitGarp) await p; else out.pending.push(p);
      return;
    }
    case 'metadata-remove':
      await opts.memory.metadataPending.get(plan.id);
      try {
        await opts.metadata?.remove(plan.id);
      } catch (e) {
        out.problems.push(`router ${plan.id}: removing the metadata proxy: ${(e as Error).message}`);
      }
      opts.memory.metadata.delete(plan.id);
      return;
    case 'netns-del': {
      await opts.memory.metadataPending.get(plan.id); // a proxy being started goes with the rest
      // processes left inside would keep the namespace (and its veths) alive, unnamed
      const ino = (await inodes(place)).get(plan.netns);
      if (ino !== undefined) {
        const procs = await processesIn({ net: new Set([ino]) });
        if (procs.length) await terminate(procs.map((p) => p.pid));
      }
      await delNetns(place, plan.netns);
      // the veth peers go with the namespace; delete any tap that stayed
      for (const t of s.taps) await tryExec(['ip', 'link', 'del', 'dev', t], { place });
      opts.memory.nft.delete(plan.id);
      opts.memory.sysctls.delete(plan.id);
      opts.memory.metadata.delete(plan.id);
      return;
    }
    case 'garp': {
      // a new tap whose bridge was not there is plugged by the Linux bridge agent moments
      // later: announcing before that reaches no one, and VMs still resolving the gateway would
      // wait for their own next ARP (a second). So the first announcement goes out as the tap
      // is in its bridge (at once when the kernel batch plugged it).
      const p = (plugged.has(s.tap) ? Promise.resolve(true) : untilEnslaved(place, s.tap, GARP_PLUG_WAIT_MS))
        .then(() => Promise.all(s.addresses.map((a) => gratuitousArp(ns, s.device, a))));
      if (opts.awaitGarp) await p; else out.pending.push(p);
      return;
    }
  }
}

export async function applyL3(place: Place | undefined, plans: readonly RouterPlan[], opts: L3ApplyOptions): Promise<L3ApplyOutcome> {
  const out: L3ApplyOutcome = { done: [], failed: new Map(), problems: [], pending: [], timings: {} };
  const run = async (plan: RouterPlan, s: L3Step, plugged: ReadonlySet<string>): Promise<void> => {
    const t0 = performance.now();
    await step(place, plan, s, opts, out, plugged);
    out.timings[s.op] = (out.timings[s.op] ?? 0) + Math.round(performance.now() - t0);
    out.done.push({ router: plan.id, step: s });
  };
  await mapLimit(plans, opts.concurrency ?? 8, async (plan) => {
    try {
      // the kernel steps (plans put them first) as one process, then the rest in order
      const kernel = plan.steps.filter((s) => KERNEL_OPS.has(s.op));
      const plugged = new Set<string>();
      if (kernel.length) {
        const t0 = performance.now();
        const k = await applyKernelSteps(place, plan, kernel, opts);
        if (k.routeProblem) out.problems.push(`router ${plan.id}: ${k.routeProblem}`);
        for (const t of k.plugged ?? []) plugged.add(t);
        out.timings.kernel = (out.timings.kernel ?? 0) + Math.round(performance.now() - t0);
        out.done.push(...kernel.map((step) => ({ router: plan.id, step })));
      }
      for (const s of plan.steps) if (!KERNEL_OPS.has(s.op)) await run(plan, s, plugged);
    } catch (e) {
      out.failed.set(plan.id, e as Error);
      // an nft table we failed to write is not vouched for any more
      opts.memory.nft.delete(plan.id);
      opts.memory.sysctls.delete(plan.id);
    }
  });
  return out;
}
