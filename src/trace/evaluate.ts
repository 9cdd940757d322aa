// A flow evaluated over the model, hop by hop, as the data plane would carry it: the source
// port, its egress rules, its network, then (off its network) the router, its routes, SNAT or
// a floating IP, the external network, and on the far side a floating IP's DNAT, the router's
// interface, the destination's ingress rules and the destination port. Evaluation goes on past
// a blocking hop so that the answer names every setting that blocks the flow.
import { parseIp } from '../domain/ip/address.ts';
import { parseCidr } from '../domain/ip/cidr.ts';
import { HTTPBadRequest } from '../errors/catalog.ts';
import { forwardedPort, forwardingsOf, resolveEndpoint, type Endpoint } from './endpoints.ts';
import {
  endPort, externalNetwork, inCidr, label, missingInterface, network, PathBuilder, ref, routerInterface, securityGroups, subnetOf,
} from './hops.ts';
import type { FloatingIpM, PortForwardingM, PortM, RouterM, SubnetM, TraceModel, TraceRequest, TraceResult } from './model.ts';
import { fipRealised, routerHosting, routerPortRealised } from './realised.ts';
import type { Packet } from './sg-match.ts';

type PortEnd = Extract<Endpoint, { kind: 'port' }>;

export function evaluateTrace(model: TraceModel, req: TraceRequest): TraceResult {
  // a port end speaks the IP version of the other end when that one is an address
  const versionOf = (e: TraceRequest['source']) => ('port_id' in e && e.ip_address === undefined ? undefined : parseIp(e.ip_address!)?.version);
  const src = resolveEndpoint(model, req.source, 'source', versionOf(req.destination));
  const named = resolveEndpoint(model, req.destination, 'destination', versionOf(req.source) ?? parseIp(src.ip)?.version);
  if (src.kind === 'unassociated_fip') throw HTTPBadRequest(`source ${src.ip} is a floating IP associated with no port: nothing sends from it`);
  if (src.kind === 'outside' && named.kind === 'outside') {
    throw HTTPBadRequest(`neither ${src.ip} nor ${named.ip} is an address of a port or a floating IP: at least one end must be a port, a VM or one of their addresses`);
  }
  const version = parseIp(src.ip)!.version;
  if (parseIp(named.ip)!.version !== version) throw HTTPBadRequest(`source ${src.ip} and destination ${named.ip} are not of the same IP version`);
  const pkt: Packet = { version, protocol: req.protocol, dport: req.destination_port ?? null };
  const dst = forwarded(model, named, pkt);
  const b = new PathBuilder(model);
  if (src.kind === 'port') fromPort(b, src, dst, pkt);
  else fromOutside(b, src.ip, dst, pkt);
  return {
    reachable: b.blocking.length === 0 && !b.hops.some((h) => h.verdict === 'block'),
    hops: b.hops, blocking: b.blocking,
    flow: { protocol: req.protocol, destination_port: pkt.dport, source_ip: src.ip, destination_ip: dst.ip },
  };
}

/** A floating IP with no port of its own reaches one through the port forwarding that takes the packet. */
function forwarded(m: TraceModel, dst: Endpoint, pkt: Packet): Endpoint {
  if (dst.kind !== 'unassociated_fip') return dst;
  const { match } = forwardingsOf(m, dst.fip, pkt.protocol, pkt.dport);
  const port = match && m.ports.find((p) => p.id === match.internal_port_id);
  return match && port ? { kind: 'port', port, ip: match.internal_ip_address, via: dst.fip, forward: match } : dst;
}

/** The packet after the router's DNAT: a port forwarding rewrites the destination port too. */
const afterForward = (dst: PortEnd, pkt: Packet): Packet => (dst.forward && pkt.dport !== null ? { ...pkt, dport: forwardedPort(dst.forward, pkt.dport) } : pkt);

const netOf = (m: TraceModel, id: string) => m.networks.find((n) => n.id === id);
const hostOf = (p: PortM) => p.binding_host_id;

function gatewayOf(m: TraceModel, r: RouterM, version: number): { port?: PortM; ip?: string; subnet?: SubnetM } {
  const port = m.ports.find((p) => p.id === r.gw_port_id);
  const fixed = port?.fixed_ips.find((f) => parseIp(f.ip_address)?.version === version);
  return { port, ip: fixed?.ip_address, subnet: fixed && m.subnets.find((s) => s.id === fixed.subnet_id) };
}

