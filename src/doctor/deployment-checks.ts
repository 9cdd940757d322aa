// The deployment as the server sees it, checked: pure functions over facts the doctor
// service read from the database (src/services/doctor.ts). Each check names the object,
// what shows the problem and what to do about it.
import { parseIp } from '../domain/ip/address.ts';
import { contains, formatCidr, overlaps, parseCidr } from '../domain/ip/cidr.ts';
import { DHCP_AGENT_TYPE, L3_AGENT_TYPE, LINUXBRIDGE_AGENT_TYPE } from '../domain/agent-types.ts';
import { finding, type Finding } from './finding.ts';

export interface AgentFact {
  id: string;
  agent_type: string;
  host: string;
  alive: boolean;
  admin_state_up: boolean;
  /** ISO-8601 UTC */
  heartbeat_timestamp: string;
  configurations: Record<string, unknown>;
}
export interface SegmentFact { network_type: string; physical_network: string | null }
export interface NetworkFact { id: string; name: string; router_external: boolean; mtu: number; segments: SegmentFact[] }
export interface SubnetFact { id: string; name: string; network_id: string; cidr: string; gateway_ip: string | null; enable_dhcp: boolean; ip_version: number }
export interface PortFact {
  id: string; name: string; network_id: string; status: string; device_owner: string; device_id: string;
  binding_host_id: string; binding_vif_type: string; binding_failure: string | null;
  /** ISO-8601 UTC: when the port last changed */
  updated_at: string;
  /** provisioning blocks still open: 'L2', 'DHCP' */
  blocks: string[];
  fixed_ips: { subnet_id: string; ip_address: string }[];
}
export interface RouterFact { id: string; name: string; admin_state_up: boolean; gw_network_id: string | null; interface_subnet_ids: string[] }
export interface FloatingIpFact {
  id: string; floating_ip_address: string; floating_network_id: string;
  fixed_port_id: string | null; fixed_ip_address: string | null; router_id: string | null;
}

export interface DeploymentFacts {
  nowMs: number;
  /** [DEFAULT] agent_down_time, seconds */
  agentDownTime: number;
  /** a port in BUILD for less than this is still being wired, not stuck */
  buildGraceSeconds: number;
  agents: AgentFact[];
  networks: NetworkFact[];
  subnets: SubnetFact[];
  /** ports in BUILD, ports whose binding failed, and the fixed ports of floating IPs */
  ports: PortFact[];
  routers: RouterFact[];
  floatingips: FloatingIpFact[];
  dhcpAgentsByNetwork: Record<string, string[]>;
  l3AgentsByRouter: Record<string, string[]>;
}

/** VXLAN over IPv4: outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 */
export const VXLAN_OVERHEAD = 50;

export function checkDeployment(f: DeploymentFacts): Finding[] {
  return [
    ...deadAgents(f), ...agentsHostProblems(f), ...duplicateTunnelIps(f), ...externalSubnets(f), ...gatewaysOnLink(f), ...vxlanMtu(f), ...stuckPorts(f),
    ...dhcpWithoutAgent(f), ...routersWithoutAgent(f), ...floatingIpsWithoutRoute(f),
  ];
}

const KIND_OF: Record<string, string> = {
  [LINUXBRIDGE_AGENT_TYPE]: 'linuxbridge', [DHCP_AGENT_TYPE]: 'dhcp', [L3_AGENT_TYPE]: 'l3', 'Metadata agent': 'metadata',
};

export function ago(sinceIso: string, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - Date.parse(sinceIso)) / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

const agentRef = (a: AgentFact) => ({ type: 'agent', id: a.id, name: `${a.agent_type} on ${a.host}` });
const named = (type: string, o: { id: string; name: string }) => ({ type, id: o.id, ...(o.name ? { name: o.name } : {}) });
const label = (o: { id: string; name: string }) => (o.name ? `'${o.name}'` : o.id);

