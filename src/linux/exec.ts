// The one place that spawns system tools. Everything is an argv array (never a shell
// string). A `Place` says where a command runs:
//   - nothing:                      the caller's own namespaces;
//   - `nsenter: {mount, net}`:      an emulated host (namespace files made persistent by
//                                   bind mounts, see ./netns.ts), via `nsenter … --`;
//   - `netns: NAME`:                a nested `ip netns` namespace of that place, via
//                                   `ip netns exec NAME` (resolved in the place's /run/netns).
// Both nsenter (without --fork) and `ip netns exec` exec() the command, so the pid of a
// started process is the pid of the command itself.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { launcher, LaunchError, LauncherUnavailable } from './launcher.ts';

export interface NsenterTarget {
  /** path of a mount namespace file (e.g. /run/muon-lab/ns/controller.mnt) */
  mount?: string;
  /** path of a network namespace file */
  net?: string;
}

export interface Place {
  nsenter?: NsenterTarget;
  /** nested namespace name, resolved by `ip netns exec` inside the place */
  netns?: string;
}

export interface ExecOptions {
  /** written to stdin, then stdin is closed */
  input?: string;
  /** default 30 s; the command is killed (SIGKILL) when it runs longer */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ExecResult {
  /** the argv that was executed, prefix included */
  argv: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'];

/** The environment commands run with: C locale, and a PATH that includes the sbin directories. */
export function toolEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '').split(':').filter(Boolean);
  for (const d of SBIN) if (!path.includes(d)) path.push(d);
  return { ...process.env, LC_ALL: 'C', PATH: path.join(':'), ...extra };
}

/** Quote an argv for messages (never executed). */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

export class ExecError extends Error {
  readonly result: ExecResult;
  constructor(result: ExecResult) {
    const why = result.timedOut
      ? `timed out after ${result.ms} ms`
      : result.signal
        ? `killed by ${result.signal}`
        : `exit code ${result.code}`;
    const err = result.stderr.trim() || result.stdout.trim();
    super(`command failed (${why}): ${formatArgv(result.argv)}${err ? `\n${err}` : ''}`);
    this.name = 'ExecError';
    this.result = result;
  }
}

/** The full argv with the nsenter / ip netns exec prefixes of `place`. */
export function placeArgv(place: Place | undefined, argv: readonly string[]): string[] {
  if (argv.length === 0) throw new Error('empty argv');
  const out: string[] = [];
  const ns = place?.nsenter;
  if (ns && (ns.mount || ns.net)) {
    out.push('nsenter');
    if (ns.mount) out.push(`--mount=${ns.mount}`);
    if (ns.net) out.push(`--net=${ns.net}`);
    out.push('--');
  }
  if (place?.netns) {
    checkName(place.netns, 'netns name');
    out.push('ip', 'netns', 'exec', place.netns);
  }
  out.push(...argv);
  return out;
}

/** Names used as tokens (netns, devices): no whitespace, no slash, not empty. */
export function checkName(name: string, what: string): void {
  if (!name || /[\s/]/.test(name) || name === '.' || name === '..') {
    throw new Error(`invalid ${what}: ${JSON.stringify(name)}`);
  }
}

/** Run argv; resolve with the result whatever the exit code (rejects only if it cannot start). */
export async function tryExec(argv: readonly string[], opts: ExecOptions & { place?: Place } = {}): Promise<ExecResult> {
  const full = placeArgv(opts.place, argv);
  const started = performance.now();
  const l = launcher(defaultEnv);
  if (!l) return spawnDirect(full, opts, started);
  const job = l.run(full, { input: opts.input, env: opts.env, cwd: opts.cwd });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; l.kill(job.id, 'SIGKILL'); }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    const r = await job.done;
    return { argv: full, ...r, timedOut, ms: Math.round(performance.now() - started) };
  } catch (e) {
    if (e instanceof LauncherUnavailable) return spawnDirect(full, opts, started);
    throw new Error(`cannot run ${formatArgv(full)}: ${e instanceof LaunchError ? e.message : (e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** toolEnv() of this process as it started: the launcher's environment, given once */
let cachedEnv: NodeJS.ProcessEnv | undefined;
const defaultEnv = (): NodeJS.ProcessEnv => (cachedEnv ??= toolEnv());

/** Node's own spawn: where the launcher cannot run. */
function spawnDirect(full: string[], opts: ExecOptions, started: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(full[0], full.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? toolEnv(),
      cwd: opts.cwd,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // EPIPE when the command does not read stdin
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${formatArgv(full)}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        argv: full,
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        ms: Math.round(performance.now() - started),
      });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Run argv; reject with an ExecError naming the exact command and its stderr unless it exits 0. */
export async function exec(argv: readonly string[], opts: ExecOptions & { place?: Place } = {}): Promise<ExecResult> {
  const r = await tryExec(argv, opts);
  if (r.code !== 0 || r.timedOut) throw new ExecError(r);
  return r;
}

export interface StartOptions {
  place?: Place;
  /** stdout and stderr are appended to this file (default: discarded) */
  logFile?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Start a long-running process (a daemon in an emulated host or nested namespace), detached
 * from this process. Returns its pid, which is the pid of the command itself (nsenter and
 * `ip netns exec` exec()). Rejects if it cannot be started or exits within `settleMs`.
 */
export async function start(argv: readonly string[], opts: StartOptions & { settleMs?: number } = {}): Promise<number> {
  const full = placeArgv(opts.place, argv);
  const fd = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  try {
    const child = spawn(full[0], full.slice(1), {
      stdio: ['ignore', fd, fd],
      detached: true,
      env: opts.env ?? toolEnv(),
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (e) => reject(new Error(`cannot start ${formatArgv(full)}: ${e.message}`)));
      child.once('spawn', () => resolve(child.pid as number));
    });
    const settle = opts.settleMs ?? 0;
    if (settle > 0) {
      const exited = await new Promise<number | null | undefined>((resolve) => {
        const t = setTimeout(() => resolve(undefined), settle);
        child.once('exit', (code) => { clearTimeout(t); resolve(code); });
      });
      if (exited !== undefined) {
        throw new Error(`${formatArgv(full)} exited at once (code ${exited})${opts.logFile ? `; see ${opts.logFile}` : ''}`);
      }
    }
    child.unref();
    return pid;
  } finally {
    if (typeof fd === 'number') closeSync(fd);
  }
}

/** Is `tool` on PATH? (reads the filesystem, runs nothing) */
export async function which(tool: string): Promise<string | undefined> {
  for (const dir of (toolEnv().PATH as string).split(':')) {
    if (!dir) continue;
    try {
      await access(`${dir}/${tool}`, constants.X_OK);
      return `${dir}/${tool}`;
    } catch { /* next */ }
  }
  return undefined;
}

/** Run argv with this process's stdin/stdout/stderr (a user's `muon vm exec`); resolves with the exit code. */
export function interactive(argv: readonly string[], opts: { place?: Place } = {}): Promise<number> {
  const full = placeArgv(opts.place, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(full[0], full.slice(1), { stdio: 'inherit', env: toolEnv() });
    child.once('error', (e) => reject(new Error(`cannot run ${formatArgv(full)}: ${e.message}`)));
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
