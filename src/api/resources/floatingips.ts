// /v2.0/floatingips: attribute map (router's floating IPs, fip-port-details,
// standard attributes) and the view. subnet_id is accepted on create but never shown.
import { standardAttributes, validUuidOrNone, type AttrMap, type Validator } from '../attributes.ts';
import { validUuid } from '../../domain/uuid.ts';
import type { FloatingIpRecord } from '../../db/repos/floatingips.ts';
import type { ResourceDef } from '../resource.ts';
import { FloatingIPNotFound } from '../../errors/catalog.ts';
import { validateIpAddress } from '../../domain/ip/address.ts';
import * as svc from '../../services/floatingips.ts';
import { portForwardingsSubResource } from './port-forwardings.ts';

const validIpOrNone: Validator = (v) => (v === null ? null : validateIpAddress(v));

// Floating IPs have no name.
const { name: _name, ...standardWithoutName } = standardAttributes;

export const floatingIpAttributes: AttrMap = {
  ...standardWithoutName,
  floating_ip_address: { allowPost: true, allowPut: false, default: null, validate: validIpOrNone, visible: true, filter: true, sortKey: true, enforcePolicy: true },
  subnet_id: { allowPost: true, allowPut: false, default: null, validate: validUuidOrNone, visible: false },
  floating_network_id: { allowPost: true, allowPut: false, required: true, validate: validUuid, visible: true, filter: true, sortKey: true },
  router_id: { allowPost: false, allowPut: false, visible: true, filter: true, sortKey: true },
  port_id: { allowPost: true, allowPut: true, default: null, validate: validUuidOrNone, visible: true, filter: true, sortKey: true },
  fixed_ip_address: { allowPost: true, allowPut: true, default: null, validate: validIpOrNone, visible: true, filter: true, sortKey: true },
  status: { allowPost: false, allowPut: false, visible: true, filter: true, sortKey: true },
  port_details: { allowPost: false, allowPut: false, visible: true },
};

export function renderFloatingIp(r: FloatingIpRecord): Record<string, unknown> {
  const f = r.row, p = r.port;
  return {
    id: f.id, tenant_id: f.project_id, floating_ip_address: f.floating_ip_address, floating_network_id: f.floating_network_id,
    router_id: f.router_id, port_id: f.fixed_port_id, fixed_ip_address: f.fixed_ip_address, status: f.status, description: f.description,
    port_details: p === null ? null : {
      name: p.name, network_id: p.network_id, mac_address: p.mac_address, admin_state_up: p.admin_state_up === 1, status: p.status,
      device_id: p.device_id, device_owner: p.device_owner,
    },
    tags: r.tags, created_at: f.created_at, updated_at: f.updated_at, revision_number: f.revision_number, project_id: f.project_id,
  };
}

export const floatingIpsResource: ResourceDef<FloatingIpRecord> = {
  singular: 'floatingip',
  plural: 'floatingips',
  attributes: floatingIpAttributes,
  taggable: true,
  notFound: FloatingIPNotFound,
  render: renderFloatingIp,
  idOf: (r) => r.row.id,
  revisionOf: (r) => r.row.revision_number,
  list: svc.listFloatingIps,
  get: svc.getFloatingIp,
  create: svc.createFloatingIps,
  update: svc.updateFloatingIp,
  delete: svc.deleteFloatingIp,
  subResources: { port_forwardings: portForwardingsSubResource },
};
