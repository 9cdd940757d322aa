// /v2.0/address-scopes (address-scope extension): no standard attributes in Neutron.
import { toBoolean, toInt, validString, validValues, type AttrMap } from '../attributes.ts';
import { pyStr } from '../../domain/py-str.ts';
import type { AddressScopesTable } from '../../db/schema.ts';
import type { ResourceDef } from '../resource.ts';
import { AddressScopeNotFound } from '../../errors/catalog.ts';
import * as svc from '../../services/address-scopes.ts';

export const addressScopeAttributes: AttrMap = {
  id: { allowPost: false, allowPut: false, visible: true, filter: true, sortKey: true },
  name: { allowPost: true, allowPut: true, default: '', validate: validString(255), visible: true, filter: true, sortKey: true },
  project_id: { allowPost: true, allowPut: false, validate: validString(255), visible: true, filter: true, sortKey: true },
  tenant_id: { allowPost: true, allowPut: false, validate: validString(255), visible: true, filter: true, sortKey: true },
  shared: { allowPost: true, allowPut: true, default: false, convert: toBoolean, visible: true, filter: true, sortKey: true, enforcePolicy: true },
  ip_version: {
    allowPost: true, allowPut: false, required: true, convert: toInt, validate: validValues([4, 6]), visible: true, filter: true, sortKey: true,
    filterConvert: (v) => (/^\d+$/.test(String(v)) ? Number(v) : pyStr(v)),
  },
};

export const renderAddressScope = (a: AddressScopesTable): Record<string, unknown> => ({
  id: a.id, name: a.name, tenant_id: a.project_id, shared: a.shared === 1, ip_version: a.ip_version, project_id: a.project_id,
});

export const addressScopesResource: ResourceDef<AddressScopesTable> = {
  singular: 'address_scope',
  plural: 'address_scopes',
  path: 'address-scopes',
  attributes: addressScopeAttributes,
  taggable: false,
  notFound: AddressScopeNotFound,
  render: renderAddressScope,
  idOf: (r) => r.id,
  revisionOf: () => 0,
  list: svc.listAddressScopes,
  get: svc.getAddressScope,
  create: svc.createAddressScopes,
  update: (deps, ctx, id, changes) => svc.updateAddressScope(deps, ctx, id, changes),
  delete: (deps, ctx, id) => svc.deleteAddressScope(deps, ctx, id),
};
