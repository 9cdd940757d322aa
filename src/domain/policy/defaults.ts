// Neutron's default policy as Zed (21.0.0) enforced it with the shipped
// `enforce_new_defaults = False`: oslo evaluates such a rule as
// "(new default) or (deprecated legacy rule)" unless the operator overrides it.
// `check` is Zed's new default, `legacy` the deprecated rule it still honours
// (absent when both are the same). Sources: neutron/conf/policies/*.py at
// 21.0.0; error-samples.md (Zed's answers) is the arbiter where they disagree.

export interface RuleDefault {
  readonly name: string;
  readonly check: string;
  readonly legacy?: string;
}

// Zed's persona strings (neutron/conf/policies/base.py).
const ADMIN = 'rule:admin_only';
const PROJECT_MEMBER = 'role:member and project_id:%(project_id)s';
const PROJECT_READER = 'role:reader and project_id:%(project_id)s';
const ADMIN_OR_PROJECT_MEMBER = `(${ADMIN}) or (${PROJECT_MEMBER})`;
const ADMIN_OR_PROJECT_READER = `(${ADMIN}) or (${PROJECT_READER})`;
const ANY = 'rule:regular_user';
const ADMIN_OR_OWNER = 'rule:admin_or_owner';
const ADVSVC = 'rule:context_is_advsvc';
const ADMIN_OR_NET_OWNER = 'rule:admin_or_network_owner';
const NET_OWNER = 'rule:network_owner';

const r = (name: string, check: string, legacy?: string): RuleDefault =>
  legacy === undefined || legacy === check ? { name, check } : { name, check, legacy };

/** Admin-only in both the new and the legacy defaults. */
const adminOnly = (...names: string[]): RuleDefault[] => names.map((n) => r(n, ADMIN));

export const BASE_RULES: readonly RuleDefault[] = [
  r('context_is_admin', 'role:admin'),
  r('owner', 'tenant_id:%(tenant_id)s'),
  r('admin_or_owner', 'rule:context_is_admin or rule:owner'),
  r('context_is_advsvc', 'role:advsvc'),
  r('admin_or_network_owner', 'rule:context_is_admin or tenant_id:%(network:tenant_id)s'),
  r('admin_owner_or_network_owner', 'rule:owner or rule:admin_or_network_owner'),
  r('network_owner', 'tenant_id:%(network:tenant_id)s'),
  r('admin_only', 'rule:context_is_admin'),
  r('regular_user', ''),
  r('shared', 'field:networks:shared=True'),
  // Used for any rule that is not defined (oslo's policy_default_rule).
  r('default', ADMIN_OR_OWNER),
  r('admin_or_ext_parent_owner', 'rule:context_is_admin or tenant_id:%(ext_parent:tenant_id)s'),
  r('ext_parent_owner', 'tenant_id:%(ext_parent:tenant_id)s'),
  r('sg_owner', 'tenant_id:%(security_group:tenant_id)s'),
];

