// The attributes Neutron's attribute maps flag `enforce_policy` (neutron-lib
// api definitions), with what _build_match_rule needs from the map: the order
// Neutron iterates them in (it decides how several attribute rules nest in the
// message), the POST default (an attribute equal to its default is not
// "explicitly set"), and the sub-attributes of dict-typed attributes.

export interface EnforcedAttribute {
  /** Present when the attribute has a default; absent = ATTR_NOT_SPECIFIED. */
  readonly default?: unknown;
  /** Keys of a `type:dict*` validator, in definition order (create_router:external_gateway_info:<key>). */
  readonly subAttributes?: readonly string[];
}

type AttrTable = ReadonlyMap<string, EnforcedAttribute>;

// Core attributes first, then extensions roughly in Neutron's load order (alphabetical
// extension files); the order only matters when one request trips several rules.
const NETWORK: AttrTable = new Map<string, EnforcedAttribute>([
  ['shared', { default: false }],
  ['is_default', { default: false }],
  ['router:external', { default: false }],
  ['segments', {}],
  ['port_security_enabled', { default: true }],
  ['provider:network_type', {}],
  ['provider:physical_network', {}],
  ['provider:segmentation_id', {}],
  ['qos_policy_id', { default: null }],
]);

const PORT: AttrTable = new Map<string, EnforcedAttribute>([
  ['mac_address', {}],
  ['fixed_ips', {}],
  ['device_owner', { default: '' }],
  ['allowed_address_pairs', {}],
  ['data_plane_status', { default: null }],
  ['binding:vif_type', {}],
  ['binding:vif_details', {}],
  ['binding:vnic_type', { default: 'normal' }],
  ['binding:host_id', {}],
  ['binding:profile', {}],
  ['port_security_enabled', {}],
  ['qos_policy_id', { default: null }],
]);

// neutron-lib does not flag these two enforce_policy, but Neutron defines rules for them;
// attributes with a defined rule are enforced here (stricter: admin only, as documented).
const SUBNET: AttrTable = new Map<string, EnforcedAttribute>([
  ['segment_id', { default: null }],
  ['service_types', {}],
]);

const ROUTER: AttrTable = new Map<string, EnforcedAttribute>([
  ['external_gateway_info', { default: null, subAttributes: ['network_id', 'enable_snat', 'external_fixed_ips'] }],
  ['distributed', {}],
  ['ha', {}],
]);

const FLOATINGIP: AttrTable = new Map<string, EnforcedAttribute>([
  ['floating_ip_address', { default: null }],
]);

const SUBNETPOOL: AttrTable = new Map<string, EnforcedAttribute>([
  ['is_default', { default: false }],
  ['shared', { default: false }],
]);

const ADDRESS_SCOPE: AttrTable = new Map<string, EnforcedAttribute>([
  ['shared', { default: false }],
]);

const RBAC_POLICY: AttrTable = new Map<string, EnforcedAttribute>([
  ['object_type', {}],
  ['object_id', {}],
  ['target_tenant', {}],
]);

const TABLES: ReadonlyMap<string, AttrTable> = new Map([
  ['rbac_policy', RBAC_POLICY],
  ['subnetpool', SUBNETPOOL], ['address_scope', ADDRESS_SCOPE],
  ['network', NETWORK], ['port', PORT], ['subnet', SUBNET], ['router', ROUTER], ['floatingip', FLOATINGIP],
]);

const EMPTY: AttrTable = new Map();

/** Enforced attributes of a resource (singular name, as in the action: create_<resource>). */
export function enforcedAttributes(resource: string): AttrTable {
  return TABLES.get(resource) ?? EMPTY;
}

/**
 * Target keys that carry a parent's data rather than the resource's own attributes
 * (`network:tenant_id`, `network:shared`, ...): never candidates for attribute rules.
 */
export function isParentKey(key: string): boolean {
  return key.startsWith('network:') || key.startsWith('ext_parent:') || key.startsWith('security_group:');
}
