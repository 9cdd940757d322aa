// The embedded identity's logic, without HTTP: password/token authentication with
// project, domain, system or no scope (POST /v3/auth/tokens), validation (GET), revocation
// (DELETE). Token bodies have Keystone v3's shape, so Muon's API reads them with the same
// code it uses for a real Keystone's answers.
import type { CatalogService } from './catalog.ts';
import { badRequest, notAuthenticated, notFound } from './keystone-error.ts';
import { verifyPassword } from './password.ts';
import type { Assignment, IdentityData, Project, Role, User } from './store.ts';
import { decodeToken, encodeToken, newAuditId, type TokenPayload } from './token-codec.ts';

export interface Revocations {
  isRevoked(auditIds: readonly string[]): boolean;
  /** Revokes an audit id until the epoch second its token expires. */
  revoke(auditId: string, until: number): void;
}

export interface EmbeddedIdentityOptions {
  data: IdentityData;
  key: Buffer;
  /** Seconds a token lives (Keystone [token] expiration, 3600). */
  tokenLifetime: number;
  catalog: () => CatalogService[];
  revocations: Revocations;
  now?: () => number;
}

export interface Issued { token: string; body: TokenBody }
export type TokenBody = { token: Record<string, unknown> };

export interface EmbeddedIdentity {
  readonly data: IdentityData;
  issue(request: unknown, opts?: { catalog?: boolean }): Promise<Issued>;
  /** The token's body; KeystoneError 404 when it is unknown, expired, revoked or its scope is gone. */
  validate(token: string, opts?: { catalog?: boolean }): TokenBody;
  revoke(token: string): void;
  /** Role names of a user on a target (`p:<id>`, `d:<id>`, `s:all`). */
  rolesOn(userId: string, scope: string): Role[];
}

/** Keystone bootstrap's implied roles: a prior role brings the implied one into tokens. */
/** Whether a token was issued since the user's tokens were last revoked (password change, disabling). */
const current = (p: TokenPayload, u: User) => (p.g ?? 0) === (u.token_generation ?? 0);

