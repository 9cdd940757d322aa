// Mounts: read mountinfo, mount tmpfs/sysfs, make private, unmount. Reading this process's
// own mount table needs no tool; another mount namespace's table is read with `cat` there.
import { readFile } from 'node:fs/promises';
import { exec, tryExec, type Place } from './exec.ts';

export interface MountEntry {
  id: number;
  parent: number;
  mountpoint: string;
  fstype: string;
  source: string;
  /** optional fields, e.g. ["shared:1"]; empty = private */
  propagation: string[];
}

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (dash < 0) continue;
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      mountpoint: unescape(f[4]),
      propagation: f.slice(6, dash),
      fstype: f[dash + 1],
      source: unescape(f[dash + 2]),
    });
  }
  return out;
}

/** The mount table of this process (or of `place`'s mount namespace). */
export async function mounts(place?: Place): Promise<MountEntry[]> {
  if (!place?.nsenter?.mount) return parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  return parseMountinfo((await exec(['cat', '/proc/self/mountinfo'], { place })).stdout);
}

/** The topmost mount on `path` in the table, if any. */
export function mountAt(table: readonly MountEntry[], path: string): MountEntry | undefined {
  let found: MountEntry | undefined;
  for (const m of table) if (m.mountpoint === path) found = m;
  return found;
}

/** Mounts at or below `dir`, deepest (and latest) first: the order to unmount them in. */
export function mountsUnder(table: readonly MountEntry[], dir: string): MountEntry[] {
  const d = dir.replace(/\/+$/, '');
  return table
    .map((m, i) => ({ m, i }))
    .filter(({ m }) => m.mountpoint === d || m.mountpoint.startsWith(`${d}/`))
    .sort((a, b) => b.m.mountpoint.split('/').length - a.m.mountpoint.split('/').length || b.i - a.i)
    .map(({ m }) => m);
}

export async function mountTmpfs(place: Place | undefined, source: string, target: string, opts: { size?: string; mode?: string } = {}): Promise<void> {
  await exec(['mount', '-t', 'tmpfs', '-o', `size=${opts.size ?? '1m'},mode=${opts.mode ?? '0755'}`, source, target], { place });
}

/** sysfs of the place's network namespace (mounted by a process inside it). */
export async function mountSysfs(place: Place | undefined, source: string, target = '/sys'): Promise<void> {
  await exec(['mount', '-t', 'sysfs', '-o', 'nosuid,nodev,noexec', source, target], { place });
}

export async function makePrivate(place: Place | undefined, target: string): Promise<void> {
  await exec(['mount', '--make-private', target], { place });
}

/** Unmount; if busy, detach lazily. */
export async function umount(place: Place | undefined, target: string, opts: { lazy?: boolean } = {}): Promise<void> {
  if (opts.lazy) {
    await exec(['umount', '-l', target], { place });
    return;
  }
  const r = await tryExec(['umount', target], { place });
  if (r.code !== 0) await exec(['umount', '-l', target], { place });
}
