// The two Keystone v3 calls keystonemiddleware makes: the service user's password
// authentication and token validation (GET /v3/auth/tokens with X-Subject-Token).
import type { KeystoneSettings } from './keystone-settings.ts';
import { IdentityUnavailable } from './validator.ts';

export interface ServiceToken { token: string; expiresAt: number }

/** What GET /v3/auth/tokens answered: the body, or why there is none. */
export type Validation =
  | { kind: 'valid'; body: unknown }
  | { kind: 'invalid' }
  | { kind: 'service-token-rejected' };

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    throw new IdentityUnavailable(`${init.method ?? 'GET'} ${url}: ${cause}`);
  }
}

export type PasswordCredentials = Pick<KeystoneSettings, 'username' | 'password' | 'userDomain' | 'projectName' | 'projectId' | 'projectDomain' | 'systemScope'>;

export function passwordAuthBody(s: PasswordCredentials): unknown {
  const scope = s.systemScope !== null
    ? { system: { all: true } }
    : { project: s.projectId !== null ? { id: s.projectId } : { name: s.projectName, domain: s.projectDomain } };
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { name: s.username, domain: s.userDomain, password: s.password } } },
      scope,
    },
  };
}

/** POST {root}/auth/tokens as the service user. Wrong credentials are an IdentityUnavailable
 *  that says so: Muon cannot validate anything until the operator fixes them. */
export async function issueServiceToken(root: string, s: KeystoneSettings): Promise<ServiceToken> {
  const res = await call(`${root}/auth/tokens?nocatalog`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(passwordAuthBody(s)),
  }, s.timeoutMs);
  const text = await res.text();
  if (res.status === 404) throw new IdentityUnavailable(`no Keystone v3 API at ${root} (POST ${root}/auth/tokens: HTTP 404); check [keystone_authtoken] auth_url`);
  if (res.status === 401 || res.status === 403) {
    throw new IdentityUnavailable(`Keystone at ${root} refused Muon's service credentials ([keystone_authtoken] username = ${s.username}, project ${s.projectName ?? s.projectId}): HTTP ${res.status} ${text.slice(0, 200)}`);
  }
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 && res.status !== 200 || !token) throw new IdentityUnavailable(`POST ${root}/auth/tokens: HTTP ${res.status}`);
  let expiresAt = Date.now() + 3600_000;
  try {
    const exp = Date.parse(JSON.parse(text).token.expires_at);
    if (!Number.isNaN(exp)) expiresAt = exp;
  } catch { /* keep the default */ }
  return { token, expiresAt };
}

/** GET {root}/auth/tokens: 200 → body, 404 → invalid, 401 → our service token is stale. */
export async function validateToken(root: string, serviceToken: string, token: string, timeoutMs: number): Promise<Validation> {
  const res = await call(`${root}/auth/tokens`, {
    method: 'GET', headers: { Accept: 'application/json', 'X-Auth-Token': serviceToken, 'X-Subject-Token': token },
  }, timeoutMs);
  const text = await res.text();
  if (res.status === 200) {
    try { return { kind: 'valid', body: JSON.parse(text) }; } catch { throw new IdentityUnavailable(`GET ${root}/auth/tokens: not JSON`); }
  }
  if (res.status === 404 || res.status === 400) return { kind: 'invalid' };
  if (res.status === 401) return { kind: 'service-token-rejected' };
  if (res.status === 403) throw new IdentityUnavailable(`Keystone at ${root} does not let Muon's service user validate tokens (HTTP 403): give it the admin or service role, as the seed does (openstack role add --project service --user neutron admin)`);
  throw new IdentityUnavailable(`GET ${root}/auth/tokens: HTTP ${res.status}`);
}
