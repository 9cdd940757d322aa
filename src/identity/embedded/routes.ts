// The embedded identity's HTTP API: the part of Keystone v3 the openstack and neutron
// CLIs, keystoneauth and keystonemiddleware use (discovery, tokens, catalog, and reads
// of projects, users, domains and roles), plus creating and deleting projects (admin
// only), which tempest's network tests do to get a project id of their own.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmbeddedIdentity, TokenBody } from './identity.ts';
import { badRequest, forbidden, KeystoneError, notAuthenticated, notFound } from './keystone-error.ts';
import type { CatalogService } from './catalog.ts';
import { randomUUID } from 'node:crypto';
import { pathSegments, requestUrl } from '../../http/request-target.ts';
import { BodyTooLarge, readBodyText } from '../../http/body-text.ts';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../http/json-depth.ts';
import type { Domain, Project, Role, User } from './store.ts';

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

export interface RoutesOptions {
  identity: EmbeddedIdentity;
  /** The public v3 root (http://host:5000/v3), for links. */
  publicUrl: () => string;
  catalog: () => CatalogService[];
  /** Writes the identity data back to its state file after a change (projects created or deleted). */
  save?: () => void;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

const MAX_BODY = 64 * 1024;

export function identityHandler(o: RoutesOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { identity } = o;
  const d = identity.data;

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
  function self(path: string): string { return `${o.publicUrl().replace(/\/+$/, '')}${path}`; }

  async function route(req: IncomingMessage): Promise<Reply> {
    const method = req.method ?? 'GET';
    const url = requestUrl(req.url);
    const parts = pathSegments(url.pathname);
    if (parts.length === 0 && (method === 'GET' || method === 'HEAD')) return { status: 300, body: { versions: { values: [version()] } } };
    if (parts[0] !== 'v3') throw new KeystoneError(404, 'Not Found', 'The resource could not be found.');
    if (parts.length === 1) return { status: 200, body: { version: version() } };
    const [, a, b, c] = parts;

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
    if (a === 'projects' && c === undefined && ((method === 'POST' && b === undefined) || (method === 'DELETE' && b !== undefined))) {
      return changeProject(req, method, b);
    }
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
    const caller = authenticate(req);
    const t = caller.token;
    const userId = (t.user as { id: string }).id;
    const admin = isAdmin(caller);

    if (a === 'auth' && parts.length === 3) {
      if (b === 'catalog') {
        if (!t.project && !t.domain && !t.system) throw forbidden('The authenticated token must be scoped to view the catalog.');
        return { status: 200, body: { catalog: o.catalog(), links: links('/auth/catalog') } };
      }
      if (b === 'projects') return list('projects', d.projects.filter((p) => identity.rolesOn(userId, `p:${p.id}`).length).map(project), '/auth/projects');
      if (b === 'domains') return list('domains', d.domains.filter((x) => identity.rolesOn(userId, `d:${x.id}`).length).map(domain), '/auth/domains');
      if (b === 'system') return { status: 200, body: { system: identity.rolesOn(userId, 's:all').length ? [{ all: true }] : [], links: links('/auth/system') } };
    }
    const q = url.searchParams;
    const match = <T extends { name: string }>(x: T & { domain_id?: string; enabled?: boolean }) =>
      (!q.has('name') || x.name === q.get('name')) && (!q.has('domain_id') || x.domain_id === q.get('domain_id')) &&
      (!q.has('enabled') || String(x.enabled) === q.get('enabled')?.toLowerCase());

    switch (a) {
      case 'projects': {
        if (b === undefined) {
          // Keystone lets a non-admin list only with the admin API; they use /auth/projects.
          if (!admin) throw forbidden();
          return list('projects', d.projects.filter(match).map(project), '/projects');
        }
        const p = d.projects.find((x) => x.id === b);
        if (!p || c !== undefined) throw notFound('project', b);
        if (!admin && identity.rolesOn(userId, `p:${p.id}`).length === 0) throw forbidden();
        return { status: 200, body: { project: project(p) } };
      }
      case 'users': {
        if (b === undefined) {
          if (!admin) throw forbidden();
          return list('users', d.users.filter(match).map(user), '/users');
        }
        const u = d.users.find((x) => x.id === b);
        if (!u) throw notFound('user', b);
        if (!admin && u.id !== userId) throw forbidden();
        if (c === 'projects' && parts.length === 4) return list('projects', d.projects.filter((p) => identity.rolesOn(u.id, `p:${p.id}`).length).map(project), `/users/${u.id}/projects`);
        if (c !== undefined) throw notFound('resource', url.pathname);
        return { status: 200, body: { user: user(u) } };
      }
      case 'domains': {
        if (b === undefined) return list('domains', d.domains.filter((x) => (admin || identity.rolesOn(userId, `d:${x.id}`).length > 0) && match(x)).map(domain), '/domains');
        const x = d.domains.find((y) => y.id === b);
        if (!x || c !== undefined) throw notFound('domain', b);
        return { status: 200, body: { domain: domain(x) } };
      }
      case 'roles': {
        if (b === undefined) return list('roles', d.roles.filter(match).map(role), '/roles');
        const r = d.roles.find((y) => y.id === b);
        if (!r || c !== undefined) throw notFound('role', b);
        return { status: 200, body: { role: role(r) } };
      }
      case 'role_assignments': {
        if (!admin) throw forbidden();
        const out = d.assignments.filter((x) => (!q.has('user.id') || x.user_id === q.get('user.id')) && (!q.has('scope.project.id') || x.project_id === q.get('scope.project.id')))
          .map((x) => ({
            role: { id: x.role_id }, user: { id: x.user_id },
            scope: x.project_id ? { project: { id: x.project_id } } : x.domain_id ? { domain: { id: x.domain_id } } : { system: { all: true } },
            links: { assignment: self(x.project_id ? `/projects/${x.project_id}/users/${x.user_id}/roles/${x.role_id}` : `/system/users/${x.user_id}/roles/${x.role_id}`) },
          }));
        return { status: 200, body: { role_assignments: out, links: links('/role_assignments') } };
      }
      default:
        throw new KeystoneError(404, 'Not Found', 'The resource could not be found.');
    }
  }

  /** POST /v3/projects, DELETE /v3/projects/{id}: admin only, as Keystone's identity:create_project. */
  async function changeProject(req: IncomingMessage, method: string, id: string | undefined): Promise<Reply> {
    if (!isAdmin(authenticate(req))) throw forbidden();
    if (method === 'DELETE') {
      const i = d.projects.findIndex((x) => x.id === id);
      if (i < 0) throw notFound('project', id!);
      d.projects.splice(i, 1);
      // Keystone deletes the project's role assignments with it.
      for (let j = d.assignments.length - 1; j >= 0; j--) if (d.assignments[j].project_id === id) d.assignments.splice(j, 1);
      o.save?.();
      return { status: 204 };
    }
    const body = (await readJson(req)) as { project?: Record<string, unknown> } | null;
    const p = body?.project;
    if (!p || typeof p !== 'object') throw badRequest("'project' is a required property");
    if (typeof p.name !== 'string' || p.name.length < 1 || p.name.length > 64) throw badRequest("Invalid input for field 'name': a string of 1 to 64 characters is required.");
    if (p.description !== undefined && p.description !== null && typeof p.description !== 'string') throw badRequest("Invalid input for field 'description'.");
    if (p.enabled !== undefined && typeof p.enabled !== 'boolean') throw badRequest("Invalid input for field 'enabled': must be a boolean.");
    const domainId = typeof p.domain_id === 'string' ? p.domain_id : 'default';
    if (!d.domains.some((x) => x.id === domainId)) throw notFound('domain', domainId);
    if (d.projects.some((x) => x.name === p.name && x.domain_id === domainId)) {
      throw new KeystoneError(409, 'Conflict', `Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${p.name}.`);
    }
    const created: Project = {
      id: randomUUID().replaceAll('-', ''), name: p.name, domain_id: domainId,
      enabled: p.enabled !== false, description: typeof p.description === 'string' ? p.description : '',
    };
    d.projects.push(created);
    o.save?.();
    return { status: 201, body: { project: project(created) } };
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
  function links(path: string) { return { self: self(path), previous: null, next: null }; }
  function list(key: string, items: unknown[], path: string): Reply { return { status: 200, body: { [key]: items, links: links(path) } }; }
  function project(p: Project) {
    return { id: p.id, name: p.name, domain_id: p.domain_id, description: p.description, enabled: p.enabled, parent_id: p.domain_id, is_domain: false, tags: [], options: {}, links: { self: self(`/projects/${p.id}`) } };
  }
  function user(u: User) {
    return { id: u.id, name: u.name, domain_id: u.domain_id, enabled: u.enabled, password_expires_at: null, options: {}, ...(u.default_project_id ? { default_project_id: u.default_project_id } : {}), links: { self: self(`/users/${u.id}`) } };
  }
  function domain(x: Domain) { return { id: x.id, name: x.name, description: x.description, enabled: x.enabled, tags: [], options: {}, links: { self: self(`/domains/${x.id}`) } }; }
  function role(r: Role) { return { id: r.id, name: r.name, domain_id: null, description: null, options: {}, links: { self: self(`/roles/${r.id}`) } }; }
}

function methodNotAllowed(): KeystoneError { return new KeystoneError(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.'); }

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text: string;
  try {
    text = await readBodyText(req, MAX_BODY);
  } catch (e) {
    if (e instanceof BodyTooLarge) throw new KeystoneError(413, 'Request Entity Too Large', 'Request is too large.');
    throw badRequest('Malformed request body.');
  }
  if (nestedDeeperThan(text)) throw badRequest(`Malformed request body: JSON nested more than ${MAX_JSON_DEPTH} levels deep.`);
  try { return JSON.parse(text); } catch { throw badRequest('Malformed request body.'); }
}
