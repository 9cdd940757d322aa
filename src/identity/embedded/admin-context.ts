// What every handler of the embedded identity's resource API gets: the data, the
// caller, the query, the body, and the checks Keystone applies to input and callers.
import { randomUUID } from 'node:crypto';
import type { CatalogUrls } from './catalog.ts';
import type { EmbeddedIdentity } from './identity.ts';
import { badRequest, forbidden } from './keystone-error.ts';
import type { IdentityData } from './store.ts';
import type { Views } from './views.ts';

export interface AdminContext {
  d: IdentityData;
  identity: EmbeddedIdentity;
  method: string;
  q: URLSearchParams;
  /** Who asks: their user id, and whether the token carries the admin role. */
  caller: { userId: string; admin: boolean; roles: string[] };
  /** The request body's `key` object; 400 when the body has none. */
  body(key: string): Promise<Record<string, unknown>>;
  save(): void;
  view: Views;
  /** A collection's `links`: self is the URL asked, query included, as Keystone's. */
  links(path: string): { self: string; previous: null; next: null };
  catalogUrls(): CatalogUrls;
}

/** Keystone's default policy for changes to users, projects, roles, grants and the catalog: admin only. */
export function requireAdmin(c: AdminContext): void {
  if (!c.caller.admin) throw forbidden();
}

export function newId(): string {
  return randomUUID().replaceAll('-', '');
}

type Obj = Record<string, unknown>;

/** A string field: required (and 1..max long) or optional; null allowed only when `nullable`. */
export function str(o: Obj, field: string, opts: { required?: boolean; max?: number; nullable?: boolean } = {}): string | null | undefined {
  const v = o[field];
  if (v === undefined) {
    if (opts.required) throw badRequest(`'${field}' is a required property`);
    return undefined;
  }
  if (v === null && opts.nullable) return null;
  if (typeof v !== 'string') throw badRequest(`Invalid input for field '${field}': ${JSON.stringify(v)} is not of type 'string'`);
  const max = opts.max ?? 255;
  if ((opts.required && v.length < 1) || v.length > max) throw badRequest(`Invalid input for field '${field}': must be 1 to ${max} characters long`);
  return v;
}

export function bool(o: Obj, field: string): boolean | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw badRequest(`Invalid input for field '${field}': ${JSON.stringify(v)} is not of type 'boolean'`);
  return v;
}

/** Keystone's boolean query filters: `?enabled=false`, `0` and `no` are false, anything else true. */
export function queryFlag(q: URLSearchParams, name: string): boolean | undefined {
  if (!q.has(name)) return undefined;
  return !['0', 'false', 'no', 'off'].includes((q.get(name) ?? '').toLowerCase());
}

/** The `?name=`, `?domain_id=`, `?enabled=` filters the CLIs use to turn a name into an id. */
export function matches(q: URLSearchParams, x: { name?: string; domain_id?: string; enabled?: boolean }): boolean {
  const enabled = queryFlag(q, 'enabled');
  return (!q.has('name') || x.name === q.get('name')) && (!q.has('domain_id') || x.domain_id === q.get('domain_id'))
    && (enabled === undefined || x.enabled === enabled);
}
