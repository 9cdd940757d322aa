// conntrack-tools: delete connection-tracking entries inside a place (a router namespace's
// table is its own). `conntrack -D` exits 1 with "0 flow entries have been deleted." when
// nothing matched; that is not an error.
import { ExecError, tryExec, type Place } from './exec.ts';

export interface ConntrackFilter {
  /** original source (-s) */
  src?: string;
  /** original destination (-d) */
  dst?: string;
  /** reply source (-r) */
  replySrc?: string;
  /** reply destination (-q): e.g. the SNAT address of outbound flows */
  replyDst?: string;
  family?: 4 | 6;
}

export function deleteArgv(f: ConntrackFilter): string[] {
  const argv = ['conntrack', '-D'];
  if (f.family === 6) argv.push('-f', 'ipv6');
  if (f.src) argv.push('-s', f.src);
  if (f.dst) argv.push('-d', f.dst);
  if (f.replySrc) argv.push('-r', f.replySrc);
  if (f.replyDst) argv.push('-q', f.replyDst);
  if (argv.length === 2 || (argv.length === 4 && f.family === 6)) throw new Error('conntrack -D without a filter would delete every entry');
  return argv;
}

/** Parse "N flow entries have been deleted." (conntrack writes it to stderr). */
export function deletedCount(text: string): number | undefined {
  const m = /(\d+) flow entr(?:y|ies) ha(?:s|ve) been deleted/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Delete the entries matching `f`; returns how many were deleted. */
export async function deleteEntries(place: Place | undefined, f: ConntrackFilter): Promise<number> {
  const r = await tryExec(deleteArgv(f), { place });
  const n = deletedCount(`${r.stderr}\n${r.stdout}`);
  if (r.code === 0) return n ?? 0;
  if (r.code === 1 && n === 0) return 0;
  throw new ExecError(r);
}

/**
 * Forget every flow of an address that stops being (or changes what it is) a NATed address:
 * flows sent to it (-d), from it (-s), and flows NATed to it on the way out (reply to it, -q).
 */
export async function flushAddress(place: Place | undefined, addr: string): Promise<number> {
  const family = addr.includes(':') ? 6 : 4;
  let n = 0;
  n += await deleteEntries(place, { dst: addr, family });
  n += await deleteEntries(place, { src: addr, family });
  n += await deleteEntries(place, { replyDst: addr, family });
  return n;
}
