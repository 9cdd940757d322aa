// apply: carry out each router's steps in order; routers are independent (a few at a time)
// and a failure stops only that router's remaining steps.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tryExec, type Place } from '../../linux/exec.ts';
import { batch, untilEnslaved, type IpCommand } from '../../linux/ip.ts';
import { add as addNetns, del as delNetns, inodes } from '../../linux/netns.ts';
import { write as writeSysctls } from '../../linux/sysctl.ts';
import { apply as nftApply } from '../../linux/nft.ts';
import { flushAddress } from '../../linux/conntrack.ts';
import { gratuitousArp } from '../../linux/arping.ts';
import { findRadvd, reloadRadvd, startRadvd, stopRadvd } from '../../linux/radvd.ts';
import { processesIn, terminate } from '../../linux/proc.ts';
import { mapLimit } from '../dhcp/pool.ts';
import { raDir, radvdFiles } from './desired.ts';
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

async function step(place: Place | undefined, plan: RouterPlan, s: L3Step, opts: L3ApplyOptions, out: L3ApplyOutcome): Promise<void> {
  const ns: Place = { ...place, netns: plan.netns };
  const files = radvdFiles(opts.stateDir, plan.id);
  switch (s.op) {
    case 'netns-add': await addNetns(place, plan.netns); return;
    case 'ns-pre': await batch(ns, s.cmds); return;
    case 'host-ip': await batch(place, s.cmds); return;
    case 'sysctl': await writeSysctls(ns, s.values); opts.memory.sysctls.add(plan.id); return;
    case 'ns-ip': await batch(ns, s.cmds); return;
    case 'routes':
      try {
        await batch(ns, s.cmds, { force: true });
      } catch (e) {
        out.problems.push(`router ${plan.id}: some routes could not be installed: ${(e as Error).message}`);
      }
      return;
    case 'nft':
      await nftApply(ns, s.script);
      opts.memory.nft.set(plan.id, s.rendered);
      return;
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
      // a new tap is plugged by the Linux bridge agent moments later: announcing before that
      // reaches no one, and VMs still resolving the gateway would wait for their own next
      // ARP (a second). So the first announcement goes out as the tap joins its bridge.
      const p = untilEnslaved(place, s.tap, GARP_PLUG_WAIT_MS)
        .then(() => Promise.all(s.addresses.map((a) => gratuitousArp(ns, s.device, a))));
      if (opts.awaitGarp) await p; else out.pending.push(p);
      return;
    }
  }
}

/**
 * Steps run in order, except that the nft transaction runs alongside the namespace's
 * `ip -batch` steps right before it (ns-ip, routes): neither depends on the other, and a new
 * floating IP needs both (one process start less on the way to its first packet). The
 * sysctls join that phase too when no device is created in between (they must precede the
 * veths, which take conf.default.* when created; `lo` and the namespace exist already).
 */
export function phases(steps: readonly L3Step[]): L3Step[][] {
  const out: L3Step[][] = [];
  const joins = (ops: L3Step['op'][]) => out.length > 0 && out.at(-1)!.every((x) => ops.includes(x.op));
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (s.op === 'nft' && joins(['ns-ip', 'routes', 'sysctl'])) out.at(-1)!.push(s);
    else if (s.op === 'routes' && joins(['ns-ip', 'sysctl'])) out.at(-1)!.push(s);
    else if (s.op === 'ns-ip' && joins(['sysctl'])) out.at(-1)!.push(s);
    else out.push([s]);
  }
  return out;
}

/**
 * ns-ip then routes as ONE `ip -batch`: the routes ride after the namespace's commands. When a
 * route line fails (the namespace's lines all went in), the routes from that line on are
 * applied as before, with -force, a failure there being a problem, not a router failure.
 */
async function nsIpAndRoutes(ns: Place, nsIp: IpCommand[], routes: IpCommand[], plan: RouterPlan, out: L3ApplyOutcome): Promise<void> {
  try {
    await batch(ns, [...nsIp, ...routes]);
    return;
  } catch (e) {
    const line = Number(/failing batch line (\d+)/.exec((e as Error).message)?.[1] ?? 0);
    if (line <= nsIp.length) throw e;
    try {
      await batch(ns, routes.slice(line - 1 - nsIp.length), { force: true });
    } catch (e2) {
      out.problems.push(`router ${plan.id}: some routes could not be installed: ${(e2 as Error).message}`);
    }
  }
}

export async function applyL3(place: Place | undefined, plans: readonly RouterPlan[], opts: L3ApplyOptions): Promise<L3ApplyOutcome> {
  const out: L3ApplyOutcome = { done: [], failed: new Map(), problems: [], pending: [], timings: {} };
  const run = async (plan: RouterPlan, s: L3Step): Promise<void> => {
    const t0 = performance.now();
    await step(place, plan, s, opts, out);
    out.timings[s.op] = (out.timings[s.op] ?? 0) + Math.round(performance.now() - t0);
    out.done.push({ router: plan.id, step: s });
  };
  await mapLimit(plans, opts.concurrency ?? 8, async (plan) => {
    for (const phase of phases(plan.steps)) {
      try {
        // nft and sysctl beside the chain of ip batches (ns-ip and routes together, see above)
        const beside: L3Step[] = phase.length > 1 ? phase.filter((s) => s.op === 'nft' || s.op === 'sysctl') : [];
        const rest = phase.filter((s) => !beside.includes(s));
        const nsIp = rest.find((s) => s.op === 'ns-ip');
        const routes = rest.find((s) => s.op === 'routes');
        const chain = (async () => {
          if (nsIp?.op === 'ns-ip' && routes?.op === 'routes' && rest.length === 2) {
            const t0 = performance.now();
            await nsIpAndRoutes({ ...place, netns: plan.netns }, [...nsIp.cmds], [...routes.cmds], plan, out);
            out.timings['ns-ip+routes'] = (out.timings['ns-ip+routes'] ?? 0) + Math.round(performance.now() - t0);
            out.done.push({ router: plan.id, step: nsIp }, { router: plan.id, step: routes });
            return;
          }
          for (const s of rest) await run(plan, s);
        })();
        const results = await Promise.allSettled([chain, ...beside.map((s) => run(plan, s))]);
        const bad = results.find((r) => r.status === 'rejected');
        if (bad) throw (bad as PromiseRejectedResult).reason;
      } catch (e) {
        out.failed.set(plan.id, e as Error);
        // an nft table we failed to write is not vouched for any more
        opts.memory.nft.delete(plan.id);
        opts.memory.sysctls.delete(plan.id);
        return;
      }
    }
  });
  return out;
}