/** The arrival at a port: its ingress rules (peer: the source as the port sees it), then its state. */
function toPort(b: PathBuilder, dst: PortEnd, pkt: Packet, peer: string): void {
  securityGroups(b, 'ingress', dst.port, pkt, peer);
  endPort(b, 'destination_port', dst.port, dst.ip);
}

function fromPort(b: PathBuilder, src: PortEnd, dst: Endpoint, pkt: Packet): void {
  const m = b.model;
  endPort(b, 'source_port', src.port, src.ip);
  const dstAddr = dst.kind === 'port' && dst.via ? dst.via.floating_ip_address : dst.ip;
  securityGroups(b, 'egress', src.port, pkt, dstAddr);
  const srcNet = netOf(m, src.port.network_id);
  const srcSub = subnetOf(m, src.port, src.ip);
  if (dst.kind === 'port' && !dst.via && dst.port.network_id === src.port.network_id) {
    network(b, srcNet, 'same network: delivered directly, no router', [hostOf(src.port), hostOf(dst.port)]);
    toPort(b, dst, pkt, src.ip);
    return;
  }
  if (srcSub && inCidr(srcSub.cidr, dstAddr)) {
    network(b, srcNet, `${dstAddr} is on-link on subnet ${label(srcSub)} ${srcSub.cidr}: delivered directly`, [hostOf(src.port)]);
    unknownEnd(b, dstAddr, `no port of the network holds ${dstAddr}: Muon cannot tell whether anything answers there`);
    return;
  }
  if (!srcSub) {
    // no address of this version on a subnet: no gateway, no router interface can take it
    b.hop('network', srcNet ? ref.network(srcNet) : ref.port(src.port), 'block', `port ${label(src.port)} has no IPv${pkt.version} address on a subnet: nothing routes ${dstAddr} for it`,
      { host: hostOf(src.port) || null, state: 'unknown', evidence: 'nothing to realise' });
    b.block(ref.port(src.port), `no fixed IP of IPv${pkt.version}`, `openstack port set --fixed-ip subnet=<an IPv${pkt.version} subnet of its network> ${src.port.id}`);
    arriveOutside(b, dst, pkt, src.ip);
    return;
  }
  const dstExternal = dst.kind === 'port' && !dst.via && netOf(m, dst.port.network_id)?.router_external;
  if (dst.kind === 'port' && !dst.via && !dstExternal) {
    eastWest(b, src, srcSub, dst, pkt);
    return;
  }
  if (srcNet?.router_external) {
    // a port on a provider network: the subnet's own gateway (outside Muon) routes it
    network(b, srcNet, 'a provider network: the subnet\'s gateway routes what is off-link', [hostOf(src.port)]);
    if (srcSub?.gateway_ip) b.hop('route', ref.subnet(srcSub), 'pass', `via the subnet's gateway ${srcSub.gateway_ip} (a router outside Muon)`, { host: null, state: 'unknown', evidence: 'the upstream router is not managed by Muon' });
    else if (srcSub) {
      b.hop('route', ref.subnet(srcSub), 'block', `subnet ${label(srcSub)} has no gateway: nothing off-link is reachable`, { host: null, state: 'unknown', evidence: 'no gateway' });
      b.block(ref.subnet(srcSub), 'gateway_ip=null', `openstack subnet set --gateway <the upstream router's address> ${srcSub.name || srcSub.id}`);
    }
    arriveOutside(b, dst, pkt, src.ip);
    return;
  }
  outbound(b, src, srcSub, dst, dstAddr, pkt);
}

