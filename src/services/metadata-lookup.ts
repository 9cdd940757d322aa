// The metadata agent's port lookup (Neutron's MetadataPluginAPI get_ports): a request from a
// router namespace is resolved over the networks of that router's interfaces, one from a DHCP
// namespace over its network; the port holding the VM's address there is the instance
// (device_id = Nova's instance uuid).
import type { Deps } from './deps.ts';
import type { InstanceLookup } from '../feed/host-state.ts';
import type { InstanceQuery } from '../feed/channel.ts';
import { INTF_OWNER } from './routers.ts';
import { normalizeIp } from '../domain/ip/address.ts';

export async function lookupInstance(deps: Deps, q: InstanceQuery): Promise<InstanceLookup | null> {
  const db = deps.conn.db;
  const ip = normalizeIp(q.ip);
  if (!ip) return null;
  let networks: string[];
  if (q.router_id) {
    networks = (await db.selectFrom('router_ports as rp').innerJoin('ports as p', 'p.id', 'rp.port_id').select('p.network_id')
      .where('rp.router_id', '=', q.router_id).where('rp.port_type', '=', INTF_OWNER).execute()).map((r) => r.network_id);
  } else if (q.network_id) {
    networks = [q.network_id];
  } else return null;
  if (networks.length === 0) return null;
  const rows = await db.selectFrom('ip_allocations as ia').innerJoin('ports as p', 'p.id', 'ia.port_id')
    .select(['p.id', 'p.device_id', 'p.project_id', 'p.device_owner'])
    .where('ia.ip_address', '=', ip).where('p.network_id', 'in', [...new Set(networks)]).execute();
  // a VM's port, not the router's or the DHCP server's own
  const port = rows.find((r) => !r.device_owner.startsWith('network:')) ?? rows[0];
  if (!port) return null;
  return { instance_id: port.device_id, project_id: port.project_id, port_id: port.id };
}
