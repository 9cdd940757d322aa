// Request bodies, checked in the order neutron.api.v2.base does: envelope, unknown
// attributes, project, defaults / read-only, conversion, validation. The order
// matters: clients see the first error only, and tempest asserts which one.
import type { IncomingMessage } from 'node:http';
import {
  HTTPBadRequest, HTTPPayloadTooLarge, InvalidAttribute, MissingAttribute, ProjectMismatch, ReadOnlyAttribute, UnrecognizedAttributes,
} from '../errors/catalog.ts';
import type { AttrMap } from './attributes.ts';
import { BodyTooLarge, readBodyText } from '../http/body-text.ts';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../http/json-depth.ts';
import { own } from '../domain/own.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { Item } from '../services/item.ts';

export function parseJson(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  if (nestedDeeperThan(raw)) throw HTTPBadRequest(`Body contains invalid data: JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw HTTPBadRequest('Body contains invalid data');
  }
  // JSON text carries a NUL only as the escape \u0000: without one, no walk over a huge body
  if (raw.includes('\\u0000') && hasNul(body)) throw HTTPBadRequest('Body contains invalid data: strings may not contain NUL (\\u0000) characters');
  return body;
}

/** PostgreSQL cannot store U+0000 in text, and no name or id needs it. (Depth is bounded: see parseJson.) */
function hasNul(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\0');
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(hasNul);
  return Object.entries(v).some(([k, x]) => k.includes('\0') || hasNul(x));
}

/** `{"network": {...}}` or, for bulk, `{"networks": [...]}` whose items are bare
 *  (`{...}`) or wrapped (`{"network": {...}}`), as neutron.api.v2.base's
 *  prepare_request_body takes them; the collection wins when both keys are given. */
export function extractItems(body: unknown, singular: string, plural: string, allowBulk: boolean): { items: Item[]; bulk: boolean } {
  if (body === undefined || body === null) throw HTTPBadRequest(`Unable to find '${singular}' in request body`);
  if (typeof body !== 'object' || Array.isArray(body)) throw HTTPBadRequest('Body contains invalid data');
  const b = body as Record<string, unknown>;
  if (Object.hasOwn(b, plural)) {
    if (!allowBulk) throw HTTPBadRequest('Bulk operation not supported');
    return { items: bulkItems(b[plural], singular), bulk: true };
  }
  if (!Object.hasOwn(b, singular)) throw HTTPBadRequest(`Unable to find '${singular}' in request body`);
  return { items: [asItem(b[singular], singular)], bulk: false };
}

/** The items of a bulk body, answering for odd shapes what Neutron's Python answers. */
function bulkItems(list: unknown, singular: string): Item[] {
  // Python's falsy values: None, false, 0, "", [], {}.
  const empty = !list || (typeof list === 'object' && Object.keys(list).length === 0);
  if (empty) throw HTTPBadRequest('Resources required');
  // Python iterates a list, a dict's keys and a string's characters; a number or true is not iterable.
  if (typeof list !== 'object' && typeof list !== 'string') throw HTTPBadRequest('Body contains invalid data');
  const entries: unknown[] = Array.isArray(list) ? list : typeof list === 'string' ? [...list] : Object.keys(list);
  return entries.map((x) => {
    // `resource in item`: a membership test on dicts, lists and strings, a TypeError on the rest.
    if (x === null || typeof x === 'number' || typeof x === 'boolean') throw HTTPBadRequest('Body contains invalid data');
    const wrapped = typeof x === 'string' ? x.includes(singular) : Array.isArray(x) ? x.includes(singular) : singular in (x as object);
    if (!wrapped) return asItem(x, singular);
    if (typeof x === 'string' || Array.isArray(x)) throw HTTPBadRequest('Body contains invalid data'); // str.get / list.get
    const inner = (x as Record<string, unknown>)[singular];
    if (inner === null) throw HTTPBadRequest(`Unable to find '${singular}' in request body`);
    return asItem(inner, singular);
  });
}

export function extractUpdate(body: unknown, singular: string): Item {
  if (body === undefined || body === null) throw HTTPBadRequest(`Unable to find '${singular}' in request body`);
  if (typeof body !== 'object' || Array.isArray(body)) throw HTTPBadRequest('Body contains invalid data');
  const b = body as Record<string, unknown>;
  // prepare_request_body runs for PUT with allow_bulk off: its collection key (resource + "s") is a refused bulk.
  if (Object.hasOwn(b, `${singular}s`)) throw HTTPBadRequest('Bulk operation not supported');
  if (!Object.hasOwn(b, singular)) throw HTTPBadRequest(`Unable to find '${singular}' in request body`);
  return asItem(b[singular], singular);
}

function asItem(v: unknown, singular: string): Item {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw HTTPBadRequest(`Object '${singular}' contains invalid data`);
  return { ...(v as Item) };
}

function checkKnown(item: Item, attrs: AttrMap): void {
  const unknown = Object.keys(item).filter((k) => !Object.hasOwn(attrs, k));
  if (unknown.length) throw UnrecognizedAttributes(unknown);
}

/** project_id / tenant_id: equal if both given; only admins may name another project. */
function populateProject(item: Item, ctx: RequestContext, isCreate: boolean): void {
  const p = item.project_id, t = item.tenant_id;
  if (p !== undefined && t !== undefined && p !== t) throw HTTPBadRequest("'project_id' and 'tenant_id' do not match");
  const given = p ?? t;
  if (given !== undefined && !ctx.isAdmin && !ctx.isAdvsvc && given !== ctx.projectId) throw ProjectMismatch();
  if (isCreate) {
    const project = (given as string | undefined) ?? ctx.projectId ?? '';
    item.project_id = project;
    item.tenant_id = project;
  }
}

function convertAndValidate(item: Item, attrs: AttrMap): void {
  for (const [k, v] of Object.entries(item)) {
    const spec = own(attrs, k)!; // checkKnown let only own attributes through
    let value = v;
    if (spec.convert && value !== undefined) {
      value = spec.convert(value);
      item[k] = value;
    }
    if (spec.validate && value !== undefined) {
      const reason = spec.validate(value);
      if (reason !== null) throw InvalidAttribute(k, reason);
    }
  }
}

/** Returns the item with defaults filled; `explicit` lists the attributes the client gave (for policy). */
export function prepareCreate(raw: Item, attrs: AttrMap, ctx: RequestContext): { item: Item; explicit: Set<string> } {
  checkKnown(raw, attrs);
  const explicit = new Set(Object.keys(raw));
  const item: Item = { ...raw };
  populateProject(item, ctx, true);
  for (const [k, spec] of Object.entries(attrs)) {
    if (Object.hasOwn(item, k)) {
      if (!spec.allowPost && k !== 'project_id' && k !== 'tenant_id') throw HTTPBadRequest(`Attribute '${k}' not allowed in POST`);
      continue;
    }
    if (!spec.allowPost) continue;
    if (spec.required) throw MissingAttribute(k);
    // each item its own copy of an object default (a list, a dict); primitives need none
    if ('default' in spec) item[k] = typeof spec.default === 'object' && spec.default !== null ? structuredClone(spec.default) : spec.default;
  }
  convertAndValidate(item, attrs);
  return { item, explicit };
}

export function prepareUpdate(raw: Item, attrs: AttrMap, ctx: RequestContext): Item {
  checkKnown(raw, attrs);
  const item: Item = { ...raw };
  if ('project_id' in item || 'tenant_id' in item) populateProject(item, ctx, false);
  for (const k of Object.keys(item)) {
    if (!own(attrs, k)!.allowPut) throw ReadOnlyAttribute(k);
  }
  convertAndValidate(item, attrs);
  return item;
}

/** The request body as text; HTTPPayloadTooLarge past `max` bytes, delivered before the connection closes. */
export async function readBody(req: IncomingMessage, max: number): Promise<string> {
  try {
    return await readBodyText(req, max);
  } catch (e) {
    if (e instanceof BodyTooLarge) throw HTTPPayloadTooLarge(max);
    throw HTTPBadRequest('Body contains invalid data');
  }
}
