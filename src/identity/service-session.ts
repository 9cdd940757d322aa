// What keystoneauth's session and adapter do for Neutron's Nova client, from nova.conf-style
// [nova] options: a password-scoped token from auth_url (with its catalog, cached until
// shortly before it expires), the compute endpoint from that catalog (service type
// compute, interface endpoint_type, region_name) unless endpoint_override names it; or
// keystoneauth's admin_token plugin (a fixed token and endpoint, no Keystone).
import type { MuonConfig } from '../config/types.ts';
import { passwordAuthBody, type PasswordCredentials } from './keystone-client.ts';
import { v3Root } from './keystone-settings.ts';

export interface NovaAuthSettings {
  kind: 'password' | 'admin_token';
  /** Identity v3 root ([nova] auth_url); null with admin_token */
  authRoot: string | null;
  credentials: PasswordCredentials;
  /** admin_token's fixed token */
  token: string | null;
  endpointOverride: string | null;
  endpointType: string;
  regionName: string | null;
  timeoutMs: number;
}

/** The [nova] settings, or why Nova cannot be notified with them. */
export function novaAuthSettings(config: MuonConfig): { settings: NovaAuthSettings } | { reason: string } {
  const v = config.values.nova ?? {};
  const s = (k: string): string | null => {
    const x = v[k];
    return typeof x === 'string' && x.trim() !== '' ? x.trim() : null;
  };
  const authType = s('auth_type') ?? s('auth_plugin') ?? 'password';
  const endpointOverride = s('endpoint_override') ?? (authType === 'admin_token' ? s('endpoint') : null);
  const domain = (idKey: string, nameKey: string): { id: string } | { name: string } => {
    const id = s(idKey);
    if (id !== null) return { id };
    const name = s(nameKey);
    return name !== null ? { name } : { id: 'default' };
  };
  const timeout = v.timeout;
  const common = {
    endpointOverride: endpointOverride?.replace(/\/+$/, '') ?? null,
    endpointType: s('endpoint_type') ?? 'public',
    regionName: s('region_name'),
    timeoutMs: typeof timeout === 'number' && timeout > 0 ? timeout * 1000 : 30_000,
    credentials: {
      username: s('username') ?? '', password: s('password') ?? '', userDomain: domain('user_domain_id', 'user_domain_name'),
      projectName: s('project_name'), projectId: s('project_id'), projectDomain: domain('project_domain_id', 'project_domain_name'),
      systemScope: s('system_scope'),
    },
  };
  if (authType === 'admin_token') {
    const token = s('token');
    if (token === null || endpointOverride === null) {
      return { reason: '[nova] auth_type = admin_token needs [nova] token and [nova] endpoint (the Nova API URL, e.g. http://controller:8774/v2.1)' };
    }
    return { settings: { kind: 'admin_token', authRoot: null, token, ...common } };
  }
  if (!['password', 'v3password'].includes(authType)) {
    return { reason: `[nova] auth_type = ${authType} is not supported; use auth_type = password (or admin_token)` };
  }
  const authUrl = s('auth_url');
  if (authUrl === null) {
    // endpoint_override says where Nova is, not how to get a token Nova accepts
    const also = endpointOverride !== null ? ' (endpoint_override alone gives no token: Nova would answer 401; or use auth_type = admin_token with token)' : '';
    return { reason: `[nova] auth_url is not set: set [nova] auth_url, username, password, project_name (the seed: auth_url = http://controller:35357, username = nova, project_name = service)${also}` };
  }
  const missing = [
    common.credentials.username === '' && 'username', common.credentials.password === '' && 'password',
    common.credentials.projectName === null && common.credentials.projectId === null && common.credentials.systemScope === null && 'project_name',
  ].filter(Boolean);
  if (missing.length) return { reason: `[nova] ${missing.join(', ')} not set: Muon authenticates to Keystone as that user to send Nova its events` };
  return { settings: { kind: 'password', authRoot: v3Root(authUrl), token: null, ...common } };
}

/** Why no token or endpoint could be had; the message names what to fix in [nova]. */
export class ServiceAuthError extends Error {}

