// POST /v2.0/muon/trace: the model snapshot a flow is evaluated over (src/trace), read in a
// handful of queries, admin view. Networks, subnets, routers, floating IPs and agents whole (a
// flow can cross any of them); of the ports only the two ends and the routers' own ports; of the
// security groups those of the ends, with the members of the remote groups their rules name.
import type { Deps } from './deps.ts';
import { chunks } from '../db/standard-attrs.ts';
import { isAlive } from '../domain/binding.ts';
import { formatIp, parseIp } from '../domain/ip/address.ts';
import { evaluateTrace } from '../trace/evaluate.ts';
import type { PortM, TraceModel, TraceRequest, TraceResult } from '../trace/model.ts';

export async function traceFlow(deps: Deps, req: TraceRequest, nowMs = Date.now()): Promise<TraceResult> {
  return evaluateTrace(await traceModel(deps, req, nowMs), req);
}

const canonical = (s: string) => { const a = parseIp(s); return a ? formatIp(a) : s; };

export async function traceModel(deps: Deps, req: TraceRequest, nowMs = Date.now()): Promise<TraceModel> {
  const db = deps.conn.db;
  const ends = [req.source, req.destination];
  const ips = ends.filter((e) => !('port_id' in e)).map((e) => canonical(e.ip_address!));
  const [networks, segments, subnets, routers, routerPorts, routes, fips, agents, l3, dhcp] = await Promise.all([
    db.selectFrom('networks').select(['id', 'name', 'admin_state_up', 'router_external']).execute(),
    db.selectFrom('network_segments').select(['network_id', 'network_type', 'physical_network', 'segmentation_id']).orderBy('segment_index').execute(),
    db.selectFrom('subnets').select(['id', 'name', 'network_id', 'cidr', 'gateway_ip', 'ip_version', 'enable_dhcp']).execute(),
    db.selectFrom('routers').select(['id', 'name', 'admin_state_up', 'status', 'enable_snat', 'gw_port_id', 'gw_network_id']).orderBy('name').orderBy('id').execute(),
    db.selectFrom('router_ports').select(['router_id', 'port_id', 'port_type']).execute(),
    db.selectFrom('router_routes').selectAll().execute(),
    db.selectFrom('floatingips').select(['id', 'floating_ip_address', 'floating_network_id', 'fixed_port_id', 'fixed_ip_address', 'router_id', 'status']).execute(),
    db.selectFrom('agents').select(['id', 'agent_type', 'host', 'admin_state_up', 'heartbeat_timestamp']).execute(),
    db.selectFrom('router_l3_agent_bindings').selectAll().execute(),
    db.selectFrom('network_dhcp_agents').selectAll().execute(),
  ]);

  // the ports: named ends, holders of the addresses asked about, floating IPs' ports and forwardings' ports, routers' ports
  const askedFips = fips.filter((f) => ips.includes(f.floating_ip_address));
  const [holders, forwardings] = await Promise.all([
    ips.length ? db.selectFrom('ip_allocations').select('port_id').where('ip_address', 'in', ips).execute() : [],
    askedFips.length ? db.selectFrom('port_forwardings')
      .select(['id', 'floatingip_id', 'internal_port_id', 'internal_ip_address', 'protocol', 'external_port_start', 'external_port_end', 'internal_port_start', 'internal_port_end'])
      .where('floatingip_id', 'in', askedFips.map((f) => f.id)).orderBy('protocol').orderBy('external_port_start').execute() : [],
  ]);
  const portIds = new Set<string>([
    ...ends.flatMap((e) => ('port_id' in e ? [e.port_id] : [])),
    ...holders.map((h) => h.port_id),
    ...askedFips.filter((f) => f.fixed_port_id).map((f) => f.fixed_port_id!),
    ...forwardings.map((pf) => pf.internal_port_id),
    ...routerPorts.map((p) => p.port_id),
  ]);
  const ports = new Map<string, PortM>();
  for (const ids of chunks([...portIds])) {
    const [rows, allocs, groups, pairs] = await Promise.all([
      db.selectFrom('ports').select(['id', 'name', 'network_id', 'admin_state_up', 'status', 'device_owner', 'device_id', 'port_security_enabled', 'binding_host_id', 'binding_vif_type'])
        .where('id', 'in', ids).execute(),
      db.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', ids).execute(),
      db.selectFrom('port_security_groups').selectAll().where('port_id', 'in', ids).execute(),
      db.selectFrom('port_allowed_address_pairs').selectAll().where('port_id', 'in', ids).execute(),
    ]);
    for (const p of rows) {
      ports.set(p.id, {
        ...p, admin_state_up: p.admin_state_up === 1, port_security_enabled: p.port_security_enabled === 1,
        fixed_ips: [], security_group_ids: [], allowed_address_pairs: [],
      });
    }
    for (const a of allocs) ports.get(a.port_id)?.fixed_ips.push({ subnet_id: a.subnet_id, ip_address: a.ip_address });
    for (const g of groups) ports.get(g.port_id)?.security_group_ids.push(g.security_group_id);
    for (const a of pairs) ports.get(a.port_id)?.allowed_address_pairs.push({ ip_address: a.ip_address, mac_address: a.mac_address });
  }
  for (const p of ports.values()) p.security_group_ids.sort();

  // the security groups of the ends (routers' ports have none that count), their rules, what the rules name
  const sgIds = [...new Set([...ports.values()].filter((p) => !p.device_owner.startsWith('network:')).flatMap((p) => p.security_group_ids))];
  const [sgs, rules] = sgIds.length ? await Promise.all([
    db.selectFrom('security_groups').select(['id', 'name', 'stateful']).where('id', 'in', sgIds).orderBy('name').orderBy('id').execute(),
    db.selectFrom('security_group_rules').selectAll().where('security_group_id', 'in', sgIds).orderBy('seq').execute(),
  ]) : [[], []];
  const remoteIds = [...new Set(rules.map((r) => r.remote_group_id).filter((x): x is string => !!x))];
  const members: Record<string, string[]> = Object.fromEntries(remoteIds.map((id) => [id, []]));
  // A rule is matched only against the flow's peers: the addresses asked about, the loaded ports'
  // fixed IPs (the ends, the routers' gateways: what SNAT and hairpin make the source) and the
  // ends' floating IPs. Of a group's fixed IPs only those are read, so a trace costs the same
  // whatever the group's size; allowed address pairs (CIDRs, few) are read whole.
  const endIds = new Set([...ports.values()].filter((p) => !p.device_owner.startsWith('network:')).map((p) => p.id));
  const peers = [...new Set([
    ...ips, ...[...ports.values()].flatMap((p) => p.fixed_ips.map((f) => f.ip_address)),
    ...fips.filter((f) => f.fixed_port_id && endIds.has(f.fixed_port_id)).map((f) => f.floating_ip_address),
  ])];
  for (const ids of chunks(remoteIds)) {
    const [fixed, pairs] = await Promise.all([
      db.selectFrom('port_security_groups as psg').innerJoin('ip_allocations as ia', 'ia.port_id', 'psg.port_id')
        .select(['psg.security_group_id as sg', 'ia.ip_address as ip']).where('psg.security_group_id', 'in', ids).where('ia.ip_address', 'in', peers).execute(),
      db.selectFrom('port_security_groups as psg').innerJoin('port_allowed_address_pairs as ap', 'ap.port_id', 'psg.port_id')
        .select(['psg.security_group_id as sg', 'ap.ip_address as ip']).where('psg.security_group_id', 'in', ids).execute(),
    ]);
    for (const m of [...fixed, ...pairs]) members[m.sg].push(m.ip);
  }
  // remote groups named by other projects' rules may be groups we did not load: their names for people
  const extraNames = remoteIds.filter((id) => !sgIds.includes(id));
  const named = extraNames.length ? await db.selectFrom('security_groups').select(['id', 'name', 'stateful']).where('id', 'in', extraNames).execute() : [];
  const agIds = [...new Set(rules.map((r) => r.remote_address_group_id).filter((x): x is string => !!x))];
  const addressGroups: TraceModel['address_groups'] = {};
  if (agIds.length) {
    const [ags, addrs] = await Promise.all([
      db.selectFrom('address_groups').select(['id', 'name']).where('id', 'in', agIds).execute(),
      db.selectFrom('address_group_addresses').selectAll().where('address_group_id', 'in', agIds).execute(),
    ]);
    for (const g of ags) addressGroups[g.id] = { name: g.name, addresses: addrs.filter((a) => a.address_group_id === g.id).map((a) => a.address) };
  }

  const group = <T,>(items: readonly T[], key: (t: T) => string, value: (t: T) => string) => {
    const out: Record<string, string[]> = {};
    for (const i of items) (out[key(i)] ??= []).push(value(i));
    return out;
  };
  const segs = new Map<string, TraceModel['networks'][number]['segments']>();
  for (const s of segments) { if (!segs.has(s.network_id)) segs.set(s.network_id, []); segs.get(s.network_id)!.push({ network_type: s.network_type, physical_network: s.physical_network, segmentation_id: s.segmentation_id }); }
  return {
    networks: networks.map((n) => ({ id: n.id, name: n.name, admin_state_up: n.admin_state_up === 1, router_external: n.router_external === 1, segments: segs.get(n.id) ?? [] })),
    subnets: subnets.map((s) => ({ ...s, enable_dhcp: s.enable_dhcp === 1 })),
    ports: [...ports.values()],
    security_groups: [...sgs, ...named].map((g) => ({
      id: g.id, name: g.name, stateful: g.stateful === 1,
      rules: rules.filter((r) => r.security_group_id === g.id).map((r) => ({
        id: r.id, direction: r.direction as 'ingress' | 'egress', ethertype: r.ethertype, protocol: r.protocol,
        port_range_min: r.port_range_min, port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix,
        remote_group_id: r.remote_group_id, remote_address_group_id: r.remote_address_group_id,
      })),
    })),
    remote_group_members: members,
    address_groups: addressGroups,
    routers: routers.map((r) => ({
      id: r.id, name: r.name, admin_state_up: r.admin_state_up === 1, status: r.status, enable_snat: r.enable_snat === 1,
      gw_port_id: r.gw_port_id, gw_network_id: r.gw_network_id,
      routes: routes.filter((x) => x.router_id === r.id).map((x) => ({ destination: x.destination, nexthop: x.nexthop })),
      interfaces: routerPorts.filter((p) => p.router_id === r.id && p.port_type !== 'network:router_gateway')
        .flatMap((p) => (ports.get(p.port_id)?.fixed_ips ?? []).map((f) => ({ port_id: p.port_id, subnet_id: f.subnet_id, ip_address: f.ip_address }))),
    })),
    floatingips: fips,
    port_forwardings: forwardings,
    agents: agents.map((a) => ({ id: a.id, agent_type: a.agent_type, host: a.host, admin_state_up: a.admin_state_up === 1, alive: isAlive(a.heartbeat_timestamp, nowMs, deps.config.agentDownTime) })),
    l3_agents_by_router: group(l3, (b) => b.router_id, (b) => b.l3_agent_id),
    dhcp_agents_by_network: group(dhcp, (d) => d.network_id, (d) => d.dhcp_agent_id),
  };
}
