// /v2.0/security-groups: attribute map (security-group, stateful-security-group,
// security-groups-shared-filtering, standard attributes) and the view, with the
// group's rules embedded as Zed shows them (standard_attr_id and tags included).
import { standardAttributes, toBoolean, validString, type AttrMap, type Validator } from '../attributes.ts';
import type { ResourceDef } from '../resource.ts';
import type { SecurityGroupRecord } from '../../db/repos/security-groups.ts';
import { SecurityGroupDefaultAlreadyExists, SecurityGroupNotFound } from '../../errors/catalog.ts';
import * as svc from '../../services/security-groups.ts';
import { renderRule } from './security-group-rules.ts';

/** type:name_not_default: 'default' (any case) is the project's own group. */
const nameNotDefault: Validator = (v) => {
  const msg = validString(255)(v);
  if (msg) return msg;
  if ((v as string).toLowerCase() === 'default') throw SecurityGroupDefaultAlreadyExists();
  return null;
};

export const securityGroupAttributes: AttrMap = {
  ...standardAttributes,
  name: { ...standardAttributes.name, validate: nameNotDefault },
  security_group_rules: { allowPost: false, allowPut: false, visible: true },
  stateful: { allowPost: true, allowPut: true, default: true, convert: toBoolean, visible: true, filter: true, sortKey: true },
  shared: { allowPost: false, allowPut: false, visible: true, filter: true, filterConvert: toBoolean },
};

export function renderSecurityGroup(r: SecurityGroupRecord): Record<string, unknown> {
  const g = r.row;
  return {
    id: g.id, name: g.name, tenant_id: g.project_id, description: g.description, stateful: g.stateful === 1, shared: r.shared ?? false,
    security_group_rules: r.rules.map((rule) => ({ ...renderRule(rule), standard_attr_id: rule.seq, tags: [] })),
    tags: r.tags, created_at: g.created_at, updated_at: g.updated_at, revision_number: g.revision_number, project_id: g.project_id,
  };
}

export const securityGroupsResource: ResourceDef<SecurityGroupRecord> = {
  singular: 'security_group',
  plural: 'security_groups',
  path: 'security-groups',
  attributes: securityGroupAttributes,
  taggable: true,
  notFound: SecurityGroupNotFound,
  render: renderSecurityGroup,
  idOf: (r) => r.row.id,
  revisionOf: (r) => r.row.revision_number,
  list: svc.listSecurityGroups,
  get: svc.getSecurityGroup,
  create: svc.createSecurityGroups,
  update: svc.updateSecurityGroup,
  delete: svc.deleteSecurityGroup,
};
