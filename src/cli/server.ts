// `muon server`: the Networking API on [DEFAULT] bind_host:bind_port, served by api_workers
// processes (./server-workers.ts) or by this one.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { randomUUID } from 'node:crypto';
import { connect } from '../db/connect.ts';
import { parseDbUrl } from '../db/connection-url.ts';
import { pendingMigrations, upgrade } from '../db/migrate.ts';
import { startServer } from '../api/server.ts';
import { jsonLogger, type Logger } from '../services/log.ts';
import { parseArgs } from './args.ts';
import { loadCliConfig } from './load-config.ts';
import { setupAuth, type AuthSetup } from '../identity/setup.ts';
import { describeBrokers, redact, selectTransport } from '../config/transport.ts';
import { startNovaNotifier } from '../services/nova-notifier.ts';
import type { MuonConfig } from '../config/types.ts';
import { revisionFanout } from '../transport/revision-fanout.ts';
import type { RevisionPeer } from '../transport/revision-peer.ts';
import { LISTENING_MESSAGE, SERVER_ID_ENV, superviseWorkers, type ListeningMessage } from './server-workers.ts';
import { workerRelay } from './worker-relay.ts';
import { onceReachable } from './database-ready.ts';

export async function serverCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { value: ['bind-host', 'bind-port'], bool: ['quiet'] });
  const config = loadCliConfig(args.configFiles);
  if (args.flags.has('bind-host')) config.bindHost = String(args.flags.get('bind-host'));
  if (args.flags.has('bind-port')) config.bindPort = Number(args.flags.get('bind-port'));
  const log = jsonLogger(undefined, args.flags.has('quiet'));
  // a worker of a primary that already checked the database (./server-workers.ts)
  // (its IPC channel would keep a failed worker alive: it exits, and the primary says so)
  if (cluster.isWorker) {
    const code = await serve(config, workerLog(log), true).catch((e: unknown) => { process.stderr.write(`error: ${(e as Error).message}\n`); return 1; });
    process.exit(code);
  }
  const conn = connect(config.databaseConnection, config.database);
  let pending: string[];
  try {
    pending = await onceReachable(() => pendingMigrations(conn), {
      retries: config.database.maxRetries, intervalS: config.database.retryInterval, log, database: redact(config.databaseConnection),
    });
  } catch (e) {
    // said once and plainly (the pool's open sockets would otherwise keep this process waiting)
    const err = e as { errno?: number; message?: string };
    const hint = err.errno === 1231 && /sql_mode/.test(err.message ?? '') ? ' (check [database] mysql_sql_mode)' : '';
    process.stderr.write(`error: cannot use the database ${redact(config.databaseConnection)}: ${err.message ?? String(e)}${hint}\n`);
    await conn.close().catch(() => {});
    return 1;
  }
  if (pending.length) {
    if (conn.kind === 'sqlite') {
      // The embedded database is Muon's own: bring it up to date as it starts.
      await upgrade(conn);
      log.info('database upgraded', { applied: pending });
    } else {
      process.stderr.write(`error: the database needs migrations (${pending.join(', ')}); run: muon db upgrade ${args.configFiles.map((f) => `--config-file ${f}`).join(' ')}\n`);
      await conn.close();
      return 1;
    }
  }
  await conn.close();
  const workers = apiWorkers(config, log);
  if (workers > 1) process.exit(await superviseWorkers({ count: workers, agentSocket: config.agentSocket, log }));
  return serve(config, log, false);
}

/** [DEFAULT] api_workers (default: one per CPU, as Neutron), where more than one process can serve. */
function apiWorkers(config: MuonConfig, log: Logger): number {
  const set = config.values.DEFAULT.api_workers as number | null;
  const want = set ?? availableParallelism();
  if (want <= 1) return 1;
  const db = parseDbUrl(config.databaseConnection);
  // The embedded identity keeps its accounts and revocations in one process's memory.
  const why = config.authStrategy !== 'noauth' && config.values.muon?.identity === 'embedded' ? '[muon] identity = embedded keeps its accounts in one process'
    : db.kind === 'sqlite' && db.path === ':memory:' ? 'an in-memory SQLite database lives in one process'
      : undefined;
  if (why) {
    if (set !== null) log.warn(`api_workers = ${set} ignored: ${why}; serving from one process`);
    return 1;
  }
  return want;
}

/** A worker's log lines say which worker wrote them. */
function workerLog(log: Logger): Logger {
  const pid = process.pid;
  return { info: (m, f) => log.info(m, { ...f, pid }), warn: (m, f) => log.warn(m, { ...f, pid }), error: (m, f) => log.error(m, { ...f, pid }) };
}

/** One whole server in this process: alone, or as one of a primary's api_workers. */
async function serve(config: MuonConfig, log: Logger, worker: boolean): Promise<number> {
  // agents reach the server on the unix socket, and through RabbitMQ too when configured
  const transport = selectTransport(config);
  const conn = connect(config.databaseConnection, config.database);
  let auth: AuthSetup;
  try {
    auth = await setupAuth(config, log);
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    await conn.close();
    return 1;
  }
  // who hears of this process's writes at once: its sibling workers, and the other servers through the broker
  const serverId = process.env[SERVER_ID_ENV] || randomUUID();
  const peers: RevisionPeer[] = [];
  if (worker) peers.push(workerRelay());
  if (transport.kind === 'rabbit') peers.push(revisionFanout(transport, serverId, log));
  const running = await startServer({
    config, conn, log, authenticate: auth.authenticate, login: auth.login, agentSocket: config.agentSocket, amqp: transport.kind === 'rabbit' ? transport : undefined,
    peers, revisionPollMs: (config.values.muon?.revision_poll_interval as number ?? 1) * 1000, sharedAgentSocket: worker,
  });
  const fields = { url: running.url, agent_socket: config.agentSocket, ...(transport.kind === 'rabbit' ? { rabbitmq: describeBrokers(transport) } : {}), database: conn.kind, ...auth.summary };
  if (worker) {
    log.info('api worker serving');
    process.send?.({ muon: LISTENING_MESSAGE, fields } satisfies ListeningMessage);
  } else {
    log.info('listening', fields);
  }
  // Nova's events (vif-plugged …), or one line saying why Nova is not notified
  const nova = startNovaNotifier(config, log);
  if (nova) running.deps.nova = nova;
  // once, though a worker may get both Ctrl-C's SIGINT and its primary's SIGTERM
  let stopping: Promise<void> | undefined;
  const stop = () => { stopping ??= (async () => { await nova?.close(); await running.close(); await auth.close(); await conn.close(); process.exit(0); })(); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise<number>(() => {});
}
