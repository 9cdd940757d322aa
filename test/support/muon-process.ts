// `bin/muon server` as a child process in its own process group (its api_workers with it), for
// tests of several processes: its JSON log lines parsed as they come, a wait for a line, kill -9
// of the whole group, and cleanup at process exit even when a test fails before its `after`
// (and when the test process is killed: setpriv --pdeathsig).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';

const MUON = new URL('../../bin/muon', import.meta.url).pathname;
const SETPRIV = '/usr/bin/setpriv';

export interface LogLine { level: string; msg: string; pid?: number; [k: string]: unknown }

export interface MuonProcess {
  child: ChildProcess;
  /** the JSON lines of its stderr so far (other lines in `text`) */
  lines: LogLine[];
  text(): string;
  /** resolves with the first line (already seen or to come) that matches */
  waitFor(what: string, match: (l: LogLine) => boolean, ms?: number): Promise<LogLine>;
  /** resolves with f()'s first value other than undefined, tried on every new piece of log */
  when<T>(what: string, f: () => T | undefined, ms?: number): Promise<T>;
  /** SIGKILL to the whole process group (the primary and its workers); resolves once the primary is gone */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) try { process.kill(-c.pid!, 'SIGKILL'); } catch { /* gone */ } });

/** argv, run so that it dies with this process even when this one is killed (setpriv --pdeathsig) */
export function diesWithUs(argv: string[]): string[] {
  return existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...argv] : argv;
}

export function spawnMuon(args: string[]): MuonProcess {
  // (a primary's workers exit when it does: their IPC channel closes)
  const [bin, ...rest] = diesWithUs([MUON, 'server', ...args]);
  const child = spawn(bin, rest, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  live.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => { live.delete(child); r(); }));
  const lines: LogLine[] = [];
  let raw = '';
  let partial = '';
  const waiters = new Set<() => void>();
  child.stderr!.on('data', (c: Buffer) => {
    raw += c;
    partial += c;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const p of parts) {
      if (!p.startsWith('{')) continue;
      try { lines.push(JSON.parse(p) as LogLine); } catch { /* not a log line */ }
    }
    for (const w of [...waiters]) w();
  });
  const group = (sig: NodeJS.Signals) => { try { process.kill(-child.pid!, sig); } catch { /* gone */ } };
  return {
    child, lines, text: () => raw,
    waitFor(what, match, ms = 90_000) {
      return this.when(what, () => lines.find(match), ms);
    },
    when<T>(what: string, f: () => T | undefined, ms = 90_000) {
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const v = f();
          if (v !== undefined) { done(); resolve(v); }
        };
        const onExit = () => { done(); reject(new Error(`muon server exited (code ${child.exitCode}) before ${what}:\n${raw.slice(-4000)}`)); };
        const t = setTimeout(() => { done(); reject(new Error(`no ${what} in ${ms} ms:\n${raw.slice(-4000)}`)); }, ms);
        const done = () => { clearTimeout(t); waiters.delete(check); child.off('exit', onExit); };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async kill9() {
      group('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      group('SIGTERM');
      const t = setTimeout(() => group('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
      group('SIGKILL'); // a worker that outlived its primary
    },
  };
}

export interface HttpAnswer { status: number; body: any }

/** One HTTP request on a new connection (agent: false): through a balancer or a cluster
 *  primary, each request may land on another process. Rejects only when no answer came. */
export function httpJson(base: string, method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(new URL(path, base), {
      method, agent: false,
      headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON (a balancer's error page) */ }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
