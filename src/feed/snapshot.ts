// Builds a host's desired state (HostState) from the database: what its Linux bridge agent
// must wire (ports bound there, their networks, security groups, remote-group members,
// l2population peers), what its DHCP agent must serve and its L3 agent route. The Linux bridge
// sections come from the revision's SharedIndex (./shared-index.ts: read once for all hosts);
// DHCP and routers are read per host, and only for a watch that asks for them.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { byChunks, group } from './chunked.ts';
import { loadHostRouters } from './router-state.ts';
import { digestOf, PORT_COLS, sharedIndex, toPortState } from './shared-index.ts';
import {
  HOST_STATE_PARTS, type DhcpHostEntry, type DhcpNetworkState, type HostState, type HostStatePart, type NetworkState, type SubnetState,
} from './host-state.ts';

type Db = Kysely<Database>;

const DHCP_OWNER = 'network:dhcp';

/** A host's state as digests per section, each section's value built when asked for. */
export interface HostView {
  host: string;
  /** feed revision the view reflects (read before anything else) */
  revision: number;
  digests: Record<HostStatePart, string>;
  value(part: HostStatePart): Promise<unknown>;
}

/** `atLeast`: a revision the caller knows exists (the one its watch was woken at). */
export async function hostView(db: Db, host: string, parts: readonly HostStatePart[], opts: { dnsDomain: string; atLeast?: number }): Promise<HostView> {
  const index = await sharedIndex(db, opts.atLeast);
  const served = index.servedNets.get(host) ?? [];
  const lb = index.hostPorts(host);
  const security = index.security(lb.sgIds);
  const l2pop = lb.l2pop;

  const digests = {} as Record<HostStatePart, string>;
  const values = new Map<HostStatePart, () => unknown>();
  const set = (part: HostStatePart, digest: string, value: () => unknown) => { digests[part] = digest; values.set(part, value); };
  for (const part of parts) {
    switch (part) {
      case 'networks': case 'ports': set(part, lb[part].digest, () => lb[part].value); break;
      case 'security_groups': case 'remote_groups': case 'address_groups': set(part, security[part].digest, () => security[part].value); break;
      case 'l2pop': set(part, l2pop.digest, l2pop.value); break;
      case 'dhcp': {
        const dhcp = served.length ? await loadDhcp(db, host, opts.dnsDomain, served, new Map(lb.networks.value.map((n) => [n.id, n]))) : [];
        set(part, digestOf(dhcp), () => dhcp);
        break;
      }
      case 'routers': {
        const routers = index.l3Hosts.has(host) ? await loadHostRouters(db, host) : [];
        set(part, digestOf(routers), () => routers);
        break;
      }
    }
  }
  return { host, revision: index.revision, digests, value: async (part) => values.get(part)!() };
}

/** The whole state of a host (every section). */
export async function buildHostState(db: Db, host: string, opts: { dnsDomain: string }): Promise<HostState> {
  const view = await hostView(db, host, HOST_STATE_PARTS, opts);
  const state = { host, revision: view.revision } as Record<string, unknown>;
  for (const part of HOST_STATE_PARTS) state[part] = await view.value(part);
  return state as unknown as HostState;
}

/** The networks this host's DHCP agent serves: every port on them (host entries), subnets, options. */
async function loadDhcp(db: Db, host: string, dnsDomain: string, netIds: readonly string[], netById: Map<string, NetworkState>): Promise<DhcpNetworkState[]> {
  const subnetRows = await byChunks(netIds, (c) => db.selectFrom('subnets').selectAll().where('network_id', 'in', c).execute());
  const netPorts = await byChunks(netIds, (c) => db.selectFrom('ports').select(PORT_COLS).where('network_id', 'in', c).execute());
  const ips = group(await byChunks(netPorts.map((p) => p.id), (c) => db.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', c).execute()), (r) => r.port_id);
  const fixedIpsOf = (id: string) => (ips.get(id) ?? []).map((r) => ({ subnet_id: r.subnet_id, ip_address: r.ip_address }));
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
