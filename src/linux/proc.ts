// Processes by namespace: which pids live in given network / mount namespaces (read from
// /proc), and ending exactly those, one pid at a time.
import { readdir, readFile, readlink, stat } from 'node:fs/promises';

/** The inode of a namespace file (a bind-mounted ns file or /proc/PID/ns/X). */
export async function nsInode(path: string): Promise<number> {
  return Number((await stat(path)).ino);
}

export interface ProcInfo {
  pid: number;
  comm: string;
  net?: number;
  mnt?: number;
}

function inodeOf(link: string): number | undefined {
  const m = /\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
}

async function alive(pid: number): Promise<boolean> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Processes (not this one) whose network namespace is in `net` or mount namespace is in `mnt`. */
export async function processesIn(ns: { net?: ReadonlySet<number>; mnt?: ReadonlySet<number> }): Promise<ProcInfo[]> {
  const out: ProcInfo[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      const net = inodeOf(await readlink(`/proc/${pid}/ns/net`));
      const mnt = inodeOf(await readlink(`/proc/${pid}/ns/mnt`));
      if ((net !== undefined && ns.net?.has(net)) || (mnt !== undefined && ns.mnt?.has(mnt))) {
        if (!(await alive(pid))) continue;
        const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
        out.push({ pid, comm, net, mnt });
      }
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/** SIGTERM each pid, wait up to graceMs for them to go, SIGKILL the rest. Returns the pids signalled. */
export async function terminate(pids: readonly number[], graceMs = 1500): Promise<number[]> {
  const sent: number[] = [];
  for (const pid of pids) {
    try { process.kill(pid, 'SIGTERM'); sent.push(pid); } catch { /* already gone */ }
  }
  const until = Date.now() + graceMs;
  let left = sent;
  while (left.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
    const still: number[] = [];
    for (const p of left) if (await alive(p)) still.push(p);
    left = still;
  }
  for (const pid of left) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  return sent;
}

/** Is a pid alive (and not a zombie)? */
export function isAlive(pid: number): Promise<boolean> {
  return alive(pid);
}

/** The pid's network namespace inode, if it is alive. */
export async function netInodeOf(pid: number): Promise<number | undefined> {
  try {
    return inodeOf(await readlink(`/proc/${pid}/ns/net`));
  } catch {
    return undefined;
  }
}

/** Check that a path is on disk (not a mount question). */
export async function exists(path: string): Promise<boolean> {
  try { await stat(path); return true; } catch { return false; }
}

/** The state letter of /proc/PID/stat ('R', 'S', 'T' stopped, 'Z' zombie, …); undefined when gone. */
export async function stateOf(pid: number): Promise<string | undefined> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}