/** Between two tenant networks: one router with an interface on both subnets. */
function eastWest(b: PathBuilder, src: PortEnd, srcSub: SubnetM | undefined, dst: PortEnd, pkt: Packet): void {
  const m = b.model;
  const dstSub = subnetOf(m, dst.port, dst.ip);
  const srcNet = netOf(m, src.port.network_id);
  network(b, srcNet, `${dst.ip} is on another network: to the router of ${srcSub ? `subnet ${label(srcSub)}` : 'the network'}`, [hostOf(src.port)]);
  const on = (s: SubnetM | undefined) => m.routers.filter((r) => s && r.interfaces.some((i) => i.subnet_id === s.id));
  const both = on(srcSub).find((r) => on(dstSub).includes(r));
  const rs = on(srcSub)[0];
  const rd = on(dstSub)[0];
  const r = both ?? rs;
  if (srcSub) {
    if (r) routerInterface(b, r, srcSub, true);
    else missingInterface(b, srcSub, rd, `${dst.ip} is on another network and only a router joins them`);
  }
  if (r && dstSub) {
    if (both) b.hop('route', ref.router(r), 'pass', `${dst.ip} is in the connected subnet ${label(dstSub)} ${dstSub.cidr}`, routeRealised(b, r));
    else b.hop('route', ref.router(r), 'block', `router ${label(r)} has no route to ${dst.ip}: no interface on subnet ${label(dstSub)} ${dstSub.cidr}`, routeRealised(b, r));
  }
  if (dstSub) {
    if (both) routerInterface(b, both, dstSub, false);
    else if (r || !rd) missingInterface(b, dstSub, r, `the router of the source must also join ${dstSub.cidr}`);
  }
  network(b, netOf(m, dst.port.network_id), 'delivered to the port', [hostOf(dst.port)]);
  toPort(b, dst, pkt, src.ip);
}

function routeRealised(b: PathBuilder, r: RouterM) {
  const h = routerHosting(b.model, r);
  return { host: h.host, state: h.live ? 'yes' as const : 'no' as const, evidence: `routes in qrouter-${r.id}: ${h.evidence}` };
}

