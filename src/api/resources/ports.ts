// /v2.0/ports: attribute map (core + binding, port-security, security groups,
// allowed-address-pairs, extra_dhcp_opt, dns-integration, standard attributes),
// the view, and the list filters outside the attribute map (fixed_ips,
// ip_address_substr, security_groups).
import { standardAttributes, toBoolean, validDict, validString, validValues, type AttrMap, type Validator } from '../attributes.ts';
import { pyStr } from '../../domain/py-str.ts';
import { validUuid } from '../../domain/uuid.ts';
import type { PortRecord } from '../../db/repos/ports.ts';
import type { ResourceDef } from '../resource.ts';
import { AllowedAddressPairsMissingIP, DuplicateAddressPairInRequest, HTTPBadRequest, PortNotFound } from '../../errors/catalog.ts';
import { validateIpAddress } from '../../domain/ip/address.ts';
import { validateSubnetCidr } from '../../domain/ip/cidr.ts';
import { validateMacAddress } from '../../domain/ip/mac.ts';
import { createPorts } from '../../services/port-create.ts';
import { getPort, listPortKeys, listPorts, loadPortsById } from '../../services/port-reads.ts';
import { updatePort } from '../../services/port-update.ts';
import { deletePort } from '../../services/port-delete.ts';

export const VNIC_TYPES = [
  'normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'remote-managed', 'vdpa',
] as const;

/** neutron-lib validate_fixed_ips. */
export const validFixedIps: Validator = (v) => {
  if (!Array.isArray(v)) return `Invalid data format for fixed IP: '${pyStr(v)}'`;
  const ips: unknown[] = [];
  for (const f of v) {
    if (f === null || typeof f !== 'object' || Array.isArray(f)) return `Invalid data format for fixed IP: '${pyStr(f)}'`;
    const fip = f as Record<string, unknown>;
    if ('ip_address' in fip) {
      if (ips.includes(fip.ip_address)) return `Duplicate IP address '${pyStr(fip.ip_address)}'`;
      const m = validateIpAddress(fip.ip_address);
      if (m) return m;
      ips.push(fip.ip_address);
    }
    if ('subnet_id' in fip) {
      const m = validUuid(fip.subnet_id);
      if (m) return m;
    }
  }
  return null;
};

/**
 * neutron allowedaddresspairs _validate_allowed_address_pairs: some failures are
 * raised as their own exceptions (rows 96-100), others are "Invalid input" reasons.
 */
export const validAddressPairs: Validator = (v) => {
  if (!Array.isArray(v)) throw HTTPBadRequest('Allowed address pairs must be a list.');
  const seen = new Set<string>();
  for (const pair of v) {
    const m = validDict(pair);
    if (m) return m;
    const p = pair as Record<string, unknown>;
    if ('mac_address' in p) {
      const mm = validateMacAddress(p.mac_address);
      if (mm) throw HTTPBadRequest(mm);
    }
    if (!('ip_address' in p)) throw AllowedAddressPairsMissingIP();
    const mac = (p.mac_address ?? null) as string | null;
    const key = JSON.stringify([mac, p.ip_address]);
    if (seen.has(key)) throw DuplicateAddressPairInRequest(mac, pyStr(p.ip_address));
    seen.add(key);
    const unknown = Object.keys(p).filter((k) => k !== 'mac_address' && k !== 'ip_address');
    if (unknown.length) throw HTTPBadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
    const ip = p.ip_address;
    const im = typeof ip === 'string' && ip.includes('/') ? validateSubnetCidr(ip) : validateIpAddress(ip);
    if (im) throw HTTPBadRequest(im);
  }
  return null;
};

/** neutron-lib validate_uuid_list (security_groups). */
export const validUuidList: Validator = (v) => {
  if (!Array.isArray(v)) return `'${pyStr(v)}' is not a list`;
  for (const x of v) {
    const m = validUuid(x);
    if (m) return m;
  }
  const dups = v.filter((x, i) => v.indexOf(x) !== i);
  if (dups.length) return `Duplicate items in the list: '${[...new Set(dups)].join(', ')}'`;
  return null;
};

