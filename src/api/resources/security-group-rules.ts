// /v2.0/security-group-rules: attribute map (security-group, normalized CIDR,
// remote address group) and the view. Rules cannot be updated: no `update`, so PUT
// answers 405 as the API reference has no such call (Zed answered 500, row 175).
import { standardAttributes, validIdString, validIdStringOrNone, validString, validUuidOrNone, validValues, type AttrMap } from '../attributes.ts';
import type { ResourceDef } from '../resource.ts';
import type { RuleRow } from '../../db/repos/security-groups.ts';
import { SecurityGroupRuleNotFound } from '../../errors/catalog.ts';
import { convertEthertype, convertIpPrefix, convertPort, convertProtocol, normalizedCidr } from '../../domain/security-group-rules.ts';
import * as svc from '../../services/security-group-rules.ts';

const { tags: _tags, name: _name, ...std } = standardAttributes;

export const securityGroupRuleAttributes: AttrMap = {
  ...std,
  description: { allowPost: true, allowPut: false, default: '', validate: validString(255), visible: true, filter: true, sortKey: true },
  security_group_id: { allowPost: true, allowPut: false, required: true, validate: validIdString, visible: true, filter: true, sortKey: true },
  remote_group_id: { allowPost: true, allowPut: false, default: null, validate: validIdStringOrNone, visible: true, filter: true, sortKey: true },
  direction: { allowPost: true, allowPut: false, required: true, validate: validValues(['ingress', 'egress']), visible: true, filter: true, sortKey: true },
  protocol: { allowPost: true, allowPut: false, default: null, convert: convertProtocol, visible: true, filter: true, sortKey: true },
  port_range_min: { allowPost: true, allowPut: false, default: null, convert: convertPort, visible: true, filter: true, sortKey: true },
  port_range_max: { allowPost: true, allowPut: false, default: null, convert: convertPort, visible: true, filter: true, sortKey: true },
  ethertype: { allowPost: true, allowPut: false, default: 'IPv4', convert: convertEthertype, visible: true, filter: true, sortKey: true },
  remote_ip_prefix: { allowPost: true, allowPut: false, default: null, convert: convertIpPrefix, visible: true, filter: true, sortKey: true },
  remote_address_group_id: { allowPost: true, allowPut: false, default: null, validate: validUuidOrNone, visible: true, filter: true, sortKey: true },
  normalized_cidr: { allowPost: false, allowPut: false, visible: true },
};

export function renderRule(r: RuleRow): Record<string, unknown> {
  return {
    id: r.id, tenant_id: r.project_id, security_group_id: r.security_group_id, ethertype: r.ethertype, direction: r.direction,
    protocol: r.protocol, port_range_min: r.port_range_min, port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix,
    remote_group_id: r.remote_group_id, normalized_cidr: normalizedCidr(r.remote_ip_prefix), remote_address_group_id: r.remote_address_group_id,
    description: r.description, created_at: r.created_at, updated_at: r.updated_at, revision_number: r.revision_number, project_id: r.project_id,
  };
}

export const securityGroupRulesResource: ResourceDef<RuleRow> = {
  singular: 'security_group_rule',
  plural: 'security_group_rules',
  path: 'security-group-rules',
  attributes: securityGroupRuleAttributes,
  taggable: false,
  notFound: SecurityGroupRuleNotFound,
  render: renderRule,
  idOf: (r) => r.id,
  revisionOf: (r) => r.revision_number,
  list: svc.listSecurityGroupRules,
  get: svc.getSecurityGroupRule,
  create: svc.createSecurityGroupRules,
  delete: svc.deleteSecurityGroupRule,
};