/** Off the network through its router: routes, then NAT, then the external network. */
function outbound(b: PathBuilder, src: PortEnd, srcSub: SubnetM | undefined, dst: Endpoint, dstAddr: string, pkt: Packet): void {
  const m = b.model;
  network(b, netOf(m, src.port.network_id), `${dstAddr} is off the network: to the router of ${srcSub ? `subnet ${label(srcSub)}` : 'the network'}`, [hostOf(src.port)]);
  const wantNet = dst.kind === 'port' && dst.via ? dst.via.floating_network_id : dst.kind === 'unassociated_fip' ? dst.fip.floating_network_id : undefined;
  const routers = m.routers.filter((r) => srcSub && r.interfaces.some((i) => i.subnet_id === srcSub.id));
  const r = routers.find((x) => x.gw_network_id && (!wantNet || x.gw_network_id === wantNet)) ?? routers.find((x) => x.gw_network_id) ?? routers[0];
  if (!srcSub) return;
  if (!r) {
    missingInterface(b, srcSub, undefined, `${dstAddr} is outside the network and only a router leads out`);
    arriveOutside(b, dst, pkt, src.ip);
    return;
  }
  routerInterface(b, r, srcSub, true);
  // the router's routing table: connected subnets, extra routes, the default route via the gateway
  const internal = r.interfaces.map((i) => m.subnets.find((s) => s.id === i.subnet_id)).find((s) => s && inCidr(s.cidr, dstAddr));
  if (internal && dst.kind === 'outside') {
    b.hop('route', ref.router(r), 'pass', `${dstAddr} is in the connected subnet ${label(internal)} ${internal.cidr}`, routeRealised(b, r));
    unknownEnd(b, dstAddr, `no port of subnet ${label(internal)} holds ${dstAddr}`);
    return;
  }
  const extra = r.routes.filter((x) => inCidr(x.destination, dstAddr)).sort((x, y) => (parseCidr(y.destination)?.prefixlen ?? 0) - (parseCidr(x.destination)?.prefixlen ?? 0))[0];
  if (extra && dst.kind === 'outside') {
    const hop = m.ports.find((p) => p.fixed_ips.some((f) => f.ip_address === extra.nexthop));
    b.hop('route', ref.router(r), 'pass', `extra route ${extra.destination} via ${extra.nexthop}${hop ? ` (port ${label(hop)})` : ''}`, routeRealised(b, r));
    unknownEnd(b, dstAddr, `${dstAddr} is behind the next hop ${extra.nexthop}: Muon does not see past it`);
    return;
  }
  const gw = gatewayOf(m, r, pkt.version);
  const extNet = r.gw_network_id ? netOf(m, r.gw_network_id) : undefined;
  if (!r.gw_network_id || !gw.ip) {
    b.hop('route', ref.router(r), 'block', `router ${label(r)} has no external gateway${r.gw_network_id ? ` address of IPv${pkt.version}` : ''}: no route to ${dstAddr}`, routeRealised(b, r));
    const ext = wantNet ? netOf(m, wantNet) : m.networks.find((n) => n.router_external);
    b.block(ref.router(r), 'external_gateway_info=null (no gateway)', `openstack router set --external-gateway ${ext ? ext.name || ext.id : '<external network>'} ${r.name || r.id}`);
    arriveOutside(b, dst, pkt, src.ip);
    return;
  }
  const onExt = m.subnets.find((s) => s.network_id === r.gw_network_id && inCidr(s.cidr, dstAddr));
  if (onExt) b.hop('route', ref.router(r), 'pass', `${dstAddr} is on the external subnet ${label(onExt)} ${onExt.cidr}, connected through the gateway port`, routeRealised(b, r));
  else if (gw.subnet?.gateway_ip) b.hop('route', ref.router(r), 'pass', `default route via ${gw.subnet.gateway_ip}, the gateway of external subnet ${label(gw.subnet)}`, routeRealised(b, r));
  else {
    b.hop('route', ref.router(r), 'block', `external subnet ${gw.subnet ? label(gw.subnet) : ''} has no gateway: router ${label(r)} has no default route to ${dstAddr}`, routeRealised(b, r));
    if (gw.subnet) b.block(ref.subnet(gw.subnet), 'gateway_ip=null on the external subnet', `openstack subnet set --gateway <the upstream router's address> ${gw.subnet.name || gw.subnet.id}`);
  }

  const srcFip = m.floatingips.find((f) => f.fixed_port_id === src.port.id && f.fixed_ip_address === src.ip && f.router_id === r.id);
  if (dst.kind === 'port' && dst.via && dst.via.router_id === r.id) {
    // hairpin: the router DNATs its own floating IP and SNATs the source so the replies come back through it
    fipDnat(b, dst.via, r, dst, pkt);
    const seen = srcFip?.floating_ip_address ?? gw.ip;
    b.hop('snat', ref.router(r), 'pass', `hairpin: router ${label(r)} rewrites the source to ${seen} so that the replies come back through it`, routeRealised(b, r));
    afterDnat(b, r, dst, afterForward(dst, pkt), seen);
    return;
  }
  let seen = src.ip;
  if (pkt.version === 6) {
    b.hop('snat', ref.router(r), 'info', `IPv6 is not NATed: ${src.ip} is routed as it is`, routeRealised(b, r));
  } else if (srcFip) {
    seen = srcFip.floating_ip_address;
    b.hop('floating_ip', { type: 'floatingip', id: srcFip.id, name: srcFip.floating_ip_address }, 'pass', `leaves as its floating IP ${seen} (SNAT by router ${label(r)})`, fipRealised(m, srcFip, r));
  } else if (r.enable_snat) {
    seen = gw.ip;
    b.hop('snat', ref.router(r), 'pass', `SNAT to the router's gateway address ${gw.ip} (enable_snat=true)`, routeRealised(b, r));
  } else {
    b.hop('snat', ref.router(r), 'block', `enable_snat=false and port ${label(src.port)} has no floating IP: it leaves as ${src.ip} and nothing outside routes the replies back to ${srcSub.cidr}`, routeRealised(b, r));
    b.block(ref.router(r), 'enable_snat=false (and no floating IP on the source port)',
      `openstack router set --external-gateway ${extNet?.name || r.gw_network_id} --enable-snat ${r.name || r.id} (or give the port a floating IP: openstack floating ip create --port ${src.port.id} ${extNet?.name || r.gw_network_id})`);
  }
  externalNetwork(b, r, gw.port, gw.ip, 'out');
  arriveOutside(b, dst, pkt, seen);
}

/** Where an outbound flow ends: another router's floating IP, a port on the external network, or the outside. */
function arriveOutside(b: PathBuilder, dst: Endpoint, pkt: Packet, seen: string): void {
  if (dst.kind === 'port' && dst.via) inboundViaFip(b, dst, dst.via, pkt, seen);
  else if (dst.kind === 'port') {
    network(b, netOf(b.model, dst.port.network_id), 'the external network delivers it', [hostOf(dst.port)]);
    toPort(b, dst, pkt, seen);
  } else if (dst.kind === 'unassociated_fip') unassociated(b, dst.fip, pkt);
  else unknownEnd(b, dst.ip, `${dst.ip} is outside: Muon does not see past the external network's gateway`);
}

function unknownEnd(b: PathBuilder, ip: string, reason: string): void {
  b.hop('destination_port', ref.address(ip), 'info', reason, { host: null, state: 'unknown', evidence: 'not managed by Muon' });
}