function deadAgents(f: DeploymentFacts): Finding[] {
  return f.agents.filter((a) => !a.alive).map((a) => finding(
    a.admin_state_up ? 'error' : 'info', 'agent-dead', agentRef(a),
    `${a.agent_type} on host ${a.host} is dead since ${a.heartbeat_timestamp} (last heartbeat ${ago(a.heartbeat_timestamp, f.nowMs)} ago; agent_down_time ${f.agentDownTime} s)${a.admin_state_up ? '' : '; it is administratively down'}`,
    `start it on ${a.host} (muon agent ${KIND_OF[a.agent_type] ?? '…'} --config-file …) or find why its heartbeats do not reach the server (the agent channel socket or RabbitMQ, the agent's log); if the host is gone, delete the agent: openstack network agent delete ${a.id}`,
  ));
}

// What each live agent found wrong with its own host (src/agents/host-check.ts), under the
// same codes `muon doctor` gives on that host; a dead agent's report is stale (agent-dead says so).
function agentsHostProblems(f: DeploymentFacts): Finding[] {
  const out: Finding[] = [];
  for (const a of f.agents.filter((x) => x.alive)) {
    const reported = a.configurations.host_problems;
    if (!Array.isArray(reported)) continue;
    for (const p of reported as Partial<Finding>[]) {
      if (typeof p?.code !== 'string' || typeof p.evidence !== 'string') continue;
      out.push(finding(p.severity === 'warning' ? 'warning' : 'error', p.code, agentRef(a),
        `the ${a.agent_type} on host ${a.host} reports: ${p.evidence}`, typeof p.fix === 'string' ? `on ${a.host}: ${p.fix}` : `see the agent's log on ${a.host}`));
    }
  }
  return out;
}

// Two hosts with one [vxlan] local_ip (a file copied from the other machine): the tunnels of
// both go to one of them, and the other host's VMs are cut off.
function duplicateTunnelIps(f: DeploymentFacts): Finding[] {
  const byIp = new Map<string, AgentFact[]>();
  for (const a of liveL2Agents(f)) {
    const ip = a.configurations.tunneling_ip;
    if (typeof ip === 'string' && ip) byIp.set(ip, [...(byIp.get(ip) ?? []), a]);
  }
  return [...byIp].filter(([, as]) => as.length > 1).map(([ip, as]) => finding('error', 'tunneling-ip-duplicate', { type: 'config', id: 'local_ip', name: ip },
    `the Linux bridge agents on ${as.map((a) => a.host).join(' and ')} all report [vxlan] local_ip = ${ip}: VXLAN traffic for one of them reaches the other, and VMs on different hosts cannot reach each other`,
    `set [vxlan] local_ip in each host's linuxbridge_agent.ini to that host's own address on the tunnel network, then restart the agents`));
}

function liveL2Agents(f: DeploymentFacts): AgentFact[] {
  return f.agents.filter((a) => a.alive && a.agent_type === LINUXBRIDGE_AGENT_TYPE);
}

function mappingOf(a: AgentFact, physnet: string): string | undefined {
  const c = a.configurations;
  const m = (c.interface_mappings ?? {}) as Record<string, string>;
  const b = (c.bridge_mappings ?? {}) as Record<string, string>;
  return m[physnet] ?? b[physnet];
}

