// /v2.0/address-groups (address-group): attribute map, view, and the
// add_addresses / remove_addresses member actions.
import { standardAttributes, type AttrMap } from '../attributes.ts';
import type { ResourceDef } from '../resource.ts';
import { AddressGroupNotFound } from '../../errors/catalog.ts';
import * as svc from '../../services/address-groups.ts';
import type { AddressGroupRecord } from '../../services/address-groups.ts';
import { validSubnetList } from './subnetpools.ts';

const { tags: _tags, ...std } = standardAttributes;

export const addressGroupAttributes: AttrMap = {
  ...std,
  // type:subnet_list after convert_none_to_empty_list: '10.0.0.1' (no prefix length) is
  // refused here; the service stores each address as its network.
  addresses: { allowPost: true, allowPut: false, default: [], convert: (v) => (v === null ? [] : v), validate: validSubnetList, visible: true },
  shared: { allowPost: false, allowPut: false, visible: true },
};

export function renderAddressGroup(r: AddressGroupRecord): Record<string, unknown> {
  const a = r.row;
  return {
    id: a.id, name: a.name, description: a.description, project_id: a.project_id, tenant_id: a.project_id, addresses: r.addresses,
    shared: r.shared ?? false, created_at: a.created_at, updated_at: a.updated_at, revision_number: a.revision_number,
  };
}

export const addressGroupsResource: ResourceDef<AddressGroupRecord> = {
  singular: 'address_group',
  plural: 'address_groups',
  path: 'address-groups',
  attributes: addressGroupAttributes,
  taggable: false,
  notFound: AddressGroupNotFound,
  render: renderAddressGroup,
  idOf: (r) => r.row.id,
  revisionOf: (r) => r.row.revision_number,
  list: svc.listAddressGroups,
  get: svc.getAddressGroup,
  create: svc.createAddressGroups,
  update: svc.updateAddressGroup,
  delete: svc.deleteAddressGroup,
  actions: {
    add_addresses: async (deps, ctx, id, body) => { const r = await svc.addAddresses(deps, ctx, id, body); return { address_group: renderAddressGroup(r.address_group) }; },
    remove_addresses: async (deps, ctx, id, body) => { const r = await svc.removeAddresses(deps, ctx, id, body); return { address_group: renderAddressGroup(r.address_group) }; },
  },
};