export const NETWORK_RULES: readonly RuleDefault[] = [
  r('external', 'field:networks:router:external=True'),
  r('create_network', ADMIN_OR_PROJECT_MEMBER, ANY),
  ...adminOnly(
    'create_network:shared', 'create_network:router:external', 'create_network:is_default', 'create_network:segments',
    'create_network:provider:network_type', 'create_network:provider:physical_network',
    'create_network:provider:segmentation_id',
  ),
  r('create_network:port_security_enabled', ADMIN_OR_PROJECT_MEMBER, ANY),
  r('get_network', `${ADMIN_OR_PROJECT_READER} or rule:shared or rule:external or ${ADVSVC}`,
    `${ADMIN_OR_OWNER} or rule:shared or rule:external or ${ADVSVC}`),
  ...adminOnly(
    'get_network:segments', 'get_network:provider:network_type', 'get_network:provider:physical_network',
    'get_network:provider:segmentation_id',
  ),
  r('update_network', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  ...adminOnly(
    'update_network:segments', 'update_network:shared', 'update_network:provider:network_type',
    'update_network:provider:physical_network', 'update_network:provider:segmentation_id',
    'update_network:router:external', 'update_network:is_default',
  ),
  r('update_network:port_security_enabled', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('delete_network', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
];

// 21.0.0 still had ADMIN_OR_PROJECT_MEMBER in the new subnet rules, so any member may add a
// subnet to a network it can see (error-samples row 111 got 201 on another project's
// shared network); stable/zed later narrowed it (bug 2023679). Zed's answers are the truth.
const SUBNET_WRITE = `${ADMIN_OR_PROJECT_MEMBER} or ${NET_OWNER}`;

export const SUBNET_RULES: readonly RuleDefault[] = [
  r('create_subnet', SUBNET_WRITE, ADMIN_OR_NET_OWNER),
  ...adminOnly('create_subnet:segment_id', 'create_subnet:service_types'),
  r('get_subnet', `${ADMIN_OR_PROJECT_READER} or rule:shared`, `${ADMIN_OR_OWNER} or rule:shared`),
  ...adminOnly('get_subnet:segment_id'),
  r('update_subnet', SUBNET_WRITE, ADMIN_OR_NET_OWNER),
  ...adminOnly('update_subnet:segment_id', 'update_subnet:service_types'),
  r('delete_subnet', SUBNET_WRITE, ADMIN_OR_NET_OWNER),
];

const ADVSVC_NETOWNER_ADMIN = `${ADVSVC} or ${NET_OWNER} or ${ADMIN}`;
const LEGACY_ADVSVC_NETOWNER = `${ADVSVC} or ${ADMIN_OR_NET_OWNER}`;
const ADMIN_OR_NETOWNER = `${ADMIN} or ${NET_OWNER}`;

export const PORT_RULES: readonly RuleDefault[] = [
  r('network_device', 'field:port:device_owner=~^network:'),
  r('admin_or_data_plane_int', 'rule:context_is_admin or role:data_plane_integrator'),
  r('create_port', ADMIN_OR_PROJECT_MEMBER, ANY),
  r('create_port:device_owner', `not rule:network_device or ${ADMIN} or ${ADVSVC} or ${NET_OWNER}`,
    `not rule:network_device or ${LEGACY_ADVSVC_NETOWNER}`),
  r('create_port:mac_address', ADVSVC_NETOWNER_ADMIN, LEGACY_ADVSVC_NETOWNER),
  r('create_port:fixed_ips', `${ADVSVC_NETOWNER_ADMIN} or rule:shared`, `${LEGACY_ADVSVC_NETOWNER} or rule:shared`),
  r('create_port:fixed_ips:ip_address', ADVSVC_NETOWNER_ADMIN, LEGACY_ADVSVC_NETOWNER),
  r('create_port:fixed_ips:subnet_id', `${ADVSVC_NETOWNER_ADMIN} or rule:shared`, `${LEGACY_ADVSVC_NETOWNER} or rule:shared`),
  r('create_port:port_security_enabled', ADVSVC_NETOWNER_ADMIN, LEGACY_ADVSVC_NETOWNER),
  ...adminOnly('create_port:binding:host_id', 'create_port:binding:profile'),
  r('create_port:binding:vnic_type', ADMIN_OR_PROJECT_MEMBER, ANY),
  r('create_port:allowed_address_pairs', ADMIN_OR_NETOWNER, ADMIN_OR_NET_OWNER),
  r('create_port:allowed_address_pairs:mac_address', ADMIN_OR_NETOWNER, ADMIN_OR_NET_OWNER),
  r('create_port:allowed_address_pairs:ip_address', ADMIN_OR_NETOWNER, ADMIN_OR_NET_OWNER),
  r('get_port', `${ADMIN} or ${ADVSVC} or ${NET_OWNER} or ${PROJECT_READER}`,
    `${ADVSVC} or rule:admin_owner_or_network_owner`),
  ...adminOnly(
    'get_port:binding:vif_type', 'get_port:binding:vif_details', 'get_port:binding:host_id',
    'get_port:binding:profile', 'get_port:resource_request',
  ),
  r('update_port', `${ADMIN} or ${PROJECT_MEMBER} or ${ADVSVC}`, `${ADMIN_OR_OWNER} or ${ADVSVC}`),
  r('update_port:device_owner', `not rule:network_device or ${ADVSVC} or ${NET_OWNER} or ${ADMIN}`,
    `not rule:network_device or ${LEGACY_ADVSVC_NETOWNER}`),
  r('update_port:mac_address', `${ADMIN} or ${ADVSVC}`),
  r('update_port:fixed_ips', ADVSVC_NETOWNER_ADMIN, LEGACY_ADVSVC_NETOWNER),
  r('update_port:fixed_ips:ip_address', ADVSVC_NETOWNER_ADMIN, LEGACY_ADVSVC_NETOWNER),
  r('update_port:fixed_ips:subnet_id', `${ADVSVC_NETOWNER_ADMIN} or rule:shared`, `${LEGACY_ADVSVC_NETOWNER} or rule:shared`),
  r('update_port:port_security_enabled', ADVSVC_NETOWNER_ADMIN, LEGACY_ADVSVC_NETOWNER),
  ...adminOnly('update_port:binding:host_id', 'update_port:binding:profile'),
  r('update_port:binding:vnic_type', `${ADMIN} or ${PROJECT_MEMBER} or ${ADVSVC}`, `${ADMIN_OR_OWNER} or ${ADVSVC}`),
  r('update_port:allowed_address_pairs', ADMIN_OR_NETOWNER, ADMIN_OR_NET_OWNER),
  r('update_port:allowed_address_pairs:mac_address', ADMIN_OR_NETOWNER, ADMIN_OR_NET_OWNER),
  r('update_port:allowed_address_pairs:ip_address', ADMIN_OR_NETOWNER, ADMIN_OR_NET_OWNER),
  r('update_port:data_plane_status', `${ADMIN} or role:data_plane_integrator`, 'rule:admin_or_data_plane_int'),
  r('delete_port', `${ADMIN} or ${ADVSVC} or ${PROJECT_MEMBER} or ${NET_OWNER}`,
    `${ADVSVC} or rule:admin_owner_or_network_owner`),
];

export const ROUTER_RULES: readonly RuleDefault[] = [
  r('create_router', ADMIN_OR_PROJECT_MEMBER, ANY),
  ...adminOnly('create_router:distributed', 'create_router:ha'),
  r('create_router:external_gateway_info', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('create_router:external_gateway_info:network_id', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  ...adminOnly('create_router:external_gateway_info:enable_snat', 'create_router:external_gateway_info:external_fixed_ips'),
  r('get_router', ADMIN_OR_PROJECT_READER, ADMIN_OR_OWNER),
  ...adminOnly('get_router:distributed', 'get_router:ha'),
  r('update_router', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  ...adminOnly('update_router:distributed', 'update_router:ha'),
  r('update_router:external_gateway_info', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('update_router:external_gateway_info:network_id', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  ...adminOnly('update_router:external_gateway_info:enable_snat', 'update_router:external_gateway_info:external_fixed_ips'),
  r('delete_router', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('add_router_interface', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('remove_router_interface', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('add_extraroutes', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('remove_extraroutes', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
];

export const FLOATINGIP_RULES: readonly RuleDefault[] = [
  r('create_floatingip', ADMIN_OR_PROJECT_MEMBER, ANY),
  ...adminOnly('create_floatingip:floating_ip_address'),
  r('get_floatingip', ADMIN_OR_PROJECT_READER, ADMIN_OR_OWNER),
  r('update_floatingip', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('delete_floatingip', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
];

// neutron/conf/policies/port_forwarding.py (Zed): port forwardings belong to their
// floating IP's project (ext_parent); they have no project_id of their own.
const PARENT_OWNER_MEMBER = 'role:member and rule:ext_parent_owner';
const PARENT_OWNER_READER = 'role:reader and rule:ext_parent_owner';
const ADMIN_OR_PARENT_OWNER = 'rule:admin_or_ext_parent_owner';
export const PORT_FORWARDING_RULES: readonly RuleDefault[] = [
  r('create_floatingip_port_forwarding', `(${ADMIN}) or (${PARENT_OWNER_MEMBER})`, ADMIN_OR_PARENT_OWNER),
  r('get_floatingip_port_forwarding', `(${ADMIN}) or (${PARENT_OWNER_READER})`, ADMIN_OR_PARENT_OWNER),
  r('update_floatingip_port_forwarding', `(${ADMIN}) or (${PARENT_OWNER_MEMBER})`, ADMIN_OR_PARENT_OWNER),
  r('delete_floatingip_port_forwarding', `(${ADMIN}) or (${PARENT_OWNER_MEMBER})`, ADMIN_OR_PARENT_OWNER),
];

// Neutron's quota API skips get_quota when a project reads its own quota
// (quotasv2 show: only `id != context.project_id` is enforced); list always enforces.
export const QUOTA_RULES: readonly RuleDefault[] = adminOnly('get_quota', 'update_quota', 'delete_quota');

export const AGENT_RULES: readonly RuleDefault[] = adminOnly(
  'get_agent', 'update_agent', 'delete_agent',
  'create_dhcp-network', 'get_dhcp-networks', 'delete_dhcp-network', 'get_dhcp-agents',
  'create_l3-router', 'get_l3-routers', 'delete_l3-router', 'get_l3-agents',
);

export const MISC_RULES: readonly RuleDefault[] = [
  r('get_availability_zone', 'role:reader', ANY),
  ...adminOnly('get_network_ip_availability'),
];

// neutron/conf/policies/security_group.py and address_group.py (Zed). Listing and
// reading are also limited by ownership in the services, as Neutron's DB queries are.
export const SECURITY_GROUP_RULES: readonly RuleDefault[] = [
  r('admin_or_sg_owner', 'rule:context_is_admin or tenant_id:%(security_group:tenant_id)s'),
  r('admin_owner_or_sg_owner', 'rule:owner or rule:admin_or_sg_owner'),
  r('shared_security_group', 'field:security_groups:shared=True'),
  r('create_security_group', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('get_security_group', `${ADMIN_OR_PROJECT_READER} or rule:shared_security_group`, ANY),
  r('update_security_group', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('delete_security_group', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('create_security_group_rule', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('get_security_group_rule', `${ADMIN_OR_PROJECT_READER} or rule:sg_owner`, 'rule:admin_owner_or_sg_owner'),
  r('delete_security_group_rule', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('shared_address_groups', 'field:address_groups:shared=True'),
  r('get_address_group', `${ADMIN_OR_PROJECT_READER} or rule:shared_address_groups`, `${ADMIN_OR_OWNER} or rule:shared_address_groups`),
];

// neutron/conf/policies/subnetpool.py and address_scope.py (Zed).
export const SUBNETPOOL_RULES: readonly RuleDefault[] = [
  r('shared_subnetpools', 'field:subnetpools:shared=True'),
  r('create_subnetpool', ADMIN_OR_PROJECT_MEMBER, ANY),
  ...adminOnly('create_subnetpool:shared', 'create_subnetpool:is_default', 'update_subnetpool:is_default'),
  r('get_subnetpool', `${ADMIN_OR_PROJECT_READER} or rule:shared_subnetpools`, `${ADMIN_OR_OWNER} or rule:shared_subnetpools`),
  r('update_subnetpool', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('delete_subnetpool', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('onboard_network_subnets', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('add_prefixes', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('remove_prefixes', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('shared_address_scopes', 'field:address_scopes:shared=True'),
  r('create_address_scope', ADMIN_OR_PROJECT_MEMBER, ANY),
  ...adminOnly('create_address_scope:shared', 'update_address_scope:shared'),
  r('get_address_scope', `${ADMIN_OR_PROJECT_READER} or rule:shared_address_scopes`, `${ADMIN_OR_OWNER} or rule:shared_address_scopes`),
  r('update_address_scope', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('delete_address_scope', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
];

// Security groups, subnet pools, RBAC, QoS, trunks, ...: not yet here. Until they are,
// their actions fall back to `default` (admin_or_owner).
// neutron/conf/policies/rbac.py (Zed): only admins may share with everyone ('*').
const NOT_WILDCARD = '(not field:rbac_policy:target_tenant=* and not field:rbac_policy:target_project=*)';
export const RBAC_RULES: readonly RuleDefault[] = [
  r('restrict_wildcard', `${NOT_WILDCARD} or rule:admin_only`),
  r('create_rbac_policy', ADMIN_OR_PROJECT_MEMBER, ANY),
  r('create_rbac_policy:target_tenant', `(${ADMIN}) or ${NOT_WILDCARD}`, 'rule:restrict_wildcard'),
  r('update_rbac_policy', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
  r('update_rbac_policy:target_tenant', `(${ADMIN}) or ${NOT_WILDCARD}`, `(rule:restrict_wildcard) and (${ADMIN_OR_OWNER})`),
  r('get_rbac_policy', ADMIN_OR_PROJECT_READER, ADMIN_OR_OWNER),
  r('delete_rbac_policy', ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_OWNER),
];

export const DEFAULT_RULES: readonly RuleDefault[] = [
  ...BASE_RULES, ...NETWORK_RULES, ...SUBNET_RULES, ...PORT_RULES, ...ROUTER_RULES,
  ...FLOATINGIP_RULES, ...PORT_FORWARDING_RULES, ...QUOTA_RULES, ...AGENT_RULES, ...MISC_RULES, ...SECURITY_GROUP_RULES,
  ...SUBNETPOOL_RULES, ...RBAC_RULES,
];