// The seed's failure: an external subnet that is not the segment the uplink is on. The
// Linux bridge agents report the addresses they see on each mapped interface (or on the
// bridge the interface's addresses moved to).
function externalSubnets(f: DeploymentFacts): Finding[] {
  const out: Finding[] = [];
  for (const net of f.networks.filter((n) => n.router_external)) {
    const subnets = f.subnets.filter((s) => s.network_id === net.id);
    for (const seg of net.segments) {
      const physnet = seg.physical_network;
      if (!physnet || (seg.network_type !== 'flat' && seg.network_type !== 'vlan')) continue;
      const mapping = liveL2Agents(f).filter((a) => mappingOf(a, physnet) !== undefined);
      if (mapping.length === 0) {
        out.push(finding('error', 'physnet-unmapped', named('network', net),
          `external network ${label(net)} is on physical network '${physnet}', which no live Linux bridge agent maps (agents: ${liveL2Agents(f).map((a) => `${a.host} maps ${JSON.stringify(a.configurations.interface_mappings ?? {})}`).join('; ') || 'none alive'})`,
          `map it on the network node: [linux_bridge] physical_interface_mappings = ${physnet}:<interface> in linuxbridge_agent.ini, then restart the agent (router gateways and floating IPs on this network cannot bind until then)`));
        continue;
      }
      // per subnet, every host whose uplink is on another segment, in one finding
      const seen = mapping.flatMap((a) => {
        const reported = ((a.configurations.physical_network_addresses ?? {}) as Record<string, string[]>)[physnet];
        // a bare uplink (no address) or a VLAN (the address is not the tagged segment's): nothing to compare
        return reported?.length && seg.network_type === 'flat' ? [{ a, iface: mappingOf(a, physnet), reported, nets: reported.map(parseCidr).filter((c) => c !== null) }] : [];
      });
      for (const s of subnets) {
        const c = parseCidr(s.cidr);
        if (!c) continue;
        const off = seen.filter((x) => x.nets.some((n) => n.version === c.version) && !x.nets.some((n) => overlaps(n, c)));
        if (off.length) {
          const segment = off[0].nets.find((n) => n.version === c.version)!;
          out.push(finding('error', 'external-subnet-off-link', named('subnet', s),
            `subnet ${label(s)} ${s.cidr} of external network ${label(net)} is not the segment of physical network '${physnet}': ${off.map((x) => `${x.iface} on host ${x.a.host} carries ${x.reported.join(', ')}`).join('; ')}; routers' gateways and floating IPs from this subnet are unreachable from outside`,
            `delete it and create the subnet with the segment's own CIDR and gateway: openstack subnet create --network ${net.name || net.id} --subnet-range ${formatCidr(segment)} --gateway <the upstream router> --allocation-pool start=…,end=… (addresses nothing else on the segment uses)`));
          continue;
        }
        for (const x of seen) {
          if (s.gateway_ip && x.reported.some((r) => r.split('/')[0] === s.gateway_ip)) {
            out.push(finding('error', 'external-gateway-is-host', named('subnet', s),
              `the gateway ${s.gateway_ip} of external subnet ${label(s)} is host ${x.a.host}'s own address on ${x.iface}`,
              `set the subnet's gateway to the upstream router of the segment: openstack subnet set --gateway <router address> ${s.name || s.id}`));
          }
        }
      }
    }
    for (const s of subnets.filter((x) => x.gateway_ip === null)) {
      out.push(finding('warning', 'external-subnet-no-gateway', named('subnet', s),
        `external subnet ${label(s)} ${s.cidr} has no gateway: routers using it get no default route`,
        `openstack subnet set --gateway <the upstream router's address> ${s.name || s.id}`));
    }
  }
  return out;
}

function gatewaysOnLink(f: DeploymentFacts): Finding[] {
  const out: Finding[] = [];
  for (const s of f.subnets) {
    if (!s.gateway_ip) continue;
    const c = parseCidr(s.cidr);
    const gw = parseIp(s.gateway_ip);
    if (!c || !gw || contains(c, gw)) continue;
    const external = f.networks.find((n) => n.id === s.network_id)?.router_external ?? false;
    out.push(finding(external ? 'error' : 'warning', 'gateway-not-on-link', named('subnet', s),
      `the gateway ${s.gateway_ip} of subnet ${label(s)} is outside its CIDR ${s.cidr}: ${external ? 'routers' : 'VMs and routers'} need an extra on-link route to reach it, and most guests will not add one`,
      `openstack subnet set --gateway <an address inside ${s.cidr}> ${s.name || s.id} (or, if the gateway really is off-link, add a host route for it)`));
  }
  return out;
}

// A VXLAN network's MTU must fit in what the underlay carries minus the encapsulation.
function vxlanMtu(f: DeploymentFacts): Finding[] {
  const out: Finding[] = [];
  const underlays = liveL2Agents(f).map((a) => ({ a, mtu: a.configurations.tunneling_interface_mtu })).filter((x): x is { a: AgentFact; mtu: number } => typeof x.mtu === 'number');
  if (underlays.length === 0) return out;
  const smallest = underlays.reduce((m, x) => (x.mtu < m.mtu ? x : m));
  for (const n of f.networks) {
    if (!n.segments.some((s) => s.network_type === 'vxlan')) continue;
    if (n.mtu > smallest.mtu - VXLAN_OVERHEAD) {
      out.push(finding('error', 'network-mtu-exceeds-underlay', named('network', n),
        `VXLAN network ${label(n)} has MTU ${n.mtu} (what DHCP tells its VMs), but the tunnel interface of host ${smallest.a.host} has MTU ${smallest.mtu}: frames over ${smallest.mtu - VXLAN_OVERHEAD} bytes (${smallest.mtu} - ${VXLAN_OVERHEAD} VXLAN overhead) are dropped`,
        `set [DEFAULT] global_physnet_mtu (or [ml2] path_mtu) in neutron.conf to the underlay's real MTU (${smallest.mtu}) and lower the network's: openstack network set --mtu ${smallest.mtu - VXLAN_OVERHEAD} ${n.name || n.id}; or raise the underlay's MTU to ${n.mtu + VXLAN_OVERHEAD}`));
    }
  }
  return out;
}

