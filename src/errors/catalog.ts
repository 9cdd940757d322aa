// The NeutronError catalog. One factory per Neutron exception class; the function
// name is the wire `type`. Messages are Neutron's templates (neutron_lib.exceptions),
// checked against what Zed answered (shared/anchors/error-samples.json).
import { NeutronError } from './neutron-error.ts';

const e = (status: number, type: string, message: string) => new NeutronError(status, type, message);

/** Python's repr of a list of strings, as Neutron prints them: ['a', 'b']. */
export const pyList = (items: readonly string[]): string => `[${items.map((s) => `'${s}'`).join(', ')}]`;

// ---- generic (webob / API layer) ----
export const HTTPBadRequest = (message: string) => e(400, 'HTTPBadRequest', message);
export const HTTPNotFound = () => e(404, 'HTTPNotFound', 'The resource could not be found.');
export const HTTPMethodNotAllowed = () =>
  e(405, 'HTTPMethodNotAllowed', 'The server could not comply with the request since it is either malformed or otherwise incorrect.');
export const HTTPNotAcceptable = () =>
  e(406, 'HTTPNotAcceptable', 'The server could not comply with the request since it is either malformed or otherwise incorrect.');
export const HTTPInternalServerError = () =>
  e(500, 'HTTPInternalServerError', 'Request Failed: internal server error while processing your request.');
export const HTTPPayloadTooLarge = (max: number) =>
  e(413, 'HTTPRequestEntityTooLarge', `Request is too large: the body may not exceed ${max} bytes.`);
/** Requests Node's HTTP parser refuses (src/http/unparsed-requests.ts). */
export const HTTPRequestHeaderFieldsTooLarge = (message: string) => e(431, 'HTTPRequestHeaderFieldsTooLarge', message);
export const HTTPRequestTimeout = (message: string) => e(408, 'HTTPRequestTimeout', message);
export const Unauthorized = () => e(401, 'Unauthorized', 'The request you have made requires authentication.');
export const ServiceUnavailable = (message: string) => e(503, 'ServiceUnavailable', message);

export const BadRequest = (resource: string, msg: string) => e(400, 'BadRequest', `Bad ${resource} request: ${msg}.`);
export const InvalidInput = (errorMessage: string) => e(400, 'InvalidInput', `Invalid input for operation: ${errorMessage}.`);
/** Attribute validation failure (neutron.api.v2.base: "Invalid input for X. Reason: ..."). */
export const InvalidAttribute = (attr: string, reason: string) =>
  HTTPBadRequest(`Invalid input for ${attr}. Reason: ${reason}.`);
export const UnrecognizedAttributes = (names: readonly string[]) =>
  HTTPBadRequest(`Unrecognized attribute(s) '${names.join(', ')}'`);
export const ReadOnlyAttribute = (attr: string) => HTTPBadRequest(`Cannot update read-only attribute ${attr}`);
export const MissingAttribute = (attr: string) =>
  HTTPBadRequest(`Failed to parse request. Required attribute '${attr}' not specified`);
export const InvalidFilter = (names: readonly string[]) => HTTPBadRequest(`${pyList(names)} is invalid attribute for filtering`);
export const InvalidSortKey = (names: readonly string[]) => HTTPBadRequest(`${pyList(names)} is invalid attribute for sort_keys`);
export const InvalidSortDir = (dirs: readonly string[]) =>
  HTTPBadRequest(`${pyList(dirs)} is invalid value for sort_dirs, valid value is 'asc' and 'desc'`);
export const SortCountMismatch = () => HTTPBadRequest('The number of sort_keys and sort_dirs must be same');
export const InvalidLimit = (value: string) => BadRequest('limit', `Limit must be an integer 0 or greater and not '${value}'`);
export const TenantIdProjectIdFilterConflict = () =>
  e(400, 'TenantIdProjectIdFilterConflict', 'Both tenant_id and project_id passed as filters.');
export const ProjectMismatch = () =>
  HTTPBadRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin or advsvc privileges");

// ---- revisions ----
export const RevisionNumberConstraintFailed = (expected: number, current: number) =>
  e(412, 'RevisionNumberConstraintFailed', `Constrained to ${expected}, but current revision is ${current}`);
