// /v2.0/subnetpools: attribute map (subnetpool, address-scope, default-subnetpools,
// standard attributes), the view, and the subnetpool-prefix-ops member actions.
import { standardAttributes, toBoolean, toInt, validString, validUuidOrNone, type AttrMap, type Validator } from '../attributes.ts';
import { pyRepr, pyStr } from '../../domain/py-str.ts';
import type { SubnetpoolRecord } from '../../db/repos/subnetpools.ts';
import type { ResourceDef } from '../resource.ts';
import { SubnetPoolNotFound } from '../../errors/catalog.ts';
import { validateSubnetCidr } from '../../domain/ip/cidr.ts';
import * as svc from '../../services/subnetpools.ts';

/** validate_not_empty_string. */
export const validNotEmptyString = (maxLen?: number): Validator => (v) => {
  const r = validString(maxLen)(v);
  if (r) return r;
  return (v as string).trim() === '' ? `'${v as string}' Blank strings are not permitted` : null;
};

/** validate_non_negative (after convert_to_int). */
export const validNonNegative: Validator = (v) => (typeof v === 'number' && v >= 0 ? null : `'${pyStr(v)}' should be non-negative`);

/** validate_subnet_list: a list, no duplicates, each a subnet CIDR. */
export const validSubnetList: Validator = (v) => {
  if (!Array.isArray(v)) return `'${pyRepr(v)}' is not a list`;
  if (new Set(v).size !== v.length) return `Duplicate items in the list: '${v.map(pyStr).join(', ')}'`;
  for (const c of v) { const r = validateSubnetCidr(c); if (r) return r; }
  return null;
};

const prefixlen = { allowPost: true, allowPut: true, convert: toInt, validate: validNonNegative, visible: true, filter: true, sortKey: true } as const;

export const subnetpoolAttributes: AttrMap = {
  ...standardAttributes,
  name: { allowPost: true, allowPut: true, required: true, validate: validNotEmptyString(), visible: true, filter: true, sortKey: true },
  prefixes: { allowPost: true, allowPut: true, required: true, validate: validSubnetList, visible: true },
  default_quota: { ...prefixlen },
  ip_version: { allowPost: false, allowPut: false, visible: true, filter: true, sortKey: true, filterConvert: toInt },
  default_prefixlen: { ...prefixlen },
  min_prefixlen: { ...prefixlen },
  max_prefixlen: { ...prefixlen },
  is_default: { allowPost: true, allowPut: true, default: false, convert: toBoolean, visible: true, filter: true, sortKey: true, enforcePolicy: true },
  shared: { allowPost: true, allowPut: false, default: false, convert: toBoolean, visible: true, filter: true, sortKey: true, enforcePolicy: true },
  address_scope_id: { allowPost: true, allowPut: true, validate: validUuidOrNone, visible: true, filter: true, sortKey: true },
};

export function renderSubnetpool(r: SubnetpoolRecord): Record<string, unknown> {
  const p = r.row;
  // Zed's _make_subnetpool_dict renders the prefix lengths with str(); its update answer does not.
  const len = (n: number) => (r.prefixlensAsNumbers ? n : String(n));
  return {
    id: p.id, name: p.name, tenant_id: p.project_id, prefixes: r.prefixes, default_quota: p.default_quota, ip_version: p.ip_version,
    default_prefixlen: len(p.default_prefixlen), min_prefixlen: len(p.min_prefixlen), max_prefixlen: len(p.max_prefixlen),
    is_default: p.is_default === 1, shared: p.shared === 1, address_scope_id: p.address_scope_id, description: p.description,
    tags: r.tags, created_at: p.created_at, updated_at: p.updated_at, revision_number: p.revision_number, project_id: p.project_id,
  };
}

export const subnetpoolsResource: ResourceDef<SubnetpoolRecord> = {
  singular: 'subnetpool',
  plural: 'subnetpools',
  attributes: subnetpoolAttributes,
  taggable: true,
  notFound: SubnetPoolNotFound,
  render: renderSubnetpool,
  idOf: (r) => r.row.id,
  revisionOf: (r) => r.row.revision_number,
  list: svc.listSubnetpools,
  get: svc.getSubnetpool,
  create: svc.createSubnetpools,
  update: svc.updateSubnetpool,
  delete: svc.deleteSubnetpool,
  actions: { add_prefixes: svc.addPrefixes, remove_prefixes: svc.removePrefixes },
};
