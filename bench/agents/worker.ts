// A load-generator process: one Fleet of simulated hosts, driven by bench/agents.ts over the
// IPC channel of fork() (request {id, cmd, args} → reply {id, result} | {id, error}).
// Several of them share the simulated hosts so one event loop's JSON parsing and timers do
// not become what the bench measures.
import { Fleet, type FleetOptions } from './fleet.ts';

type Cmd = 'start' | 'waitPorts' | 'arm' | 'collect' | 'heartbeatBurst' | 'counters' | 'stop';
interface Request { id: number; cmd: Cmd; args: any[] }

let fleet: Fleet | undefined;

const run: Record<Cmd, (...a: any[]) => unknown> = {
  async start(opts: FleetOptions) {
    fleet = new Fleet(opts);
    await fleet.start();
  },
  waitPorts: (ports: Record<string, number>, ms: number) => fleet!.waitPorts(ports, ms),
  arm: (marker: number) => fleet!.arm(marker),
  collect: (marker: number, ms: number) => fleet!.collect(marker, ms),
  heartbeatBurst: (perSecond: number, seconds: number) => fleet!.heartbeatBurst(perSecond, seconds),
  counters: () => ({ ...fleet!.counters, firstWarnings: fleet!.warnings() }),
  stop() {
    fleet?.stop();
    setTimeout(() => process.exit(0), 200);
  },
};

process.on('message', (m: Request) => {
  Promise.resolve().then(() => run[m.cmd](...m.args)).then(
    (result) => process.send!({ id: m.id, result }),
    (e: Error) => process.send!({ id: m.id, error: e.message }),
  );
});
process.on('disconnect', () => process.exit(0));
