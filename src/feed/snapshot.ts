// Builds a host's desired state (HostState) from the database: what its Linux bridge agent
// must wire (ports bound there, their networks, security groups, remote-group members,
// l2population peers) and what its DHCP agent must serve. The revision is read first, so a
// change committed while the snapshot is assembled is always seen again by the next watch.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { byChunks, group } from './chunked.ts';
import { parseIp } from '../domain/ip/address.ts';
import { currentRevision } from './revision.ts';
import { loadHostRouters } from './router-state.ts';
import { DHCP_AGENT_TYPE, LINUXBRIDGE_AGENT_TYPE } from '../domain/agent-types.ts';
import {
  deviceName, type DhcpHostEntry, type DhcpNetworkState, type HostState, type L2popPeer, type NetworkState, type PortState,
  type SecurityGroupRuleState, type SecurityGroupState, type SubnetState,
} from './host-state.ts';

type Db = Kysely<Database>;

const DHCP_OWNER = 'network:dhcp';

interface PortBase {
  id: string;
  network_id: string;
  mac_address: string;
  admin_state_up: number;
  device_owner: string;
  device_id: string;
  port_security_enabled: number;
  binding_host_id: string;
  dns_name: string;
}

const PORT_COLS = ['id', 'network_id', 'mac_address', 'admin_state_up', 'device_owner', 'device_id', 'port_security_enabled', 'binding_host_id', 'dns_name'] as const;

/** per database, per host: the last build and the revision read before it started */
const lastBuild = new WeakMap<Db, Map<string, { revision: number; dnsDomain: string; state: Promise<HostState> }>>();

/**
 * A host's agents (Linux bridge, DHCP, L3, metadata) all wait on the same host's feed and
 * wake together after a write: they share one build. A build started at revision R sees at
 * least R, so a caller that reads R again may take it (callers do not mutate the result).
 */
export async function buildHostState(db: Db, host: string, opts: { dnsDomain: string }): Promise<HostState> {
  const revision = await currentRevision(db);
  let hosts = lastBuild.get(db);
  if (!hosts) lastBuild.set(db, hosts = new Map());
  const last = hosts.get(host);
  if (last && last.revision === revision && last.dnsDomain === opts.dnsDomain) return last.state;
  const state = buildFresh(db, host, opts);
  const entry = { revision, dnsDomain: opts.dnsDomain, state };
  hosts.set(host, entry);
  // a failed build is not shared with later callers
  state.catch(() => { if (hosts.get(host) === entry) hosts.delete(host); });
  return state;
}

