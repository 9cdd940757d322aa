// A router's kernel steps (namespace, sysctls, nft table, veths, addresses, routes) as ONE
// process: an `ip -batch` on the host whose namespace lines are `netns exec` (ip forks sysctl,
// nft and an inner `ip -batch FILE` itself). Starting a process from the agent blocks its event
// loop 15–70 ms here, so a new router's one start instead of four to six is most of its time.
// The order is kept also when only the nft table and the namespace's lines change (a floating
// IP): its DNAT goes in before its address, so nothing answers at the address but the VM (the
// router itself answered pings to it while the address was up and the DNAT not yet).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { Place } from '../../linux/exec.ts';
import { batch, batchFileArgv, batchText, failedBatchLines, namesMissingDevice, nsExecLine, type IpCommand } from '../../linux/ip.ts';
import { add as addNetns } from '../../linux/netns.ts';
import { write as writeSysctls, writeArgv } from '../../linux/sysctl.ts';
import { apply as nftApply, applyFileArgv } from '../../linux/nft.ts';
import type { L3Memory, L3Step, RouterPlan } from './plan.ts';

/** The steps carried out here; plans put them first, in this order's spirit (see `units`). */
export const KERNEL_OPS: ReadonlySet<L3Step['op']> = new Set(['netns-add', 'sysctl', 'ns-pre', 'host-ip', 'ns-ip', 'routes', 'nft', 'plug']);

/** The taps plugged before ip stopped at a missing bridge (undefined: it did not stop at one). */
function pluggedBefore(message: string, plug: readonly IpCommand[]): string[] | undefined {
  const at = plug.findIndex((c) => namesMissingDevice(message, c[c.length - 1]));
  return at < 0 ? undefined : plug.slice(0, at).map(plugTap);
}

/** The tap of a `link set dev TAP master BRIDGE` line. */
const plugTap = (c: IpCommand): string => c[3];

/** Taps into their bridges; a bridge not there is the Linux bridge agent's to make (and to plug into). */
async function plugDirect(place: Place | undefined, plug: Cmds): Promise<string[]> {
  try {
    await batch(place, plug);
    return plug.map(plugTap);
  } catch (e) {
    const before = pluggedBefore((e as Error).message, plug);
    if (!before) throw e;
    return before;
  }
}

/** Where the files a batch reads live (the nft script, the namespace's inner batches). */
export const batchDir = (stateDir: string): string => `${stateDir.replace(/\/+$/, '')}/l3-batch`;

export interface KernelOutcome {
  /** routes that would not go in (a problem, not a router failure) */
  routeProblem?: string;
  /** taps the batch put into their bridges (its announcements need not wait for them) */
  plugged?: string[];
}

type Cmds = IpCommand[];
const cmdsOf = (steps: readonly L3Step[], op: 'ns-pre' | 'host-ip' | 'ns-ip' | 'routes' | 'plug'): Cmds => {
  const s = steps.find((x) => x.op === op);
  return s && 'cmds' in s ? [...s.cmds] : [];
};

/**
 * Routes from `from` (0-based) on again, with -force: a route line failed after the namespace's
 * own lines all went in. What still fails is the returned problem.
 */
async function retryRoutes(ns: Place, routes: Cmds, from: number): Promise<string | undefined> {
  try {
    await batch(ns, routes.slice(from), { force: true });
    return undefined;
  } catch (e) {
    return `some routes could not be installed: ${(e as Error).message}`;
  }
}

/** The namespace's inner batch: ns-ip's lines, then the routes. */
async function nsDirect(ns: Place, nsIp: Cmds, routes: Cmds): Promise<string | undefined> {
  try {
    await batch(ns, [...nsIp, ...routes]);
    return undefined;
  } catch (e) {
    const line = failedBatchLines((e as Error).message).find((f) => f.file === '-')?.line ?? 0;
    if (line <= nsIp.length) throw e;
    return retryRoutes(ns, routes, line - 1 - nsIp.length);
  }
}

