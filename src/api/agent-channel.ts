// The agent channel over HTTP (DESIGN.md "The agent channel"), served on a unix socket whose
// file permissions (0600, root) are its authentication; it crosses network namespaces, so
// agents inside the lab's emulated hosts reach it. The calls (./agent-channel-handlers.ts):
//   POST /v1/report                       {agent_state}        → {id, outcome: new|alive|revived}
//   GET  /v1/hosts/<host>/state?since=N&wait=MS[&digest=D][&parts=a,b]  → 200 HostState (+ its
//        digest) when the feed revision is > N and the host's state (its sections `parts`, or
//        all) differs from digest D (at once, or as soon as it does), 204 when MS passed
//        without such a change. Sections equal to those D was given with are left out and
//        listed in `unchanged`; the agent keeps its own (withKeptSections).
//   POST /v1/hosts/<host>/devices         {up, down, dhcp_ready, floatingips} → {changed: [ids]}
//   POST /v1/metadata/lookup              {ip, router_id | network_id} → 200 InstanceLookup | 204
// The state is level-triggered, section by section: an answer holds whole sections, never a
// delta within one, so a revision is never "too old" (an agent without a digest gets all).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deps } from '../services/deps.ts';
import type { Logger } from '../services/log.ts';
import { NeutronError } from '../errors/neutron-error.ts';
import { parseJson, readBody } from './body.ts';
import { HTTPBadRequest, HTTPInternalServerError, HTTPMethodNotAllowed, HTTPNotFound } from '../errors/catalog.ts';
import type { RevisionWatch } from '../feed/revision-watch.ts';
import { channelHandlers, type ChannelHandlers } from './agent-channel-handlers.ts';

const MAX_BODY = 16 * 1024 * 1024;

export function createAgentChannel(deps: Deps, watch: RevisionWatch, log: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  const h = channelHandlers(deps, watch, log);
  return (req, res) => {
    route(h, req).then((r) => {
      if (r.body === undefined || r.body === null) res.writeHead(r.body === null ? 204 : r.status, { 'Content-Length': 0 }).end();
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
}

async function route(h: ChannelHandlers, req: IncomingMessage): Promise<{ status: number; body?: unknown }> {
  const url = new URL(req.url ?? '/', 'http://agent-channel');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 'v1') throw HTTPNotFound();
  const only = (method: string) => { if (req.method !== method) throw HTTPMethodNotAllowed(); };
  if (parts[1] === 'report' && parts.length === 2) {
    only('POST');
    return { status: 200, body: await h.report(await readJson(req)) };
  }
  if (parts[1] === 'metadata' && parts[2] === 'lookup' && parts.length === 3) {
    only('POST');
    return { status: 200, body: await h.lookupInstance(await readJson(req)) };
  }
  if (parts[1] === 'hosts' && parts.length === 4) {
    const host = parts[2];
    if (parts[3] === 'state') {
      only('GET');
      const parts = url.searchParams.get('parts');
      const state = await h.watch(host, intParam(url, 'since', -1), intParam(url, 'wait', 0), url.searchParams.get('digest'),
        parts === null ? undefined : parts.split(',').filter(Boolean));
      return { status: 200, body: state };
    }
    if (parts[3] === 'devices') {
      only('POST');
      return { status: 200, body: await h.devices(host, await readJson(req)) };
    }
  }
  throw HTTPNotFound();
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
