// Agent side of the HTTP agent channel: JSON over a unix socket (src/api/agent-channel.ts).
import { Agent, request } from 'node:http';
import type { AgentChannel, AgentStateReport, DeviceReport, InstanceQuery, ReportOutcome } from '../../feed/channel.ts';
import type { HostState, HostStatePart, InstanceLookup } from '../../feed/host-state.ts';

export class ChannelError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ChannelError';
    this.status = status;
  }
}

export function httpChannel(socketPath: string): AgentChannel {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const call = (method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<{ status: number; body: unknown }> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request({
        socketPath, path, method, agent,
        headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = text; }
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            const ne = (parsed as { NeutronError?: { type: string; message: string } })?.NeutronError;
            reject(new ChannelError(status, ne ? `${ne.type}: ${ne.message}` : `HTTP ${status} from the agent channel`));
          } else resolve({ status, body: parsed });
        });
        res.on('error', reject);
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`agent channel ${method} ${path}: no answer in ${timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        reject(e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
          ? new ChannelError(0, `cannot reach the Muon server's agent channel at ${socketPath} (${e.code}): is \`muon server\` running with [muon] agent_socket = ${socketPath}?`)
          : e);
      });
      req.end(payload);
    });
  return {
    async report(state: AgentStateReport) {
      return (await call('POST', '/v1/report', { agent_state: state })).body as { id: string; outcome: ReportOutcome };
    },
    async watch(host: string, since: number, waitMs: number, digest?: string, parts?: readonly HostStatePart[]) {
      const d = digest ? `&digest=${encodeURIComponent(digest)}` : '';
      const p = parts ? `&parts=${parts.join(',')}` : '';
      const r = await call('GET', `/v1/hosts/${encodeURIComponent(host)}/state?since=${since}&wait=${waitMs}${d}${p}`, undefined, waitMs + 30_000);
      return r.status === 204 ? null : (r.body as HostState);
    },
    async devices(host: string, report: DeviceReport) {
      return ((await call('POST', `/v1/hosts/${encodeURIComponent(host)}/devices`, report)).body as { changed: string[] }).changed;
    },
    async lookupInstance(query: InstanceQuery) {
      const r = await call('POST', '/v1/metadata/lookup', query);
      return r.status === 204 ? null : (r.body as InstanceLookup);
    },
    close() {
      agent.destroy();
    },
  };
}
