// The process launcher: short commands started by a small Perl process (./launcher.pl) rather
// than by Node. Measured on the 2-core VM Muon is built on: a `spawn` from a Node process costs
// that process ~6 ms of CPU and blocks its event loop until the child has exec'd (fork copies
// the page tables of a 100+ MB multi-threaded process; every page it then writes faults);
// an agent starts several commands per reconcile and the agents of a host all reconcile at the
// same moment, so those forks were a large share of what a VM boot waited for. The launcher
// forks from a few MB instead, and Node only writes a request down a pipe.
//
// One launcher per process, started on first use. Where perl cannot be started (it is
// Essential on Debian, but not everywhere) or MUON_LAUNCHER=off, exec.ts spawns directly.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface LaunchResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface LaunchOptions {
  input?: string;
  /** the whole environment of the command; default: the launcher's (the caller's toolEnv) */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** The launcher itself could not be started (no perl): the caller starts the command itself. */
export class LauncherUnavailable extends Error {}

/** A command that could not be started (ENOENT, EACCES…): Node's spawn reports these as an 'error' event. */
export class LaunchError extends Error {
  readonly errno: number;
  constructor(errno: number, message: string) {
    super(message);
    this.name = 'LaunchError';
    this.errno = errno;
  }
}

interface Job {
  out: Buffer[];
  err: Buffer[];
  resolve: (r: LaunchResult) => void;
  reject: (e: Error) => void;
}

const SCRIPT = fileURLToPath(new URL('./launcher.pl', import.meta.url));
const SIGNAL_NAMES: Record<number, NodeJS.Signals> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 6: 'SIGABRT', 9: 'SIGKILL', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM' };
const SIGNAL_NUMBERS: Record<string, number> = Object.fromEntries(Object.entries(SIGNAL_NAMES).map(([n, s]) => [s, Number(n)]));

const u32 = (n: number): Buffer => { const b = Buffer.allocUnsafe(4); b.writeUInt32LE(n >>> 0); return b; };
const str = (s: string | Buffer): Buffer[] => { const b = typeof s === 'string' ? Buffer.from(s) : s; return [u32(b.length), b]; };

export class Launcher {
  private readonly child: ChildProcess;
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private pieces: Buffer[] = [];
  private buffered = 0;
  /** set once the launcher is gone: every later request fails at once */
  private dead: Error | undefined;
  private started = false;

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn('perl', [SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'], env });
    this.child.on('spawn', () => { this.started = true; });
    this.child.on('error', (e) => this.die(new LauncherUnavailable(`the process launcher (perl ${SCRIPT}) cannot run: ${e.message}`)));
    this.child.on('exit', (code, signal) => this.die(new Error(`the process launcher (perl ${SCRIPT}) ended (${signal ?? `exit code ${code}`})`)));
    this.child.stdin!.on('error', () => {}); // its end is reported by 'exit'
    this.child.stdout!.on('data', (b: Buffer) => this.read(b));
    this.idle();
  }

  /** Run argv (PATH is searched as execvp does); resolves whatever the exit status, rejects with a LaunchError when it cannot start. */
  run(argv: readonly string[], opts: LaunchOptions = {}): { id: number; done: Promise<LaunchResult> } {
    const id = this.nextId++;
    const done = new Promise<LaunchResult>((resolve, reject) => {
      if (this.dead) { reject(this.dead); return; }
      this.jobs.set(id, { out: [], err: [], resolve, reject });
    });
    if (!this.dead) {
      const env = opts.env ? Object.entries(opts.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`) : [];
      const body = Buffer.concat([
        Buffer.from('R'), u32(id), u32(argv.length), ...argv.flatMap((a) => str(a)),
        u32(env.length), ...env.flatMap((e) => str(e)),
        ...str(opts.cwd ?? ''), ...str(opts.input ?? ''),
      ]);
      this.send(body);
    }
    return { id, done };
  }

  /** Signal a command started by run (nothing when it has ended). */
  kill(id: number, signal: NodeJS.Signals): void {
    if (this.dead || !this.jobs.has(id)) return;
    this.send(Buffer.concat([Buffer.from('K'), u32(id), u32(SIGNAL_NUMBERS[signal] ?? 9)]));
  }

  get alive(): boolean { return !this.dead; }
  get pid(): number | undefined { return this.child.pid; }
  /** it died before it ever ran (perl missing): no use starting it again */
  get unavailable(): boolean { return !!this.dead && !this.started; }

  private send(body: Buffer): void {
    this.busy();
    this.child.stdin!.write(Buffer.concat([u32(body.length), body]));
  }

  /** While a command runs, the launcher's pipes keep this process alive (its answer is awaited); idle, they do not. */
  private busy(): void {
    this.child.ref();
    (this.child.stdout as unknown as { ref(): void }).ref();
    (this.child.stdin as unknown as { ref(): void }).ref();
  }

  private idle(): void {
    this.child.unref();
    (this.child.stdout as unknown as { unref(): void }).unref();
    (this.child.stdin as unknown as { unref(): void }).unref();
  }

  /** Frames arrive cut anywhere; pieces are joined only once a whole frame is there (a large
   *  output comes as many 64 KB frames, which must not be re-copied at each piece). */
  private read(chunk: Buffer): void {
    this.pieces.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      if (this.pieces[0].length < 4) this.pieces = [Buffer.concat(this.pieces)];
      const len = this.pieces[0].readUInt32LE(0);
      if (this.buffered < 4 + len) return;
      const all = this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces);
      this.answer(all.subarray(4, 4 + len));
      const rest = all.subarray(4 + len);
      this.pieces = rest.length ? [rest] : [];
      this.buffered = rest.length;
    }
  }

  private answer(frame: Buffer): void {
    const kind = String.fromCharCode(frame[0]);
    const id = frame.readUInt32LE(1);
    const job = this.jobs.get(id);
    if (!job) return;
    if (kind === 'O') job.out.push(frame.subarray(5));
    else if (kind === 'E') job.err.push(frame.subarray(5));
    else {
      this.jobs.delete(id);
      if (kind === 'X') {
        const code = frame.readUInt32LE(5);
        const sig = frame.readUInt32LE(9);
        job.resolve({
          code: code === 0xffffffff ? null : code,
          signal: code === 0xffffffff ? (SIGNAL_NAMES[sig] ?? (`SIG${sig}` as NodeJS.Signals)) : null,
          stdout: Buffer.concat(job.out).toString('utf8'),
          stderr: Buffer.concat(job.err).toString('utf8'),
        });
      } else {
        job.reject(new LaunchError(frame.readUInt32LE(5), frame.subarray(9).toString('utf8')));
      }
      if (this.jobs.size === 0) this.idle();
    }
  }

  private die(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    for (const job of this.jobs.values()) job.reject(e);
    this.jobs.clear();
    this.idle();
  }
}

let shared: Launcher | undefined;

/** This process's launcher (started on first use, again after it died); undefined when perl cannot run or MUON_LAUNCHER=off. */
export function launcher(env: () => NodeJS.ProcessEnv): Launcher | undefined {
  if (process.env.MUON_LAUNCHER === 'off' || shared?.unavailable) return undefined;
  if (!shared || !shared.alive) shared = new Launcher(env());
  return shared;
}
