// Is an address reachable from a place, on the wire: ICMP echo (ping) or a TCP connection
// (socat). A TCP connection refused counts as reached: the far host answered; only silence
// (a drop by a security group, no route, nobody there) is unreachable.
import { spawn } from 'node:child_process';
import { formatArgv, placeArgv, toolEnv, tryExec, type Place } from './exec.ts';

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

/**
 * When the first echo reply from `ip` arrives, as `performance.now()`: one `ping` sending
 * every `intervalMs` (root may go below 200 ms) and read as it prints, so the moment is
 * known to within that interval, not to a probe's start-up and wait. Rejects after `limitMs`
 * without a reply. The ping is stopped either way.
 */
export function firstEchoReply(place: Place | undefined, ip: string, opts: { intervalMs?: number; limitMs?: number } = {}): Promise<number> {
  const limit = opts.limitMs ?? 20_000;
  const full = placeArgv(place, ['ping', '-n', '-i', String((opts.intervalMs ?? 10) / 1000), '-w', String(Math.ceil(limit / 1000)), ...(ip.includes(':') ? ['-6'] : []), ip]);
  const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: toolEnv() });
  return new Promise<number>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => done(new Error(`no echo reply from ${ip} within ${limit} ms`)), limit);
    const done = (r: number | Error) => {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (typeof r === 'number') resolve(r); else reject(r);
    };
    child.stdout.on('data', (b: Buffer) => {
      const at = performance.now();
      seen = (seen + b.toString('utf8')).slice(-4096);
      if (/bytes from/.test(seen)) done(at);
    });
    child.stderr.resume();
    child.on('error', (e) => done(new Error(`cannot run ${formatArgv(full)}: ${e.message}`)));
    child.on('close', (code) => done(new Error(`${formatArgv(full)} ended (code ${code}) without an echo reply`)));
  });
}
