// Wires config + database into a listening HTTP server. Used by `muon server`
// and by tests (which start it on port 0 against a fresh database).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MuonConfig } from '../config/types.ts';
import type { Db } from '../db/connect.ts';
import type { Deps, Policy } from '../services/deps.ts';
import { createApp, type AppOptions, type SubRoute } from './app.ts';
import { answerUnparsedRequests } from '../http/unparsed-requests.ts';
import { HTTPBadRequest, HTTPMethodNotAllowed, HTTPRequestHeaderFieldsTooLarge, HTTPRequestTimeout } from '../errors/catalog.ts';
import type { NeutronError } from '../errors/neutron-error.ts';
import type { ResourceDef } from './resource.ts';
import { networksResource } from './resources/networks.ts';
import { subnetsResource } from './resources/subnets.ts';
import { portsResource } from './resources/ports.ts';
import { securityGroupsResource } from './resources/security-groups.ts';
import { securityGroupRulesResource } from './resources/security-group-rules.ts';
import { addressGroupsResource } from './resources/address-groups.ts';
import { ipAvailabilityRoute } from './resources/network-ip-availabilities.ts';
import { routersResource } from './resources/routers.ts';
import { floatingIpsResource } from './resources/floatingips.ts';
import { floatingIpPoolsRoute } from './resources/floatingip-pools.ts';
import { agentsRoute } from './resources/agents.ts';
import { subnetpoolsResource } from './resources/subnetpools.ts';
import { addressScopesResource } from './resources/address-scopes.ts';
import { rbacPoliciesResource } from './resources/rbac-policies.ts';
import { quotasRoute } from './resources/quotas.ts';
import { availabilityZonesRoute } from './resources/availability-zones.ts';
import { muonRoute } from './resources/doctor.ts';
import { withPage } from './page.ts';
import type { Login } from '../identity/password-login.ts';
import { silentLogger, type Logger } from '../services/log.ts';
import { createPolicy } from '../services/policy.ts';
import { RevisionWatch } from '../feed/revision-watch.ts';
import { pruneChanges } from '../feed/revision.ts';
import { failoverDhcp } from '../services/dhcp-scheduling.ts';
import { failoverL3 } from '../services/l3-scheduling.ts';
import { createAgentChannel } from './agent-channel.ts';
import { channelHandlers } from './agent-channel-handlers.ts';
import { startAmqpAgentChannel } from './agent-channel-amqp.ts';
import type { AmqpLink } from '../transport/amqp-link.ts';
import type { RabbitTransport } from '../config/transport.ts';
import type { RevisionPeer } from '../transport/revision-peer.ts';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CreateMemory } from '../services/create-memory.ts';

export interface RunningServer {
  server: Server; url: string; deps: Deps; watch: RevisionWatch; agentSocket?: string;
  /** the RabbitMQ agent channel's link: it connects in the background, so HTTP serves while the broker is down */
  agentLink?: AmqpLink;
  close(): Promise<void>;
}

/** The generic resources the API serves (the fuzz test reads their attribute maps too). */
export const apiResources: ResourceDef<any>[] = [
  networksResource, subnetsResource, portsResource, securityGroupsResource, securityGroupRulesResource, addressGroupsResource,
  routersResource, floatingIpsResource, subnetpoolsResource, addressScopesResource, rbacPoliciesResource,
];
/** Collections with handlers of their own. */
export const apiCustomRoutes: Record<string, SubRoute> = {
  'network-ip-availabilities': ipAvailabilityRoute, floatingip_pools: floatingIpPoolsRoute, quotas: quotasRoute,
  availability_zones: availabilityZonesRoute, agents: agentsRoute, muon: muonRoute,
};

export function buildDeps(config: MuonConfig, conn: Db, policy: Policy = createPolicy(config), log?: Logger): Deps {
  return { config, conn, policy, log, memory: new CreateMemory() };
}

