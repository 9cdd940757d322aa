// Wires config + database into a listening HTTP server. Used by `muon server`
// and by tests (which start it on port 0 against a fresh database).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MuonConfig } from '../config/types.ts';
import type { Db } from '../db/connect.ts';
import type { Deps, Policy } from '../services/deps.ts';
import { createApp, type AppOptions } from './app.ts';
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
import { silentLogger, type Logger } from './log.ts';
import { createPolicy } from '../services/policy.ts';

export interface RunningServer { server: Server; url: string; deps: Deps; close(): Promise<void> }

export function buildDeps(config: MuonConfig, conn: Db, policy: Policy = createPolicy(config)): Deps {
  return { config, conn, policy };
}

export async function startServer(opts: {
  config: MuonConfig; conn: Db; log?: Logger; host?: string; port?: number;
  /** The auth hook (src/identity/setup.ts); noauth when absent. */
  authenticate?: AppOptions['authenticate'];
}): Promise<RunningServer> {
  const deps = buildDeps(opts.config, opts.conn);
  const handler = createApp({
    deps,
    log: opts.log ?? silentLogger,
    authenticate: opts.authenticate,
    resources: [networksResource, subnetsResource, portsResource, securityGroupsResource, securityGroupRulesResource, addressGroupsResource, routersResource, floatingIpsResource, subnetpoolsResource, addressScopesResource, rbacPoliciesResource],
    custom: { 'network-ip-availabilities': ipAvailabilityRoute, floatingip_pools: floatingIpPoolsRoute, quotas: quotasRoute, availability_zones: availabilityZonesRoute, agents: agentsRoute },
  });
  const server = createServer({ keepAliveTimeout: 65_000 }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? opts.config.bindPort, opts.host ?? opts.config.bindHost, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server, deps, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
