// `muon agent <linuxbridge|dhcp> --config-file …`: one agent of this host, connected to the
// server through the agent channel ([muon] agent_socket).
import { parseArgs, UsageError } from './args.ts';
import { loadCliConfig } from './load-config.ts';
import { jsonLogger } from '../api/log.ts';
import { httpChannel } from '../agents/channel/http-channel.ts';
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
  if (config.values.DEFAULT.transport_url) {
    log.warn(`[DEFAULT] transport_url is set, but Muon agents talk to the server over the HTTP agent channel at ${config.agentSocket} ([muon] agent_socket); RabbitMQ is not used`);
  }
  const channel = httpChannel(config.agentSocket);
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
