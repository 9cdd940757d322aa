// /v2.0/networks: attribute map (core + provider, external-net, net-mtu(-writable),
// port-security, availability zones, dns-integration, standard attributes) and views.
import {
  standardAttributes, toBoolean, toInt, toIntOrNull, toList, validString, validStringOrNone, type AttrMap,
} from '../attributes.ts';
import type { NetworkRecord } from '../../db/repos/networks.ts';
import type { ResourceDef } from '../resource.ts';
import { NetworkNotFound } from '../../errors/catalog.ts';
import * as svc from '../../services/networks.ts';
import { validAvailabilityZoneHints } from './availability-zones.ts';
import { networkDhcpAgentsSubResource } from './network-dhcp-agents.ts';
import { pyStr } from '../../domain/py-str.ts';

const segmentsValidator = (v: unknown): string | null => {
  if (!Array.isArray(v)) return `'${pyStr(v)}' is not a list`;
  for (const s of v) {
    if (s === null || typeof s !== 'object' || Array.isArray(s)) return `'${pyStr(s)}' is not a dictionary`;
    for (const k of Object.keys(s)) {
      if (!['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'].includes(k)) return `Unrecognized attribute(s) '${k}'`;
    }
  }
  return null;
};

export const networkAttributes: AttrMap = {
  ...standardAttributes,
  admin_state_up: { allowPost: true, allowPut: true, default: true, convert: toBoolean, visible: true, filter: true, sortKey: true },
  status: { allowPost: false, allowPut: false, visible: true, filter: true, sortKey: true },
  subnets: { allowPost: false, allowPut: false, visible: true, filter: true },
  shared: { allowPost: true, allowPut: true, default: false, convert: toBoolean, visible: true, filter: true, sortKey: true, enforcePolicy: true },
  'router:external': { allowPost: true, allowPut: true, default: false, convert: toBoolean, visible: true, filter: true, sortKey: true, enforcePolicy: true },
  'provider:network_type': { allowPost: true, allowPut: true, validate: validString(255), visible: true, filter: true, enforcePolicy: true },
  'provider:physical_network': { allowPost: true, allowPut: true, validate: validStringOrNone(64), visible: true, filter: true, enforcePolicy: true },
  'provider:segmentation_id': { allowPost: true, allowPut: true, convert: toIntOrNull, visible: true, filter: true, enforcePolicy: true, filterConvert: toInt },
  segments: { allowPost: true, allowPut: true, validate: segmentsValidator, visible: true, enforcePolicy: true },
  mtu: { allowPost: true, allowPut: true, convert: toIntOrNull, visible: true, filter: true, sortKey: true },
  port_security_enabled: { allowPost: true, allowPut: true, default: true, convert: toBoolean, visible: true, filter: true, enforcePolicy: true },
  availability_zone_hints: { allowPost: true, allowPut: false, default: [], convert: toList, validate: validAvailabilityZoneHints, visible: true },
  availability_zones: { allowPost: false, allowPut: false, visible: true },
  dns_domain: { allowPost: true, allowPut: true, default: '', validate: validString(255), visible: true, filter: true, sortKey: true },
  ipv4_address_scope: { allowPost: false, allowPut: false, visible: true },
  ipv6_address_scope: { allowPost: false, allowPut: false, visible: true },
  is_default: { allowPost: true, allowPut: true, convert: toBoolean, visible: true, enforcePolicy: true },
};

export function renderNetwork(r: NetworkRecord): Record<string, unknown> {
  const n = r.row;
  const out: Record<string, unknown> = {
    id: n.id, name: n.name, tenant_id: n.project_id, admin_state_up: n.admin_state_up === 1, mtu: n.mtu, status: n.status,
    subnets: r.subnetIds, shared: r.shared, availability_zone_hints: JSON.parse(n.availability_zone_hints),
    availability_zones: [], ipv4_address_scope: r.addressScopes?.[4] ?? null, ipv6_address_scope: r.addressScopes?.[6] ?? null, 'router:external': n.router_external === 1,
    description: n.description, port_security_enabled: n.port_security_enabled === 1, dns_domain: n.dns_domain,
    tags: r.tags, created_at: n.created_at, updated_at: n.updated_at, revision_number: n.revision_number, project_id: n.project_id,
  };
  if (n.router_external === 1) out.is_default = n.is_default === 1;
  if (r.segments.length === 1) {
    const s = r.segments[0];
    out['provider:network_type'] = s.network_type;
    out['provider:physical_network'] = s.physical_network;
    out['provider:segmentation_id'] = s.segmentation_id;
  } else if (r.segments.length > 1) {
    out.segments = r.segments.map((s) => ({
      'provider:network_type': s.network_type, 'provider:physical_network': s.physical_network, 'provider:segmentation_id': s.segmentation_id,
    }));
  }
  return out;
}

export const networksResource: ResourceDef<NetworkRecord> = {
  singular: 'network',
  plural: 'networks',
  attributes: networkAttributes,
  taggable: true,
  notFound: NetworkNotFound,
  render: renderNetwork,
  idOf: (r) => r.row.id,
  revisionOf: (r) => r.row.revision_number,
  list: svc.listNetworks,
  get: svc.getNetwork,
  create: svc.createNetworks,
  update: svc.updateNetwork,
  delete: svc.deleteNetwork,
  subResources: { 'dhcp-agents': networkDhcpAgentsSubResource },
};
