// A small Networking API client for the lab commands (`muon up` creating the seed's networks,
// `muon vm` playing Nova): credentials from an openrc file (OS_* exports, as `source` reads
// them) or noauth, a Keystone v3 password token, JSON in and out, NeutronErrors as messages.
import { readFile } from 'node:fs/promises';

export class ApiError extends Error {
  readonly status: number;
  readonly type: string | undefined;
  constructor(status: number, type: string | undefined, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
  }
}

/** The exports of an openrc file, as `source` would set them. */
export function parseOpenrc(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^export (\w+)=(.*)$/gm)) env[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  return env;
}

export async function readOpenrc(file: string): Promise<Record<string, string>> {
  return parseOpenrc(await readFile(file, 'utf8'));
}

export interface ApiClientOptions {
  url: string;
  /** OS_* credentials; absent: noauth (X-Project-Id/X-Roles admin headers) */
  credentials?: Record<string, string>;
}

export class ApiClient {
  private token: { id: string; expires: number } | undefined;
  private readonly opts: ApiClientOptions;
  /** project id of the token (or 'admin' under noauth) */
  projectId = 'admin';

  constructor(opts: ApiClientOptions) {
    this.opts = opts;
  }

  private async headers(): Promise<Record<string, string>> {
    const c = this.opts.credentials;
    if (!c) return { 'X-Project-Id': this.projectId, 'X-Roles': 'admin,member,reader' };
    if (!this.token || this.token.expires - Date.now() < 60_000) {
      const body = {
        auth: {
          identity: { methods: ['password'], password: { user: { name: c.OS_USERNAME, domain: { name: c.OS_USER_DOMAIN_NAME ?? 'Default' }, password: c.OS_PASSWORD } } },
          scope: { project: { name: c.OS_PROJECT_NAME, domain: { name: c.OS_PROJECT_DOMAIN_NAME ?? 'Default' } } },
        },
      };
      const r = await fetch(`${c.OS_AUTH_URL.replace(/\/+$/, '')}/auth/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      if (r.status !== 201) throw new ApiError(r.status, undefined, `cannot get a token from ${c.OS_AUTH_URL} as ${c.OS_USERNAME}: HTTP ${r.status} ${await r.text()}`);
      const t = (await r.json()) as { token: { expires_at: string; project: { id: string } } };
      this.token = { id: r.headers.get('x-subject-token') ?? '', expires: Date.parse(t.token.expires_at) };
      this.projectId = t.token.project.id;
    }
    return { 'X-Auth-Token': this.token.id };
  }

  async req<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await fetch(`${this.opts.url.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { ...(await this.headers()), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let parsed: any;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = text; }
    if (r.status >= 400) {
      const ne = parsed?.NeutronError;
      throw new ApiError(r.status, ne?.type, `${method} ${path}: ${r.status} ${ne ? `${ne.type}: ${ne.message}` : text}`);
    }
    return parsed as T;
  }
}
