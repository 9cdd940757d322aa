// The hops of a path, each evaluated on its own: the port at either end, its security groups,
// the network, a router's interface, NAT and the external network. Each one records its hop and,
// when it blocks, every setting that blocks it with the change that fixes it.
import { parseIp } from '../domain/ip/address.ts';
import { contains, parseCidr } from '../domain/ip/cidr.ts';
import type { Blocker, Hop, HopStep, NetworkM, PortM, Realised, RouterM, SubnetM, TraceModel, TraceObject } from './model.ts';
import { describePacket, describeRule, evaluateGroups, isFiltered, ruleFix, type Packet } from './sg-match.ts';
import { networkRealised, nothingToRealise, portRealised, routerPortRealised } from './realised.ts';
import { DHCP_AGENT_TYPE } from '../domain/agent-types.ts';

export class PathBuilder {
  readonly hops: Hop[] = [];
  readonly blocking: Blocker[] = [];
  readonly model: TraceModel;
  constructor(model: TraceModel) { this.model = model; }

  hop(step: HopStep, object: TraceObject, verdict: Hop['verdict'], reason: string, realised: Realised): void {
    this.hops.push({ step, object, verdict, reason, realised });
  }

  block(object: TraceObject, setting: string, fix: string): void {
    if (!this.blocking.some((b) => b.object.id === object.id && b.setting === setting)) this.blocking.push({ object, setting, fix });
  }
}

export const ref = {
  port: (p: PortM): TraceObject => ({ type: 'port', id: p.id, name: p.name }),
  network: (n: NetworkM): TraceObject => ({ type: 'network', id: n.id, name: n.name }),
  subnet: (s: SubnetM): TraceObject => ({ type: 'subnet', id: s.id, name: s.name }),
  router: (r: RouterM): TraceObject => ({ type: 'router', id: r.id, name: r.name }),
  address: (ip: string): TraceObject => ({ type: 'address', id: ip, name: ip }),
};
export const label = (o: { id: string; name: string }): string => (o.name ? `${o.name}` : o.id);
const cli = (o: { id: string; name: string }): string => o.name || o.id;

export function inCidr(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const a = parseIp(ip);
  return !!c && !!a && contains(c, a);
}

/** The subnet of the port that holds `ip` (or its first subnet of that family). */
export function subnetOf(model: TraceModel, port: PortM, ip: string): SubnetM | undefined {
  const fixed = port.fixed_ips.find((f) => f.ip_address === ip)
    ?? port.fixed_ips.find((f) => model.subnets.find((s) => s.id === f.subnet_id && inCidr(s.cidr, ip)))
    ?? port.fixed_ips.find((f) => parseIp(f.ip_address)?.version === parseIp(ip)?.version);
  return fixed && model.subnets.find((s) => s.id === fixed.subnet_id);
}

/** An end port's own state: enabled, bound; for a source, anti-spoofing of the address it sends from. */
export function endPort(b: PathBuilder, step: 'source_port' | 'destination_port', port: PortM, ip: string): void {
  const problems: string[] = [];
  if (!port.admin_state_up) {
    problems.push('it is disabled (admin_state_up=false)');
    b.block(ref.port(port), 'admin_state_up=false', `openstack port set --enable ${port.id}`);
  }
  if (port.binding_vif_type === 'binding_failed') {
    problems.push(`its binding failed on host '${port.binding_host_id}'`);
    b.block(ref.port(port), 'binding:vif_type=binding_failed', `run muon doctor --server … for the cause, then bind again: openstack port set --host ${port.binding_host_id || '<host>'} ${port.id}`);
  }
  const notes: string[] = [];
  if (step === 'source_port') {
    if (isFiltered(port)) {
      const own = port.fixed_ips.some((f) => f.ip_address === ip);
      const pair = port.allowed_address_pairs.find((p) => inCidr(p.ip_address.includes('/') ? p.ip_address : `${p.ip_address}/${parseIp(p.ip_address)?.version === 6 ? 128 : 32}`, ip));
      if (own) notes.push(`sends from its fixed IP ${ip}`);
      else if (pair) notes.push(`sends from ${ip}, allowed by the address pair ${pair.ip_address} (anti-spoofing)`);
      else {
        problems.push(`anti-spoofing drops packets from ${ip}: neither a fixed IP (${port.fixed_ips.map((f) => f.ip_address).join(', ') || 'none'}) nor an allowed address pair`);
        b.block(ref.port(port), `source ${ip} is not a fixed IP or allowed address pair (anti-spoofing)`, `openstack port set --allowed-address ip-address=${ip} ${port.id}`);
      }
    } else {
      notes.push(`sends from ${ip}${port.port_security_enabled ? '' : ' (port security off: no anti-spoofing)'}`);
    }
  }
  const who = `port ${label(port)}${port.device_owner ? ` (${port.device_owner})` : ''}`;
  const reason = problems.length ? `${who}: ${problems.join('; ')}` : `${who} is enabled${notes.length ? ` and ${notes.join('; ')}` : ''}`;
  b.hop(step, ref.port(port), problems.length ? 'block' : 'pass', reason, portRealised(b.model, port));
}