/** extra_dhcp_opt's list_of_any_key_specs_or_none with EXTRA_DHCP_OPT_KEY_SPECS, simplified. */
export const validExtraDhcpOpts: Validator = (v) => {
  if (v === null) return null;
  if (!Array.isArray(v)) return `'${pyStr(v)}' is not a list`;
  for (const o of v) {
    const m = validDict(o);
    if (m) return m;
    const opt = o as Record<string, unknown>;
    const keys = Object.keys(opt);
    const allowed = ['opt_name', 'opt_value', 'ip_version'];
    if (!('opt_name' in opt) || !('opt_value' in opt) || keys.some((k) => !allowed.includes(k))) {
      return `Validation of dictionary's keys failed. Expected keys: {'opt_name', 'opt_value'} Provided keys: {${keys.map((k) => `'${k}'`).join(', ')}}`;
    }
    if (typeof opt.opt_name !== 'string' || opt.opt_name.trim() === '') return `'${pyStr(opt.opt_name)}' Blank strings are not permitted`;
    if (opt.opt_name.length > 64) return `'${opt.opt_name}' exceeds maximum length of 64`;
    if (opt.opt_value !== null) {
      if (typeof opt.opt_value !== 'string') return `'${pyStr(opt.opt_value)}' is not a valid string`;
      if (opt.opt_value.trim() === '') return `'${opt.opt_value}' Blank strings are not permitted`;
      if (opt.opt_value.length > 255) return `'${opt.opt_value}' exceeds maximum length of 255`;
    }
    if ('ip_version' in opt) {
      const ver = typeof opt.ip_version === 'string' && /^\d+$/.test(opt.ip_version) ? Number(opt.ip_version) : opt.ip_version;
      if (ver !== 4 && ver !== 6) return `${pyStr(opt.ip_version)} is not in [4, 6]`;
      opt.ip_version = ver;
    }
  }
  return null;
};

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
/** dns-integration's validate_dns_host_name (a PQDN or FQDN). */
export const validDnsName: Validator = (v) => {
  if (typeof v !== 'string') return `'${pyStr(v)}' is not a valid string`;
  if (v === '') return null;
  if (v.length > 255) return `'${v}' exceeds the 255 character FQDN limit`;
  const labels = (v.endsWith('.') ? v.slice(0, -1) : v).split('.');
  for (const l of labels) {
    if (!DNS_LABEL.test(l)) return `'${v}' not a valid PQDN or FQDN. Reason: Encountered an invalid label '${l}'`;
  }
  if (/^\d+$/.test(labels.at(-1)!) && labels.length > 1) return `'${v}' not a valid PQDN or FQDN. Reason: TLD '${labels.at(-1)}' must not be all numeric`;
  return null;
};

const toListOrEmpty = (v: unknown) => (v === null ? [] : v);

export const portAttributes: AttrMap = {
  ...standardAttributes,
  network_id: { allowPost: true, allowPut: false, required: true, validate: validUuid, visible: true, filter: true, sortKey: true },
  admin_state_up: { allowPost: true, allowPut: true, default: true, convert: toBoolean, visible: true, filter: true, sortKey: true },
  // port-mac-address-regenerate (convert_to_mac_if_none): a Python-falsy MAC (null, "")
  // means "generate one"; null reaches the service, which picks it from base_mac.
  mac_address: { allowPost: true, allowPut: true, convert: (v) => (v === null || v === '' || v === false || v === 0 ? null : v), validate: (v) => (v === null ? null : validateMacAddress(v)), visible: true, filter: true, sortKey: true, enforcePolicy: true },
  fixed_ips: { allowPost: true, allowPut: true, validate: validFixedIps, visible: true, enforcePolicy: true },
  device_id: { allowPost: true, allowPut: true, default: '', validate: validString(255), visible: true, filter: true, sortKey: true },
  device_owner: { allowPost: true, allowPut: true, default: '', validate: validString(255), visible: true, filter: true, sortKey: true, enforcePolicy: true },
  status: { allowPost: false, allowPut: false, visible: true, filter: true, sortKey: true },
  'binding:host_id': { allowPost: true, allowPut: true, validate: validString(255), visible: true, filter: true, enforcePolicy: true },
  'binding:vnic_type': { allowPost: true, allowPut: true, default: 'normal', validate: validValues(VNIC_TYPES), visible: true, filter: true, enforcePolicy: true },
  'binding:profile': { allowPost: true, allowPut: true, validate: (v) => (v === null ? null : validDict(v)), visible: true, enforcePolicy: true },
  'binding:vif_type': { allowPost: false, allowPut: false, visible: true, enforcePolicy: true },
  'binding:vif_details': { allowPost: false, allowPut: false, visible: true, enforcePolicy: true },
  port_security_enabled: { allowPost: true, allowPut: true, convert: toBoolean, visible: true, filter: true, enforcePolicy: true },
  security_groups: { allowPost: true, allowPut: true, convert: toListOrEmpty, validate: validUuidList, visible: true },
  allowed_address_pairs: { allowPost: true, allowPut: true, validate: validAddressPairs, visible: true, enforcePolicy: true },
  extra_dhcp_opts: { allowPost: true, allowPut: true, validate: validExtraDhcpOpts, visible: true },
  dns_name: { allowPost: true, allowPut: true, default: '', validate: validDnsName, visible: true, filter: true },
  dns_assignment: { allowPost: false, allowPut: false, visible: true },
};

