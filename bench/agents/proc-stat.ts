// CPU time and memory of a process, or of a whole process group (the broker is a shell
// script, the Erlang VM and its helpers), read from /proc/<pid>/stat: user+sys deltas between
// two samples give the CPU a component spent, whatever else the shared machine is doing.
import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime. 100 on every Linux architecture Node runs on. */
const TICK_MS = 10;
const PAGE_KB = 4;

export interface Usage {
  /** user + system CPU, ms */
  cpuMs: number;
  /** resident memory, KiB (summed over the group) */
  rssKb: number;
}

interface Stat { pgrp: number; cpuMs: number; rssKb: number }

function readStat(pid: number): Stat | undefined {
  let s: string;
  try { s = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return undefined; }
  // the command name may hold spaces and parentheses: fields start after the last ')'
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): pgrp is field 5, utime 14, stime 15, rss 24
  return { pgrp: Number(f[2]), cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS, rssKb: Number(f[21]) * PAGE_KB };
}

/** One process. */
export function usageOf(pid: number): Usage {
  const s = readStat(pid);
  if (!s) throw new Error(`process ${pid} is gone`);
  return { cpuMs: s.cpuMs, rssKb: s.rssKb };
}

/** Every process of a process group (exited members no longer count: sample a long-lived group). */
export function usageOfGroup(pgid: number): Usage {
  const u: Usage = { cpuMs: 0, rssKb: 0 };
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const s = readStat(Number(e));
    if (s?.pgrp !== pgid) continue;
    u.cpuMs += s.cpuMs;
    u.rssKb += s.rssKb;
  }
  return u;
}

/** CPU between two samples as % of one core over `ms` of wall time. */
export const cpuPercent = (a: Usage, b: Usage, ms: number): number => (100 * (b.cpuMs - a.cpuMs)) / ms;
