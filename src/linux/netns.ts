// Network namespaces.
//  - nested (`ip netns`) namespaces of a place: list, add, delete;
//  - persistent (mount ns, net ns) pairs, the emulated machines of the lab: created with
//    `unshare --mount=FILE --net=FILE --propagation private`, the files being bind mounts on
//    a private tmpfs; each with its own tmpfs on /run/netns and its own sysfs on /sys;
//  - tearing down everything under such a root: processes in those namespaces (by pid),
//    nested namespaces, mounts.
import { mkdir, readdir, rmdir, stat, writeFile } from 'node:fs/promises';
import { checkName, exec, tryExec, type Place } from './exec.ts';
import { batch, parseJsonList } from './ip.ts';
import { mountAt, mounts, mountsUnder, mountSysfs, mountTmpfs, parseMountinfo, umount } from './mount.ts';
import { isAlive, nsInode, processesIn, terminate, type ProcInfo } from './proc.ts';

export const RUN_NETNS = '/run/netns';

/** Names of the nested namespaces of a place (`ip -j netns list`). */
export async function list(place?: Place): Promise<string[]> {
  const r = await exec(['ip', '-j', 'netns', 'list'], { place });
  return parseJsonList<{ name: string }>(r.stdout, 'ip -j netns list').map((n) => n.name).sort();
}

export async function add(place: Place | undefined, name: string): Promise<void> {
  checkName(name, 'netns name');
  await exec(['ip', 'netns', 'add', name], { place });
}

export async function del(place: Place | undefined, name: string): Promise<void> {
  checkName(name, 'netns name');
  await exec(['ip', 'netns', 'del', name], { place });
}

/** Delete several nested namespaces with one `ip -force -batch -` call. */
export async function delMany(place: Place | undefined, names: readonly string[]): Promise<void> {
  names.forEach((n) => checkName(n, 'netns name'));
  await batch(place, names.map((n) => ['netns', 'del', n]), { force: true });
}

/**
 * Inode of each nested namespace of a place (stat inside the place's mount namespace). In this
 * process's own namespaces (the agents' case) /run/netns is read directly: two process starts
 * less (`ip netns list`, `stat`) on the way to a VM's port going ACTIVE.
 */
export async function inodes(place?: Place): Promise<Map<string, number>> {
  if (!place?.netns && !place?.nsenter?.mount && !place?.nsenter?.net) return inodesHere();
  const names = await list(place);
  const out = new Map<string, number>();
  if (names.length === 0) return out;
  const r = await tryExec(['stat', '-L', '-c', '%i %n', '--', ...names.map((n) => `${RUN_NETNS}/${n}`)], { place });
  for (const line of r.stdout.split('\n')) {
    const m = /^(\d+) \/run\/netns\/(.+)$/.exec(line.trim());
    if (m) out.set(m[2], Number(m[1]));
  }
  return out;
}

