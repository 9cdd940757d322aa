// The HTTP edge: routing, request ids, auth context, body/response JSON and the
// NeutronError rendering. Everything below it is called with plain values.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Deps } from '../services/deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import { NeutronError } from '../errors/neutron-error.ts';
import { HttpReplyError } from '../errors/http-reply.ts';
import {
  ExtensionNotFound, HTTPBadRequest, HTTPInternalServerError, HTTPMethodNotAllowed, HTTPNotAcceptable, HTTPNotFound,
} from '../errors/catalog.ts';
import { extractItems, extractUpdate, parseJson, prepareCreate, prepareUpdate, readBody } from './body.ts';
import { parseListQuery, paginationLinks } from './list-query.ts';
import type { ListQuery } from '../db/list-query.ts';
import { createViewCache, type ViewCache } from './view-cache.ts';
import { parseIfMatch } from './if-match.ts';
import { shaper, type ResourceDef } from './resource.ts';
import { extensions, renderExtension } from './extensions.ts';
import { noauthContext } from './auth-noauth.ts';
import type { Logger } from '../services/log.ts';
import { handleTags } from './tags.ts';
import { toJson } from './json-reply.ts';
import { forEachSliced, inSlices, yieldToEventLoop } from '../services/event-loop.ts';
import { own } from '../domain/own.ts';
import { pathSegments, requestUrl } from '../http/request-target.ts';

export interface SubRoute {
  /** e.g. ['network-ip-availabilities'] handled wholesale by a custom handler. */
  handle(deps: Deps, ctx: RequestContext, method: string, parts: string[], url: URL, body: () => Promise<unknown>): Promise<{ status: number; body?: unknown }>;
}

export interface AppOptions {
  deps: Deps;
  log: Logger;
  resources: ResourceDef<any>[];
  custom?: Record<string, SubRoute>;
  /** Resolves the request context (auth); throws NeutronError 401/503. */
  authenticate?: (req: IncomingMessage, requestId: string) => Promise<RequestContext>;
  maxBodyBytes?: number;
  /** Called after every successful write request (the agent feed looks at the outbox again). */
  onWrite?: () => void;
}

/** `parts`: a large JSON body as consecutive pieces, written a piece per event-loop turn. */
type Result = { status: number; body?: unknown; parts?: Buffer[]; headers?: Record<string, string> };