function unassociated(b: PathBuilder, fip: FloatingIpM, pkt: Packet): void {
  const obj = { type: 'floatingip' as const, id: fip.id, name: fip.floating_ip_address };
  const { all } = forwardingsOf(b.model, fip, pkt.protocol, pkt.dport);
  if (all.length) { noForwarding(b, fip, all, pkt); return; }
  b.hop('floating_ip', obj, 'block', `floating IP ${fip.floating_ip_address} is associated with no port: nothing answers at it`, fipRealised(b.model, fip, undefined));
  b.block(obj, 'port_id=null', `openstack floating ip set --port <port> ${fip.floating_ip_address}`);
}

/** A floating IP that only forwards ports, none of them this packet's. */
function noForwarding(b: PathBuilder, fip: FloatingIpM, all: PortForwardingM[], pkt: Packet): void {
  const obj = { type: 'floatingip' as const, id: fip.id, name: fip.floating_ip_address };
  const range = (lo: number, hi: number) => (lo === hi ? `${lo}` : `${lo}:${hi}`);
  const list = all.map((pf) => `${pf.protocol} ${range(pf.external_port_start, pf.external_port_end)} → ${pf.internal_ip_address}:${range(pf.internal_port_start, pf.internal_port_end)}`).join(', ');
  const r = b.model.routers.find((x) => x.id === fip.router_id);
  const realised = r ? fipForwardRealised(b, r, undefined) : fipRealised(b.model, fip, undefined);
  if (pkt.protocol !== 'tcp' && pkt.protocol !== 'udp') {
    b.hop('floating_ip', obj, 'block', `floating IP ${fip.floating_ip_address} has no port of its own, only port forwardings (${list}), and they carry only TCP and UDP, not ${pkt.protocol}`, realised);
    b.block(obj, 'port_id=null (port forwardings only)', `trace a TCP or UDP port it forwards, or give it a port: openstack floating ip set --port <port> ${fip.floating_ip_address}`);
    return;
  }
  const what = pkt.dport === null ? `${pkt.protocol} (give destination_port: forwardings are per port)` : `${pkt.protocol} ${pkt.dport}`;
  b.hop('floating_ip', obj, 'block', `floating IP ${fip.floating_ip_address} forwards only ${list}: nothing takes ${what}`, realised);
  const ext = pkt.dport ?? '<port>';
  b.block(obj, `no port forwarding for ${pkt.protocol} ${pkt.dport ?? ''}`.trim(),
    `openstack floating ip port forwarding create --internal-ip-address <ip> --port <port> --internal-protocol-port <port number> --external-protocol-port ${ext} --protocol ${pkt.protocol} ${fip.floating_ip_address}`);
}

/** A port forwarding's DNAT lives in the router namespace; its floating IP has no status of its own to go by. */
function fipForwardRealised(b: PathBuilder, r: RouterM, pf: PortForwardingM | undefined) {
  const h = routerHosting(b.model, r);
  return { host: h.host, state: h.live ? 'yes' as const : 'no' as const, evidence: `${pf ? `port forwarding ${pf.id}` : 'port forwardings'} in qrouter-${r.id}: ${h.evidence}` };
}

function fipDnat(b: PathBuilder, fip: FloatingIpM, r: RouterM | undefined, dst: PortEnd, pkt: Packet): void {
  const obj = { type: 'floatingip' as const, id: fip.id, name: fip.floating_ip_address };
  if (!r) {
    b.hop('floating_ip', obj, 'block', `floating IP ${fip.floating_ip_address} has no router`, fipRealised(b.model, fip, undefined));
    b.block(obj, 'router_id=null', `associate it again so that a router takes it: openstack floating ip set --port ${dst.port.id} ${fip.floating_ip_address}`);
    return;
  }
  const pf = dst.forward;
  if (pf && pkt.dport !== null) {
    b.hop('floating_ip', obj, 'pass', `router ${label(r)} forwards ${pkt.protocol} ${fip.floating_ip_address}:${pkt.dport} to ${dst.ip}:${forwardedPort(pf, pkt.dport)} (port forwarding ${pf.id})`, fipForwardRealised(b, r, pf));
    return;
  }
  b.hop('floating_ip', obj, 'pass', `router ${label(r)} DNATs floating IP ${fip.floating_ip_address} to ${dst.ip}`, fipRealised(b.model, fip, r));
}