function stuckPorts(f: DeploymentFacts): Finding[] {
  const out: Finding[] = [];
  const agentsOn = (host: string, type: string) => f.agents.filter((a) => a.host === host && a.agent_type === type);
  for (const p of f.ports) {
    if (p.binding_vif_type === 'binding_failed') {
      out.push(finding('error', 'port-binding-failed', named('port', p),
        `port ${label(p)} (${p.device_owner || 'no owner'}) could not be bound on host '${p.binding_host_id}': ${p.binding_failure ?? 'no reason recorded'}`,
        'remove the cause named, then bind again (Nova does when the VM is rebuilt; by hand: openstack port set --host <host> <port>)'));
      continue;
    }
    if (p.status !== 'BUILD' || f.nowMs - Date.parse(p.updated_at) < f.buildGraceSeconds * 1000) continue;
    const waits: string[] = [];
    const fixes: string[] = [];
    for (const b of p.blocks) {
      if (b === 'L2') {
        const lb = agentsOn(p.binding_host_id, LINUXBRIDGE_AGENT_TYPE);
        if (!p.binding_host_id) { waits.push('L2: the port is bound to no host'); fixes.push('bind it: openstack port set --host <host>'); } else if (lb.length === 0) {
          waits.push(`L2: no Linux bridge agent on host '${p.binding_host_id}'`);
          fixes.push(`start muon agent linuxbridge on ${p.binding_host_id} (with [DEFAULT] host = ${p.binding_host_id})`);
        } else if (!lb[0].alive) {
          waits.push(`L2: the Linux bridge agent on '${p.binding_host_id}' is dead since ${lb[0].heartbeat_timestamp}`);
          fixes.push(`restart muon agent linuxbridge on ${p.binding_host_id}`);
        } else {
          waits.push(`L2: the Linux bridge agent on '${p.binding_host_id}' is alive but has not reported tap${p.id.slice(0, 11)} wired`);
          fixes.push(`check that the VM's tap device tap${p.id.slice(0, 11)} exists on ${p.binding_host_id} and read that agent's log`);
        }
      } else if (b === 'DHCP') {
        const ids = f.dhcpAgentsByNetwork[p.network_id] ?? [];
        const dhcp = f.agents.filter((a) => ids.includes(a.id));
        if (dhcp.length === 0) { waits.push('DHCP: no DHCP agent hosts its network'); fixes.push('start a DHCP agent (muon agent dhcp) or add the network to one: neutron dhcp-agent-network-add <agent> <network>'); } else if (!dhcp.some((a) => a.alive)) {
          waits.push(`DHCP: its network's DHCP agent${dhcp.length > 1 ? 's are' : ' is'} dead (${dhcp.map((a) => a.host).join(', ')})`);
          fixes.push(`restart muon agent dhcp on ${dhcp.map((a) => a.host).join(', ')}`);
        } else {
          waits.push(`DHCP: the DHCP agent on ${dhcp.filter((a) => a.alive).map((a) => a.host).join(', ')} has not reported the port served`);
          fixes.push('read that DHCP agent\'s log (dnsmasq)');
        }
      } else {
        waits.push(`${b}: not yet reported`);
      }
    }
    out.push(finding('warning', 'port-stuck-build', named('port', p),
      `port ${label(p)} (${p.device_owner || 'no owner'}, host '${p.binding_host_id}') has been in BUILD for ${ago(p.updated_at, f.nowMs)}, waiting for ${waits.join('; ') || 'nothing recorded'}`,
      fixes.join('; ') || 'update the port (openstack port set) to have it provisioned again'));
  }
  return out;
}

