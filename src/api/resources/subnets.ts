// /v2.0/subnets: attribute map (core subnet + default-subnetpools, segment,
// subnet-service-types, standard attributes) and the view.
import { standardAttributes, toBoolean, toInt, validUuidOrNone, validValues, type AttrMap, type Converter, type Validator } from '../attributes.ts';
import { validUuid } from '../../domain/uuid.ts';
import type { SubnetRecord } from '../../db/repos/subnets.ts';
import type { ResourceDef } from '../resource.ts';
import { SubnetNotFound } from '../../errors/catalog.ts';
import { formatIpv6, parseIpv6, validateIpAddress } from '../../domain/ip/address.ts';
import { convertCidrToCanonical, formatCidr, parseCidr, validateSubnetCidr } from '../../domain/ip/cidr.ts';
import {
  convertNameservers, convertNoneToEmptyList, validateHostRoutes, validateIpPools, validateIpv6Mode, validateNameservers,
} from '../../domain/ipam/subnet-validators.ts';
import * as svc from '../../services/subnets.ts';

/** converters.convert_ip_to_canonical_format: IPv6 addresses compressed, anything else as given. */
const toCanonicalIp: Converter = (v) => {
  if (typeof v === 'string' && v.includes(':')) {
    const x = parseIpv6(v);
    if (x !== null) return formatIpv6(x);
  }
  return v;
};

const validIpOrNone: Validator = (v) => (v === null ? null : validateIpAddress(v));
const validSubnetOrNone: Validator = (v) => (v === null ? null : validateSubnetCidr(v));
const cidrFilter: Converter = (v) => {
  const c = typeof v === 'string' ? parseCidr(v) : null;
  return c ? formatCidr(c) : v;
};

export const subnetAttributes: AttrMap = {
  ...standardAttributes,
  network_id: { allowPost: true, allowPut: false, required: true, validate: validUuid, visible: true, filter: true, sortKey: true },
  ip_version: { allowPost: true, allowPut: false, required: true, convert: toInt, validate: validValues([4, 6]), visible: true, filter: true, sortKey: true },
  subnetpool_id: { allowPost: true, allowPut: false, validate: validUuidOrNone, visible: true, filter: true, sortKey: true },
  prefixlen: { allowPost: true, allowPut: false, convert: toInt, validate: (v) => (typeof v === 'number' && v >= 0 ? null : `'${String(v)}' should be non-negative`), visible: false },
  use_default_subnetpool: { allowPost: true, allowPut: false, convert: toBoolean, visible: false },
  cidr: {
    allowPost: true, allowPut: false, convert: (v) => (v === null ? null : convertCidrToCanonical(v)), validate: validSubnetOrNone,
    visible: true, filter: true, sortKey: true, filterConvert: cidrFilter,
  },
  gateway_ip: { allowPost: true, allowPut: true, convert: toCanonicalIp, validate: validIpOrNone, visible: true, filter: true, sortKey: true },
  allocation_pools: { allowPost: true, allowPut: true, validate: validateIpPools, visible: true },
  dns_nameservers: { allowPost: true, allowPut: true, convert: convertNameservers, validate: validateNameservers, visible: true },
  host_routes: { allowPost: true, allowPut: true, convert: convertNoneToEmptyList, validate: validateHostRoutes, visible: true },
  enable_dhcp: { allowPost: true, allowPut: true, default: true, convert: toBoolean, visible: true, filter: true, sortKey: true },
  ipv6_ra_mode: { allowPost: true, allowPut: false, validate: validateIpv6Mode, visible: true, filter: true, sortKey: true },
  ipv6_address_mode: { allowPost: true, allowPut: false, validate: validateIpv6Mode, visible: true, filter: true, sortKey: true },
  service_types: { allowPost: true, allowPut: true, visible: true, enforcePolicy: true },
  shared: { allowPost: false, allowPut: false, convert: toBoolean, visible: false, filter: true },
};

/** Zed's key order (error-samples rows 47, 60). */
export function renderSubnet(r: SubnetRecord): Record<string, unknown> {
  const s = r.row;
  return {
    id: s.id, name: s.name, tenant_id: s.project_id, network_id: s.network_id, ip_version: s.ip_version, subnetpool_id: s.subnetpool_id,
    enable_dhcp: s.enable_dhcp === 1, ipv6_ra_mode: s.ipv6_ra_mode, ipv6_address_mode: s.ipv6_address_mode, gateway_ip: s.gateway_ip,
    cidr: s.cidr, allocation_pools: r.pools.map((p) => ({ start: p.start, end: p.end })), host_routes: r.routes.map((h) => ({ destination: h.destination, nexthop: h.nexthop })),
    dns_nameservers: r.dns, description: s.description, service_types: [], tags: r.tags, created_at: s.created_at, updated_at: s.updated_at,
    revision_number: s.revision_number, project_id: s.project_id,
  };
}

export const subnetsResource: ResourceDef<SubnetRecord> = {
  singular: 'subnet',
  plural: 'subnets',
  attributes: subnetAttributes,
  taggable: true,
  notFound: SubnetNotFound,
  render: renderSubnet,
  idOf: (r) => r.row.id,
  revisionOf: (r) => r.row.revision_number,
  list: svc.listSubnets,
  get: svc.getSubnet,
  create: svc.createSubnets,
  update: svc.updateSubnet,
  delete: svc.deleteSubnet,
};