/** After the DNAT: the router's interface on the port's subnet, the network, the port. */
function afterDnat(b: PathBuilder, r: RouterM | undefined, dst: PortEnd, pkt: Packet, peer: string): void {
  const dstSub = subnetOf(b.model, dst.port, dst.ip);
  if (dstSub) {
    if (r?.interfaces.some((i) => i.subnet_id === dstSub.id)) routerInterface(b, r, dstSub, false);
    else missingInterface(b, dstSub, r, 'the floating IP\'s router cannot reach the port');
  }
  network(b, netOf(b.model, dst.port.network_id), 'delivered to the port', [hostOf(dst.port)]);
  toPort(b, dst, pkt, peer);
}

function inboundViaFip(b: PathBuilder, dst: PortEnd, fip: FloatingIpM, pkt: Packet, peer: string): void {
  const r = b.model.routers.find((x) => x.id === fip.router_id);
  if (r) {
    const gw = gatewayOf(b.model, r, pkt.version);
    externalNetwork(b, r, gw.port, fip.floating_ip_address, 'in');
  }
  fipDnat(b, fip, r, dst, pkt);
  afterDnat(b, r, dst, afterForward(dst, pkt), peer);
}

function fromOutside(b: PathBuilder, srcIp: string, dst: Endpoint, pkt: Packet): void {
  const m = b.model;
  b.hop('source_port', ref.address(srcIp), 'info', `${srcIp} is outside: Muon does not manage it`, { host: null, state: 'unknown', evidence: 'not managed by Muon' });
  if (dst.kind === 'unassociated_fip') { unassociated(b, dst.fip, pkt); return; }
  if (dst.kind !== 'port') return;
  const dstNet = netOf(m, dst.port.network_id);
  if (dstNet?.router_external) {
    const onLink = m.subnets.some((s) => s.network_id === dstNet.id && inCidr(s.cidr, srcIp));
    const owner = m.routers.find((r) => r.gw_port_id === dst.port.id);
    const realised = owner ? routerPortRealised(m, owner, dst.port, 'qg')
      : { host: dst.port.binding_host_id || null, state: 'unknown' as const, evidence: 'the uplink of the physical network' };
    b.hop('external_network', ref.network(dstNet), dstNet.admin_state_up ? 'pass' : 'block', `${dst.ip} is on external network ${label(dstNet)}: ${onLink ? 'on-link for' : 'routed by the upstream router for'} ${srcIp}`, realised);
    if (!dstNet.admin_state_up) b.block(ref.network(dstNet), 'admin_state_up=false', `openstack network set --enable ${dstNet.name || dstNet.id}`);
    toPort(b, dst, pkt, srcIp);
    return;
  }
  const fip = dst.via ?? m.floatingips.find((f) => f.fixed_port_id === dst.port.id && f.fixed_ip_address === dst.ip);
  if (fip) { inboundViaFip(b, dst, fip, pkt, srcIp); return; }
  // no floating IP: tenant addresses are not routed from outside. Say also what else a floating IP would need.
  const dstSub = subnetOf(m, dst.port, dst.ip);
  const routers = m.routers.filter((r) => dstSub && r.interfaces.some((i) => i.subnet_id === dstSub.id));
  const r = routers.find((x) => x.gw_network_id) ?? routers[0];
  const ext = (r?.gw_network_id && netOf(m, r.gw_network_id)) || m.networks.find((n) => n.router_external);
  const extName = ext ? ext.name || ext.id : '<external network>';
  b.hop('floating_ip', ref.port(dst.port), 'block', `port ${label(dst.port)} has no floating IP: ${dst.ip}${dstSub ? ` on ${dstSub.cidr}` : ''} is not routed from outside`, { host: null, state: 'unknown', evidence: 'no floating IP to realise' });
  b.block(ref.port(dst.port), 'no floating IP', `openstack floating ip create --port ${dst.port.id} ${extName}`);
  if (dstSub && !r) missingInterface(b, dstSub, undefined, 'a floating IP needs a router between this subnet and the external network');
  else if (r && dstSub) {
    if (!r.gw_network_id) {
      b.hop('route', ref.router(r), 'block', `router ${label(r)} has no external gateway: a floating IP could not be associated`, routeRealised(b, r));
      b.block(ref.router(r), 'external_gateway_info=null (no gateway)', `openstack router set --external-gateway ${extName} ${r.name || r.id}`);
    }
    routerInterface(b, r, dstSub, false);
  }
  network(b, dstNet, 'delivered to the port', [hostOf(dst.port)]);
  toPort(b, dst, pkt, srcIp);
}