export const InvalidIfMatch = () =>
  BadRequest('if-match', 'Revision number etag must be in the format of revision_number=<int>');
export const MultipleIfMatch = () =>
  BadRequest('if-match', 'Multiple revision_number etags are not supported.');

// ---- policy ----
export const PolicyNotAuthorized = (rule: string) => e(403, 'PolicyNotAuthorized', `${rule} is disallowed by policy`);

// ---- not found ----
export const NetworkNotFound = (id: string) => e(404, 'NetworkNotFound', `Network ${id} could not be found.`);
export const SubnetNotFound = (id: string) => e(404, 'SubnetNotFound', `Subnet ${id} could not be found.`);
export const PortNotFound = (id: string) => e(404, 'PortNotFound', `Port ${id} could not be found.`);
export const ExtensionNotFound = (alias: string) => e(404, 'ExtensionNotFound', `Extension with alias ${alias} does not exist`);
export const TagNotFound = (resource: string, id: string, tag: string) =>
  e(404, 'TagNotFound', `Tag ${tag} could not be found for ${resource} ${id}.`);
export const SecurityGroupNotFound = (id: string) => e(404, 'SecurityGroupNotFound', `Security group ${id} does not exist`);

// ---- networks / segments ----
export const NetworkInUse = (id: string, portIds?: readonly string[]) =>
  e(409, 'NetworkInUse', `Unable to complete operation on network ${id}. There are one or more ports still in use on the network` +
    (portIds && portIds.length ? `, id for these ports is: ${portIds.join(',')}.` : '.'));
export const FlatNetworkInUse = (physnet: string) =>
  e(409, 'FlatNetworkInUse', `Unable to create the flat network. Physical network ${physnet} is in use.`);
export const VlanIdInUse = (vlanId: number, physnet: string) =>
  e(409, 'VlanIdInUse', `Unable to create the network. The VLAN ${vlanId} on physical network ${physnet} is in use.`);
export const TunnelIdInUse = (tunnelId: number) =>
  e(409, 'TunnelIdInUse', `Unable to create the network. The tunnel ID ${tunnelId} is in use.`);
export const NoNetworkAvailable = () =>
  e(503, 'NoNetworkAvailable', 'Unable to create the network. No tenant network is available for allocation.');
export const NetworkMacAddressGenerationFailure = (netId: string) =>
  e(503, 'MacAddressGenerationFailure', `Unable to generate unique mac on network ${netId}.`);

// ---- subnets / IPAM ----
export const SubnetInUse = (id: string) =>
  e(409, 'SubnetInUse', `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`);
export const OverlappingAllocationPools = (pool1: string, pool2: string, cidr: string) =>
  e(409, 'OverlappingAllocationPools', `Found overlapping allocation pools: ${pool1} ${pool2} for subnet ${cidr}.`);
export const OutOfBoundsAllocationPool = (pool: string, cidr: string) =>
  e(400, 'OutOfBoundsAllocationPool', `The allocation pool ${pool} spans beyond the subnet cidr ${cidr}.`);
export const InvalidAllocationPool = (start: string, end: string) =>
  e(400, 'InvalidAllocationPool', `The allocation pool {'start': '${start}', 'end': '${end}'} is not valid.`);
export const GatewayConflictWithAllocationPools = (ip: string, pool: string) =>
  e(409, 'GatewayConflictWithAllocationPools', `Gateway ip ${ip} conflicts with allocation pool ${pool}.`);
export const GatewayIpInUse = (ip: string, portId: string) =>
  e(409, 'GatewayIpInUse', `Current gateway ip ${ip} already in use by port ${portId}. Unable to update.`);
export const HostRoutesExhausted = (subnetId: string, quota: number) =>
  e(400, 'HostRoutesExhausted', `Unable to complete operation for ${subnetId}. The number of host routes exceeds the limit ${quota}.`);
export const DNSNameServersExhausted = (subnetId: string, quota: number) =>
  e(400, 'DNSNameServersExhausted', `Unable to complete operation for ${subnetId}. The number of DNS nameservers exceeds the limit ${quota}.`);
