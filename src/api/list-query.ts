// List requests: filters, fields, sorting and pagination parsed and validated as
// neutron.api.api_common does, into a plain ListQuery the services turn into SQL.
import {
  InvalidFilter, InvalidLimit, InvalidSortDir, InvalidSortKey, SortCountMismatch, TenantIdProjectIdFilterConflict,
} from '../errors/catalog.ts';
import type { AttrMap } from './attributes.ts';
import type { ListQuery, TagFilters } from '../db/list-query.ts';
import { own } from '../domain/own.ts';

const MAX_LIMIT = 2 ** 31 - 1;
const RESERVED = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);
const TAG_KEYS: Record<string, keyof TagFilters> = { tags: 'all', 'tags-any': 'any', 'not-tags': 'notAll', 'not-tags-any': 'notAny' };

export interface ListQueryOptions {
  /** Filters beyond the attribute map's (e.g. ports' fixed_ips, ip_address_substr). */
  specialFilters?: readonly string[];
  /** Whether the resource has tags (standard-attr-tag). */
  taggable?: boolean;
  /** [DEFAULT] pagination_max_limit; -1 = none. */
  maxLimit?: number;
}

export function parseListQuery(params: URLSearchParams, attrs: AttrMap, opts: ListQueryOptions = {}): ListQuery {
  const filters = new Map<string, unknown[]>();
  const special = new Map<string, string[]>();
  const tags: TagFilters = { all: [], any: [], notAll: [], notAny: [] };
  const invalid: string[] = [];
  const specials = new Set(opts.specialFilters ?? []);

  for (const key of new Set(params.keys())) {
    if (RESERVED.has(key)) continue;
    const values = params.getAll(key);
    const tagKey = opts.taggable ? own(TAG_KEYS, key) : undefined;
    if (tagKey) {
      for (const v of values) tags[tagKey].push(...v.split(',').filter((t) => t !== ''));
      continue;
    }
    if (specials.has(key)) { special.set(key, values); continue; }
    const spec = own(attrs, key);
    if (!spec || !spec.filter) { invalid.push(key); continue; }
    filters.set(key, values.map((v) => (v !== '' && (spec.filterConvert ?? spec.convert) ? (spec.filterConvert ?? spec.convert)!(v) : v)));
  }
  if (invalid.length) throw InvalidFilter(invalid);
  const p = filters.get('project_id'), t = filters.get('tenant_id');
  if (p && t) {
    if (JSON.stringify(p) !== JSON.stringify(t)) throw TenantIdProjectIdFilterConflict();
    filters.delete('tenant_id');
  } else if (t) {
    filters.set('project_id', t);
    filters.delete('tenant_id');
  }

  const fields = params.getAll('fields').filter((f) => f !== '');

  const sortKeys = params.getAll('sort_key').filter((v) => v !== '');
  const sortDirs = params.getAll('sort_dir').filter((v) => v !== '');
  if (sortKeys.length !== sortDirs.length) throw SortCountMismatch();
  const badKeys = sortKeys.filter((k) => !own(attrs, k)?.sortKey);
  if (badKeys.length) throw InvalidSortKey(badKeys);
  const badDirs = sortDirs.filter((d) => d !== 'asc' && d !== 'desc');
  if (badDirs.length) throw InvalidSortDir(badDirs);
  const sorts = sortKeys.map((key, i) => ({ key: key === 'tenant_id' ? 'project_id' : key, dir: sortDirs[i] as 'asc' | 'desc' }));

  let limit: number | null = null;
  const rawLimit = params.get('limit');
  if (rawLimit !== null) {
    if (!/^\d+$/.test(rawLimit)) throw InvalidLimit(rawLimit);
    // Beyond any table's size every limit means the same; capped so that no database sees a number it cannot hold.
    const n = Math.min(Number.parseInt(rawLimit, 10), MAX_LIMIT);
    limit = n === 0 ? null : n;
  }
  const max = opts.maxLimit ?? -1;
  if (max > 0 && (limit === null || limit > max)) limit = max;

  const marker = params.get('marker') || null;
  const pageReverse = (params.get('page_reverse') ?? '').toLowerCase() === 'true';

  return { filters, special, tags, fields: fields.length ? fields : null, sorts, limit, marker, pageReverse };
}

/** `<collection>_links` exactly as api_common.get_pagination_links builds them. */
export function paginationLinks(
  baseUrl: string, params: URLSearchParams, ids: string[], limit: number | null, marker: string | null, pageReverse: boolean,
): { rel: string; href: string }[] {
  if (!limit) return [];
  const links: { rel: string; href: string }[] = [];
  const link = (m: string | null, reverse: boolean) => {
    const q = new URLSearchParams(params);
    q.delete('marker');
    q.delete('page_reverse');
    if (m !== null) q.set('marker', m);
    if (reverse) q.set('page_reverse', 'True');
    return `${baseUrl}?${q.toString()}`;
  };
  if (!(ids.length < limit && !pageReverse)) links.push({ rel: 'next', href: link(ids.at(-1) ?? marker, false) });
  if (!(ids.length < limit && pageReverse)) links.push({ rel: 'previous', href: link(ids[0] ?? marker, true) });
  return links;
}
