// Who may see and act on a port: the policy target of a port (with its network's
// attributes, as neutron-lib's parent lookup adds them) and the visibility check.
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { Tx } from '../db/transaction.ts';
import { getPortRow, type PortRow } from '../db/repos/ports.ts';
import { PortNotFound } from '../errors/catalog.ts';

export function networkParent(net: { project_id: string; shared: number }): Record<string, unknown> {
  return { 'network:tenant_id': net.project_id, 'network:project_id': net.project_id, 'network:shared': net.shared === 1 };
}

export function portTarget(row: PortRow): Record<string, unknown> {
  return {
    id: row.id, project_id: row.project_id, tenant_id: row.project_id, network_id: row.network_id, name: row.name,
    mac_address: row.mac_address, device_id: row.device_id, device_owner: row.device_owner, admin_state_up: row.admin_state_up === 1,
    port_security_enabled: row.port_security_enabled === 1, 'binding:host_id': row.binding_host_id, 'binding:vnic_type': row.binding_vnic_type,
    ...networkParent({ project_id: row.network_project_id, shared: row.network_shared }),
  };
}

/** A port the caller may see, or PortNotFound (404 hides other projects' ports). */
export async function visiblePort(deps: Deps, q: Tx | Deps['conn']['db'], ctx: RequestContext, id: string): Promise<PortRow> {
  const row = await getPortRow(q, id);
  if (!row || !deps.policy.check(ctx, 'get_port', portTarget(row))) throw PortNotFound(id);
  return row;
}
