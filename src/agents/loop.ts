// What every Muon agent runs: register and heartbeat ([agent] report_interval), follow the
// host's desired-state feed (long-poll: a new snapshot arrives within milliseconds of a
// change), and reconcile — one at a time, coalescing kicks that arrive meanwhile, retrying
// with backoff after a failure. Events (a feed change, a tap appearing, a revived agent) only
// say "look again"; each reconcile computes the whole host from the latest snapshot.
import type { AgentChannel, AgentStateReport, DeviceReport } from '../feed/channel.ts';
import type { HostState, HostStatePart } from '../feed/host-state.ts';

export interface ReconcileOutcome {
  /** devices to report to the server (level triggered; sent when it differs from the last one sent) */
  report?: DeviceReport;
  /** things the agent cannot do, said in words (logged when they change) */
  problems?: string[];
  /** where the reconcile's time went, phase → ms (logged with the 'reconciled' line) */
  timings?: Record<string, number>;
}

export interface AgentLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface AgentDefinition {
  host: string;
  /** agent_type, binary, topic; configurations come from `configurations()` at each report */
  identity: Omit<AgentStateReport, 'host' | 'configurations' | 'start_flag'>;
  configurations(): Record<string, unknown>;
  reconcile(desired: HostState): Promise<ReconcileOutcome>;
  /** the sections of the host state `reconcile` reads (undefined: all): other changes do not wake it */
  parts?: readonly HostStatePart[];
}

export interface LoopOptions {
  reportIntervalMs: number;
  /** how long one long-poll waits before asking again (default 25 s) */
  watchWaitMs?: number;
  log: AgentLog;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class AgentLoop {
  private desired: HostState | undefined;
  private running = false;
  private again = false;
  private stopped = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private failures = 0;
  private retry: NodeJS.Timeout | undefined;
  private lastReport = '';
  private lastProblems = '';
  private idleWaiters: (() => void)[] = [];
  /** when the snapshot now in `desired` arrived (the wait before its reconcile is logged) */
  private arrivedAt = 0;
  private lastRun = -1;
  /** revision of the last snapshot reconciled without error */
  realised = -1;
  private readonly channel: AgentChannel;
  private readonly def: AgentDefinition;
  private readonly opts: LoopOptions;

  constructor(channel: AgentChannel, def: AgentDefinition, opts: LoopOptions) {
    this.channel = channel;
    this.def = def;
    this.opts = opts;
  }

  /** Register (retrying until the server answers), then follow the feed. */
  async start(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const r = await this.report(true);
        this.opts.log.info('registered', { host: this.def.host, agent_type: this.def.identity.agent_type, outcome: r });
        break;
      } catch (e) {
        if (attempt % 10 === 0) this.opts.log.warn('cannot register with the server yet', { error: (e as Error).message });
        await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
      }
    }
    this.heartbeat = setInterval(() => {
      this.report(false).then((outcome) => {
        // the server had us as dead: it may have given our work away; resync everything
        if (outcome === 'revived') { this.lastReport = ''; this.kick(); }
      }, (e: unknown) => this.opts.log.warn('heartbeat failed', { error: (e as Error).message }));
    }, this.opts.reportIntervalMs);
    void this.follow();
  }

  stop(): void {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.retry) clearTimeout(this.retry);
    this.channel.close();
  }

  /** Something on the host changed (a tap appeared, …): reconcile again. */
  kick(): void {
    if (this.stopped || !this.desired) return;
    if (this.running) { this.again = true; return; }
    this.running = true;
    void this.run();
  }

  /**
   * The agent's configurations changed between heartbeats (its host check found or cleared a
   * problem): report them now, so the server binds by them at once. Before registration this
   * does nothing: the first report carries them.
   */
  reportNow(): void {
    if (this.stopped || !this.heartbeat) return;
    this.report(false).catch((e: unknown) => this.opts.log.warn('report failed', { error: (e as Error).message }));
  }

  /** Resolves when no reconcile is running or queued (tests, benchmarks). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private async report(start: boolean): Promise<string> {
    const r = await this.channel.report({
      ...this.def.identity, host: this.def.host, configurations: this.def.configurations(), ...(start ? { start_flag: true } : {}),
    });
    return r.outcome;
  }

  private async follow(): Promise<void> {
    let since = -1;
    let errors = 0;
    while (!this.stopped) {
      try {
        const s = await this.channel.watch(this.def.host, since, this.opts.watchWaitMs ?? 25_000, this.desired?.digest, this.def.parts);
        errors = 0;
        if (s && !this.stopped) {
          since = s.revision;
          this.desired = s;
          this.arrivedAt = performance.now();
          this.kick();
        }
      } catch (e) {
        if (this.stopped) return;
        if (errors++ % 10 === 0) this.opts.log.warn('lost the feed; retrying', { error: (e as Error).message });
        await sleep(Math.min(5000, 100 * 2 ** Math.min(errors, 6)));
      }
    }
  }

  private async run(): Promise<void> {
    try {
      do {
        this.again = false;
        const desired = this.desired!;
        const t0 = performance.now();
        // a new snapshot waited this long for its reconcile (a kick on the same one: no figure)
        const queuedMs = desired.revision !== this.lastRun ? Math.round(t0 - this.arrivedAt) : undefined;
        this.lastRun = desired.revision;
        try {
          const out = await this.def.reconcile(desired);
          this.failures = 0;
          this.realised = desired.revision;
          const problems = JSON.stringify(out.problems ?? []);
          if (problems !== this.lastProblems) {
            this.lastProblems = problems;
            for (const p of out.problems ?? []) this.opts.log.warn(p);
          }
          const tReconciled = performance.now();
          const report = out.report ?? {};
          const key = JSON.stringify(report);
          if (key !== this.lastReport) {
            // an empty report is not sent, but remembered: the next non-empty one differs from it
            // floatingips is level-triggered as a whole (an empty map after a full one clears statuses)
            if (report.up?.length || report.down?.length || report.dhcp_ready?.length || report.floatingips) await this.channel.devices(this.def.host, report);
            this.lastReport = key;
          }
          const t1 = performance.now();
          this.opts.log.info('reconciled', {
            revision: desired.revision, ms: Math.round(t1 - t0), queued_ms: queuedMs,
            ...out.timings, report_ms: Math.round(t1 - tReconciled),
          });
        } catch (e) {
          this.failures++;
          const delay = Math.min(10_000, 200 * 2 ** Math.min(this.failures, 6));
          this.opts.log.error('reconcile failed; retrying', { error: (e as Error).message, retry_ms: delay });
          if (this.retry) clearTimeout(this.retry);
          this.retry = setTimeout(() => this.kick(), delay);
        }
      } while (this.again && !this.stopped);
    } finally {
      this.running = false;
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
