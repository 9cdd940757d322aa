// /v2.0/routers: attribute map (router, ext-gw-mode, extraroute, dvr/l3-ha as
// admin-only stored flags, router availability zones, l3-flavors' flavor_id,
// standard attributes), the view, and the member actions.
import { standardAttributes, toBoolean, toList, validListOfStrings, validUuidOrNone, type AttrMap, type Converter, type Validator } from '../attributes.ts';
import { pyStr } from '../../domain/py-str.ts';
import { validUuid } from '../../domain/uuid.ts';
import type { RouterRecord } from '../../db/repos/routers.ts';
import { shaper, type ResourceDef } from '../resource.ts';
import { RouterNotFound } from '../../errors/catalog.ts';
import { convertNoneToEmptyList, validateHostRoutes, verifyDictKeys } from '../../domain/ipam/subnet-validators.ts';
import { validFixedIps } from './ports.ts';
import * as svc from '../../services/routers.ts';
import { addRouterInterface, removeRouterInterface } from '../../services/router-interfaces.ts';
import type { Deps } from '../../services/deps.ts';
import { routerL3AgentsSubResource } from './router-l3-agents.ts';
import type { RequestContext } from '../../domain/policy/context.ts';

/** enable_snat arrives as any boolean-ish value; converted inside the dict. */
const convertGatewayInfo: Converter = (v) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const g = { ...(v as Record<string, unknown>) };
  if (g.enable_snat !== undefined) g.enable_snat = toBoolean(g.enable_snat);
  return g;
};

/** validate_dict_or_nodata with the external_gateway_info key specs. */
const validGatewayInfo: Validator = (v) => {
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) return `'${pyStr(v)}' is not a dictionary`;
  const g = v as Record<string, unknown>;
  if (Object.keys(g).length === 0) return null;
  if (!('network_id' in g)) return verifyDictKeys(['network_id'], g) ?? `Validation of dictionary's keys failed. Expected keys: {'network_id'} Provided keys: {${Object.keys(g).map((k) => `'${k}'`).join(', ')}}`;
  const net = validUuid(g.network_id);
  if (net) return net;
  if (g.external_fixed_ips !== undefined && g.external_fixed_ips !== null) return validFixedIps(g.external_fixed_ips);
  return null;
};

export const routerAttributes: AttrMap = {
  ...standardAttributes,
  admin_state_up: { allowPost: true, allowPut: true, default: true, convert: toBoolean, visible: true, filter: true, sortKey: true },
  status: { allowPost: false, allowPut: false, visible: true, filter: true, sortKey: true },
  external_gateway_info: {
    allowPost: true, allowPut: true, default: null, convert: convertGatewayInfo, validate: validGatewayInfo, visible: true, enforcePolicy: true,
  },
  routes: { allowPost: false, allowPut: true, convert: convertNoneToEmptyList, validate: validateHostRoutes, visible: true },
  distributed: { allowPost: true, allowPut: true, convert: toBoolean, visible: true, filter: true, sortKey: true, enforcePolicy: true },
  ha: { allowPost: true, allowPut: true, convert: toBoolean, visible: true, filter: true, sortKey: true, enforcePolicy: true },
  availability_zone_hints: { allowPost: true, allowPut: false, default: [], convert: toList, validate: validListOfStrings(255), visible: true },
  availability_zones: { allowPost: false, allowPut: false, visible: true },
  flavor_id: { allowPost: true, allowPut: false, validate: validUuidOrNone, visible: true, filter: true, sortKey: true },
};

export function renderRouter(r: RouterRecord): Record<string, unknown> {
  const x = r.row;
  return {
    id: x.id, name: x.name, tenant_id: x.project_id, admin_state_up: x.admin_state_up === 1, status: x.status,
    external_gateway_info: x.gw_network_id === null ? null : {
      network_id: x.gw_network_id, external_fixed_ips: r.gwFixedIps.map((f) => ({ subnet_id: f.subnet_id, ip_address: f.ip_address })),
      enable_snat: x.enable_snat === 1,
    },
    description: x.description, availability_zones: [], availability_zone_hints: JSON.parse(x.availability_zone_hints),
    routes: r.routes.map((o) => ({ destination: o.destination, nexthop: o.nexthop })), distributed: x.distributed === 1, ha: x.ha === 1,
    flavor_id: null, tags: r.tags, created_at: x.created_at, updated_at: x.updated_at, revision_number: x.revision_number, project_id: x.project_id,
  };
}

/** add_extraroutes / remove_extraroutes answer the whole router, as a GET would show it. */
const extraRoutes = (add: boolean) => async (deps: Deps, ctx: RequestContext, id: string, body: unknown) => {
  const r = await svc.editExtraRoutes(deps, ctx, id, body, add);
  return { router: shaper(deps.policy.hiddenAttributes(ctx, 'router'), null)(renderRouter(r)) };
};

export const routersResource: ResourceDef<RouterRecord> = {
  singular: 'router',
  plural: 'routers',
  attributes: routerAttributes,
  taggable: true,
  notFound: RouterNotFound,
  render: renderRouter,
  idOf: (r) => r.row.id,
  revisionOf: (r) => r.row.revision_number,
  list: svc.listRouters,
  get: svc.getRouter,
  create: svc.createRouters,
  update: svc.updateRouter,
  delete: svc.deleteRouter,
  subResources: { 'l3-agents': routerL3AgentsSubResource },
  actions: {
    add_router_interface: addRouterInterface,
    remove_router_interface: removeRouterInterface,
    add_extraroutes: extraRoutes(true),
    remove_extraroutes: extraRoutes(false),
  },
};
