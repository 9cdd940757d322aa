// The bench's side of a load-generator process (./worker.ts).
import { fork, type ChildProcess } from 'node:child_process';
import type { FleetOptions, Collected, Counters } from './fleet.ts';
import type { FanoutTarget } from './fanout.ts';

export class FleetWorker implements FanoutTarget {
  readonly child: ChildProcess;
  private next = 0;
  private readonly pending = new Map<number, { resolve(v: any): void; reject(e: Error): void }>();

  constructor() {
    // MUON_BENCH_PROF=<dir>: the load generators are profiled too (their share of the machine's two cores is part of every figure)
    const prof = process.env.MUON_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.MUON_BENCH_PROF}`, '--cpu-prof-name=loadgen.${pid}.cpuprofile'] : [];
    this.child = fork(new URL('./worker.ts', import.meta.url).pathname, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...process.execArgv, ...prof] });
    this.child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error)); else p.resolve(m.result);
    });
    this.child.on('exit', (code, sig) => {
      for (const p of this.pending.values()) p.reject(new Error(`load generator exited (${sig ?? code})`));
      this.pending.clear();
    });
  }

  get pid(): number { return this.child.pid!; }

  start(opts: FleetOptions): Promise<void> { return this.call('start', opts); }
  waitPorts(ports: Record<string, number>, ms: number): Promise<void> { return this.call('waitPorts', ports, ms); }
  arm(marker: number): Promise<void> { return this.call('arm', marker); }
  collect(marker: number, ms: number): Promise<Collected> { return this.call('collect', marker, ms); }
  heartbeatBurst(perSecond: number, seconds: number): Promise<number> { return this.call('heartbeatBurst', perSecond, seconds); }
  counters(): Promise<Counters & { firstWarnings: string[] }> { return this.call('counters'); }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.call('stop').catch(() => {});
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }

  private call<T>(cmd: string, ...args: unknown[]): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, cmd, args });
    });
  }
}