export const IpAddressGenerationFailure = (netId: string) =>
  e(409, 'IpAddressGenerationFailure', `No more IP addresses available on network ${netId}.`);
export const IpAddressAlreadyAllocated = (ip: string, subnetId: string) =>
  e(409, 'IpAddressAlreadyAllocated', `IP address ${ip} already allocated in subnet ${subnetId}`);
export const IpAddressInUse = (netId: string, ip: string) =>
  e(409, 'IpAddressInUse', `Unable to complete operation for network ${netId}. The IP address ${ip} is in use.`);
export const InvalidIpForSubnet = (ip: string) =>
  e(400, 'InvalidIpForSubnet', `IP address ${ip} is not a valid IP for the specified subnet.`);
export const InvalidIpForNetwork = (ip: string) =>
  e(400, 'InvalidIpForNetwork', `IP address ${ip} is not a valid IP for any of the subnets on the specified network.`);
export const NetworkMTUSubnetConflict = (netId: string) =>
  e(409, 'NetworkMTUSubnetConflict', `MTU of ${netId} is not compatible with subnet.`);

// ---- ports ----
export const MacAddressInUse = (netId: string, mac: string) =>
  e(409, 'MacAddressInUse', `Unable to complete operation for network ${netId}. The mac address ${mac} is in use.`);
export const PortSecurityAndIPRequiredForSecurityGroups = () =>
  e(400, 'PortSecurityAndIPRequiredForSecurityGroups',
    'Port security must be enabled and port must have an IP address in order to use security groups.');
export const AddressPairAndPortSecurityRequired = () =>
  e(409, 'AddressPairAndPortSecurityRequired', 'Port Security must be enabled in order to have allowed address pairs on a port.');
export const PortSecurityPortHasSecurityGroup = () =>
  e(409, 'PortSecurityPortHasSecurityGroup',
    'Port has security group associated. Cannot disable port security or IP address until security group is removed.');
export const AllowedAddressPairsMissingIP = () => e(400, 'AllowedAddressPairsMissingIP', 'AllowedAddressPair must contain ip_address');
export const DuplicateAddressPairInRequest = (mac: string | null, ip: string) =>
  e(400, 'DuplicateAddressPairInRequest', `Request contains duplicate address pair: mac_address ${mac ?? 'None'} ip_address ${ip}.`);
export const AllowedAddressPairExhausted = (quota: number) =>
  e(400, 'AllowedAddressPairExhausted', `The number of allowed address pair exceeds the maximum ${quota}.`);
export const DeviceIDNotOwnedByTenant = (deviceId: string) =>
  e(409, 'DeviceIDNotOwnedByTenant', `The following device_id ${deviceId} is not owned by your tenant or matches another tenants router.`);
export const ServicePortInUse = (portId: string, owner: string) =>
  e(409, 'ServicePortInUse', `Port ${portId} cannot be deleted directly via the port API: has device owner ${owner}.`);
export const PortInUse = (netId: string, portId: string, deviceId: string) =>
  e(409, 'PortInUse', `Unable to complete operation on port ${portId} for network ${netId}. Port already has an attached device ${deviceId}.`);
export const PortBound = (portId: string, vifType: string, oldMac: string, newMac: string) =>
  e(409, 'PortBound', `Unable to complete operation on port ${portId}, port is already bound, port type: ${vifType}, old_mac ${oldMac}, new_mac ${newMac}.`);
/** `portId` is what Zed prints: _check_mac_addr_update passes Python's builtin `id`. */
export const UnsupportedPortDeviceOwner = (op: string, portId: string, owner: string) =>
  e(409, 'UnsupportedPortDeviceOwner', `Operation ${op} is not supported for device_owner ${owner} on port ${portId}.`);
export const ExtraDhcpOptsDuplicate = (name: string) =>
  InvalidInput(`Duplicate extra_dhcp_opt '${name}'`);

// ---- quotas ----
export const OverQuota = (resources: readonly string[]) =>
  e(409, 'OverQuota', `Quota exceeded for resources: ${pyList(resources)}.`);