/** The port's security groups in one direction; peerIp is the far address as the port sees it. */
export function securityGroups(b: PathBuilder, direction: 'ingress' | 'egress', port: PortM, pkt: Packet, peerIp: string): void {
  const step = direction === 'ingress' ? 'security_group_ingress' : 'security_group_egress';
  const v = evaluateGroups(port, direction, pkt, peerIp, b.model);
  const realised = v.filtered ? { ...portRealised(b.model, port, 'firewall of port'), evidence: `firewall programmed by the Linux bridge agent: ${portRealised(b.model, port).evidence}` } : nothingToRealise(port.binding_host_id || null, 'no filtering to program');
  const fromTo = direction === 'ingress' ? 'from' : 'to';
  if (!v.filtered) {
    const why = v.why === 'port_security_disabled' ? 'port_security_enabled=false: no security group and no anti-spoofing filter it' : `${port.device_owner} ports are not filtered`;
    b.hop(step, ref.port(port), 'pass', `${why}; ${describePacket(pkt)} ${fromTo} ${peerIp} passes`, realised);
    return;
  }
  if (!v.allowed) {
    const groups = v.groups;
    if (!groups.length) {
      b.hop(step, ref.port(port), 'block', `port ${label(port)} has port security on and no security group: everything is dropped`, realised);
      b.block(ref.port(port), 'port_security_enabled=true and no security group', `openstack port set --security-group default ${port.id} (or a group with a rule for ${describePacket(pkt)})`);
      return;
    }
    const names = groups.map((g) => cli(g)).join(', ');
    const g = groups[0];
    const obj: TraceObject = { type: 'security_group', id: g.id, name: g.name };
    b.hop(step, obj, 'block', `no ${direction} rule of security group${groups.length > 1 ? 's' : ''} ${names} allows ${describePacket(pkt)} ${fromTo} ${peerIp}`, realised);
    b.block(obj, `no ${direction} rule for ${describePacket(pkt)} ${fromTo} ${peerIp} (groups of port ${label(port)}: ${names})`, ruleFix(cli(g), direction, pkt, peerIp));
    return;
  }
  const obj: TraceObject = { type: 'security_group_rule', id: v.rule.id, name: `${v.group.name || v.group.id}: ${describeRule(v.rule, b.model)}` };
  if (v.stateful) {
    b.hop(step, obj, 'pass', `security group ${label(v.group)} allows it (${describeRule(v.rule, b.model)}); stateful: the replies are allowed`, realised);
    return;
  }
  // stateless: the replies need their own rule, in the other direction
  const back = direction === 'ingress' ? 'egress' : 'ingress';
  const r = evaluateGroups(port, back, { ...pkt, reply: true }, peerIp, b.model);
  if (r.filtered && !r.allowed) {
    b.hop(step, obj, 'block', `security group ${label(v.group)} allows it (${describeRule(v.rule, b.model)}) but is stateless and no ${back} rule lets the replies (${describePacket({ ...pkt, reply: true })}) ${back === 'ingress' ? 'from' : 'to'} ${peerIp}`, realised);
    b.block({ type: 'security_group', id: v.group.id, name: v.group.name }, `stateful=false and no ${back} rule for the replies ${back === 'ingress' ? 'from' : 'to'} ${peerIp}`,
      `${ruleFix(cli(v.group), back, { ...pkt, reply: true }, peerIp)} (or use a stateful group)`);
    return;
  }
  b.hop(step, obj, 'pass', `security group ${label(v.group)} allows it (${describeRule(v.rule, b.model)}); stateless, and its ${back} rules let the replies through`, realised);
}