export interface ServiceSession {
  /** The token to send and the compute API's URL (no trailing slash). */
  auth(signal?: AbortSignal): Promise<{ token: string; endpoint: string }>;
  /** The service refused the token (401): authenticate again next time. */
  invalidate(): void;
}

interface CatalogEntry { type?: string; endpoints?: { interface?: string; region?: string; region_id?: string; url?: string }[] }

/** keystoneauth renews a token this long before it expires. */
const STALE_MS = 120_000;

export function createNovaSession(s: NovaAuthSettings, now: () => number = Date.now): ServiceSession {
  if (s.kind === 'admin_token') {
    return { auth: async () => ({ token: s.token!, endpoint: s.endpointOverride! }), invalidate() {} };
  }
  let cached: { token: string; endpoint: string; expiresAt: number } | null = null;
  let pending: Promise<{ token: string; endpoint: string; expiresAt: number }> | null = null;
  const who = `[nova] username = ${s.credentials.username}, project_name = ${s.credentials.projectName ?? s.credentials.projectId ?? '(system)'}`;

  async function authenticate(signal?: AbortSignal) {
    const url = `${s.authRoot}/auth/tokens`;
    let res: Response;
    try {
      const timeout = AbortSignal.timeout(s.timeoutMs);
      res = await fetch(url, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(passwordAuthBody(s.credentials)), signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
      throw new ServiceAuthError(`cannot reach Keystone at ${s.authRoot} (${cause}): check [nova] auth_url`);
    }
    const text = await res.text();
    if (res.status === 401 || res.status === 403) {
      throw new ServiceAuthError(`Keystone at ${s.authRoot} refused the credentials in [nova] (${who}): HTTP ${res.status}; fix [nova] username, password, project_name, user_domain_name, project_domain_name`);
    }
    if (res.status === 404) throw new ServiceAuthError(`no Keystone v3 API at ${s.authRoot} (POST ${url}: HTTP 404): check [nova] auth_url`);
    const token = res.headers.get('x-subject-token');
    if ((res.status !== 201 && res.status !== 200) || !token) throw new ServiceAuthError(`POST ${url}: HTTP ${res.status} ${text.slice(0, 200)}`);
    let body: { token?: { expires_at?: string; catalog?: CatalogEntry[] } } = {};
    try { body = JSON.parse(text); } catch { /* no catalog; endpoint_override may still do */ }
    const exp = Date.parse(body.token?.expires_at ?? '');
    return { token, endpoint: s.endpointOverride ?? computeEndpoint(body.token?.catalog ?? [], s), expiresAt: Number.isNaN(exp) ? now() + 3600_000 : exp };
  }

  return {
    async auth(signal) {
      if (cached && cached.expiresAt - STALE_MS > now()) return cached;
      // concurrent callers share one authentication
      pending ??= authenticate(signal).finally(() => { pending = null; });
      cached = await pending;
      return cached;
    },
    invalidate() { cached = null; },
  };
}

/** The catalog's compute endpoint for endpoint_type and region_name, as novaclient finds it. */
export function computeEndpoint(catalog: CatalogEntry[], s: Pick<NovaAuthSettings, 'endpointType' | 'regionName'>): string {
  const iface = s.endpointType.replace(/URL$/, '');
  for (const svc of catalog) {
    if (svc.type !== 'compute') continue;
    const ep = (svc.endpoints ?? []).find((e) => e.interface === iface && e.url && (s.regionName === null || e.region_id === s.regionName || e.region === s.regionName));
    if (ep) {
      const url = ep.url!.replace(/\/+$/, '');
      // An unversioned endpoint (http://controller:8774): Neutron speaks compute API 2.1.
      return /\/v2(\.1)?(\/|$)/.test(url) ? url : `${url}/v2.1`;
    }
  }
  const where = `interface ${iface}${s.regionName !== null ? ` in region ${s.regionName}` : ''}`;
  throw new ServiceAuthError(`the Keystone catalog has no compute endpoint (${where}): register Nova's (openstack endpoint create --region RegionOne compute ${iface} http://controller:8774/v2.1), or set [nova] endpoint_type / region_name to one that exists, or [nova] endpoint_override`);
}
