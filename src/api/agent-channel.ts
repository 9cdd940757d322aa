// The agent channel over HTTP (DESIGN.md "The agent channel"), served on a unix socket whose
// file permissions (0600, root) are its authentication; it crosses network namespaces, so
// agents inside the lab's emulated hosts reach it. Three calls:
//   POST /v1/report                       {agent_state}        → {id, outcome: new|alive|revived}
//   GET  /v1/hosts/<host>/state?since=N&wait=MS[&digest=D]    → 200 HostState (+ its digest) when
//        the feed revision is > N and the host's state differs from digest D (at once, or as
//        soon as it does), 204 when MS passed without such a change
//   POST /v1/hosts/<host>/devices         {up, down, dhcp_ready} → {changed: [port ids]}
// A snapshot is the whole desired state of the host (level-triggered: an agent never needs
// a delta, so a revision is never "too old").
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deps } from '../services/deps.ts';
import type { Logger } from './log.ts';
import { NeutronError } from '../errors/neutron-error.ts';
import { parseJson, readBody } from './body.ts';
import { HTTPBadRequest, HTTPInternalServerError, HTTPMethodNotAllowed, HTTPNotFound } from '../errors/catalog.ts';
import { reportState, type AgentStateReport } from '../services/agents.ts';
import { reportDevices, type DeviceReport } from '../services/port-binding.ts';
import { buildHostState } from '../feed/snapshot.ts';
import type { RevisionWatch } from '../feed/revision-watch.ts';
import type { HostState } from '../feed/host-state.ts';
import { createHash } from 'node:crypto';

const MAX_WAIT_MS = 55_000;
const MAX_BODY = 16 * 1024 * 1024;

export function createAgentChannel(deps: Deps, watch: RevisionWatch, log: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(req).then((r) => {
      if (r.body === undefined) res.writeHead(r.status, { 'Content-Length': 0 }).end();
      else {
        const payload = JSON.stringify(r.body);
        res.writeHead(r.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }).end(payload);
      }
    }, (e: unknown) => {
      const err = e instanceof NeutronError ? e : HTTPInternalServerError();
      if (!(e instanceof NeutronError)) log.error('agent channel error', { path: req.url, error: (e as Error)?.stack ?? String(e) });
      const payload = JSON.stringify(err.toBody());
      res.writeHead(err.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }).end(payload);
    });
  };

  async function handle(req: IncomingMessage): Promise<{ status: number; body?: unknown }> {
    const url = new URL(req.url ?? '/', 'http://agent-channel');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'v1') throw HTTPNotFound();
    if (parts[1] === 'report' && parts.length === 2) {
      if (req.method !== 'POST') throw HTTPMethodNotAllowed();
      const body = await readJson(req) as { agent_state?: AgentStateReport };
      if (!body || typeof body !== 'object' || !body.agent_state) throw HTTPBadRequest('body must be {"agent_state": {...}}');
      const r = await reportState(deps, body.agent_state);
      if (r.outcome !== 'alive') {
        log.info(`agent ${r.outcome}`, { agent_type: body.agent_state.agent_type, host: body.agent_state.host, id: r.id });
        watch.poke();
      }
      return { status: 200, body: r };
    }
    if (parts[1] === 'hosts' && parts.length === 4) {
      const host = parts[2];
      if (parts[3] === 'state') {
        if (req.method !== 'GET') throw HTTPMethodNotAllowed();
        let since = intParam(url, 'since', -1);
        const wait = Math.min(intParam(url, 'wait', 0), MAX_WAIT_MS);
        const have = url.searchParams.get('digest');
        const until = Date.now() + wait;
        // Most changes concern other hosts: a snapshot equal to the one the agent has (same
        // digest) is not sent; the wait goes on until this host's state really differs.
        for (;;) {
          const rev = await watch.wait(since, Math.max(0, until - Date.now()));
          if (rev <= since) return { status: 204 };
          const state = await buildHostState(deps.conn.db, host, { dnsDomain: deps.config.dnsDomain });
          const digest = stateDigest(state);
          if (digest !== have) return { status: 200, body: { ...state, digest } };
          since = rev;
          if (Date.now() >= until) return { status: 204 };
        }
      }
      if (parts[3] === 'devices') {
        if (req.method !== 'POST') throw HTTPMethodNotAllowed();
        const body = await readJson(req) as DeviceReport;
        for (const k of ['up', 'down', 'dhcp_ready'] as const) {
          const v = body?.[k];
          if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) throw HTTPBadRequest(`${k} must be a list of port ids`);
        }
        const changed = await reportDevices(deps, host, body ?? {});
        if (changed.length) watch.poke();
        return { status: 200, body: { changed } };
      }
    }
    throw HTTPNotFound();
  }
}

/** What the snapshot says, without its revision: equal digests, nothing to do. */
export function stateDigest(state: HostState): string {
  return createHash('sha256').update(JSON.stringify({ ...state, revision: 0 })).digest('hex').slice(0, 32);
}

function intParam(url: URL, name: string, dflt: number): number {
  const v = url.searchParams.get(name);
  if (v === null) return dflt;
  if (!/^-?\d+$/.test(v)) throw HTTPBadRequest(`${name} must be an integer`);
  return Number(v);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  return parseJson(await readBody(req, MAX_BODY)) ?? {};
}