/** One network carries the flow (same network: delivered directly, no router). */
export function network(b: PathBuilder, net: NetworkM | undefined, reason: string, hosts: string[]): void {
  if (!net) return;
  const seg = net.segments[0];
  const segText = seg ? `${seg.network_type}${seg.physical_network ? ` on ${seg.physical_network}` : ''}${seg.segmentation_id !== null ? ` ${seg.segmentation_id}` : ''}` : 'no segment';
  const realised = networkRealised(b.model, hosts);
  const dhcp = dhcpEvidence(b.model, net);
  if (dhcp) realised.evidence += `; ${dhcp.text}`;
  if (dhcp && !dhcp.ok && realised.state === 'yes') realised.state = 'no';
  if (!net.admin_state_up) {
    b.hop('network', ref.network(net), 'block', `network ${label(net)} (${segText}) is disabled (admin_state_up=false)`, realised);
    b.block(ref.network(net), 'admin_state_up=false', `openstack network set --enable ${cli(net)}`);
    return;
  }
  b.hop('network', ref.network(net), 'pass', `${reason} (network ${label(net)}, ${segText})`, realised);
}

/** DHCP on a network: served by a live agent when one of its subnets has it on. */
function dhcpEvidence(model: TraceModel, net: NetworkM): { ok: boolean; text: string } | undefined {
  if (!model.subnets.some((s) => s.network_id === net.id && s.enable_dhcp)) return undefined;
  const ids = model.dhcp_agents_by_network[net.id] ?? [];
  const agents = model.agents.filter((a) => ids.includes(a.id) && a.agent_type === DHCP_AGENT_TYPE);
  const live = agents.filter((a) => a.alive && a.admin_state_up);
  if (live.length) return { ok: true, text: `DHCP served by the live agent on ${live.map((a) => a.host).join(', ')}` };
  return { ok: false, text: agents.length ? `DHCP agents of the network dead (${agents.map((a) => a.host).join(', ')})` : 'no DHCP agent hosts the network' };
}

/** A router's interface on a subnet (the flow enters or leaves the router there). */
export function routerInterface(b: PathBuilder, router: RouterM, subnet: SubnetM, entering: boolean): void {
  const iface = router.interfaces.find((i) => i.subnet_id === subnet.id);
  const port = iface && b.model.ports.find((p) => p.id === iface.port_id);
  const realised = routerPortRealised(b.model, router, port, 'qr');
  if (!router.admin_state_up) {
    b.hop('router_interface', ref.router(router), 'block', `router ${label(router)} is disabled (admin_state_up=false)`, realised);
    b.block(ref.router(router), 'admin_state_up=false', `openstack router set --enable ${cli(router)}`);
    return;
  }
  b.hop('router_interface', ref.router(router), 'pass',
    `router ${label(router)} ${entering ? 'receives it on' : 'delivers it through'} its interface ${iface?.ip_address ?? ''} on subnet ${label(subnet)} ${subnet.cidr}`, realised);
}

/** No router joins the subnet: the flow has nowhere to go. */
export function missingInterface(b: PathBuilder, subnet: SubnetM, router: RouterM | undefined, why: string): void {
  b.hop('router_interface', ref.subnet(subnet), 'block', `${router ? `router ${label(router)} has no interface` : 'no router has an interface'} on subnet ${label(subnet)} ${subnet.cidr}: ${why}`,
    { host: null, state: 'unknown', evidence: 'nothing to realise: no router port on this subnet' });
  b.block(ref.subnet(subnet), `no router interface on subnet ${label(subnet)} ${subnet.cidr}`,
    router ? `openstack router add subnet ${cli(router)} ${cli(subnet)}` : `openstack router create <router> && openstack router add subnet <router> ${cli(subnet)}${why.includes('outside') ? ' && openstack router set --external-gateway <external network> <router>' : ''}`);
}

/** The router's gateway port on the external network, leaving ('out') or entering ('in') there. */
export function externalNetwork(b: PathBuilder, router: RouterM, gwPort: PortM | undefined, address: string | undefined, way: 'in' | 'out'): void {
  const net = b.model.networks.find((n) => n.id === router.gw_network_id);
  if (!net) return;
  const realised = routerPortRealised(b.model, router, gwPort, 'qg');
  if (!net.admin_state_up) {
    b.hop('external_network', ref.network(net), 'block', `external network ${label(net)} is disabled (admin_state_up=false)`, realised);
    b.block(ref.network(net), 'admin_state_up=false', `openstack network set --enable ${cli(net)}`);
    return;
  }
  const reason = way === 'out'
    ? `leaves router ${label(router)} through its gateway port${address ? ` ${address}` : ''} on external network ${label(net)}`
    : `external network ${label(net)} carries it to router ${label(router)}, whose gateway port answers for ${address}`;
  b.hop('external_network', ref.network(net), 'pass', reason, realised);
}
