// What a validated Keystone v3 token says about its bearer (keystoneauth's AccessInfoV3),
// read from the token body `GET /v3/auth/tokens` returns — the same body whether it came
// from a real Keystone over HTTP or from the embedded identity in-process.
import type { RequestContext } from '../domain/policy/context.ts';
import { createRequestContext } from '../domain/policy/context.ts';
import type { RuleSet } from '../domain/policy/checks.ts';

export interface NamedRef { id: string; name: string | null }

export interface TokenInfo {
  user: NamedRef & { domain: NamedRef | null };
  /** Project scope, with the project's domain. */
  project: (NamedRef & { domain: NamedRef | null }) | null;
  /** Domain scope. */
  domain: NamedRef | null;
  /** System scope ('all'), as oslo.context's system_scope. */
  systemScope: string | null;
  roles: string[];
  methods: string[];
  expiresAt: Date;
  issuedAt: Date | null;
  auditIds: string[];
}

/** A malformed token body: Keystone answered something that is not a token. */
export class TokenBodyError extends Error {}

/** Parses `{"token": {...}}` (Keystone v3). Throws TokenBodyError when it is not one. */
export function parseTokenBody(body: unknown): TokenInfo {
  const t = (body as { token?: unknown } | null)?.token as Record<string, unknown> | undefined;
  if (!t || typeof t !== 'object') throw new TokenBodyError('no "token" object in the response');
  const user = ref(t.user, 'user');
  if (!user) throw new TokenBodyError('token without a user');
  const expires = new Date(String(t.expires_at ?? ''));
  if (Number.isNaN(expires.getTime())) throw new TokenBodyError(`bad expires_at ${JSON.stringify(t.expires_at)}`);
  const issued = t.issued_at === undefined ? null : new Date(String(t.issued_at));
  const system = t.system as Record<string, unknown> | undefined;
  return {
    user: { ...user, domain: ref((t.user as Record<string, unknown>).domain, 'user domain') },
    project: t.project ? { ...ref(t.project, 'project')!, domain: ref((t.project as Record<string, unknown>).domain, 'project domain') } : null,
    domain: ref(t.domain, 'domain'),
    systemScope: system && system.all === true ? 'all' : null,
    roles: Array.isArray(t.roles) ? t.roles.map((r) => String((r as { name?: unknown }).name)) : [],
    methods: Array.isArray(t.methods) ? t.methods.map(String) : [],
    expiresAt: expires,
    issuedAt: issued && !Number.isNaN(issued.getTime()) ? issued : null,
    auditIds: Array.isArray(t.audit_ids) ? t.audit_ids.map(String) : [],
  };
}

function ref(v: unknown, what: string): NamedRef | null {
  if (v === undefined || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o !== 'object' || typeof o.id !== 'string') throw new TokenBodyError(`${what} without an id`);
  return { id: o.id, name: typeof o.name === 'string' ? o.name : null };
}

/**
 * The request context Neutron builds from keystonemiddleware's headers (X-User-Id,
 * X-Project-Id, X-Roles, OpenStack-System-Scope): is_admin from the policy rule
 * context_is_admin, is_advsvc from context_is_advsvc, so policy.yaml overrides apply.
 */
export function contextFromToken(info: TokenInfo, requestId: string, rules?: RuleSet): RequestContext {
  return createRequestContext({
    userId: info.user.id,
    projectId: info.project?.id ?? null,
    roles: info.roles,
    systemScope: info.systemScope,
    requestId,
  }, rules);
}