export async function applyKernelSteps(place: Place | undefined, plan: RouterPlan, steps: readonly L3Step[], opts: { stateDir: string; memory: L3Memory }): Promise<KernelOutcome> {
  const ns: Place = { ...place, netns: plan.netns };
  const has = (op: L3Step['op']) => steps.some((s) => s.op === op);
  const sysctl = steps.find((s) => s.op === 'sysctl');
  const nft = steps.find((s) => s.op === 'nft');
  const [pre, host, nsIp, routes, plug] = [cmdsOf(steps, 'ns-pre'), cmdsOf(steps, 'host-ip'), cmdsOf(steps, 'ns-ip'), cmdsOf(steps, 'routes'), cmdsOf(steps, 'plug')];
  const dir = batchDir(opts.stateDir);
  const nftFile = `${dir}/${plan.id}.nft`;
  const preFile = `${dir}/${plan.id}.pre.batch`;
  const nsFile = `${dir}/${plan.id}.ns.batch`;

  // the order: the namespace, its sysctls (before any device is made: devices take
  // conf.default.* when created), the nft table (names devices by name only), stray devices
  // out, the host's veths (peers straight into the namespace), the namespace's own lines, routes,
  // and last the new taps into their bridges (a missing bridge stops ip: nothing may follow)
  const units: { lines: IpCommand[]; file?: [string, string]; direct: () => Promise<string | undefined | string[]> }[] = [];
  if (has('netns-add')) units.push({ lines: [['netns', 'add', plan.netns]], direct: async () => { await addNetns(place, plan.netns); return undefined; } });
  if (sysctl?.op === 'sysctl') units.push({ lines: [nsExecLine(plan.netns, writeArgv(sysctl.values))], direct: async () => { await writeSysctls(ns, sysctl.values); return undefined; } });
  if (nft?.op === 'nft') units.push({ lines: [nsExecLine(plan.netns, applyFileArgv(nftFile))], file: [nftFile, nft.script], direct: async () => { await nftApply(ns, nft.script); return undefined; } });
  if (pre.length) units.push({ lines: [nsExecLine(plan.netns, batchFileArgv(preFile))], file: [preFile, batchText(pre)], direct: async () => { await batch(ns, pre); return undefined; } });
  if (host.length) units.push({ lines: host, direct: async () => { await batch(place, host); return undefined; } });
  if (nsIp.length || routes.length) units.push({ lines: [nsExecLine(plan.netns, batchFileArgv(nsFile))], file: [nsFile, batchText([...nsIp, ...routes])], direct: () => nsDirect(ns, nsIp, routes) });
  if (plug.length) units.push({ lines: plug, direct: () => plugDirect(place, plug) });

  const done = (): void => {
    if (sysctl) opts.memory.sysctls.add(plan.id);
    if (nft?.op === 'nft') opts.memory.nft.set(plan.id, nft.rendered);
  };
  if (units.length === 0) return {};
  if (units.length === 1) {
    const r = await units[0].direct();
    done();
    return Array.isArray(r) ? { plugged: r } : r ? { routeProblem: r } : {};
  }
  const files = units.flatMap((u) => (u.file ? [u.file] : []));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await Promise.all(files.map(([path, text]) => writeFile(path, text, { mode: 0o600 })));
  try {
    await batch(place, units.flatMap((u) => u.lines));
  } catch (e) {
    // everything before the plug lines went in; a bridge not there yet is the agent's to make
    const before = pluggedBefore((e as Error).message, plug);
    if (before) { done(); return { plugged: before }; }
    // the inner batch's routes are the only lines whose failure is not the router's: ip names
    // the inner line ("Command failed FILE:N") before the outer one
    const inner = failedBatchLines((e as Error).message).find((f) => f.file === nsFile)?.line ?? 0;
    if (inner <= nsIp.length) throw e;
    done();
    return { routeProblem: await retryRoutes(ns, routes, inner - 1 - nsIp.length) };
  } finally {
    await Promise.all(files.map(([path]) => rm(path, { force: true })));
  }
  done();
  return plug.length ? { plugged: plug.map(plugTap) } : {};
}