async function buildFresh(db: Db, host: string, opts: { dnsDomain: string }): Promise<HostState> {
  const revision = await currentRevision(db);

  const bound = await db.selectFrom('ports').select(PORT_COLS).where('binding_host_id', '=', host).where('binding_vif_type', '=', 'bridge').execute();
  const dhcpAgent = await db.selectFrom('agents').select('id').where('agent_type', '=', DHCP_AGENT_TYPE).where('host', '=', host).executeTakeFirst();
  const dhcpNetIds = dhcpAgent
    ? (await db.selectFrom('network_dhcp_agents').select('network_id').where('dhcp_agent_id', '=', dhcpAgent.id).execute()).map((r) => r.network_id)
    : [];
  const dhcpSubnetRows = await byChunks(dhcpNetIds, (c) => db.selectFrom('subnets').selectAll().where('network_id', 'in', c).execute());
  const servedNetIds = [...new Set(dhcpSubnetRows.filter((s) => s.enable_dhcp === 1).map((s) => s.network_id))];

  const netIds = [...new Set([...bound.map((p) => p.network_id), ...servedNetIds])];
  const networks = await loadNetworks(db, netIds);
  const netById = new Map(networks.map((n) => [n.id, n]));

  // every port on a DHCP-served network (host entries), plus the ports bound here
  const dhcpNetPorts = await byChunks(servedNetIds, (c) => db.selectFrom('ports').select(PORT_COLS).where('network_id', 'in', c).execute());
  const allPortIds = [...new Set([...bound.map((p) => p.id), ...dhcpNetPorts.map((p) => p.id)])];
  const ips = group(await byChunks(allPortIds, (c) => db.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', c).execute()), (r) => r.port_id);
  const fixedIpsOf = (id: string) => (ips.get(id) ?? []).map((r) => ({ subnet_id: r.subnet_id, ip_address: r.ip_address }));

  const boundIds = bound.map((p) => p.id);
  const sgLinks = group(await byChunks(boundIds, (c) => db.selectFrom('port_security_groups').selectAll().where('port_id', 'in', c).execute()), (r) => r.port_id);
  const pairs = group(await byChunks(boundIds, (c) => db.selectFrom('port_allowed_address_pairs').selectAll().where('port_id', 'in', c).execute()), (r) => r.port_id);

  const ports: PortState[] = bound.filter((p) => netById.has(p.network_id)).map((p) => toPortState(p, fixedIpsOf(p.id),
    (sgLinks.get(p.id) ?? []).map((l) => l.security_group_id).sort(),
    (pairs.get(p.id) ?? []).map((a) => ({ ip_address: a.ip_address, mac_address: a.mac_address }))));
  ports.sort((a, b) => a.id.localeCompare(b.id));

  const { security_groups, remote_groups, address_groups } = await loadSecurity(db, ports);
  const l2pop = await loadL2pop(db, host, networks.filter((n) => n.network_type === 'vxlan'));
  const dhcp = await loadDhcp(db, host, opts.dnsDomain, servedNetIds, netById, dhcpSubnetRows, dhcpNetPorts, fixedIpsOf);

  const routers = await loadHostRouters(db, host);
  return { host, revision, networks, ports, security_groups, remote_groups, address_groups, l2pop, dhcp, routers };
}

function toPortState(p: PortBase, fixed_ips: PortState['fixed_ips'], security_groups: string[], allowed_address_pairs: PortState['allowed_address_pairs']): PortState {
  return {
    id: p.id, network_id: p.network_id, mac_address: p.mac_address, fixed_ips, admin_state_up: p.admin_state_up === 1,
    device_owner: p.device_owner, port_security_enabled: p.port_security_enabled === 1, security_groups, allowed_address_pairs,
    device: deviceName('tap', p.id),
  };
}

async function loadNetworks(db: Db, ids: readonly string[]): Promise<NetworkState[]> {
  const rows = await byChunks(ids, (c) => db.selectFrom('networks').select(['id', 'mtu', 'admin_state_up']).where('id', 'in', c).execute());
  const segs = group(await byChunks(ids, (c) => db.selectFrom('network_segments').selectAll().where('network_id', 'in', c).orderBy('segment_index').execute()), (s) => s.network_id);
  return rows.map((n) => {
    const s = segs.get(n.id)?.[0];
    return {
      id: n.id, network_type: s?.network_type ?? 'local', physical_network: s?.physical_network ?? null,
      segmentation_id: s?.segmentation_id ?? null, mtu: n.mtu, admin_state_up: n.admin_state_up === 1,
    };
  }).sort((a, b) => a.id.localeCompare(b.id));
}

async function loadSecurity(db: Db, ports: readonly PortState[]) {
  const sgIds = [...new Set(ports.filter((p) => p.port_security_enabled).flatMap((p) => p.security_groups))].sort();
  const sgs = await byChunks(sgIds, (c) => db.selectFrom('security_groups').select(['id', 'stateful']).where('id', 'in', c).execute());
  const rules = group(await byChunks(sgIds, (c) => db.selectFrom('security_group_rules').selectAll().where('security_group_id', 'in', c).execute()), (r) => r.security_group_id);
  const security_groups: SecurityGroupState[] = sgs.map((g) => ({
    id: g.id, stateful: g.stateful === 1,
    rules: (rules.get(g.id) ?? []).map((r): SecurityGroupRuleState => ({
      id: r.id, direction: r.direction as 'ingress' | 'egress', ethertype: r.ethertype as 'IPv4' | 'IPv6', protocol: r.protocol,
      port_range_min: r.port_range_min, port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix,
      remote_group_id: r.remote_group_id, remote_address_group_id: r.remote_address_group_id,
    })).sort((a, b) => a.id.localeCompare(b.id)),
  })).sort((a, b) => a.id.localeCompare(b.id));

  const allRules = security_groups.flatMap((g) => g.rules);
  const remoteIds = [...new Set(allRules.map((r) => r.remote_group_id).filter((x): x is string => !!x))].sort();
  const remote_groups: HostState['remote_groups'] = {};
  for (const id of remoteIds) remote_groups[id] = { IPv4: [], IPv6: [] };
  // members: fixed IPs and allowed address pairs of every port in the group, cloud-wide
  const members = await byChunks(remoteIds, (c) => db.selectFrom('port_security_groups as psg').innerJoin('ip_allocations as ia', 'ia.port_id', 'psg.port_id')
    .select(['psg.security_group_id as sg', 'ia.ip_address as ip']).where('psg.security_group_id', 'in', c).execute());
  const pairMembers = await byChunks(remoteIds, (c) => db.selectFrom('port_security_groups as psg').innerJoin('port_allowed_address_pairs as ap', 'ap.port_id', 'psg.port_id')
    .select(['psg.security_group_id as sg', 'ap.ip_address as ip']).where('psg.security_group_id', 'in', c).execute());
  for (const m of [...members, ...pairMembers]) {
    const v = parseIp(m.ip.split('/')[0])?.version;
    const list = remote_groups[m.sg][v === 6 ? 'IPv6' : 'IPv4'];
    if (!list.includes(m.ip)) list.push(m.ip);
  }
  for (const g of Object.values(remote_groups)) { g.IPv4.sort(); g.IPv6.sort(); }

  const agIds = [...new Set(allRules.map((r) => r.remote_address_group_id).filter((x): x is string => !!x))].sort();
  const address_groups: HostState['address_groups'] = {};
  for (const id of agIds) address_groups[id] = [];
  for (const a of await byChunks(agIds, (c) => db.selectFrom('address_group_addresses').selectAll().where('address_group_id', 'in', c).execute())) {
    address_groups[a.address_group_id].push(a.address);
  }
  for (const l of Object.values(address_groups)) l.sort();
  return { security_groups, remote_groups, address_groups };
}

/** Remote ports on this host's vxlan networks, grouped by the remote agent's tunnel address. */
async function loadL2pop(db: Db, host: string, vxlanNets: readonly NetworkState[]): Promise<L2popPeer[]> {
  if (vxlanNets.length === 0) return [];
  const agents = await db.selectFrom('agents').select(['host', 'configurations']).where('agent_type', '=', LINUXBRIDGE_AGENT_TYPE).execute();
  const vtepOf = new Map<string, string>();
  for (const a of agents) {
    const ip = (JSON.parse(a.configurations) as { tunneling_ip?: string | null }).tunneling_ip;
    if (ip) vtepOf.set(a.host, ip);
  }
  const netIds = vxlanNets.map((n) => n.id);
  const remote = await byChunks(netIds, (c) => db.selectFrom('ports').select(['id', 'network_id', 'mac_address', 'binding_host_id'])
    .where('network_id', 'in', c).where('binding_vif_type', '=', 'bridge').where('binding_host_id', '!=', host).execute());
  const ips = group(await byChunks(remote.map((p) => p.id), (c) => db.selectFrom('ip_allocations').select(['port_id', 'ip_address']).where('port_id', 'in', c).execute()), (r) => r.port_id);
  // Allowed address pairs that name one address need an ARP/ND entry too: with the VXLAN
  // device's proxy flag, a remote address without one is unreachable.
  const pairs = group(await byChunks(remote.map((p) => p.id), (c) => db.selectFrom('port_allowed_address_pairs').selectAll().where('port_id', 'in', c).execute()), (r) => r.port_id);
  const out = new Map<string, L2popPeer>();
  const segOf = new Map(vxlanNets.map((n) => [n.id, n.segmentation_id ?? 0]));
  for (const p of remote) {
    const vtep = vtepOf.get(p.binding_host_id);
    if (!vtep) continue;
    const key = `${p.network_id}|${vtep}`;
    let peer = out.get(key);
    if (!peer) out.set(key, peer = { network_id: p.network_id, segmentation_id: segOf.get(p.network_id)!, vtep, ports: [] });
    const addrs = (ips.get(p.id) ?? []).map((r) => r.ip_address);
    if (addrs.length === 0) peer.ports.push([p.mac_address, '']);
    for (const a of addrs) peer.ports.push([p.mac_address, a]);
    for (const a of pairs.get(p.id) ?? []) {
      const single = a.ip_address.replace(/\/(32|128)$/, '');
      if (!single.includes('/')) peer.ports.push([a.mac_address, single]);
    }
  }
  const peers = [...out.values()];
  for (const p of peers) p.ports.sort((a, b) => (a[0] + a[1]).localeCompare(b[0] + b[1]));
  return peers.sort((a, b) => (a.network_id + a.vtep).localeCompare(b.network_id + b.vtep));
}

async function loadDhcp(
  db: Db, host: string, dnsDomain: string, netIds: readonly string[], netById: Map<string, NetworkState>, subnetRows: readonly Database['subnets'][],
  netPorts: readonly PortBase[], fixedIpsOf: (id: string) => PortState['fixed_ips'],
): Promise<DhcpNetworkState[]> {
  if (netIds.length === 0) return [];
  const subnetIds = subnetRows.map((s) => s.id);
  const dns = group(await byChunks(subnetIds, (c) => db.selectFrom('subnet_dns_nameservers').selectAll().where('subnet_id', 'in', c).orderBy('position').execute()), (r) => r.subnet_id);
  const routes = group(await byChunks(subnetIds, (c) => db.selectFrom('subnet_host_routes').selectAll().where('subnet_id', 'in', c).execute()), (r) => r.subnet_id);
  const opts = group(await byChunks(netPorts.map((p) => p.id), (c) => db.selectFrom('port_extra_dhcp_opts').selectAll().where('port_id', 'in', c).execute()), (r) => r.port_id);
  const nets = await byChunks(netIds, (c) => db.selectFrom('networks').select(['id', 'dns_domain']).where('id', 'in', c).execute());
  // Neutron's isolated subnets: no router interface on them (metadata then comes from the DHCP namespace)
  const routed = new Set((await byChunks(subnetIds, (c) => db.selectFrom('router_ports as rp').innerJoin('ip_allocations as ia', 'ia.port_id', 'rp.port_id')
    .select('ia.subnet_id').where('rp.port_type', '=', 'network:router_interface').where('ia.subnet_id', 'in', c).execute())).map((r) => r.subnet_id));
  const domainOf = new Map(nets.map((n) => [n.id, n.dns_domain]));
  const out: DhcpNetworkState[] = [];
  for (const netId of netIds) {
    const network = netById.get(netId);
    const own = netPorts.find((p) => p.network_id === netId && p.device_owner === DHCP_OWNER && p.binding_host_id === host);
    if (!network || !own) continue; // the server has not made this agent's port yet
    const subnets: SubnetState[] = subnetRows.filter((s) => s.network_id === netId).map((s) => ({
      id: s.id, network_id: s.network_id, ip_version: s.ip_version as 4 | 6, cidr: s.cidr, gateway_ip: s.gateway_ip, enable_dhcp: s.enable_dhcp === 1,
      dns_nameservers: (dns.get(s.id) ?? []).map((d) => d.address),
      host_routes: (routes.get(s.id) ?? []).map((r) => ({ destination: r.destination, nexthop: r.nexthop })),
      ipv6_address_mode: s.ipv6_address_mode, ipv6_ra_mode: s.ipv6_ra_mode, has_router: routed.has(s.id),
    })).sort((a, b) => a.id.localeCompare(b.id));
    const hosts: DhcpHostEntry[] = netPorts.filter((p) => p.network_id === netId && fixedIpsOf(p.id).length > 0).map((p) => {
      const fixed = fixedIpsOf(p.id);
      return {
        id: p.id, mac_address: p.mac_address, fixed_ips: fixed,
        hostname: p.dns_name || `host-${fixed[0].ip_address.replaceAll('.', '-').replaceAll(':', '-')}`,
        extra_dhcp_opts: (opts.get(p.id) ?? []).map((o) => ({ opt_name: o.opt_name, opt_value: o.opt_value, ip_version: o.ip_version as 4 | 6 })),
      };
    }).sort((a, b) => a.id.localeCompare(b.id));
    out.push({
      network, port: toPortState(own, fixedIpsOf(own.id), [], []), subnets, hosts, dns_domain: (domainOf.get(netId) || dnsDomain).replace(/\.$/, ''),
    });
  }
  return out.sort((a, b) => a.network.id.localeCompare(b.network.id));
}