/** What `ip netns list` + `stat -L` say, read from this process's /run/netns. */
async function inodesHere(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let names: string[];
  try {
    names = (await readdir(RUN_NETNS)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  await Promise.all(names.map(async (n) => {
    try { out.set(n, (await stat(`${RUN_NETNS}/${n}`)).ino); } catch { /* gone meanwhile */ }
  }));
  return out;
}

// ---------------------------------------------------------------- persistent pairs

export interface NsPair {
  /** mount namespace file */
  mount: string;
  /** network namespace file */
  net: string;
}

export function pairPlace(p: NsPair, netns?: string): Place {
  return { nsenter: { mount: p.mount, net: p.net }, ...(netns ? { netns } : {}) };
}

export interface CreatePairOptions {
  /**
   * Unmounted (lazily) inside the new mount namespace, so that it does not pin other pairs'
   * namespace files: the directory holding the ns files.
   */
  detach?: string;
  /** tmpfs source name for the pair's private /run/netns (omit: share the real one) */
  runNetnsSource?: string;
  /** sysfs source name for the pair's own /sys (omit: keep the caller's /sys) */
  sysfsSource?: string;
}

/**
 * Create a (mount ns, net ns) pair whose namespaces stay alive through bind mounts on
 * `pair.mount` / `pair.net` (the directory holding them must be a private mount).
 * Inside: `detach` unmounted, private /run/netns, own /sys, lo up.
 */
export async function createPair(pair: NsPair, opts: CreatePairOptions = {}): Promise<void> {
  await writeFile(pair.mount, '');
  await writeFile(pair.net, '');
  const first = opts.detach ? ['umount', '-l', opts.detach] : ['true'];
  await exec(['unshare', `--mount=${pair.mount}`, `--net=${pair.net}`, '--propagation', 'private', '--', ...first]);
  const place = pairPlace(pair);
  if (opts.runNetnsSource) {
    // The mount point must exist; /run/netns is iproute2's standard directory (`ip netns add`
    // creates it too). Created empty if missing, never changed otherwise.
    await mkdir(RUN_NETNS, { recursive: true, mode: 0o755 });
    await mountTmpfs(place, opts.runNetnsSource, RUN_NETNS, { size: '1m' });
  }
  if (opts.sysfsSource) await mountSysfs(place, opts.sysfsSource);
  await exec(['ip', 'link', 'set', 'lo', 'up'], { place });
}

/** Is the pair in place (both files are nsfs mounts in this mount namespace)? */
export async function pairExists(pair: NsPair): Promise<boolean> {
  const t = await mounts();
  return mountAt(t, pair.mount)?.fstype === 'nsfs' && mountAt(t, pair.net)?.fstype === 'nsfs';
}

/** Does the pair's /run/netns carry its private tmpfs (so `ip netns` there is the pair's own)? */
export async function hasPrivateRunNetns(pair: NsPair, source: string): Promise<boolean> {
  const r = await tryExec(['cat', '/proc/self/mountinfo'], { place: { nsenter: { mount: pair.mount } } });
  if (r.code !== 0) return false;
  const m = mountAt(parseMountinfo(r.stdout), RUN_NETNS);
  return m?.fstype === 'tmpfs' && m.source === source;
}

export interface TeardownReport {
  killed: ProcInfo[];
  nestedDeleted: string[];
  unmounted: string[];
  removedDir: boolean;
}

/**
 * Remove everything under `root`: every process whose net or mount namespace is one of the
 * pairs there (or one of their nested namespaces) is ended by pid; nested namespaces are
 * deleted (only where /run/netns is the pair's private tmpfs, whose source must start with
 * `runNetnsPrefix`); every mount at or below root is unmounted; root is removed.
 */
export async function teardownRoot(root: string, opts: { runNetnsPrefix: string }): Promise<TeardownReport> {
  const report: TeardownReport = { killed: [], nestedDeleted: [], unmounted: [], removedDir: false };
  const table = await mounts();
  const under = mountsUnder(table, root);
  const mntFiles = under.filter((m) => m.fstype === 'nsfs' && m.mountpoint.endsWith('.mnt')).map((m) => m.mountpoint);
  const netInodes = new Set<number>();
  const mntInodes = new Set<number>();
  const nested: { place: Place; names: string[] }[] = [];
  for (const m of under) {
    if (m.fstype !== 'nsfs') continue;
    try {
      (m.mountpoint.endsWith('.mnt') ? mntInodes : netInodes).add(await nsInode(m.mountpoint));
    } catch { /* not a namespace after all */ }
  }
  for (const mntFile of [...new Set(mntFiles)]) {
    const place: Place = { nsenter: { mount: mntFile } };
    const info = await tryExec(['cat', '/proc/self/mountinfo'], { place });
    if (info.code !== 0) continue;
    const rn = mountAt(parseMountinfo(info.stdout), RUN_NETNS);
    if (!(rn?.fstype === 'tmpfs' && rn.source.startsWith(opts.runNetnsPrefix))) continue;
    const ino = await inodes(place).catch(() => new Map<string, number>());
    for (const i of ino.values()) netInodes.add(i);
    nested.push({ place, names: [...ino.keys()] });
  }
  report.killed = await processesIn({ net: netInodes, mnt: mntInodes });
  await terminate(report.killed.map((p) => p.pid));
  for (const n of nested) {
    if (n.names.length === 0) continue;
    await delMany(n.place, n.names).catch(() => {});
    report.nestedDeleted.push(...n.names);
  }
  // unmount deepest first; stacked mounts on one path come off one by one
  for (let round = 0; round < 10; round++) {
    const left = mountsUnder(await mounts(), root);
    if (left.length === 0) break;
    for (const m of left) {
      await umount(undefined, m.mountpoint).catch(() => {});
      report.unmounted.push(m.mountpoint);
    }
  }
  try {
    await rmdir(root);
    report.removedDir = true;
  } catch { /* not there, or not empty (then it is not ours to empty) */ }
  return report;
}

/**
 * Roots left by crashed runs: directories `parent/<prefix><pid>[-…]` whose pid is no longer
 * alive. Each is torn down. Returns the roots removed.
 */
export async function sweepStaleRoots(
  parent: string,
  prefix: string,
  opts: { runNetnsPrefix: string | ((dirName: string) => string); beforeTeardown?: (root: string) => Promise<void> },
): Promise<string[]> {
  const out: string[] = [];
  let entries: string[] = [];
  try { entries = await readdir(parent); } catch { return out; }
  for (const e of entries) {
    if (!e.startsWith(prefix)) continue;
    const m = /^(\d+)(?:-|$)/.exec(e.slice(prefix.length));
    if (!m || Number(m[1]) === process.pid || (await isAlive(Number(m[1])))) continue;
    const runNetnsPrefix = typeof opts.runNetnsPrefix === 'function' ? opts.runNetnsPrefix(e) : opts.runNetnsPrefix;
    await opts.beforeTeardown?.(`${parent}/${e}`);
    await teardownRoot(`${parent}/${e}`, { runNetnsPrefix });
    out.push(`${parent}/${e}`);
  }
  return out;
}