const parseObject = (s: string): unknown => (s === '{}' ? {} : JSON.parse(s));

/** A failed binding carries its reason in vif_details (admin-only, like the rest of vif_details). */
function vifDetails(p: PortRecord['row']): Record<string, unknown> {
  const d = parseObject(p.binding_vif_details) as Record<string, unknown>;
  return p.binding_vif_type === 'binding_failed' && p.binding_failure ? { ...d, reason: p.binding_failure } : d;
}

export function renderPort(r: PortRecord): Record<string, unknown> {
  const p = r.row;
  const fixedIps = r.fixedIps.length ? r.fixedIps.map((f) => ({ subnet_id: f.subnet_id, ip_address: f.ip_address })) : [];
  return {
    id: p.id, name: p.name, network_id: p.network_id, tenant_id: p.project_id, mac_address: p.mac_address,
    admin_state_up: p.admin_state_up === 1, status: p.status, device_id: p.device_id, device_owner: p.device_owner,
    fixed_ips: fixedIps,
    project_id: p.project_id, port_security_enabled: p.port_security_enabled === 1, security_groups: r.securityGroups,
    'binding:vnic_type': p.binding_vnic_type, 'binding:host_id': p.binding_host_id, 'binding:profile': parseObject(p.binding_profile),
    'binding:vif_type': p.binding_vif_type, 'binding:vif_details': vifDetails(p),
    allowed_address_pairs: r.addressPairs.length ? r.addressPairs.map((a) => ({ ip_address: a.ip_address, mac_address: a.mac_address })) : [],
    extra_dhcp_opts: r.dhcpOpts.length ? r.dhcpOpts.map((o) => ({ opt_name: o.opt_name, opt_value: o.opt_value, ip_version: o.ip_version })) : [],
    description: p.description, dns_name: p.dns_name, dns_assignment: dnsAssignment(r),
    tags: r.tags, created_at: p.created_at, updated_at: p.updated_at, revision_number: p.revision_number,
  };
}

/** dns-integration: one entry per fixed IP; hostname is dns_name or host-<ip with dashes>. */
function dnsAssignment(r: PortRecord): { hostname: string; ip_address: string; fqdn: string }[] {
  if (r.fixedIps.length === 0) return [];
  const d = r.dnsDomain;
  const suffix = d === '' || d === '.' ? '.' : d.endsWith('.') ? `.${d}` : `.${d}.`;
  return r.fixedIps.map((f) => {
    const hostname = r.row.dns_name || `host-${f.ip_address.replaceAll('.', '-').replaceAll(':', '-')}`;
    return { hostname, ip_address: f.ip_address, fqdn: hostname + suffix };
  });
}

export const portSpecialFilters = ['fixed_ips', 'ip_address_substr', 'security_groups'] as const;

export const portsResource: ResourceDef<PortRecord> = {
  singular: 'port',
  plural: 'ports',
  attributes: portAttributes,
  taggable: true,
  specialFilters: portSpecialFilters,
  notFound: PortNotFound,
  render: renderPort,
  idOf: (r) => r.row.id,
  revisionOf: (r) => r.row.revision_number,
  list: listPorts,
  get: getPort,
  create: createPorts,
  update: updatePort,
  delete: deletePort,
  listKeys: listPortKeys,
  loadMany: loadPortsById,
};
