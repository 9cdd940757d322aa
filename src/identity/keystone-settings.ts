// [keystone_authtoken] as keystonemiddleware reads it, including the seed's Liberty
// spelling (auth_uri, auth_plugin = password, the :35357 admin port) and the
// pre-Mitaka identity_uri + admin_user/admin_password/admin_tenant_name.
import type { MuonConfig } from '../config/types.ts';

export interface KeystoneSettings {
  /** Sent to clients in `WWW-Authenticate: Keystone uri="…"` (www_authenticate_uri / auth_uri). */
  wwwAuthenticateUri: string | null;
  /** Identity v3 roots to try, in order: auth_url's, then www_authenticate_uri's (Keystone
   *  no longer listens on the old admin port 35357 since Queens; the seed still names it). */
  identityRoots: string[];
  username: string;
  password: string;
  userDomain: { id: string } | { name: string };
  projectName: string | null;
  projectId: string | null;
  projectDomain: { id: string } | { name: string };
  systemScope: string | null;
  /** token_cache_time in seconds; -1 turns the cache off. */
  tokenCacheTime: number;
  timeoutMs: number;
}

export class KeystoneSettingsError extends Error {}

/** The v3 root of an identity URL written with or without a version: http://h:5000, …/v3, …/v2.0/. */
export function v3Root(url: string): string {
  const u = url.trim().replace(/\/+$/, '');
  if (/\/v3$/.test(u)) return u;
  if (/\/v2\.0$/.test(u)) return u.replace(/\/v2\.0$/, '/v3');
  return `${u}/v3`;
}

export function keystoneSettings(config: MuonConfig): KeystoneSettings {
  const v = config.values.keystone_authtoken ?? {};
  const s = (k: string): string | null => {
    const x = v[k];
    return typeof x === 'string' && x.trim() !== '' ? x.trim() : null;
  };
  const authType = s('auth_type');
  if (authType !== null && !['password', 'v3password'].includes(authType)) {
    throw new KeystoneSettingsError(`[keystone_authtoken] auth_type = ${authType} is not supported; Muon supports auth_type = password (the seed's auth_plugin = password)`);
  }
  const www = s('www_authenticate_uri');
  const authUrl = s('auth_url') ?? s('identity_uri');
  const username = s('username') ?? s('admin_user');
  const password = s('password') ?? s('admin_password');
  const projectName = s('project_name') ?? s('admin_tenant_name');
  const projectId = s('project_id');
  const missing = [
    authUrl === null && 'auth_url', username === null && 'username', password === null && 'password',
    projectName === null && projectId === null && s('system_scope') === null && 'project_name',
  ].filter(Boolean);
  if (missing.length) {
    throw new KeystoneSettingsError(`auth_strategy = keystone needs [keystone_authtoken] ${missing.join(', ')} (the service user Muon validates tokens with, as in the seed: auth_url = http://controller:35357, username = neutron, password = …, project_name = service)`);
  }
  const roots = [v3Root(authUrl!)];
  if (www !== null && !roots.includes(v3Root(www))) roots.push(v3Root(www));
  const domain = (idKey: string, nameKey: string): { id: string } | { name: string } => {
    const id = s(idKey);
    if (id !== null) return { id };
    const name = s(nameKey);
    return name !== null ? { name } : { id: 'default' };
  };
  const cacheTime = v.token_cache_time;
  const timeout = v.timeout;
  return {
    wwwAuthenticateUri: www ?? authUrl,
    identityRoots: roots,
    username: username!,
    password: password!,
    userDomain: domain('user_domain_id', 'user_domain_name'),
    projectName,
    projectId,
    projectDomain: domain('project_domain_id', 'project_domain_name'),
    systemScope: s('system_scope'),
    tokenCacheTime: typeof cacheTime === 'number' ? cacheTime : 300,
    timeoutMs: typeof timeout === 'number' && timeout > 0 ? timeout * 1000 : 10_000,
  };
}