// ---- added for the IPAM domain (src/domain/ipam) ----
/**
 * InvalidAllocationPool with the pool exactly as Neutron rendered it: 'a-b' when the
 * range parsed but has the wrong IP version, or the request dict's repr (key order
 * as sent) when it could not be made a range (start > end, mixed versions).
 */
export const InvalidAllocationPoolRepr = (pool: string) =>
  e(400, 'InvalidAllocationPool', `The allocation pool ${pool} is not valid.`);

// ---- added for subnets / IPAM services (src/services/ipam.ts) ----
/** neutron.ipam.exceptions.AllocationOnAutoAddressSubnet (an InvalidInput, 400). */
export const AllocationOnAutoAddressSubnet = (ip: string, subnetId: string) =>
  e(400, 'AllocationOnAutoAddressSubnet',
    `IPv6 address ${ip} cannot be directly assigned to a port on subnet ${subnetId} as the subnet is configured for automatic addresses`);
export const SubnetPoolNotFound = (id: string) => e(404, 'SubnetPoolNotFound', `Subnet pool ${id} could not be found.`);

// ---- routers and floating IPs (src/services/routers.ts, floatingips.ts) ----
export const RouterNotFound = (id: string) => e(404, 'RouterNotFound', `Router ${id} could not be found`);
export const RouterInUse = (id: string, reason: string) => e(409, 'RouterInUse', `Router ${id} ${reason}`);
export const RouterInterfaceNotFound = (routerId: string, portId: string) =>
  e(404, 'RouterInterfaceNotFound', `Router ${routerId} does not have an interface with id ${portId}`);
export const RouterInterfaceNotFoundForSubnet = (routerId: string, subnetId: string) =>
  e(404, 'RouterInterfaceNotFoundForSubnet', `Router ${routerId} has no interface on subnet ${subnetId}`);
export const RouterInterfaceInUseByFloatingIP = (routerId: string, subnetId: string) =>
  e(409, 'RouterInterfaceInUseByFloatingIP',
    `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more floating IPs.`);
export const RouterExternalGatewayInUseByFloatingIp = (routerId: string, netId: string) =>
  e(409, 'RouterExternalGatewayInUseByFloatingIp',
    `Gateway cannot be updated for router ${routerId}, since a gateway to external network ${netId} is required by one or more floating IPs.`);
export const InvalidRoutes = (routes: string, reason: string) => e(400, 'InvalidRoutes', `Invalid format for routes: ${routes}, ${reason}`);
export const RoutesExhausted = (routerId: string, quota: number) =>
  e(400, 'RoutesExhausted', `Unable to complete operation for ${routerId}. The number of routes exceeds the maximum ${quota}.`);
export const FloatingIPNotFound = (id: string) => e(404, 'FloatingIPNotFound', `Floating IP ${id} could not be found`);
/** The double space is Neutron's (two sentences joined by the message template). */
export const ExternalGatewayForFloatingIPNotFound = (netId: string, subnetId: string, portId: string) =>
  e(404, 'ExternalGatewayForFloatingIPNotFound',
    `External network ${netId} is not reachable from subnet ${subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`);
export const FloatingIPPortAlreadyAssociated = (fipAddress: string, fipId: string, portId: string, fixedIp: string, netId: string) =>
  e(409, 'FloatingIPPortAlreadyAssociated',
    `Cannot associate floating IP ${fipAddress} (${fipId}) with port ${portId} using fixed IP ${fixedIp}, as that fixed IP already has a floating IP on external network ${netId}.`);
export const PortForwardingNotFound = (id: string) => e(404, 'PortForwardingNotFound', `Port Forwarding ${id} could not be found.`);
export const FipInUseByPortForwarding = (id: string) =>
  e(409, 'FipInUseByPortForwarding', `Floating IP ${id} in use by Port Forwarding resources.`);

