// The two ends of a flow, found in the model: a port (by id, or by one of its fixed IPs, or by
// the floating IP that maps to it), an unassociated floating IP, or an address outside every
// port (the upstream host, the internet).
import { parseIp, formatIp } from '../domain/ip/address.ts';
import { HTTPBadRequest, PortNotFound } from '../errors/catalog.ts';
import type { EndpointSpec, FloatingIpM, PortForwardingM, PortM, TraceModel } from './model.ts';

export type Endpoint =
  /** `via`: the flow addresses the port through this floating IP; `forward`: by this port forwarding of it */
  | { kind: 'port'; port: PortM; ip: string; via?: FloatingIpM; forward?: PortForwardingM }
  | { kind: 'unassociated_fip'; fip: FloatingIpM; ip: string }
  | { kind: 'outside'; ip: string };

const canonical = (s: string, what: string): string => {
  const a = parseIp(s);
  if (!a) throw HTTPBadRequest(`${what}: '${s}' is not an IP address`);
  return formatIp(a);
};

/** The port's first fixed IP of the version wanted, else IPv4 first (what a VM speaks from by default). */
export function primaryIp(port: PortM, version?: number): string | undefined {
  const of = (v: number) => port.fixed_ips.find((f) => parseIp(f.ip_address)?.version === v);
  return ((version ? of(version) : undefined) ?? of(4) ?? port.fixed_ips[0])?.ip_address;
}

/** `version`: the other end's IP version, when it is an address (a port then speaks that version). */
export function resolveEndpoint(model: TraceModel, spec: EndpointSpec, what: 'source' | 'destination', version?: number): Endpoint {
  if ('port_id' in spec) {
    const port = model.ports.find((p) => p.id === spec.port_id);
    if (!port) throw PortNotFound(spec.port_id);
    if (spec.ip_address !== undefined) {
      const ip = canonical(spec.ip_address, `${what}.ip_address`);
      // a source may speak from any address (anti-spoofing judges it); a destination is one of the port's own
      if (what === 'destination' && !port.fixed_ips.some((f) => f.ip_address === ip)) {
        throw HTTPBadRequest(`destination.ip_address ${ip} is not a fixed IP of port ${port.id} (it has ${port.fixed_ips.map((f) => f.ip_address).join(', ') || 'none'})`);
      }
      return { kind: 'port', port, ip };
    }
    const ip = primaryIp(port, version);
    if (!ip) throw HTTPBadRequest(`port ${port.id} has no fixed IP: give the address it speaks from as ${what}.ip_address`);
    return { kind: 'port', port, ip };
  }
  const ip = canonical(spec.ip_address, `${what}.ip_address`);
  const fip = model.floatingips.find((f) => f.floating_ip_address === ip);
  if (fip) {
    const port = fip.fixed_port_id ? model.ports.find((p) => p.id === fip.fixed_port_id) : undefined;
    if (!port || !fip.fixed_ip_address) return { kind: 'unassociated_fip', fip, ip };
    return { kind: 'port', port, ip: fip.fixed_ip_address, via: fip };
  }
  const holders = model.ports.filter((p) => p.fixed_ips.some((f) => f.ip_address === ip));
  if (holders.length > 1) {
    throw HTTPBadRequest(`${what}.ip_address ${ip} is a fixed IP of ${holders.length} ports (${holders.map((p) => p.id).join(', ')}) on different networks: give ${what}.port_id instead`);
  }
  if (holders.length === 1) return { kind: 'port', port: holders[0], ip };
  return { kind: 'outside', ip };
}

/** The forwardings of a floating IP; the one that takes `protocol`/`dport`, if any. */
export function forwardingsOf(model: TraceModel, fip: FloatingIpM, protocol: string, dport: number | null): { all: PortForwardingM[]; match?: PortForwardingM } {
  const all = model.port_forwardings.filter((pf) => pf.floatingip_id === fip.id);
  const match = dport === null ? undefined
    : all.find((pf) => pf.protocol === protocol && dport >= pf.external_port_start && dport <= pf.external_port_end);
  return { all, match };
}

/** A destination port number as the forwarding rewrites it (ranges map one to one). */
export const forwardedPort = (pf: PortForwardingM, dport: number): number => pf.internal_port_start + (dport - pf.external_port_start);