export function createApp(opts: AppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  // Neutron (pecan) finds a collection's controller with '_' and '-' taken as the same
  // character: /v2.0/floatingip-pools and /v2.0/floatingip_pools are one collection.
  const byPlural = new Map(opts.resources.map((r) => [sameDashes(r.path ?? r.plural), r]));
  const customs = new Map(Object.entries(opts.custom ?? {}).map(([k, v]) => [sameDashes(k), v]));
  const viewCaches = new Map<string, ViewCache>();
  const viewCacheFor = (plural: string) => viewCaches.get(plural) ?? viewCaches.set(plural, createViewCache()).get(plural)!;
  const maxBody = opts.maxBodyBytes ?? 10 * 1024 * 1024;
  const authenticate = opts.authenticate ?? (async (req: IncomingMessage, id: string) => noauthContext(req.headers, id));
  const { deps, log } = opts;

  return (req, res) => {
    const started = performance.now();
    const requestId = `req-${randomUUID()}`;
    let bodyPromise: Promise<unknown> | null = null;
    const body = () => (bodyPromise ??= readBody(req, maxBody).then(parseJson));
    route(req, requestId, body)
      .catch((e: unknown) => {
        if (e instanceof NeutronError) return { status: e.status, body: e.toBody(), headers: e.headers } as Result;
        if (e instanceof HttpReplyError) return { status: e.status, body: e.body, headers: e.headers } as Result;
        log.error('unexpected error', { request_id: requestId, error: (e as Error)?.stack ?? String(e) });
        const err = HTTPInternalServerError();
        return { status: err.status, body: err.toBody() } as Result;
      })
      .then((r) => {
        const headers: Record<string, string | number> = { 'X-Openstack-Request-Id': requestId, ...r.headers };
        if (r.parts) {
          headers['Content-Type'] ??= 'application/json';
          headers['Content-Length'] = r.parts.reduce((n, p) => n + p.byteLength, 0);
          res.writeHead(r.status, headers);
          void writeParts(res, r.parts);
        } else if (r.body === undefined) {
          headers['Content-Length'] = 0;
          res.writeHead(r.status, headers).end();
        } else if (r.body instanceof Uint8Array) { // JSON already encoded (cached lists)
          headers['Content-Type'] ??= 'application/json';
          headers['Content-Length'] = r.body.byteLength;
          res.writeHead(r.status, headers).end(r.body);
        } else {
          const text = typeof r.body === 'string';
          const payload = text ? (r.body as string) : toJson(r.body);
          headers['Content-Type'] ??= text ? 'text/plain' : 'application/json';
          headers['Content-Length'] = Buffer.byteLength(payload);
          res.writeHead(r.status, headers).end(payload);
        }
        if (r.status < 400 && req.method !== 'GET' && req.method !== 'HEAD') opts.onWrite?.();
        log.info('request', { request_id: requestId, method: req.method, path: req.url, status: r.status, ms: Math.round((performance.now() - started) * 10) / 10 });
        // Drain an unread body so keep-alive connections stay usable.
        if (!req.readableEnded) req.resume();
      });
  };

  async function route(req: IncomingMessage, requestId: string, body: () => Promise<unknown>): Promise<Result> {
    const method = req.method ?? 'GET';
    const url = requestUrl(req.url);
    let path = url.pathname.replace(/\/+$/, '');
    if (path.endsWith('.json')) path = path.slice(0, -5);
    const parts = pathSegments(path);

    if (parts.length === 0) return versions(req);
    if (parts[0] === 'healthcheck') return { status: 200, body: await health() };
    if (parts[0] !== 'v2.0') return { status: 404, body: { code: 404, title: 'Not Found', description: null } };
    // U+0000 is in no name or id (and PostgreSQL cannot even compare text holding it).
    if (parts.some((p) => p.includes('\0'))) throw HTTPNotFound();
    for (const [k, v] of url.searchParams) {
      if (k.includes('\0') || v.includes('\0')) throw HTTPBadRequest('Query parameters may not contain NUL (%00) characters');
    }
    const accept = req.headers.accept;
    if (accept && !/json|\*\/\*/.test(accept)) throw HTTPNotAcceptable();
    if (parts.length === 1) return { status: 200, body: { resources: opts.resources.map((r) => r.path ?? r.plural).map((p) => ({ name: p.replace(/s$/, ''), collection: p, links: [{ href: `${baseUrl(req)}/v2.0/${p}`, rel: 'self' }] })) } };

    const ctx = await authenticate(req, requestId);
    const [, collection, id, sub, subId] = parts;

    if (collection === 'extensions') {
      if (method !== 'GET') throw HTTPMethodNotAllowed();
      if (id === undefined) return { status: 200, body: { extensions: extensions.map(renderExtension) } };
      const ext = extensions.find((e) => e.alias === id);
      if (!ext || sub !== undefined) throw ExtensionNotFound(id);
      return { status: 200, body: { extension: renderExtension(ext) } };
    }
    const custom = customs.get(sameDashes(collection));
    if (custom) return custom.handle(deps, ctx, method, parts.slice(1), url, body);

    const def = byPlural.get(sameDashes(collection));
    if (!def) throw HTTPNotFound();
    if (sub === 'tags' && def.taggable && id !== undefined && parts.length <= 5) {
      return handleTags(deps, ctx, def, method, id, subId, body);
    }
    if (sub !== undefined && id !== undefined) {
      const action = own(def.actions, sub);
      if (action && subId === undefined) {
        if (method !== 'PUT') throw HTTPMethodNotAllowed();
        return { status: 200, body: await action(deps, ctx, id, await body()) };
      }
      const child = own(def.subResources, sub);
      if (child && parts.length <= 5) return child.handle(deps, ctx, { method, parentId: id, subId, url, body });
    }
    if (sub !== undefined) throw HTTPNotFound();

    if (id === undefined) {
      if (method === 'GET') return list(def, ctx, req, url);
      if (method === 'POST') return create(def, ctx, await body());
      if (method === 'PUT' || method === 'DELETE') throw def.notFound('None');
      throw HTTPMethodNotAllowed();
    }
    switch (method) {
      case 'GET': {
        const r = await def.get(deps, ctx, id);
        const shape = shaper(deps.policy.hiddenAttributes(ctx, def.singular), fieldsOf(url));
        return { status: 200, body: { [def.singular]: shape(def.render(r)) } };
      }
      case 'PUT': {
        if (!def.update) throw HTTPMethodNotAllowed(); // e.g. security group rules: no update
        const changes = prepareUpdate(extractUpdate(await body(), def.singular), def.attributes, ctx);
        const r = await def.update(deps, ctx, id, changes, parseIfMatch(req.headers['if-match'] as string | undefined));
        const shape = shaper(deps.policy.hiddenAttributes(ctx, def.singular), null);
        return { status: 200, body: { [def.singular]: shape(def.render(r)) } };
      }
      case 'DELETE':
        await def.delete(deps, ctx, id, parseIfMatch(req.headers['if-match'] as string | undefined));
        return { status: 204 };
      default:
        throw HTTPMethodNotAllowed();
    }
  }

  async function list(def: ResourceDef<any>, ctx: RequestContext, req: IncomingMessage, url: URL): Promise<Result> {
    const q = parseListQuery(url.searchParams, def.attributes, {
      specialFilters: def.specialFilters, taggable: def.taggable, maxLimit: deps.config.paginationMaxLimit,
    });
    if (def.listKeys && def.loadMany && !q.fields) return cachedList(def, ctx, req, url, q);
    const items = await def.list(deps, ctx, q);
    const shape = shaper(deps.policy.hiddenAttributes(ctx, def.singular), q.fields);
    const out: Record<string, unknown> = { [def.plural]: items.map((r) => shape(def.render(r))) };
    if (q.limit !== null) {
      out[`${def.plural}_links`] = paginationLinks(`${baseUrl(req)}${url.pathname}`, url.searchParams, items.map(def.idOf), q.limit, q.marker, q.pageReverse);
    }
    return { status: 200, body: out };
  }

  /** A list assembled from cached per-object JSON; only changed objects are loaded and rendered. */
  async function cachedList(def: ResourceDef<any>, ctx: RequestContext, req: IncomingMessage, url: URL, q: ListQuery): Promise<Result> {
    const keys = await def.listKeys!(deps, ctx, q);
    const hidden = deps.policy.hiddenAttributes(ctx, def.singular);
    const variant = [...hidden].sort().join(',');
    const cache = viewCacheFor(def.plural);
    const parts: (Buffer | undefined)[] = keys.map((k) => cache.get(k.id, k.revision, variant));
    const missing = keys.filter((_, i) => parts[i] === undefined).map((k) => k.id);
    if (missing.length) {
      const shape = shaper(hidden, null);
      const fresh = new Map<string, Buffer>();
      for (const r of await def.loadMany!(deps, missing)) {
        const json = Buffer.from(toJson(shape(def.render(r))));
        cache.set(def.idOf(r), def.revisionOf(r), variant, json);
        fresh.set(def.idOf(r), json);
      }
      keys.forEach((k, i) => { if (parts[i] === undefined) parts[i] = fresh.get(k.id); });
    }
    // An object deleted between the two reads is simply not listed.
    const pieces: Buffer[] = [Buffer.from(`{"${def.plural}":[`)];
    for (const p of parts) {
      if (p === undefined) continue;
      if (pieces.length > 1) pieces.push(COMMA);
      pieces.push(p);
    }
    let tail = ']';
    if (q.limit !== null) {
      const links = paginationLinks(`${baseUrl(req)}${url.pathname}`, url.searchParams, keys.map((k) => k.id), q.limit, q.marker, q.pageReverse);
      tail += `,"${def.plural}_links":${JSON.stringify(links)}`;
    }
    pieces.push(Buffer.from(tail + '}'));
    return { status: 200, body: Buffer.concat(pieces), headers: { 'Content-Type': 'application/json' } };
  }

  async function create(def: ResourceDef<any>, ctx: RequestContext, raw: unknown): Promise<Result> {
    const { items, bulk } = extractItems(raw, def.singular, def.plural, deps.config.allowBulk);
    // A bulk is prepared and rendered in slices, a turn of the event loop between them,
    // so that one huge request does not hold up every other one.
    const prepared: ReturnType<typeof prepareCreate>[] = [];
    await forEachSliced(items, (i) => { prepared.push(prepareCreate(i, def.attributes, ctx)); });
    const created = await def.create(deps, ctx, prepared);
    const shape = shaper(deps.policy.hiddenAttributes(ctx, def.singular), null);
    if (!bulk) return { status: 201, body: { [def.singular]: shape(def.render(created[0])) } };
    // each slice encoded to UTF-8 in its own turn too (the whole answer at once held the loop)
    const parts = [Buffer.from(`{"${def.plural}":[`)];
    await inSlices(created, async (slice) => {
      parts.push(Buffer.from((parts.length > 1 ? ',' : '') + slice.map((r) => JSON.stringify(shape(def.render(r)))).join(',')));
    });
    parts.push(Buffer.from(']}'));
    return { status: 201, parts };
  }

  function baseUrl(req: IncomingMessage): string {
    if (deps.config.networkLinkPrefix) return deps.config.networkLinkPrefix.replace(/\/+$/, '');
    const proto = (req.headers['x-forwarded-proto'] as string | undefined) ?? 'http';
    return `${proto}://${req.headers.host ?? `${deps.config.bindHost}:${deps.config.bindPort}`}`;
  }

  function versions(req: IncomingMessage): Result {
    return { status: 200, body: { versions: [{ id: 'v2.0', links: [{ href: `${baseUrl(req)}/v2.0/`, rel: 'self' }], status: 'CURRENT' }] } };
  }

  async function health(): Promise<string> {
    await deps.conn.db.selectFrom('networks').select('id').limit(1).execute();
    return 'OK';
  }
}

const COMMA = Buffer.from(',');

function sameDashes(collection: string): string {
  return collection.replaceAll('_', '-');
}

/** Writes the pieces of a body one per event-loop turn (a 10,000-port answer is megabytes:
 *  written at once, its encoding alone held the loop for a second), waiting when the socket is full. */
async function writeParts(res: ServerResponse, parts: Buffer[]): Promise<void> {
  for (const part of parts) {
    if (res.destroyed) return;
    if (!res.write(part)) {
      await new Promise<void>((resolve) => {
        const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
        res.on('drain', done);
        res.on('close', done);
      });
    }
    else await yieldToEventLoop();
  }
  res.end();
}

function fieldsOf(url: URL): string[] | null {
  const f = url.searchParams.getAll('fields').filter(Boolean);
  return f.length ? f : null;
}

