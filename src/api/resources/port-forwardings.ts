// /v2.0/floatingips/{id}/port_forwardings[/{pf_id}]: the sub-resource attribute map of
// floating-ip-port-forwarding with -description and -port-ranges (neutron-lib, Zed), and
// its handler (list with filters and fields, show, create, update, delete).
import { validString, validValues, type AttrMap, type Validator, type Converter } from '../attributes.ts';
import { pyStr } from '../../domain/py-str.ts';
import { validUuid } from '../../domain/uuid.ts';
import type { SubResource } from '../resource.ts';
import { shaper } from '../resource.ts';
import { extractUpdate, prepareCreate, prepareUpdate } from '../body.ts';
import { parseListQuery } from '../list-query.ts';
import { validateIpAddress } from '../../domain/ip/address.ts';
import { HTTPBadRequest, HTTPMethodNotAllowed, PortForwardingNotFound } from '../../errors/catalog.ts';
import * as svc from '../../services/port-forwardings.ts';

/** constants.IPTABLES_PROTOCOL_MAP keys. */
const PROTOCOLS = ['dccp', 'icmp', 'ipv6-icmp', 'sctp', 'tcp', 'udp'];

/** convert_to_protocol: names pass; a number names its protocol when it has one. */
const NUMBERS: Record<string, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 58: 'ipv6-icmp', 132: 'sctp' };
const toProtocol: Converter = (v) => (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)) ? (NUMBERS[String(v)] ?? String(v)) : v);

/** An integer given as a JSON number or a numeric string becomes a number (validate_range's int()). */
const toPortNumber: Converter = (v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v);

/** type:range_or_none [1, 65535]. */
const validPortOrNone: Validator = (v) => {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v)) return `'${pyStr(v)}' is not an integer`;
  if (v < 1) return `'${v}' is too small - must be at least '1'`;
  if (v > 65535) return `'${v}' is too large - must be no larger than '65535'`;
  return null;
};

/** type:port_range (validate_port_range_or_none): "p" or "p1:p2", p1 <= p2. */
const validPortRangeOrNone: Validator = (v) => {
  if (v === null) return null;
  const ports = pyStr(v).split(':');
  const shape = 'Port range must be two integers separated by a colon';
  if (ports.length > 2) return shape;
  for (const p of ports) {
    if (p.length === 0) return shape;
    if (!/^\s*[-+]?\d+\s*$/.test(p) || Number(p) < 0 || Number(p) > 65535) return `Invalid port: ${p}`;
  }
  if (ports.length > 1 && Number(ports[0]) > Number(ports[1])) return 'First port in a port range must be lower than the second port';
  return null;
};

/** A range given as a number is kept as its text ("80" → "80"). */
const toRangeText: Converter = (v) => (typeof v === 'number' ? String(v) : v);

const validIp: Validator = (v) => validateIpAddress(v);

export const portForwardingAttributes: AttrMap = {
  id: { allowPost: false, allowPut: false, visible: true, filter: true },
  project_id: { allowPost: true, allowPut: false, validate: validString(255), visible: false },
  tenant_id: { allowPost: true, allowPut: false, validate: validString(255), visible: false },
  external_port: { allowPost: true, allowPut: true, default: null, convert: toPortNumber, validate: validPortOrNone, visible: true, filter: true, sortKey: true, filterConvert: toPortNumber },
  internal_port: { allowPost: true, allowPut: true, default: null, convert: toPortNumber, validate: validPortOrNone, visible: true, filter: true },
  external_port_range: { allowPost: true, allowPut: true, default: null, convert: toRangeText, validate: validPortRangeOrNone, visible: true, filter: true, sortKey: true },
  internal_port_range: { allowPost: true, allowPut: true, default: null, convert: toRangeText, validate: validPortRangeOrNone, visible: true },
  internal_ip_address: { allowPost: true, allowPut: true, required: true, validate: validIp, visible: true, filter: true },
  protocol: { allowPost: true, allowPut: true, required: true, convert: toProtocol, validate: validValues(PROTOCOLS), visible: true, filter: true },
  internal_port_id: { allowPost: true, allowPut: true, required: true, validate: validUuid, visible: true, filter: true },
  description: { allowPost: true, allowPut: true, default: '', validate: validString(255), visible: true, filter: true },
};

const RESOURCE = 'port_forwarding';

export const portForwardingsSubResource: SubResource = {
  async handle(deps, ctx, req) {
    const { method, parentId, subId, url } = req;
    const shape = (fields: string[] | null) => shaper(deps.policy.hiddenAttributes(ctx, RESOURCE), fields);
    if (subId === undefined) {
      if (method === 'GET') {
        const q = parseListQuery(url.searchParams, portForwardingAttributes, { maxLimit: deps.config.paginationMaxLimit });
        const items = await svc.listPortForwardings(deps, ctx, parentId, q.filters);
        const s = shape(q.fields);
        return { status: 200, body: { port_forwardings: items.map((r) => s(svc.renderPortForwarding(r))) } };
      }
      if (method === 'POST') {
        const raw = await req.body();
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !(RESOURCE in raw)) {
          throw HTTPBadRequest(`Unable to find '${RESOURCE}' in request body`);
        }
        const inner = (raw as Record<string, unknown>)[RESOURCE];
        if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) throw HTTPBadRequest(`Object '${RESOURCE}' contains invalid data`);
        const { item, explicit } = prepareCreate({ ...(inner as Record<string, unknown>) }, portForwardingAttributes, ctx);
        const r = await svc.createPortForwarding(deps, ctx, parentId, item, explicit);
        return { status: 201, body: { [RESOURCE]: shape(null)(svc.renderPortForwarding(r)) } };
      }
      if (method === 'PUT' || method === 'DELETE') throw PortForwardingNotFound('None');
      throw HTTPMethodNotAllowed();
    }
    switch (method) {
      case 'GET': {
        const r = await svc.getPortForwarding(deps, ctx, parentId, subId);
        const fields = url.searchParams.getAll('fields').filter(Boolean);
        return { status: 200, body: { [RESOURCE]: shape(fields.length ? fields : null)(svc.renderPortForwarding(r)) } };
      }
      case 'PUT': {
        const changes = prepareUpdate(extractUpdate(await req.body(), RESOURCE), portForwardingAttributes, ctx);
        const r = await svc.updatePortForwarding(deps, ctx, parentId, subId, changes);
        return { status: 200, body: { [RESOURCE]: shape(null)(svc.renderPortForwarding(r)) } };
      }
      case 'DELETE':
        await svc.deletePortForwarding(deps, ctx, parentId, subId);
        return { status: 204 };
      default:
        throw HTTPMethodNotAllowed();
    }
  },
};
