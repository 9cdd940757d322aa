// The routers a host's L3 agent must realise (HostState.routers): every router scheduled to
// that agent, with its gateway and interface ports (addresses, subnets, MTU), extra routes,
// associated floating IPs and port forwardings. A fixed number of queries per snapshot,
// however many routers the host has.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { byChunks, group as groupBy } from './chunked.ts';
import { L3_AGENT_TYPE } from '../domain/agent-types.ts';
import { deviceName, type FloatingIpState, type PortForwardingState, type RouterPortState, type RouterState } from './host-state.ts';

type Db = Kysely<Database>;

const GW_OWNER = 'network:router_gateway';

export async function loadHostRouters(db: Db, host: string): Promise<RouterState[]> {
  const agent = await db.selectFrom('agents').select('id').where('agent_type', '=', L3_AGENT_TYPE).where('host', '=', host).executeTakeFirst();
  if (!agent) return [];
  const routers = await db.selectFrom('router_l3_agent_bindings as b').innerJoin('routers as r', 'r.id', 'b.router_id')
    .select(['r.id', 'r.project_id', 'r.admin_state_up', 'r.enable_snat', 'r.gw_port_id']).where('b.l3_agent_id', '=', agent.id).execute();
  if (routers.length === 0) return [];
  const routerIds = routers.map((r) => r.id);

  const rports = await byChunks(routerIds, (c) => db.selectFrom('router_ports as rp').innerJoin('ports as p', 'p.id', 'rp.port_id')
    .innerJoin('networks as n', 'n.id', 'p.network_id')
    .select(['rp.router_id', 'rp.port_type', 'p.id', 'p.network_id', 'p.mac_address', 'p.admin_state_up', 'n.mtu'])
    .where('rp.router_id', 'in', c).execute());
  const ips = groupBy(await byChunks(rports.map((p) => p.id), (c) => db.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address'])
    .where('port_id', 'in', c).execute()), (r) => r.port_id);
  const subnetIds = [...new Set([...ips.values()].flat().map((i) => i.subnet_id))];
  const subnets = new Map((await byChunks(subnetIds, (c) => db.selectFrom('subnets')
    .select(['id', 'cidr', 'gateway_ip', 'ip_version', 'ipv6_ra_mode', 'ipv6_address_mode']).where('id', 'in', c).execute())).map((s) => [s.id, s]));

  const toPort = (p: typeof rports[number]): RouterPortState => {
    const fixed = (ips.get(p.id) ?? []).map((i) => ({ subnet_id: i.subnet_id, ip_address: i.ip_address })).sort((a, b) => a.ip_address.localeCompare(b.ip_address));
    const subs = [...new Set(fixed.map((f) => f.subnet_id))].map((id) => subnets.get(id)).filter((s) => s !== undefined)
      .map((s) => ({ id: s.id, cidr: s.cidr, gateway_ip: s.gateway_ip, ip_version: s.ip_version as 4 | 6, ipv6_ra_mode: s.ipv6_ra_mode, ipv6_address_mode: s.ipv6_address_mode }))
      .sort((a, b) => a.id.localeCompare(b.id));
    return {
      id: p.id, network_id: p.network_id, mac_address: p.mac_address, mtu: p.mtu, admin_state_up: p.admin_state_up === 1, fixed_ips: fixed, subnets: subs,
      device: deviceName(p.port_type === GW_OWNER ? 'qg-' : 'qr-', p.id), tap: deviceName('tap', p.id),
    };
  };
  const portsOf = groupBy(rports, (p) => p.router_id);

  const routes = groupBy(await byChunks(routerIds, (c) => db.selectFrom('router_routes').selectAll().where('router_id', 'in', c).execute()), (r) => r.router_id);
  const fips = await byChunks(routerIds, (c) => db.selectFrom('floatingips')
    .select(['id', 'router_id', 'floating_ip_address', 'fixed_ip_address', 'fixed_port_id']).where('router_id', 'in', c).execute());
  const fipsOf = groupBy(fips.filter((f) => f.fixed_ip_address !== null), (f) => f.router_id!);
  const fipAddr = new Map(fips.map((f) => [f.id, f]));
  const pfs = await byChunks(fips.map((f) => f.id), (c) => db.selectFrom('port_forwardings').selectAll().where('floatingip_id', 'in', c).execute());
  const pfsOf = groupBy(pfs, (pf) => fipAddr.get(pf.floatingip_id)!.router_id!);

  return routers.map((r): RouterState => {
    const ports = (portsOf.get(r.id) ?? []).map(toPort);
    const gw = ports.find((p) => p.device.startsWith('qg-')) ?? null;
    return {
      id: r.id, project_id: r.project_id, admin_state_up: r.admin_state_up === 1, namespace: `qrouter-${r.id}`, enable_snat: r.enable_snat === 1,
      gw_port: gw,
      interfaces: ports.filter((p) => p !== gw).sort((a, b) => a.id.localeCompare(b.id)),
      routes: (routes.get(r.id) ?? []).map((x) => ({ destination: x.destination, nexthop: x.nexthop }))
        .sort((a, b) => (a.destination + a.nexthop).localeCompare(b.destination + b.nexthop)),
      floating_ips: (fipsOf.get(r.id) ?? []).map((f): FloatingIpState => ({
        id: f.id, floating_ip_address: f.floating_ip_address, fixed_ip_address: f.fixed_ip_address, fixed_port_id: f.fixed_port_id,
      })).sort((a, b) => a.id.localeCompare(b.id)),
      port_forwardings: (pfsOf.get(r.id) ?? []).map((pf): PortForwardingState => ({
        id: pf.id, floating_ip_address: fipAddr.get(pf.floatingip_id)!.floating_ip_address, protocol: pf.protocol as 'tcp' | 'udp',
        internal_ip_address: pf.internal_ip_address, external_port_start: pf.external_port_start, external_port_end: pf.external_port_end,
        internal_port_start: pf.internal_port_start, internal_port_end: pf.internal_port_end,
      })).sort((a, b) => a.id.localeCompare(b.id)),
    };
  }).sort((a, b) => a.id.localeCompare(b.id));
}
