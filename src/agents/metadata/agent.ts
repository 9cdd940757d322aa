// `muon agent metadata`: Neutron's metadata agent. It realises nothing from the feed; it
// registers and heartbeats like every agent, and serves HTTP on the unix socket
// metadata_proxy_socket for the metadata proxies (haproxy in qrouter-/qdhcp- namespaces),
// forwarding each VM's request to Nova's metadata API with the signed instance id.
import { createServer, request, type Server } from 'node:http';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MuonConfig } from '../../config/types.ts';
import type { AgentChannel } from '../../feed/channel.ts';
import { AGENT_IDENTITIES } from '../../domain/agent-types.ts';
import type { AgentDefinition, AgentLog } from '../loop.ts';
import { handleMetadataRequest } from './handler.ts';
import { InstanceCache } from './instance-cache.ts';
import { metadataOptions, type MetadataOptions } from './options.ts';
import { proxyRunAs, restrictSocket } from './socket-access.ts';

export interface MetadataAgent extends AgentDefinition {
  /** start serving on metadata_proxy_socket */
  listen(): Promise<void>;
  close(): Promise<void>;
}

/** Is something answering on the socket? (a second agent must not steal a live one's socket) */
function inUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: path, path: '/', method: 'HEAD', timeout: 1000 }, (res) => { res.resume(); resolve(true); });
    req.on('timeout', () => { req.destroy(); resolve(true); });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** The first directory above the socket that the proxy account cannot pass through (it connects as haproxy). */
async function unreachableDir(path: string, gid: number): Promise<string | undefined> {
  for (let p = dirname(path); ; p = dirname(p)) {
    const st = await stat(p).catch(() => undefined);
    if (st && (st.mode & 0o001) === 0 && !(st.gid === gid && (st.mode & 0o010) !== 0)) return p;
    if (p === dirname(p)) return undefined;
  }
}

export function metadataAgent(config: MuonConfig, channel: AgentChannel, log: AgentLog, opts: { options?: MetadataOptions } = {}): MetadataAgent {
  const o = opts.options ?? metadataOptions(config);
  const cache = new InstanceCache((q) => channel.lookupInstance(q));
  let server: Server | undefined;
  return {
    host: config.host,
    identity: { ...AGENT_IDENTITIES.metadata },
    parts: [], // it serves lookups; no host state to realise
    configurations: () => ({
      metadata_proxy_socket: o.socketPath,
      nova_metadata_host: o.novaHost,
      nova_metadata_port: o.novaPort,
      log_agent_heartbeats: false,
    }),
    // nothing in the feed is for this agent: the proxies are the L3 and DHCP agents' job
    reconcile: async () => ({}),

    async listen(): Promise<void> {
      if (server) return;
      if (await inUse(o.socketPath)) {
        throw new Error(`${o.socketPath} is in use: another metadata agent serves it; stop it, or set metadata_proxy_socket in metadata_agent.ini to another path`);
      }
      await mkdir(dirname(o.socketPath), { recursive: true, mode: 0o755 });
      await rm(o.socketPath, { force: true }); // a stale socket left by a crash
      const s = createServer((req, res) => {
        handleMetadataRequest({ options: o, lookup: (q) => cache.get(q), log }, req, res).catch((e: unknown) => {
          log.error('metadata request failed', { error: (e as Error).message });
          if (!res.headersSent) { res.statusCode = 500; res.end(); } else res.destroy();
        });
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`cannot listen on metadata_proxy_socket ${o.socketPath}: ${e.message}${e.code === 'ENOENT' || e.code === 'EACCES' ? ' (does its directory exist and is it writable? set metadata_proxy_socket or state_path)' : ''}`)));
        s.listen({ path: o.socketPath, backlog: o.backlog }, () => resolve());
      });
      server = s;
      const runAs = await proxyRunAs();
      const mode = await restrictSocket(o.socketPath, runAs);
      const blocked = runAs ? await unreachableDir(o.socketPath, runAs.gid) : undefined;
      if (blocked) log.warn(`${blocked} is not searchable by the ${runAs!.user} account: the metadata proxies cannot reach ${o.socketPath} and VMs will get 503s; chmod o+x ${blocked}`);
      log.info('metadata agent listening', { socket: o.socketPath, mode: mode.toString(8), proxy_user: runAs?.user ?? 'same as the agents', nova: `${o.novaProtocol}://${o.novaHost}:${o.novaPort}` });
    },

    async close(): Promise<void> {
      const s = server;
      server = undefined;
      if (!s) return;
      await new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); });
      await rm(o.socketPath, { force: true });
    },
  };
}
