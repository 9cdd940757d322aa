// `muon server`: the Networking API on [DEFAULT] bind_host:bind_port.
import { connect } from '../db/connect.ts';
import { pendingMigrations, upgrade } from '../db/migrate.ts';
import { startServer } from '../api/server.ts';
import { jsonLogger } from '../services/log.ts';
import { parseArgs } from './args.ts';
import { loadCliConfig } from './load-config.ts';
import { setupAuth, type AuthSetup } from '../identity/setup.ts';
import { describeBrokers, selectTransport } from '../config/transport.ts';
import { startNovaNotifier } from '../services/nova-notifier.ts';

export async function serverCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { value: ['bind-host', 'bind-port'], bool: ['quiet'] });
  const config = loadCliConfig(args.configFiles);
  if (args.flags.has('bind-host')) config.bindHost = String(args.flags.get('bind-host'));
  if (args.flags.has('bind-port')) config.bindPort = Number(args.flags.get('bind-port'));
  const log = jsonLogger(undefined, args.flags.has('quiet'));
  // agents reach the server on the unix socket, and through RabbitMQ too when configured
  const transport = selectTransport(config);
  const conn = connect(config.databaseConnection);
  const pending = await pendingMigrations(conn);
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
  let auth: AuthSetup;
  try {
    auth = await setupAuth(config, log);
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    await conn.close();
    return 1;
  }
  const running = await startServer({ config, conn, log, authenticate: auth.authenticate, login: auth.login, agentSocket: config.agentSocket, amqp: transport.kind === 'rabbit' ? transport : undefined });
  log.info('listening', { url: running.url, agent_socket: config.agentSocket, ...(transport.kind === 'rabbit' ? { rabbitmq: describeBrokers(transport) } : {}), database: conn.kind, ...auth.summary });
  // Nova's events (vif-plugged …), or one line saying why Nova is not notified
  const nova = startNovaNotifier(config, log);
  if (nova) running.deps.nova = nova;
  const stop = async () => { await nova?.close(); await running.close(); await auth.close(); await conn.close(); process.exit(0); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise<number>(() => {});
}