// ---- security groups, rules, address groups (src/services/security-group*.ts, address-groups.ts) ----
/** [None, 'ah', ...] as Zed prints sg_supported_protocols. */
const SG_PROTOCOLS_REPR = "[None, 'ah', 'dccp', 'egp', 'esp', 'gre', 'hopopt', 'icmp', 'igmp', 'ip', 'ipip', 'ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', 'ospf', 'pgm', 'rsvp', 'sctp', 'tcp', 'udp', 'udplite', 'vrrp']";
export const SecurityGroupInUse = (id: string) => e(409, 'SecurityGroupInUse', `Security Group ${id} in use.`);
export const SecurityGroupCannotRemoveDefault = () =>
  e(409, 'SecurityGroupCannotRemoveDefault', 'Insufficient rights for removing default security group.');
export const SecurityGroupCannotUpdateDefault = () =>
  e(409, 'SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.');
export const SecurityGroupDefaultAlreadyExists = () =>
  e(409, 'SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');
export const SecurityGroupRuleNotFound = (id: string) => e(404, 'SecurityGroupRuleNotFound', `Security group rule ${id} does not exist`);
export const SecurityGroupRuleExists = (ruleId: string) =>
  e(409, 'SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${ruleId}.`);
export const DuplicateSecurityGroupRuleInPost = () => e(409, 'DuplicateSecurityGroupRuleInPost', 'Duplicate Security Group Rule in POST.');
export const SecurityGroupRuleInvalidProtocol = (protocol: string) =>
  e(400, 'SecurityGroupRuleInvalidProtocol',
    `Security group rule protocol ${protocol} not supported. Only protocol values ${SG_PROTOCOLS_REPR} and integer representations [0 to 255] are supported.`);
export const SecurityGroupInvalidPortRange = () =>
  e(400, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
export const SecurityGroupInvalidPortValue = (port: string) => e(400, 'SecurityGroupInvalidPortValue', `Invalid value for port ${port}`);
export const SecurityGroupProtocolRequiredWithPorts = () =>
  e(400, 'SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.');
export const SecurityGroupInvalidIcmpValue = (field: string, attr: string, value: number) =>
  e(400, 'SecurityGroupInvalidIcmpValue', `Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255.`);
export const SecurityGroupMissingIcmpType = (value: number) =>
  e(400, 'SecurityGroupMissingIcmpType', `ICMP code (port-range-max) ${value} is provided but ICMP type (port-range-min) is missing.`);
export const SecurityGroupInvalidProtocolForPort = (protocol: string, valid: string) =>
  e(400, 'SecurityGroupInvalidProtocolForPort', `Invalid protocol ${protocol} for port range, only supported for ${valid} protocols.`);
export const SecurityGroupRuleParameterConflict = (ethertype: string, cidr: string) =>
  e(400, 'SecurityGroupRuleParameterConflict', `Conflicting value ethertype ${ethertype} for CIDR ${cidr}`);
export const SecurityGroupEthertypeConflictWithProtocol = (ethertype: string, protocol: string) =>
  e(400, 'SecurityGroupEthertypeConflictWithProtocol', `Invalid ethertype ${ethertype} for protocol ${protocol}.`);
export const SecurityGroupRuleInvalidEtherType = (ethertype: string) =>
  e(400, 'SecurityGroupRuleInvalidEtherType', `Security group rule for ethertype '${ethertype}' not supported. Allowed values are ['IPv4', 'IPv6'].`);
export const SecurityGroupMultipleRemoteEntites = () =>
  e(400, 'SecurityGroupMultipleRemoteEntites', 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.');
export const SecurityGroupNotSingleGroupRules = () =>
  e(400, 'SecurityGroupNotSingleGroupRules', 'Only allowed to update rules for one security profile at a time');
export const SecurityGroupRulesNotSingleTenant = () =>
  e(400, 'SecurityGroupRulesNotSingleTenant', 'Multiple tenant_ids in bulk security group rule create not allowed');
export const InvalidCIDR = (input: string) => e(400, 'InvalidCIDR', `Invalid CIDR ${input} given as IP prefix.`);
export const AddressGroupNotFound = (id: string) => e(404, 'AddressGroupNotFound', `Address group ${id} could not be found.`);
export const AddressGroupInUse = (id: string) => e(409, 'AddressGroupInUse', `Address group ${id} is in use on one or more security group rules.`);
export const AddressesNotFound = (agId: string, addresses: readonly string[]) =>
  e(404, 'AddressesNotFound', `Addresses ${pyList(addresses)} not found in the address group ${agId}.`);
export const AddressesAlreadyExist = (agId: string, addresses: readonly string[]) =>
  e(400, 'AddressesAlreadyExist', `Addresses ${pyList(addresses)} already exist in the address group ${agId}.`);
export const RouterInterfaceInUseByRoute = (routerId: string, subnetId: string) =>
  e(409, 'RouterInterfaceInUseByRoute',
    `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more routes.`);
export const FlavorNotFound = (id: string) => e(404, 'FlavorNotFound', `Flavor ${id} could not be found.`);
// ---- subnet pools and address scopes (neutron_lib.exceptions, address_scope) ----
export const SubnetPoolDeleteError = (reason: string) => e(400, 'SubnetPoolDeleteError', `Unable to delete subnet pool: ${reason}.`);
export const SubnetPoolQuotaExceeded = () => e(409, 'SubnetPoolQuotaExceeded', 'Per-tenant subnet pool prefix quota exceeded.');
export const NetworkSubnetPoolAffinityError = () =>
  e(400, 'NetworkSubnetPoolAffinityError', 'Subnets hosted on the same network must be allocated from the same subnet pool.');
export const NetworkAddressScopeAffinityError = () =>
  e(400, 'NetworkAddressScopeAffinityError', 'Subnets of the same address family hosted on the same network must all participate in the same address scope.');
export const EmptySubnetPoolPrefixList = () => e(400, 'EmptySubnetPoolPrefixList', 'Empty subnet pool prefix list.');
export const PrefixVersionMismatch = () => e(400, 'PrefixVersionMismatch', 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.');
export const IllegalSubnetPoolPrefixUpdate = (msg: string) => e(400, 'IllegalSubnetPoolPrefixUpdate', `Illegal update to prefixes: ${msg}.`);
/** A NeutronException outside Neutron's fault map: Zed answers 500 with this type and message. */
export const SubnetAllocationError = (reason: string) => e(500, 'SubnetAllocationError', `Failed to allocate subnet: ${reason}.`);
export const AddressScopePrefixConflict = () =>
  e(409, 'AddressScopePrefixConflict', 'Failed to associate address scope: subnetpools within an address scope must have unique prefixes.');
export const IllegalSubnetPoolAssociationToAddressScope = (poolId: string, scopeId: string) =>
  e(400, 'IllegalSubnetPoolAssociationToAddressScope', `Illegal subnetpool association: subnetpool ${poolId} cannot be associated with address scope ${scopeId}.`);
export const IllegalSubnetPoolIpVersionAssociationToAddressScope = (poolId: string, scopeId: string, version: number) =>
  e(400, 'IllegalSubnetPoolIpVersionAssociationToAddressScope',
    `Illegal subnetpool association: subnetpool ${poolId} cannot associate with address scope ${scopeId} because subnetpool ip_version is not ${version}.`);
export const IllegalSubnetPoolUpdate = (reason: string) => e(400, 'IllegalSubnetPoolUpdate', `Illegal subnetpool update : ${reason}.`);
export const AddressScopeNotFound = (id: string) => e(404, 'AddressScopeNotFound', `Address scope ${id} could not be found.`);
export const AddressScopeInUse = (id: string) =>
  e(409, 'AddressScopeInUse', `Unable to complete operation on address scope ${id}. There are one or more subnet pools in use on the address scope.`);
export const AddressScopeUpdateError = (id: string, reason: string) =>
  e(400, 'AddressScopeUpdateError', `Unable to update address scope ${id} : ${reason}.`);
export const IllegalSubnetPoolPrefixBounds = (type: string, len: number, baseType: string, baseLen: number) =>
  e(400, 'IllegalSubnetPoolPrefixBounds', `Illegal prefix bounds: ${type}=${len}, ${baseType}=${baseLen}.`);
export const UnsupportedMinSubnetPoolPrefix = (prefix: number, version: number) =>
  e(400, 'UnsupportedMinSubnetPoolPrefix', `Prefix '${prefix}' not supported in IPv${version} pool.`);
export const MinPrefixSubnetAllocationError = (prefixlen: number, min: number) =>
  e(400, 'MinPrefixSubnetAllocationError', `Unable to allocate subnet with prefix length ${prefixlen}, minimum allowed prefix is ${min}.`);
export const MaxPrefixSubnetAllocationError = (prefixlen: number, max: number) =>
  e(400, 'MaxPrefixSubnetAllocationError', `Unable to allocate subnet with prefix length ${prefixlen}, maximum allowed prefix is ${max}.`);

// ---- quotas, RBAC, availability zones ----
export const TenantQuotaNotFound = (projectId: string) => e(404, 'TenantQuotaNotFound', `Quota for tenant ${projectId} could not be found.`);
export const HTTPNotImplemented = (message: string) => e(501, 'HTTPNotImplemented', message);
export const RbacPolicyNotFound = (id: string, objectType: string) =>
  e(404, 'RbacPolicyNotFound', `RBAC policy of type ${objectType} with ID ${id} not found`);
export const RbacPolicyInUse = (objectId: string, details: string) =>
  e(409, 'RbacPolicyInUse', `RBAC policy on object ${objectId} cannot be removed because other objects depend on it.\nDetails: ${details}`);
export const DuplicateRbacPolicy = () => e(409, 'DuplicateRbacPolicy', 'An RBAC policy already exists with those values.');
export const InvalidActionForType = (action: string, objectType: string, validActions: readonly string[]) =>
  e(400, 'InvalidActionForType',
    `Invalid action '${action}' for object type '${objectType}'. Valid actions: (${validActions.map((a) => `'${a}'`).join(', ')}${validActions.length === 1 ? ',' : ''})`);
export const InvalidSharedSetting = (networkId: string) =>
  e(409, 'InvalidSharedSetting', `Unable to reconfigure sharing settings for network ${networkId}. Multiple tenants are using it.`);
export const AvailabilityZoneNotFound = (zone: string) => e(404, 'AvailabilityZoneNotFound', `AvailabilityZone ${zone} could not be found.`);
/** neutron.extensions.agent: Muon runs no agents, so every agent id is unknown. */
export const AgentNotFound = (id: string) => e(404, 'AgentNotFound', `Agent ${id} could not be found.`);
export const DefaultExternalNetworkExists = (netId: string) =>
  e(409, 'DefaultExternalNetworkExists', `A default external network already exists: ${netId}.`);
export const ExternalNetworkInUse = (netId: string) =>
  e(409, 'ExternalNetworkInUse', `External network ${netId} cannot be updated to be made non-external, since it has existing gateway ports.`);

// dhcp_agent_scheduler (neutron/extensions/dhcpagentscheduler.py)
export const InvalidDHCPAgent = (id: string) => e(404, 'InvalidDHCPAgent', `Agent ${id} is not a valid DHCP Agent or has been disabled.`);
export const NetworkHostedByDHCPAgent = (networkId: string, agentId: string) =>
  e(409, 'NetworkHostedByDHCPAgent', `The network ${networkId} has been already hosted by the DHCP Agent ${agentId}.`);
export const InvalidL3Agent = (id: string) => e(404, 'InvalidL3Agent', `Agent ${id} is not a L3 Agent or has been disabled`);
export const RouterHostedByL3Agent = (routerId: string, agentId: string) =>
  e(409, 'RouterHostedByL3Agent', `The router ${routerId} has been already hosted by the L3 Agent ${agentId}.`);
export const RouterNotHostedByL3Agent = (routerId: string, agentId: string) =>
  e(409, 'RouterNotHostedByL3Agent', `The router ${routerId} is not hosted by L3 agent ${agentId}.`);
export const RouterSchedulingFailed = (routerId: string, agentId: string) =>
  e(409, 'RouterSchedulingFailed', `Failed scheduling router ${routerId} to the L3 Agent ${agentId}.`);
export const NetworkNotHostedByDhcpAgent = (networkId: string, agentId: string) =>
  e(409, 'NetworkNotHostedByDhcpAgent', `The network ${networkId} is not hosted by the DHCP agent ${agentId}.`);
