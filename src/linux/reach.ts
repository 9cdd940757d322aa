// Is an address reachable from a place, on the wire: ICMP echo (ping) or a TCP connection
// (socat). A TCP connection refused counts as reached: the far host answered; only silence
// (a drop by a security group, no route, nobody there) is unreachable.
import { tryExec, type Place } from './exec.ts';

export interface ReachResult {
  reached: boolean;
  /** what showed it, in a few words ("1 echo reply", "connection refused", "no answer in 3 tries") */
  detail: string;
  ms: number;
}

/** Up to `tries` echo requests, 0.2 s apart, each waiting a second; one reply is enough. */
export async function ping(place: Place | undefined, ip: string, opts: { tries?: number; source?: string } = {}): Promise<ReachResult> {
  const tries = opts.tries ?? 3;
  const r = await tryExec(['ping', '-n', '-c', String(tries), '-i', '0.2', '-W', '1', ...(opts.source ? ['-I', opts.source] : []), ...(ip.includes(':') ? ['-6'] : []), ip],
    { place, timeoutMs: (tries + 3) * 1000 });
  const received = /(\d+) (?:packets )?received/.exec(r.stdout);
  const n = received ? Number(received[1]) : 0;
  return { reached: n > 0, detail: n > 0 ? `${n} echo repl${n > 1 ? 'ies' : 'y'} of ${tries}` : `no echo reply in ${tries} tries${r.stderr.trim() ? ` (${r.stderr.trim().split('\n')[0]})` : ''}`, ms: r.ms };
}

/** A TCP connection to ip:port, up to `tries` times, each given `timeoutS` seconds. */
export async function tcpConnect(place: Place | undefined, ip: string, port: number, opts: { tries?: number; source?: string; timeoutS?: number } = {}): Promise<ReachResult> {
  const tries = opts.tries ?? 2;
  const t = opts.timeoutS ?? 2;
  let last = '';
  let ms = 0;
  for (let i = 0; i < tries; i++) {
    const target = `TCP:${ip.includes(':') ? `[${ip}]` : ip}:${port},connect-timeout=${t}${opts.source ? `,bind=${opts.source}` : ''}`;
    const r = await tryExec(['socat', '-T', String(t), '-u', target, 'STDOUT'], { place, timeoutMs: (t + 3) * 1000 });
    ms += r.ms;
    if (r.code === 0) return { reached: true, detail: `connected${r.stdout.trim() ? `; it said '${r.stdout.trim().split('\n')[0].slice(0, 60)}'` : ''}`, ms };
    if (/Connection refused/i.test(r.stderr)) return { reached: true, detail: 'connection refused (the host answered)', ms };
    last = r.stderr.trim().split('\n').at(-1)?.replace(/^.*E /, '') ?? '';
  }
  return { reached: false, detail: `no connection in ${tries} tries${last ? ` (${last})` : ''}`, ms };
}
