// GET /v2.0/availability_zones (availability_zone, availability_zone_filter) and the
// availability_zone_hints validator networks and routers share.
import type { SubRoute } from '../app.ts';
import { type AttrMap, type Validator } from '../attributes.ts';
import { pyStr } from '../../domain/py-str.ts';
import { parseListQuery } from '../list-query.ts';
import { shaper } from '../resource.ts';
import { HTTPMethodNotAllowed, HTTPNotFound, InvalidInput } from '../../errors/catalog.ts';
import { listAvailabilityZones } from '../../services/availability-zones.ts';

const zoneAttributes: AttrMap = {
  name: { allowPost: false, allowPut: false, visible: true, filter: true },
  resource: { allowPost: false, allowPut: false, visible: true, filter: true },
  state: { allowPost: false, allowPut: false, visible: true, filter: true },
};

export const availabilityZonesRoute: SubRoute = {
  async handle(deps, ctx, method, parts, url) {
    if (parts.length > 1) throw HTTPNotFound();
    if (method !== 'GET') throw HTTPMethodNotAllowed();
    const q = parseListQuery(url.searchParams, zoneAttributes, {});
    const zones = listAvailabilityZones(deps).filter((z) =>
      deps.policy.check(ctx, 'get_availability_zone', { ...z }) &&
      [...q.filters].every(([k, vals]) => vals.some((v) => String(v) === String((z as unknown as Record<string, unknown>)[k]))));
    const shape = shaper(new Set(), q.fields);
    return { status: 200, body: { availability_zones: zones.map((z) => shape({ ...z })) } };
  },
};

/** neutron-lib type:availability_zone_hint_list: unique strings, stored comma-joined in 255 chars. */
export const validAvailabilityZoneHints: Validator = (v) => {
  if (!Array.isArray(v)) return `'${pyStr(v)}' is not a list`;
  for (const item of v) if (typeof item !== 'string') return `'${pyStr(item)}' is not a valid string`;
  const dups = [...new Set(v.filter((x, i) => v.indexOf(x) !== i))];
  if (dups.length) return `Duplicate items in the list: '${dups.join(', ')}'`;
  if (v.join(',').length > 255) throw InvalidInput('Too many availability_zone_hints specified');
  return null;
};
