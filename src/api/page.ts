// The live topology page on the API's own port: GET /muon/ serves the static shell
// (src/web/: HTML, ES modules, CSS; no build step) and POST /muon/login exchanges a
// username/password/project for a token at the configured identity, for admins only.
// Everything the page shows comes from the Networking API with that token, so the
// shell is the only thing served without authentication.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { NeutronError } from '../errors/neutron-error.ts';
import {
  HTTPBadRequest, HTTPInternalServerError, HTTPMethodNotAllowed, HTTPNotFound, PolicyNotAuthorized, ServiceUnavailable, Unauthorized,
} from '../errors/catalog.ts';
import { LoginRefused, type Login } from '../identity/password-login.ts';
import { IdentityUnavailable } from '../identity/validator.ts';
import { parseJson, readBody } from './body.ts';
import { requestUrl } from '../http/request-target.ts';
import type { Logger } from '../services/log.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export const PAGE_PREFIX = '/muon';
const WEB_DIR = new URL('../web/', import.meta.url).pathname;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml',
};
// The page loads nothing from elsewhere and runs no inline script.
const STATIC_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/** The files of src/web/ the page is made of (read once: a handful of small files). */
function loadAssets(): Map<string, { type: string; body: Buffer }> {
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(WEB_DIR)) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { type, body: readFileSync(join(WEB_DIR, name)) });
  }
  return assets;
}

/** `api` with /muon/… in front of it. `login` is absent under auth_strategy = noauth, where
 *  every request is an admin's and the page needs no token. */
export function withPage(api: Handler, opts: { login?: Login; log: Logger }): Handler {
  const assets = loadAssets();
  return (req, res) => {
    const path = requestUrl(req.url).pathname;
    if (path !== PAGE_PREFIX && !path.startsWith(`${PAGE_PREFIX}/`)) return api(req, res);
    const started = performance.now();
    serve(req, res, path.slice(PAGE_PREFIX.length)).catch((e: unknown) => {
      if (!(e instanceof NeutronError)) opts.log.error('unexpected error', { path, error: (e as Error)?.stack ?? String(e) });
      const err = e instanceof NeutronError ? e : HTTPInternalServerError();
      send(res, err.status, JSON.stringify(err.toBody()), { 'Content-Type': 'application/json' });
    }).finally(() => {
      opts.log.info('request', { method: req.method, path, status: res.statusCode, ms: Math.round((performance.now() - started) * 10) / 10 });
      if (!req.readableEnded) req.resume();
    });
  };

  async function serve(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    if (rest === '') {
      res.writeHead(301, { Location: `${PAGE_PREFIX}/`, 'Content-Length': 0 }).end();
      return;
    }
    if (rest === '/login') {
      if (req.method !== 'POST') throw HTTPMethodNotAllowed();
      const reply = await login(req);
      send(res, 200, JSON.stringify(reply), { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      return;
    }
    // one level of plain names only: nothing outside src/web/ can be named
    const name = rest === '/' ? 'index.html' : rest.slice(1);
    const asset = assets.get(name);
    if (!asset) throw HTTPNotFound();
    if (req.method !== 'GET' && req.method !== 'HEAD') throw HTTPMethodNotAllowed();
    res.writeHead(200, { ...STATIC_HEADERS, 'Content-Type': asset.type, 'Content-Length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }

  async function login(req: IncomingMessage): Promise<Record<string, unknown>> {
    const body = parseJson(await readBody(req, 64 * 1024)) as Record<string, unknown> | undefined;
    if (!opts.login) return { token: null, auth_strategy: 'noauth' };
    const str = (k: string) => (typeof body?.[k] === 'string' ? (body[k] as string) : '');
    const [username, password, project] = [str('username'), str('password'), str('project_name')];
    if (!username || !password || !project) throw HTTPBadRequest('username, password and project_name are required');
    try {
      const r = await opts.login({ username, password, project, domain: str('domain_name') || 'Default' }, `req-${randomUUID()}`);
      // the page shows every project's objects, agents and doctor's findings: admins only
      if (!r.context.isAdmin) throw PolicyNotAuthorized('muon_page');
      return { token: r.token, expires_at: r.expiresAt, user_id: r.context.userId, project_id: r.context.projectId, roles: r.context.roles };
    } catch (e) {
      if (e instanceof LoginRefused) throw Unauthorized();
      if (e instanceof IdentityUnavailable) throw ServiceUnavailable(`the identity service is unavailable: ${e.message}`);
      throw e;
    }
  }
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) }).end(body);
}
