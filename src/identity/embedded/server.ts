// Starts the embedded identity: loads (or creates) its state under state_path, listens
// on its own port (5000 by default, like Keystone's public endpoint) and hands Muon's
// API a validator that checks tokens in-process.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { buildCatalog } from './catalog.ts';
import { createEmbeddedIdentity, type EmbeddedIdentity } from './identity.ts';
import { writeOpenrcFiles } from './openrc.ts';
import { fileRevocations } from './revocations.ts';
import { identityHandler } from './routes.ts';
import { KeystoneError } from './keystone-error.ts';
import { answerUnparsedRequests } from '../../http/unparsed-requests.ts';

const REASON: Record<number, string> = { 405: 'Method Not Allowed', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };
import { loadOrCreateIdentity, writeSecret } from './store.ts';
import { loadOrCreateKey } from './token-codec.ts';
import { embeddedValidator } from './validator.ts';
import type { TokenValidator } from '../validator.ts';

export interface EmbeddedIdentityConfig {
  stateDir: string;
  host: string;
  port: number;
  /** Identity URL for clients (catalog, openrc); default http://<host>:<port>/v3. */
  publicUrl?: string | null;
  /** The Networking API's URL for the catalog. */
  networkUrl: string;
  tokenLifetime?: number;
  /** The clock, in milliseconds (tests move it instead of sleeping). */
  now?: () => number;
  /** Passwords for the first start's admin/demo accounts (default: generated). */
  initialPasswords?: Record<string, string>;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

export interface RunningIdentity {
  identity: EmbeddedIdentity;
  validator: TokenValidator;
  server: Server;
  /** The v3 root clients use. */
  url: string;
  /** openrc files written or refreshed. */
  openrc: string[];
  close(): Promise<void>;
}

/** A host clients can reach: a wildcard bind address means "this machine". */
export function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return hostname();
  return host.includes(':') ? `[${host}]` : host;
}

export async function startEmbeddedIdentity(c: EmbeddedIdentityConfig): Promise<RunningIdentity> {
  const stateFile = join(c.stateDir, 'identity.json');
  const boot = await loadOrCreateIdentity(stateFile, c.initialPasswords);
  const key = loadOrCreateKey(join(c.stateDir, 'identity-token.key'));
  let publicUrl = c.publicUrl ?? '';
  const catalogUrls = () => ({ identity: publicUrl, network: c.networkUrl });
  const catalog = () => buildCatalog(boot.data, catalogUrls());
  const identity = createEmbeddedIdentity({
    data: boot.data, key, tokenLifetime: c.tokenLifetime ?? 3600, catalog, now: c.now,
    revocations: fileRevocations(join(c.stateDir, 'identity-revocations.json')),
  });
  const server = createServer({ keepAliveTimeout: 65_000 }, identityHandler({
    identity, publicUrl: () => publicUrl, catalog, catalogUrls, log: c.log,
    save: () => writeSecret(stateFile, JSON.stringify(boot.data, null, 2) + '\n'),
  }));
  answerUnparsedRequests(server, (status, message) => new KeystoneError(status, REASON[status] ?? 'Bad Request', message).toBody());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE'
      ? new Error(`the embedded identity cannot listen on ${c.host}:${c.port}: the port is in use (a Keystone already running there? then set [muon] identity = keystone; or choose [muon] identity_port)`)
      : e));
    server.listen(c.port, c.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  if (!publicUrl) publicUrl = `http://${reachableHost(c.host)}:${port}/v3`;
  publicUrl = publicUrl.replace(/\/+$/, '');
  const created = Object.entries(boot.created).map(([user, password]) => ({ user, password, project: user }));
  const openrc = writeOpenrcFiles(c.stateDir, publicUrl, created);
  return {
    identity, validator: embeddedValidator(identity), server, url: publicUrl, openrc,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