export async function startServer(opts: {
  config: MuonConfig; conn: Db; log?: Logger; host?: string; port?: number;
  /** The auth hook (src/identity/setup.ts); noauth when absent. */
  authenticate?: AppOptions['authenticate'];
  /** Sign-in for the topology page (/muon/); the page needs none under noauth. */
  login?: Login;
  /** Serve the agent channel on this unix socket (src/api/agent-channel.ts). */
  agentSocket?: string;
  /** Also serve the agent channel through RabbitMQ (src/api/agent-channel-amqp.ts). */
  amqp?: RabbitTransport;
  /** Largest request body accepted (413 beyond); 10 MiB by default. */
  maxBodyBytes?: number;
  /** Other processes serving agents from this database, told of each write here and waking
   *  this one's agents after theirs (src/transport/revision-peer.ts). */
  peers?: RevisionPeer[];
  /** How often waiting agents' watches check the database for writes no peer announced (ms). */
  revisionPollMs?: number;
  /** The agent socket file belongs to a supervising process (api_workers): listen on it, never replace it. */
  sharedAgentSocket?: boolean;
}): Promise<RunningServer> {
  const deps = buildDeps(opts.config, opts.conn, undefined, opts.log);
  const peers = opts.peers ?? [];
  const watch = new RevisionWatch(opts.conn.db, {
    fallbackMs: opts.revisionPollMs, announce: peers.length ? () => { for (const p of peers) p.publish(); } : undefined,
    interest: peers.length ? (listening) => { for (const p of peers) p.interest?.(listening); } : undefined,
  });
  for (const p of peers) p.listen(() => watch.wake());
  const handler = createApp({
    onWrite: () => watch.poke(),
    deps,
    log: opts.log ?? silentLogger,
    authenticate: opts.authenticate,
    resources: apiResources,
    custom: apiCustomRoutes,
    maxBodyBytes: opts.maxBodyBytes,
  });
  const server = createServer({ keepAliveTimeout: 65_000 }, withPage(handler, { login: opts.login, log: opts.log ?? silentLogger }));
  answerUnparsedRequests(server, (status, message) => apiError(status, message).toBody());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? opts.config.bindPort, opts.host ?? opts.config.bindHost, () => resolve());
  });
  // allow_automatic_dhcp_failover: look for dead DHCP agents every agent_down_time / 2
  const failover = opts.config.values.DEFAULT.allow_automatic_dhcp_failover === false ? undefined : setInterval(() => {
    failoverDhcp(deps).then((moves) => { if (moves.length) watch.poke(); }, (e: unknown) => opts.log?.error('DHCP failover failed', { error: (e as Error).message }));
  }, Math.max(1000, (opts.config.agentDownTime * 1000) / 2));
  failover?.unref();
  // dead L3 agents: their routers move (allow_automatic_l3agent_failover) or say ERROR
  const l3Failover = setInterval(() => {
    failoverL3(deps).then(() => watch.poke(), (e: unknown) => opts.log?.error('L3 failover check failed', { error: (e as Error).message }));
  }, Math.max(1000, (opts.config.agentDownTime * 1000) / 2));
  l3Failover.unref();
  // the outbox only needs its newest rows (src/feed/revision.ts)
  const prune = setInterval(() => {
    pruneChanges(opts.conn.db).catch((e: unknown) => opts.log?.error('pruning the changes outbox failed', { error: (e as Error).message }));
  }, 10 * 60_000);
  prune.unref();
  const channel = opts.agentSocket ? await listenUnix(opts.agentSocket, createAgentChannel(deps, watch, opts.log ?? silentLogger), opts.sharedAgentSocket) : undefined;
  const amqp = opts.amqp ? startAmqpAgentChannel(opts.amqp, channelHandlers(deps, watch, opts.log ?? silentLogger), opts.log ?? silentLogger) : undefined;
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server, deps, watch, agentSocket: opts.agentSocket, agentLink: amqp?.link, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`,
    close: async () => {
      if (failover) clearInterval(failover);
      clearInterval(l3Failover);
      clearInterval(prune);
      watch.close();
      await amqp?.close();
      await Promise.all(peers.map((p) => p.close()));
      await Promise.all([server, channel].filter((s): s is Server => !!s).map((s) => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); })));
      if (opts.agentSocket && !opts.sharedAgentSocket) await rm(opts.agentSocket, { force: true });
    },
  };
}

/** An HTTP server on a unix socket only root can use (a stale socket file is replaced, unless
 *  `shared`: then a cluster primary listens on it for all its workers, src/cli/server-workers.ts). */
async function listenUnix(path: string, handler: Parameters<typeof createServer>[1], shared = false): Promise<Server> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  if (!shared) await rm(path, { force: true });
  const s = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, handler);
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(path, () => resolve());
    });
  } finally {
    process.umask(old);
  }
  await chmod(path, 0o600);
  return s;
}

/** The NeutronError for an answer written outside the app (see answerUnparsedRequests). */
function apiError(status: number, message: string): NeutronError {
  if (status === 405) return HTTPMethodNotAllowed();
  if (status === 400) return HTTPBadRequest(message);
  if (status === 431) return HTTPRequestHeaderFieldsTooLarge(message);
  if (status === 408) return HTTPRequestTimeout(message);
  return HTTPBadRequest(message);
}
