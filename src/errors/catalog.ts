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
export const ServicePortInUse = (portId: string, owner: string) =>
  e(409, 'ServicePortInUse', `Port ${portId} cannot be deleted directly via the port API: has device owner ${owner}.`);
export const PortInUse = (netId: string, portId: string, deviceId: string) =>
  e(409, 'PortInUse', `Unable to complete operation on port ${portId} for network ${netId}. Port already has an attached device ${deviceId}.`);
export const PortBound = (portId: string, vifType: string, oldMac: string, newMac: string) =>
  e(409, 'PortBound', `Unable to complete operation on port ${portId}, port is already bound, port type: ${vifType}, old_mac ${oldMac}, new_mac ${newMac}.`);
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