export const IMPLIES = [['admin', 'member'], ['member', 'reader']] as const;

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export function createEmbeddedIdentity(o: EmbeddedIdentityOptions): EmbeddedIdentity {
  const now = () => Math.floor((o.now ?? Date.now)() / 1000);
  const d = o.data;
  const domainOf = (id: string) => d.domains.find((x) => x.id === id) ?? null;

  function rolesOn(userId: string, scope: string): Role[] {
    const [kind, id] = [scope.slice(0, 1), scope.slice(2)];
    const on = (a: Assignment) =>
      kind === 'p' ? a.project_id === id : kind === 'd' ? a.domain_id === id && a.project_id === undefined : kind === 's' ? a.system === 'all' : false;
    const ids = new Set(d.assignments.filter((a) => a.user_id === userId && on(a)).map((a) => a.role_id));
    // Keystone bootstrap's implied roles: admin brings member, member brings reader.
    for (const [prior, implied] of IMPLIES) {
      const p = d.roles.find((r) => r.name === prior), i = d.roles.find((r) => r.name === implied);
      if (p && i && ids.has(p.id)) ids.add(i.id);
    }
    return d.roles.filter((r) => ids.has(r.id));
  }

  function findUser(u: Record<string, unknown> | undefined): User | null {
    if (!u || typeof u !== 'object') throw badRequest("Expecting to find user in password. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.");
    if (typeof u.id === 'string') return d.users.find((x) => x.id === u.id) ?? null;
    if (typeof u.name !== 'string') throw badRequest('Expecting to find id or name in user.');
    const domain = findDomainRef(u.domain as Record<string, unknown> | undefined, 'user');
    return d.users.find((x) => x.name === u.name && x.domain_id === domain) ?? null;
  }

  function findDomainRef(ref: Record<string, unknown> | undefined, what: string): string | null {
    if (!ref || typeof ref !== 'object') throw badRequest(`Expecting to find domain in ${what}.`);
    if (typeof ref.id === 'string') return ref.id;
    if (typeof ref.name === 'string') return d.domains.find((x) => x.name === ref.name)?.id ?? null;
    throw badRequest(`Expecting to find id or name in domain.`);
  }

  function scopeOf(scope: unknown, user: User): string {
    if (scope === undefined || scope === null) {
      // Keystone: no scope → the user's default project when they have a role there.
      const dp = user.default_project_id;
      return dp && rolesOn(user.id, `p:${dp}`).length ? `p:${dp}` : '';
    }
    if (scope === 'unscoped') return '';
    const s = scope as Record<string, Record<string, unknown> | undefined>;
    if (s.project) {
      let project: Project | undefined;
      if (typeof s.project.id === 'string') project = d.projects.find((p) => p.id === s.project!.id);
      else if (typeof s.project.name === 'string') {
        const dom = findDomainRef(s.project.domain as Record<string, unknown> | undefined, 'project');
        project = d.projects.find((p) => p.name === s.project!.name && p.domain_id === dom);
      } else throw badRequest('Expecting to find id or name in project.');
      if (!project || !project.enabled || !domainOf(project.domain_id)?.enabled) throw notAuthenticated();
      return `p:${project.id}`;
    }
    if (s.domain) {
      const id = findDomainRef(s.domain, 'scope');
      if (!id || !domainOf(id)?.enabled) throw notAuthenticated();
      return `d:${id}`;
    }
    if (s.system) return 's:all';
    throw badRequest('Expecting to find project, domain or system in scope.');
  }

  function render(p: TokenPayload, catalog: boolean): TokenBody {
    const user = d.users.find((x) => x.id === p.u);
    if (!user || !user.enabled || !current(p, user)) throw new Error('user gone, disabled, or its tokens revoked');
    const ud = domainOf(user.domain_id);
    const t: Record<string, unknown> = {
      methods: p.m,
      user: { domain: { id: user.domain_id, name: ud?.name ?? null }, id: user.id, name: user.name, password_expires_at: null },
      audit_ids: p.a,
      expires_at: iso(p.e),
      issued_at: iso(p.i),
    };
    if (p.s) {
      const roles = rolesOn(user.id, p.s);
      if (!roles.length) throw new Error('no roles on the scope any more');
      const id = p.s.slice(2);
      if (p.s.startsWith('p:')) {
        const project = d.projects.find((x) => x.id === id);
        if (!project || !project.enabled) throw new Error('project gone');
        const pd = domainOf(project.domain_id);
        t.project = { domain: { id: project.domain_id, name: pd?.name ?? null }, id: project.id, name: project.name };
        t.is_domain = false;
      } else if (p.s.startsWith('d:')) {
        const dom = domainOf(id);
        if (!dom || !dom.enabled) throw new Error('domain gone');
        t.domain = { id: dom.id, name: dom.name };
      } else {
        t.system = { all: true };
      }
      t.roles = roles.map((r) => ({ id: r.id, name: r.name }));
      if (catalog) t.catalog = o.catalog();
    }
    return { token: t };
  }

  function check(token: string): TokenPayload {
    const p = decodeToken(token, o.key);
    if (!p || p.e <= now() || o.revocations.isRevoked(p.a)) throw notFound('token', token);
    return p;
  }

  return {
    data: d,
    rolesOn,
    async issue(request, opts = {}) {
      const auth = (request as { auth?: Record<string, unknown> } | null)?.auth;
      const identity = auth?.identity as Record<string, unknown> | undefined;
      if (!identity || !Array.isArray(identity.methods) || identity.methods.length === 0) {
        throw badRequest('Expecting to find identity in auth. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.');
      }
      const methods = identity.methods.map(String);
      let user: User | null = null;
      let expires = now() + o.tokenLifetime;
      let parentAudit: string | null = null;
      if (methods.includes('password')) {
        const pw = identity.password as { user?: Record<string, unknown> } | undefined;
        user = findUser(pw?.user);
        const password = pw?.user?.password;
        if (!user || typeof password !== 'string' || !(await verifyPassword(password, user.password_hash))) throw notAuthenticated();
      } else if (methods.includes('token')) {
        const id = (identity.token as { id?: unknown } | undefined)?.id;
        if (typeof id !== 'string') throw badRequest('Expecting to find id in token.');
        let parent: TokenPayload;
        try { parent = check(id); } catch { throw notAuthenticated(); }
        user = d.users.find((x) => x.id === parent.u) ?? null;
        if (user && !current(parent, user)) throw notAuthenticated();
        expires = parent.e; // a rescoped token lives no longer than the one it came from
        parentAudit = parent.a[0];
      } else {
        throw notAuthenticated(`Attempted to authenticate with an unsupported method.`);
      }
      if (!user || !user.enabled || !domainOf(user.domain_id)?.enabled) throw notAuthenticated();
      const scope = scopeOf(auth!.scope, user);
      if (scope && rolesOn(user.id, scope).length === 0) {
        throw notAuthenticated(`User ${user.id} has no access to ${scope.startsWith('p:') ? 'project' : scope.startsWith('d:') ? 'domain' : 'the system'}${scope.startsWith('s:') ? '' : ` ${scope.slice(2)}`}`);
      }
      const payload: TokenPayload = {
        u: user.id, s: scope, m: methods, i: now(), e: expires, a: parentAudit ? [newAuditId(), parentAudit] : [newAuditId()],
        ...(user.token_generation ? { g: user.token_generation } : {}),
      };
      const token = encodeToken(payload, o.key);
      return { token, body: render(payload, opts.catalog !== false) };
    },
    validate(token, opts = {}) {
      const p = check(token);
      try {
        return render(p, opts.catalog !== false);
      } catch {
        throw notFound('token', token);
      }
    },
    revoke(token) {
      const p = check(token);
      o.revocations.revoke(p.a[0], p.e);
    },
  };
}
