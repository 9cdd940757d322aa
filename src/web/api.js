// The page's calls: sign-in at /muon/login, then the Networking API with X-Auth-Token.
// The token lives in sessionStorage: gone when the tab closes.
const KEY = 'muon.token';

export class AuthError extends Error {}

export const token = () => sessionStorage.getItem(KEY);
export const signOut = () => sessionStorage.removeItem(KEY);

/** @returns {Promise<{token: string|null, auth_strategy?: string}>} */
export async function signIn(fields) {
  const res = await fetch('/muon/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(fields) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new AuthError(errorText(res.status, body));
  sessionStorage.setItem(KEY, body.token ?? 'noauth');
  return body;
}

export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t && t !== 'noauth') headers['X-Auth-Token'] = t;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const parsed = await res.json().catch(() => ({}));
  if (res.status === 401) throw new AuthError('the session has expired: sign in again');
  return { status: res.status, body: parsed };
}

export async function get(path) {
  const r = await call('GET', path);
  if (r.status !== 200) throw new Error(`GET ${path}: ${errorText(r.status, r.body)}`);
  return r.body;
}

export function errorText(status, body) {
  const e = body?.NeutronError;
  if (e) return `${status} ${e.type}: ${e.message}`;
  return `HTTP ${status}${body?.error?.message ? `: ${body.error.message}` : ''}`;
}