function dhcpWithoutAgent(f: DeploymentFacts): Finding[] {
  const out: Finding[] = [];
  const dhcpAgents = f.agents.filter((a) => a.agent_type === DHCP_AGENT_TYPE);
  for (const n of f.networks) {
    if (!f.subnets.some((s) => s.network_id === n.id && s.enable_dhcp)) continue;
    const hosting = dhcpAgents.filter((a) => (f.dhcpAgentsByNetwork[n.id] ?? []).includes(a.id));
    if (hosting.some((a) => a.alive && a.admin_state_up)) continue;
    const why = hosting.length ? `it is hosted only by dead or disabled DHCP agents (${hosting.map((a) => a.host).join(', ')})` : 'no DHCP agent hosts it';
    const fix = dhcpAgents.some((a) => a.alive)
      ? `add it to a live DHCP agent: neutron dhcp-agent-network-add ${dhcpAgents.find((a) => a.alive)!.id} ${n.name || n.id}`
      : 'start a DHCP agent (muon agent dhcp --config-file neutron.conf --config-file dhcp_agent.ini) on the network node; networks are scheduled to it when it registers';
    out.push(finding('error', 'network-no-dhcp-agent', named('network', n),
      `network ${label(n)} has DHCP enabled but ${why}: its VMs get no address`, fix));
  }
  return out;
}

function routersWithoutAgent(f: DeploymentFacts): Finding[] {
  const out: Finding[] = [];
  const l3 = f.agents.filter((a) => a.agent_type === L3_AGENT_TYPE);
  for (const r of f.routers.filter((x) => x.admin_state_up)) {
    const hosting = l3.filter((a) => (f.l3AgentsByRouter[r.id] ?? []).includes(a.id));
    if (hosting.some((a) => a.alive && a.admin_state_up)) continue;
    const why = hosting.length ? `its L3 agent is dead or disabled (${hosting.map((a) => a.host).join(', ')})` : 'no L3 agent hosts it';
    const live = l3.find((a) => a.alive && a.admin_state_up);
    out.push(finding('error', 'router-no-l3-agent', named('router', r),
      `router ${label(r)}: ${why}; nothing routes, NATs or answers for it`,
      live ? `schedule it: neutron l3-agent-router-add ${live.id} ${r.name || r.id}` : 'start an L3 agent (muon agent l3 --config-file neutron.conf --config-file l3_agent.ini) on the network node; routers are scheduled to it when it registers'));
  }
  return out;
}

// Neutron refuses to associate such a floating IP; one can still be left so when the router
// interface or gateway is removed afterwards.
function floatingIpsWithoutRoute(f: DeploymentFacts): Finding[] {
  const out: Finding[] = [];
  for (const fip of f.floatingips) {
    if (!fip.fixed_port_id) continue;
    const port = f.ports.find((p) => p.id === fip.fixed_port_id);
    const fixed = port?.fixed_ips.find((ip) => ip.ip_address === fip.fixed_ip_address) ?? port?.fixed_ips[0];
    if (!fixed) continue;
    const ok = f.routers.some((r) => r.gw_network_id === fip.floating_network_id && r.interface_subnet_ids.includes(fixed.subnet_id));
    if (ok) continue;
    const subnet = f.subnets.find((s) => s.id === fixed.subnet_id);
    const ext = f.networks.find((n) => n.id === fip.floating_network_id);
    out.push(finding('error', 'floatingip-no-route', { type: 'floatingip', id: fip.id, name: fip.floating_ip_address },
      `floating IP ${fip.floating_ip_address} maps to ${fixed.ip_address} on subnet ${subnet ? label(subnet) : fixed.subnet_id}, but no router joins that subnet to external network ${ext ? label(ext) : fip.floating_network_id}`,
      `add the subnet to a router whose gateway is on ${ext?.name || fip.floating_network_id}: openstack router add subnet <router> ${subnet?.name || fixed.subnet_id} (and openstack router set --external-gateway ${ext?.name || fip.floating_network_id} <router>)`));
  }
  return out;
}
