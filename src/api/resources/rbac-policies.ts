// /v2.0/rbac-policies (rbac-policies, rbac-security-groups, rbac-address-scope,
// rbac-subnetpool, rbac-address-group): attribute map and view.
import { validString, type AttrMap, type Converter } from '../attributes.ts';
import { validUuid } from '../../domain/uuid.ts';
import type { ResourceDef } from '../resource.ts';
import { InvalidInput, RbacPolicyNotFound } from '../../errors/catalog.ts';
import * as svc from '../../services/rbac.ts';
import { pyStr } from '../../domain/py-str.ts';

/** convert_valid_object_type: case-insensitive, surrounding blanks ignored. */
const toObjectType: Converter = (v) => {
  const normalized = typeof v === 'string' ? v.trim().toLowerCase() : v;
  if (typeof normalized === 'string' && Object.hasOwn(svc.RBAC_OBJECT_KINDS, normalized)) return normalized;
  throw InvalidInput(`'${pyStr(v)}' is not a valid RBAC object type`);
};

// Zed leaves object_type/object_id/action without defaults and fails later with a 500
// when they are missing; Muon asks for them as required attributes instead.
export const rbacAttributes: AttrMap = {
  id: { allowPost: false, allowPut: false, visible: true, filter: true, sortKey: true },
  object_type: { allowPost: true, allowPut: false, required: true, convert: toObjectType, visible: true, filter: true, sortKey: true, enforcePolicy: true },
  object_id: { allowPost: true, allowPut: false, required: true, validate: validUuid, visible: true, filter: true, sortKey: true, enforcePolicy: true },
  target_tenant: { allowPost: true, allowPut: true, required: true, validate: validString(255), visible: true, filter: true, sortKey: true, enforcePolicy: true },
  project_id: { allowPost: true, allowPut: false, validate: validString(255), visible: true, filter: true, sortKey: true },
  tenant_id: { allowPost: true, allowPut: false, validate: validString(255), visible: true, filter: true, sortKey: true },
  action: { allowPost: true, allowPut: false, required: true, validate: validString(255), visible: true, filter: true, sortKey: true },
};

export function renderRbacPolicy(r: svc.RbacRecord): Record<string, unknown> {
  const p = r.row;
  return {
    id: p.id, project_id: p.project_id, tenant_id: p.project_id, target_tenant: p.target_project,
    action: p.action, object_id: p.object_id, object_type: p.object_type,
  };
}

export const rbacPoliciesResource: ResourceDef<svc.RbacRecord> = {
  singular: 'rbac_policy',
  plural: 'rbac_policies',
  path: 'rbac-policies',
  attributes: rbacAttributes,
  taggable: false,
  notFound: (id) => RbacPolicyNotFound(id, 'unknown'),
  render: renderRbacPolicy,
  idOf: (r) => r.row.id,
  revisionOf: () => 0,
  list: svc.listRbacPolicies,
  get: svc.getRbacPolicy,
  create: svc.createRbacPolicies,
  update: (deps, ctx, id, changes) => svc.updateRbacPolicy(deps, ctx, id, changes),
  delete: (deps, ctx, id) => svc.deleteRbacPolicy(deps, ctx, id),
};
