// `muon agent <linuxbridge|dhcp> --config-file …`: one agent of this host, connected to the
// server through the agent channel ([muon] agent_socket).
import { parseArgs, UsageError } from './args.ts';
import { loadCliConfig } from './load-config.ts';
import { jsonLogger } from '../api/log.ts';
import { httpChannel } from '../agents/channel/http-channel.ts';
import { amqpChannel } from '../agents/channel/amqp-channel.ts';
import { selectTransport } from '../config/transport.ts';
import { AgentLoop } from '../agents/loop.ts';
import { linuxbridgeAgent } from '../agents/linuxbridge/agent.ts';
import { dhcpAgent } from '../agents/dhcp/agent.ts';

export async function agentCommand(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind !== 'linuxbridge' && kind !== 'dhcp') {
    throw new UsageError(`usage: muon agent <linuxbridge|dhcp> --config-file FILE …${kind ? ` (unknown agent '${kind}'; L3 and metadata agents are not available yet)` : ''}`);
  }
  const args = parseArgs(rest, { value: [], bool: ['quiet'] });
  const config = loadCliConfig(args.configFiles, 'agent');
  const log = jsonLogger(undefined, args.flags.has('quiet'));
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    process.stderr.write(`error: muon agent ${kind} changes links, bridges, nftables and namespaces: run it as root\n`);
    return 1;
  }
  // RabbitMQ when transport_url or [oslo_messaging_rabbit] hosts say so, else the unix socket
  const transport = selectTransport(config);
  const channel = transport.kind === 'rabbit' ? amqpChannel(transport, log) : httpChannel(transport.socket);
  const lb = kind === 'linuxbridge' ? linuxbridgeAgent(config) : undefined;
  const def = lb ?? dhcpAgent(config);
  const loop = new AgentLoop(channel, def, { reportIntervalMs: config.reportInterval * 1000, log });
  log.info('starting', { agent: kind, host: config.host, agent_socket: config.agentSocket });
  const monitor = lb ? await lb.watch(() => loop.kick(), log) : undefined;
  await loop.start();
  const stop = async () => {
    loop.stop();
    await monitor?.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise<number>(() => {});
}
