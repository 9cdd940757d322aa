// Emulated machines. Each host is a (mount ns, net ns) pair kept alive by bind mounts on a
// private tmpfs `<root>/ns`; inside, a private tmpfs on /run/netns (so `ip netns add
// qrouter-…` on one host is invisible to the others and to the real machine) and the host's
// own sysfs on /sys. The lab root `<root>` is itself a private tmpfs holding `ns/` and
// `state/<host>/` (pid files, logs; visible to every host at the same path).
//
// Layout (root = /run/muon-lab by default):
//   <root>              tmpfs "<tag>"          (private)
//   <root>/ns           tmpfs "<tag>-ns"       (private) <host>.mnt, <host>.net
//   <root>/state/<host>
// Inside host H: /run/netns is tmpfs "<tag>-netns-H", /sys is sysfs "<tag>-sysfs-H".
import { mkdir } from 'node:fs/promises';
import { exec, start, tryExec, type ExecOptions, type ExecResult, type Place } from '../linux/exec.ts';
import { makePrivate, mountAt, mounts, mountTmpfs, umount, type MountEntry } from '../linux/mount.ts';
import { createPair, hasPrivateRunNetns, pairExists, pairPlace, sweepStaleRoots, teardownRoot, type NsPair, type TeardownReport } from '../linux/netns.ts';

export const DEFAULT_LAB_ROOT = '/run/muon-lab';

export interface LabPaths {
  root: string;
  nsDir: string;
  stateDir: string;
  /** mount source names start with it; identifies what this lab mounted */
  tag: string;
}

export function labPaths(root: string = DEFAULT_LAB_ROOT, tag?: string): LabPaths {
  const r = root.replace(/\/+$/, '');
  if (!r.startsWith('/') || r === '') throw new Error(`lab root must be an absolute path: ${root}`);
  const t = tag ?? r.split('/').pop() ?? 'muon-lab';
  if (!/^[A-Za-z0-9_.-]+$/.test(t)) throw new Error(`invalid lab tag ${JSON.stringify(t)}`);
  return { root: r, nsDir: `${r}/ns`, stateDir: `${r}/state`, tag: t };
}

export function hostPair(p: LabPaths, host: string): NsPair {
  if (!/^[a-z][a-z0-9-]*$/.test(host)) throw new Error(`invalid host name ${JSON.stringify(host)}`);
  return { mount: `${p.nsDir}/${host}.mnt`, net: `${p.nsDir}/${host}.net` };
}

/** Where a command runs on `host` (its mount + net namespaces), or in its nested `netns`. */
export function hostPlace(p: LabPaths, host: string, netns?: string): Place {
  return pairPlace(hostPair(p, host), netns);
}

/** Place of the host's network namespace only, from the machine's mount namespace (the ns file paths resolve there). */
export function hostNetPlace(p: LabPaths, host: string): Place {
  return { nsenter: { net: hostPair(p, host).net } };
}

export function runNetnsSource(p: LabPaths, host: string): string {
  return `${p.tag}-netns-${host}`;
}

function isOurs(m: MountEntry | undefined, source: string): boolean {
  return m?.fstype === 'tmpfs' && m.source === source;
}

/** Mount the lab root and its ns directory (private tmpfs) if they are not there. Returns what it did. */
export async function ensureRoot(p: LabPaths): Promise<string[]> {
  const done: string[] = [];
  let table = await mounts();
  const rootM = mountAt(table, p.root);
  if (!isOurs(rootM, p.tag)) {
    if (rootM) throw new Error(`${p.root} is already a mount point (${rootM.fstype} ${rootM.source}), not this lab's; choose another lab root`);
    await mkdir(p.root, { recursive: true, mode: 0o755 });
    await mountTmpfs(undefined, p.tag, p.root, { size: '256m' });
    await makePrivate(undefined, p.root);
    done.push(`mount tmpfs ${p.root}`);
    table = await mounts();
  } else if (rootM && rootM.propagation.length > 0) {
    await makePrivate(undefined, p.root);
    done.push(`make-private ${p.root}`);
  }
  const nsM = mountAt(table, p.nsDir);
  if (!isOurs(nsM, `${p.tag}-ns`)) {
    if (nsM) throw new Error(`${p.nsDir} is a mount point that is not this lab's (${nsM.fstype} ${nsM.source})`);
    await mkdir(p.nsDir, { recursive: true, mode: 0o755 });
    await mountTmpfs(undefined, `${p.tag}-ns`, p.nsDir, { size: '1m' });
    await makePrivate(undefined, p.nsDir);
    done.push(`mount tmpfs ${p.nsDir}`);
  }
  await mkdir(p.stateDir, { recursive: true, mode: 0o755 });
  return done;
}

/**
 * Create the host's namespace pair unless it is complete. A half-made host (one file bound,
 * or no private /run/netns) is removed and made again. Returns true when it was created.
 */
export async function ensureHost(p: LabPaths, host: string): Promise<boolean> {
  const pair = hostPair(p, host);
  if ((await pairExists(pair)) && (await hasPrivateRunNetns(pair, runNetnsSource(p, host)))) return false;
  for (const f of [pair.mount, pair.net]) {
    while (mountAt(await mounts(), f)) await umount(undefined, f);
  }
  await createPair(pair, {
    detach: p.nsDir,
    runNetnsSource: runNetnsSource(p, host),
    sysfsSource: `${p.tag}-sysfs-${host}`,
  });
  await mkdir(`${p.stateDir}/${host}`, { recursive: true, mode: 0o755 });
  return true;
}

/** Does the host exist (namespace pair in place)? */
export function hostExists(p: LabPaths, host: string): Promise<boolean> {
  return pairExists(hostPair(p, host));
}

/** Run argv on an emulated host (its mount + net namespaces). Rejects unless it exits 0. */
export function runOn(p: LabPaths, host: string, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return exec(argv, { ...opts, place: hostPlace(p, host) });
}

/** Run argv in a nested namespace (qdhcp-…, qrouter-…, a VM) of an emulated host. */
export function runIn(p: LabPaths, host: string, netns: string, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return exec(argv, { ...opts, place: hostPlace(p, host, netns) });
}

/** Like runOn / runIn, resolving whatever the exit code. */
export function tryRunOn(p: LabPaths, host: string, argv: readonly string[], opts: ExecOptions & { netns?: string } = {}): Promise<ExecResult> {
  return tryExec(argv, { ...opts, place: hostPlace(p, host, opts.netns) });
}

/** Start a long-running process on a host (or in one of its nested namespaces); returns its pid. */
export function startOn(p: LabPaths, host: string, argv: readonly string[], opts: { netns?: string; logFile?: string; settleMs?: number } = {}): Promise<number> {
  return start(argv, { place: hostPlace(p, host, opts.netns), logFile: opts.logFile, settleMs: opts.settleMs });
}

/** Remove the whole lab under its root: processes, nested namespaces, hosts, mounts, the directory. */
export function destroy(p: LabPaths): Promise<TeardownReport> {
  return teardownRoot(p.root, { runNetnsPrefix: `${p.tag}-netns-` });
}

/**
 * Remove labs left by crashed runs: roots `<parent>/<prefix><pid>[-…]` whose pid is dead
 * (their tag being the directory name, the default). Returns the roots removed.
 */
export function sweepStaleLabs(parent: string, prefix: string, beforeTeardown?: (root: string) => Promise<void>): Promise<string[]> {
  return sweepStaleRoots(parent, prefix, { runNetnsPrefix: (dir) => `${dir}-netns-`, beforeTeardown });
}
