// `muon agent <linuxbridge|dhcp|l3|metadata> --config-file …`: one agent of this host,
// connected to the server through the agent channel ([muon] agent_socket).
import { parseArgs, UsageError } from './args.ts';
import { loadCliConfig } from './load-config.ts';
import { jsonLogger } from '../services/log.ts';
import { httpChannel } from '../agents/channel/http-channel.ts';
import { amqpChannel } from '../agents/channel/amqp-channel.ts';
import { describeBrokers, selectTransport } from '../config/transport.ts';
import { AgentLoop, type AgentDefinition } from '../agents/loop.ts';
import { linuxbridgeAgent } from '../agents/linuxbridge/agent.ts';
import { dhcpAgent } from '../agents/dhcp/agent.ts';
import { l3Agent } from '../agents/l3/agent.ts';
import { metadataAgent } from '../agents/metadata/agent.ts';
import { routerMetadataHooks } from '../agents/metadata/proxy.ts';
import { hostCheckRunner, RECHECK_MS } from '../agents/host-check-runner.ts';

const KINDS = ['linuxbridge', 'dhcp', 'l3', 'metadata'] as const;
type Kind = typeof KINDS[number];

const WHY_ROOT: Record<Kind, string> = {
  linuxbridge: 'changes links, bridges and nftables',
  dhcp: 'runs dnsmasq in network namespaces',
  l3: 'builds router namespaces with addresses, routes and NAT',
  metadata: 'serves the metadata proxies\' unix socket, which only root may open',
};

export async function agentCommand(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv;
  if (!KINDS.includes(kind as Kind)) {
    throw new UsageError(`usage: muon agent <${KINDS.join('|')}> --config-file FILE …${kind ? ` (unknown agent '${kind}')` : ''}`);
  }
  const k = kind as Kind;
  const args = parseArgs(rest, { value: [], bool: ['quiet'] });
  // only the Linux bridge agent realises VXLAN: the others must not warn about [vxlan] local_ip
  const config = loadCliConfig(args.configFiles, k === 'linuxbridge' ? 'agent' : 'sections');
  const log = jsonLogger(undefined, args.flags.has('quiet'));
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    process.stderr.write(`error: muon agent ${k} ${WHY_ROOT[k]}: run it as root\n`);
    return 1;
  }
  // RabbitMQ when transport_url or [oslo_messaging_rabbit] hosts say so, else the unix socket
  const transport = selectTransport(config);
  const channel = transport.kind === 'rabbit' ? amqpChannel(transport, log) : httpChannel(transport.socket);
  const lb = k === 'linuxbridge' ? linuxbridgeAgent(config) : undefined;
  const md = k === 'metadata' ? metadataAgent(config, channel, log) : undefined;
  const l3 = k === 'l3' ? l3Agent(config, { metadata: routerMetadataHooks(config) }) : undefined;
  // the agent checks its own host before it registers, so its first report carries the verdict
  const hostCheck = hostCheckRunner({ kind: k, config, log, onChange: () => loop.reportNow() });
  await hostCheck.refresh();
  hostCheck.every(RECHECK_MS);
  const def: AgentDefinition = hostCheck.wrap(lb ?? md ?? l3 ?? dhcpAgent(config));
  const loop = new AgentLoop(channel, def, { reportIntervalMs: config.reportInterval * 1000, log });
  // a router that failed is reported, not thrown: the L3 agent asks for its own retries
  l3?.retryWith(() => loop.kick());
  log.info('starting', { agent: k, host: config.host, ...(transport.kind === 'rabbit' ? { rabbitmq: describeBrokers(transport) } : { agent_socket: transport.socket }) });
  const monitor = lb ? await lb.watch(() => loop.kick(), log, () => void hostCheck.refresh()) : undefined;
  await md?.listen();
  await loop.start();
  const stop = async () => {
    loop.stop();
    hostCheck.stop();
    await monitor?.stop();
    await md?.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise<number>(() => {});
}
