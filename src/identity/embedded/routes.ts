// The embedded identity's HTTP API: the part of Keystone v3 the openstack and neutron
// CLIs, keystoneauth, keystonemiddleware and tempest use: discovery, tokens, the catalog,
// and users, projects, domains (read), roles, grants, role assignments, services,
// endpoints and regions (the *-api.ts files, one per resource family).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminContext } from './admin-context.ts';
import type { CatalogService, CatalogUrls } from './catalog.ts';
import { endpointsApi, regionsApi, servicesApi } from './catalog-api.ts';
import { header, methodNotAllowed, readJson, type Reply } from './http-io.ts';
import { pathSegments, requestUrl } from '../../http/request-target.ts';
import type { EmbeddedIdentity, TokenBody } from './identity.ts';
import { badRequest, forbidden, KeystoneError, notAuthenticated } from './keystone-error.ts';
import { domainsApi, projectsApi } from './projects-api.ts';
import { grantsApi, roleAssignmentsApi, rolesApi } from './roles-api.ts';
import { usersApi } from './users-api.ts';
import { views } from './views.ts';

export interface RoutesOptions {
  identity: EmbeddedIdentity;
  /** The public v3 root (http://host:5000/v3), for links. */
  publicUrl: () => string;
  catalog: () => CatalogService[];
  /** Where the built-in identity and network services are (catalog.ts). */
  catalogUrls: () => CatalogUrls;
  /** Writes the identity data back to its state file after a change. */
  save?: () => void;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

export function identityHandler(o: RoutesOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { identity } = o;
  const d = identity.data;
  const view = views(o.publicUrl);

  return (req, res) => {
    route(req).catch((e: unknown) => {
      if (e instanceof KeystoneError) return { status: e.status, body: e.toBody(), headers: e.status === 401 ? { 'WWW-Authenticate': `Keystone uri="${root()}"` } : {} } as Reply;
      o.log?.('identity error', { error: (e as Error)?.stack ?? String(e) });
      return { status: 500, body: { error: { code: 500, message: 'An unexpected error prevented the server from fulfilling your request.', title: 'Internal Server Error' } } } as Reply;
    }).then((r) => {
      const headers: Record<string, string | number> = { Vary: 'X-Auth-Token', ...r.headers };
      const payload = r.body === undefined ? '' : JSON.stringify(r.body);
      if (r.body !== undefined) headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(payload);
      res.writeHead(r.status, headers).end(req.method === 'HEAD' ? undefined : payload);
      o.log?.('identity request', { method: req.method, path: req.url?.split('?')[0], status: r.status });
      if (!req.readableEnded) req.resume();
    });
  };

  function root(): string { return o.publicUrl().replace(/\/v3\/?$/, ''); }

  async function route(req: IncomingMessage): Promise<Reply> {
    const method = req.method ?? 'GET';
    const url = requestUrl(req.url);
    const parts = pathSegments(url.pathname);
    if (parts.length === 0 && (method === 'GET' || method === 'HEAD')) return { status: 300, body: { versions: { values: [version()] } } };
    if (parts[0] !== 'v3') throw new KeystoneError(404, 'Not Found', 'The resource could not be found.');
    if (parts.length === 1) return { status: 200, body: { version: version() } };
    const [, a, b] = parts;

    if (a === 'auth' && b === 'tokens' && parts.length === 3) {
      if (method === 'POST') {
        const issued = await identity.issue(await readJson(req), { catalog: !url.searchParams.has('nocatalog') });
        return { status: 201, body: issued.body, headers: { 'X-Subject-Token': issued.token } };
      }
      const caller = authenticate(req);
      const subject = header(req, 'x-subject-token');
      if (!subject) throw new KeystoneError(400, 'Bad Request', 'X-Subject-Token header is required.');
      const own = subject === header(req, 'x-auth-token');
      if (method === 'GET' || method === 'HEAD') {
        if (!own && !isAdminOrService(caller)) throw forbidden();
        const body = identity.validate(subject, { catalog: !url.searchParams.has('nocatalog') });
        return { status: 200, body: method === 'GET' ? body : undefined, headers: { 'X-Subject-Token': subject } };
      }
      if (method === 'DELETE') {
        if (!own && !isAdminOrService(caller)) throw forbidden();
        identity.revoke(subject);
        return { status: 204 };
      }
      throw methodNotAllowed();
    }
    const caller = authenticate(req);
    const t = caller.token;
    const userId = (t.user as { id: string }).id;

    if (a === 'auth' && parts.length === 3 && (method === 'GET' || method === 'HEAD')) {
      if (b === 'catalog') {
        if (!t.project && !t.domain && !t.system) throw forbidden('The authenticated token must be scoped to view the catalog.');
        return { status: 200, body: { catalog: o.catalog(), links: view.links('/auth/catalog') } };
      }
      if (b === 'projects') return list('projects', d.projects.filter((p) => identity.rolesOn(userId, `p:${p.id}`).length).map(view.project), '/auth/projects');
      if (b === 'domains') return list('domains', d.domains.filter((x) => identity.rolesOn(userId, `d:${x.id}`).length).map(view.domain), '/auth/domains');
      if (b === 'system') return { status: 200, body: { system: identity.rolesOn(userId, 's:all').length ? [{ all: true }] : [], links: view.links('/auth/system') } };
    }
    const ctx: AdminContext = {
      d, identity, method, q: url.searchParams, view, catalogUrls: o.catalogUrls, save: () => o.save?.(),
      links: (path) => view.links(path + url.search),
      caller: { userId, admin: isAdmin(caller), roles: roleNames(caller) },
      async body(key) {
        const body = (await readJson(req)) as Record<string, unknown> | null;
        const v = body && typeof body === 'object' ? body[key] : undefined;
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest(`'${key}' is a required property`);
        return v as Record<string, unknown>;
      },
    };
    const rest = parts.slice(1);
    // Grants: /projects/{p}/users/{u}/roles[/{r}], /domains/{d}/users/{u}/roles[/{r}], /system/users/{u}/roles[/{r}].
    const grant = (from: number) => rest[from] === 'users' && rest[from + 2] === 'roles' && rest.length - from <= 4 && rest.length - from >= 3;
    if ((a === 'projects' || a === 'domains') && grant(2)) return grantsApi(ctx, rest);
    if (a === 'system' && grant(1)) return grantsApi(ctx, rest);
    switch (a) {
      case 'projects': return projectsApi(ctx, rest);
      case 'domains': return domainsApi(ctx, rest);
      case 'users': return usersApi(ctx, rest);
      case 'roles': return rolesApi(ctx, rest);
      case 'role_assignments': if (parts.length === 2) return roleAssignmentsApi(ctx); break;
      case 'services': return servicesApi(ctx, rest);
      case 'endpoints': return endpointsApi(ctx, rest);
      case 'regions': return regionsApi(ctx, rest);
    }
    throw new KeystoneError(404, 'Not Found', 'The resource could not be found.');
  }

  function version() {
    return {
      id: 'v3.14', status: 'stable', updated: '2020-04-07T00:00:00Z',
      links: [{ rel: 'self', href: `${o.publicUrl().replace(/\/+$/, '')}/` }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
    };
  }
  function authenticate(req: IncomingMessage): TokenBody {
    const token = header(req, 'x-auth-token');
    if (!token) throw notAuthenticated();
    try { return identity.validate(token, { catalog: false }); } catch { throw notAuthenticated(); }
  }
  function roleNames(t: TokenBody): string[] { return ((t.token.roles ?? []) as { name: string }[]).map((r) => r.name); }
  function isAdmin(t: TokenBody): boolean { return roleNames(t).includes('admin'); }
  function isAdminOrService(t: TokenBody): boolean { return roleNames(t).some((r) => r === 'admin' || r === 'service'); }
  function list(key: string, items: unknown[], path: string): Reply { return { status: 200, body: { [key]: items, links: view.links(path) } }; }
}
