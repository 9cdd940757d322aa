// Test support: a stand-in for Nova's metadata API (nova-api cannot run here) on a real
// HTTP port — it checks X-Instance-ID-Signature as Nova does (403 on mismatch) and echoes
// the instance id — and an in-process AgentChannel that answers lookupInstance from a
// table. Not a test file itself.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentChannel, InstanceQuery } from '../../feed/channel.ts';
import type { InstanceLookup } from '../../feed/host-state.ts';
import type { AgentLog } from '../loop.ts';

export interface NovaDouble {
  port: number;
  /** the requests it received (method, url, headers, body) */
  seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  /** answer every request with this status instead (e.g. 500) */
  failWith?: number;
  close(): Promise<void>;
}

/** Listen on host:0 (or `port`); `secret` is nova.conf's [neutron] metadata_proxy_shared_secret. */
export async function startNovaDouble(secret: string, host = '127.0.0.1', port = 0): Promise<NovaDouble> {
  const nova: NovaDouble = { port: 0, seen: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      nova.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (nova.failWith) { res.writeHead(nova.failWith); res.end('failing on purpose'); return; }
      const id = String(req.headers['x-instance-id'] ?? '');
      const expected = createHmac('sha256', secret).update(id).digest('hex');
      if (req.headers['x-instance-id-signature'] !== expected) {
        res.writeHead(403, { 'Content-Type': 'text/plain' });
        res.end('Invalid proxy request signature.');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(id);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  nova.port = (server.address() as AddressInfo).port;
  nova.close = () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
  return nova;
}

export interface FakeChannel extends AgentChannel {
  queries: InstanceQuery[];
}

/** An AgentChannel whose lookupInstance answers from `ports` keyed `router:<id>:<ip>` / `network:<id>:<ip>`. */
export function fakeChannel(ports: Record<string, InstanceLookup>): FakeChannel {
  const queries: InstanceQuery[] = [];
  return {
    queries,
    report: async () => ({ id: 'agent-1', outcome: 'new' }),
    watch: async () => null,
    devices: async () => [],
    lookupInstance: async (q) => {
      queries.push(q);
      return ports[q.router_id ? `router:${q.router_id}:${q.ip}` : `network:${q.network_id}:${q.ip}`] ?? null;
    },
    close: () => {},
  };
}

export interface MemoryLog extends AgentLog {
  lines: { level: string; msg: string }[];
}

export function memoryLog(): MemoryLog {
  const lines: { level: string; msg: string }[] = [];
  return {
    lines,
    info: (msg) => { lines.push({ level: 'info', msg }); },
    warn: (msg) => { lines.push({ level: 'warn', msg }); },
    error: (msg) => { lines.push({ level: 'error', msg }); },
  };
}
