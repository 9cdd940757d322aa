// The body of POST /v2.0/muon/trace, checked: each mistake answered with a 400 that says
// what to send instead.
import { HTTPBadRequest } from '../errors/catalog.ts';
import { parseIp } from '../domain/ip/address.ts';
import type { EndpointSpec, Protocol, TraceRequest } from './model.ts';

const PROTOCOLS: readonly Protocol[] = ['icmp', 'tcp', 'udp', 'any'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const SHAPE = '{"trace": {"source": {"port_id": "<uuid>"} | {"ip_address": "<address>"}, "destination": …, "protocol": "icmp"|"tcp"|"udp"|"any", "destination_port": 22}}';

function endpoint(v: unknown, what: string): EndpointSpec {
  if (!isObject(v)) throw HTTPBadRequest(`trace.${what} must be an object: {"port_id": "<uuid>"} or {"ip_address": "<address>"}`);
  const extra = Object.keys(v).filter((k) => k !== 'port_id' && k !== 'ip_address');
  if (extra.length) throw HTTPBadRequest(`trace.${what}: unknown attribute${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (port_id and/or ip_address)`);
  const { port_id: portId, ip_address: ip } = v;
  if (portId !== undefined && (typeof portId !== 'string' || !portId)) throw HTTPBadRequest(`trace.${what}.port_id must be a port's id (a string)`);
  if (ip !== undefined && (typeof ip !== 'string' || !parseIp(ip))) throw HTTPBadRequest(`trace.${what}.ip_address must be an IPv4 or IPv6 address, not ${JSON.stringify(ip)}`);
  if (typeof portId === 'string') return typeof ip === 'string' ? { port_id: portId, ip_address: ip } : { port_id: portId };
  if (typeof ip === 'string') return { ip_address: ip };
  throw HTTPBadRequest(`trace.${what} needs port_id or ip_address`);
}

export function parseTraceRequest(body: unknown): TraceRequest {
  if (!isObject(body) || !isObject(body.trace)) throw HTTPBadRequest(`the body must be ${SHAPE}`);
  const t = body.trace;
  const extra = Object.keys(t).filter((k) => !['source', 'destination', 'protocol', 'destination_port'].includes(k));
  if (extra.length) throw HTTPBadRequest(`trace: unknown attribute${extra.length > 1 ? 's' : ''} ${extra.join(', ')}; the body is ${SHAPE}`);
  const protocol = t.protocol ?? 'any';
  if (typeof protocol !== 'string' || !PROTOCOLS.includes(protocol.toLowerCase() as Protocol)) {
    throw HTTPBadRequest(`trace.protocol must be one of ${PROTOCOLS.join(', ')}, not ${JSON.stringify(protocol)}`);
  }
  const proto = protocol.toLowerCase() as Protocol;
  const req: TraceRequest = { source: endpoint(t.source, 'source'), destination: endpoint(t.destination, 'destination'), protocol: proto };
  const port = t.destination_port;
  if (port !== undefined && port !== null) {
    if (proto !== 'tcp' && proto !== 'udp') throw HTTPBadRequest(`trace.destination_port is for tcp or udp, not ${proto}`);
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw HTTPBadRequest(`trace.destination_port must be an integer from 1 to 65535, not ${JSON.stringify(port)}`);
    req.destination_port = port;
  }
  return req;
}
