// `muon server` with api_workers > 1: this process (the primary) serves nothing itself. It forks
// that many workers (node:cluster), each a whole server with its own database pool and caches,
// sharing only the database and the broker; the primary owns the listening sockets (bind_port
// and the agent socket) and hands connections to the workers in turn. It relays each worker's
// "I wrote" to the others (./worker-relay.ts), restarts a worker that dies, and stops them all
// on SIGTERM/SIGINT.
import cluster, { type Worker } from 'node:cluster';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../services/log.ts';
import { isInterestMessage, isRevisionMessage, LISTENERS_MESSAGE, type ListenersMessage } from './worker-relay.ts';

/** A worker tells the primary it is serving, with the fields of the start-up log line. */
export const LISTENING_MESSAGE = 'muon.listening';
export interface ListeningMessage { muon: typeof LISTENING_MESSAGE; fields: Record<string, unknown> }
const isListening = (m: unknown): m is ListeningMessage => (m as ListeningMessage | null)?.muon === LISTENING_MESSAGE;

/** The environment variable naming the server a worker belongs to (the origin of its broker messages). */
export const SERVER_ID_ENV = 'MUON_SERVER_ID';

/** A worker that dies this soon after starting is crashing at start-up: wait longer before the next. */
const QUICK_DEATH_MS = 5000;
const MAX_RESTART_DELAY_MS = 30_000;
const STOP_GRACE_MS = 10_000;

export async function superviseWorkers(opts: { count: number; agentSocket: string; log: Logger }): Promise<number> {
  const { count, log } = opts;
  const serverId = randomUUID();
  // The agent socket is the primary's (the workers only listen through it): replace a stale one
  // now, and have it created 0600 like a single server's (umask is per process; workers are
  // forked with the ordinary one).
  await mkdir(dirname(opts.agentSocket), { recursive: true, mode: 0o755 });
  await rm(opts.agentSocket, { force: true });
  const umask = process.umask();
  process.umask(0o177);

  let stopping = false;
  let started = false;
  let quickDeaths = 0;
  const born = new Map<Worker, number>();
  const fork = (): Worker => {
    process.umask(umask);
    try {
      const w = cluster.fork({ [SERVER_ID_ENV]: serverId });
      born.set(w, Date.now());
      return w;
    } finally {
      process.umask(0o177);
    }
  };

  // Workers with agents waiting: each worker hears how many others have some, and does not
  // announce its writes while none has (./worker-relay.ts). Announcements go to every other worker.
  const listening = new Set<Worker>();
  const tellListeners = () => {
    for (const w of Object.values(cluster.workers ?? {})) {
      if (w && w.isConnected()) w.send({ muon: LISTENERS_MESSAGE, others: listening.size - (listening.has(w) ? 1 : 0) } satisfies ListenersMessage);
    }
  };
  cluster.on('message', (from, msg) => {
    if (isRevisionMessage(msg)) {
      for (const w of Object.values(cluster.workers ?? {})) if (w && w !== from && w.isConnected()) w.send(msg);
    } else if (isInterestMessage(msg)) {
      if (msg.listening === listening.has(from)) return;
      if (msg.listening) listening.add(from); else listening.delete(from);
      tellListeners();
    }
  });
  cluster.on('online', () => tellListeners());
  cluster.on('exit', (w) => { if (listening.delete(w)) tellListeners(); });

  const stopAll = async (): Promise<void> => {
    stopping = true;
    const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
    await Promise.all(live.map((w) => new Promise<void>((resolve) => {
      const kill = setTimeout(() => w.process.kill('SIGKILL'), STOP_GRACE_MS);
      w.once('exit', () => { clearTimeout(kill); resolve(); });
      w.process.kill('SIGTERM');
    })));
    await rm(opts.agentSocket, { force: true });
  };

  return new Promise<number>((resolve) => {
    let listening = 0;
    let fields: Record<string, unknown> = {};
    const fail = (why: string) => {
      log.error(why);
      void stopAll().then(() => resolve(1));
    };
    cluster.on('message', (w, msg) => {
      if (!isListening(msg) || started) return;
      fields = msg.fields;
      if (++listening === count) {
        started = true;
        log.info('listening', { ...fields, api_workers: count, pids: Object.values(cluster.workers ?? {}).map((x) => x?.process.pid) });
      }
    });
    cluster.on('exit', (w, code, signal) => {
      const age = Date.now() - (born.get(w) ?? 0);
      born.delete(w);
      if (stopping) return;
      if (!started) return fail(`an API worker exited during start-up (code ${code}${signal ? `, signal ${signal}` : ''}); see its messages above`);
      quickDeaths = age < QUICK_DEATH_MS ? quickDeaths + 1 : 0;
      const delay = quickDeaths ? Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** quickDeaths) : 0;
      log.error('an API worker died; starting another', { pid: w.process.pid, code, signal, restart_in_ms: delay });
      setTimeout(() => { if (!stopping) fork(); }, delay);
    });
    const stop = () => { if (!stopping) void stopAll().then(() => resolve(0)); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    for (let i = 0; i < count; i++) fork();
  });
}
