// Event-driven link watching: one long-running `ip -o monitor link` in a place, whose lines
// ("5: tapabc@if4: <…> …", "Deleted 5: tapabc: …") become callbacks with the device names
// that appeared, changed or went away. No polling: the kernel pushes RTM_NEWLINK/DELLINK.
//
// Notes for users:
//  - A "Deleted" line is not always a deletion: leaving a bridge (nomaster) is reported as an
//    AF_BRIDGE RTM_DELLINK too. Treat every reported name as "look at this device again".
//  - Events between two monitors are lost. `monitorLinks` resolves only once the monitor's
//    netlink socket is subscribed (checked in /proc), so "start the monitor, then scan
//    everything" misses nothing; after `onExit` (the process died) do the same again.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { formatArgv, placeArgv, toolEnv, type Place } from './exec.ts';

export interface LinkEvent {
  ifindex: number;
  ifname: string;
  /** a "Deleted" line (device gone, or only removed from a bridge) */
  deleted: boolean;
  /** what the line says of the device (an agent can tell its own changes coming back) */
  up?: boolean;
  mtu?: number;
  master?: string;
}

/** Parse one `ip -o monitor link` line; undefined for anything else. */
export function parseMonitorLine(line: string): LinkEvent | undefined {
  const t = line.trim();
  const m = /^(Deleted )?(\d+): ([^\s:@]+)(?:@[^\s:]*)?:/.exec(t);
  if (!m) return undefined;
  const e: LinkEvent = { ifindex: Number(m[2]), ifname: m[3], deleted: !!m[1] };
  const rest = t.slice(m[0].length);
  const flags = /^\s*<([^>]*)>/.exec(rest);
  if (flags) e.up = flags[1].split(',').includes('UP');
  const mtu = / mtu (\d+)/.exec(rest);
  if (mtu) e.mtu = Number(mtu[1]);
  const master = / master (\S+)/.exec(rest);
  if (master) e.master = master[1];
  return e;
}

export interface LinkMonitorOptions {
  /**
   * Called once per burst the kernel delivered together (one read of the monitor's output),
   * with the distinct names (in order) and the raw events.
   */
  onChange: (names: string[], events: LinkEvent[]) => void;
  /** only names passing this are reported (e.g. (n) => n.startsWith('tap')) */
  filter?: (ifname: string) => boolean;
  /** the monitor process ended without stop(): events are being missed from now on */
  onExit?: (info: { code: number | null; signal: NodeJS.Signals | null; stderr: string }) => void;
  /** how long to wait for the netlink subscription (default 3000 ms) */
  readyTimeoutMs?: number;
}

export interface LinkMonitor {
  readonly pid: number;
  /** End the monitor (SIGTERM, by pid) and wait for it; onExit is not called. */
  stop(): Promise<void>;
}

const RTMGRP_LINK = 1;

/** Has `pid` a netlink socket bound to the link multicast group (in its own netns's table)? */
async function subscribed(pid: number): Promise<boolean> {
  try {
    const inodes = new Set<string>();
    for (const fd of await readdir(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''));
      if (m) inodes.add(m[1]);
    }
    if (inodes.size === 0) return false;
    // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode; /proc/PID/net is the netns of PID
    const table = await readFile(`/proc/${pid}/net/netlink`, 'utf8');
    return table.split('\n').slice(1).some((row) => {
      const c = row.trim().split(/\s+/);
      return c.length >= 10 && c[1] === '0' && inodes.has(c[9]) && (parseInt(c[3], 16) & RTMGRP_LINK) !== 0;
    });
  } catch {
    return false;
  }
}

async function waitSubscribed(child: ChildProcess, timeoutMs: number, full: string[]): Promise<void> {
  const until = performance.now() + timeoutMs;
  // a short wait at start-up only (the exec through nsenter takes a few ms)
  while (!(await subscribed(child.pid as number))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${formatArgv(full)} exited at once`);
    if (performance.now() > until) throw new Error(`${formatArgv(full)} did not subscribe to link events within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Start `ip -o monitor link` in `place`; resolves once it receives events. */
export async function monitorLinks(place: Place | undefined, opts: LinkMonitorOptions): Promise<LinkMonitor> {
  const full = placeArgv(place, ['ip', '-o', 'monitor', 'link']);
  const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: toolEnv() });
  await new Promise<void>((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`cannot start ${formatArgv(full)}: ${e.message}`)));
    child.once('spawn', () => resolve());
  });
  child.on('error', () => {}); // after spawn: only kill() can fail, and then it is gone anyway
  let live = false; // onExit is for a monitor that was running, not for one that failed to start
  let stopping = false;
  let stderr = '';
  let partial = '';
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.stderr?.on('data', (b: Buffer) => { stderr = (stderr + b.toString('utf8')).slice(-2000); });
  child.stdout?.on('data', (b: Buffer) => {
    const lines = (partial + b.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    const events: LinkEvent[] = [];
    for (const line of lines) {
      const e = parseMonitorLine(line);
      if (e && (!opts.filter || opts.filter(e.ifname))) events.push(e);
    }
    if (events.length) opts.onChange([...new Set(events.map((e) => e.ifname))], events);
  });
  child.once('exit', (code, signal) => {
    if (live && !stopping) opts.onExit?.({ code, signal, stderr: stderr.trim() });
  });
  const stop = async () => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitSubscribed(child, opts.readyTimeoutMs ?? 3000, full);
  } catch (e) {
    await stop();
    throw e;
  }
  live = true;
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new Error(`${formatArgv(full)} exited right after subscribing: ${stderr.trim()}`);
  }
  return { pid: child.pid as number, stop };
}
