// The generic collection/member controller every resource shares (Neutron's
// api/v2/base.Controller): body preparation, policy-visible rendering, fields,
// pagination links, If-Match.
import type { AttrMap } from './attributes.ts';
import type { Item } from '../services/item.ts';
import type { Deps } from '../services/deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { ListQuery } from '../db/list-query.ts';
import type { NeutronError } from '../errors/neutron-error.ts';

/** A member action: PUT /v2.0/<plural>/{id}/<action> with a free-form body (routers'
 *  add_router_interface, address groups' add_addresses); other methods answer 405. */
export type MemberAction = (deps: Deps, ctx: RequestContext, id: string, body: unknown) => Promise<unknown>;

/** A collection under one object: /v2.0/<plural>/{id}/<sub>[/{subId}] (floating IPs' port_forwardings). */
export interface SubResource {
  handle(deps: Deps, ctx: RequestContext, req: { method: string; parentId: string; subId?: string; url: URL; body: () => Promise<unknown> }):
    Promise<{ status: number; body?: unknown }>;
}

export interface ResourceDef<R> {
  singular: string;
  plural: string;
  /** URL collection when it differs from the JSON plural (security-groups vs security_groups). */
  path?: string;
  attributes: AttrMap;
  taggable: boolean;
  /** Filters outside the attribute map (ports: fixed_ips, ip_address_substr, ...). */
  specialFilters?: readonly string[];
  notFound: (id: string) => NeutronError;
  render: (r: R) => Record<string, unknown>;
  idOf: (r: R) => string;
  revisionOf: (r: R) => number;
  list(deps: Deps, ctx: RequestContext, q: ListQuery): Promise<R[]>;
  get(deps: Deps, ctx: RequestContext, id: string): Promise<R>;
  create(deps: Deps, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[]): Promise<R[]>;
  /** Absent when the resource has no update (PUT answers 405). */
  update?(deps: Deps, ctx: RequestContext, id: string, changes: Item, ifMatch: number | null): Promise<R>;
  delete(deps: Deps, ctx: RequestContext, id: string, ifMatch: number | null): Promise<void>;
  /** With loadMany, enables the view cache for lists: the ids and revisions a list
   *  returns, in order (filters, visibility, sorting and paging applied), nothing else. */
  listKeys?(deps: Deps, ctx: RequestContext, q: ListQuery): Promise<{ id: string; revision: number }[]>;
  /** Objects by id, already authorized by listKeys; missing ids are left out. */
  loadMany?(deps: Deps, ids: string[]): Promise<R[]>;
  /** Member actions by name (PUT only). */
  actions?: Record<string, MemberAction>;
  /** Sub-collections by path segment. */
  subResources?: Record<string, SubResource>;
}

/** Drops what the caller may not see and, with ?fields=, what it did not ask for. */
export function shaper(hidden: ReadonlySet<string>, fields: string[] | null): (o: Record<string, unknown>) => Record<string, unknown> {
  if (fields) {
    const wanted = fields.filter((f) => !hidden.has(f));
    return (o) => {
      const out: Record<string, unknown> = {};
      for (const f of wanted) if (Object.hasOwn(o, f)) out[f] = o[f];
      return out;
    };
  }
  if (hidden.size === 0) return (o) => o;
  return (o) => {
    for (const h of hidden) delete o[h];
    return o;
  };
}
