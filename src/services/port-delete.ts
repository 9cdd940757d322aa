// Port delete: floating IPs are disassociated, forwardings dropped and addresses
// released in the same transaction; Nova hears of it once that has committed.
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import { inTransaction } from '../db/transaction.ts';
import { disassociateFloatingIps } from '../db/repos/floatingips.ts';
import { checkRevision, recordChange } from '../db/standard-attrs.ts';
import { ServicePortInUse } from '../errors/catalog.ts';
import { deletedEvent } from '../domain/nova-events.ts';
import { portTarget, visiblePort } from './port-access.ts';
import { dropForwardingsOfPort } from './port-forwardings.ts';
import { releaseIps } from './ipam.ts';

/** Ports that belong to a router or floating IP: deleted through those APIs only. */
const SERVICE_OWNERS = new Set([
  'network:router_interface', 'network:router_gateway', 'network:floatingip', 'network:router_interface_distributed',
  'network:ha_router_replicated_interface', 'network:router_centralized_snat', 'network:router_ha_interface',
]);

export async function deletePort(deps: Deps, ctx: RequestContext, id: string, ifMatch: number | null): Promise<void> {
  const deleted = await inTransaction(deps.conn, async (tx) => {
    const row = await visiblePort(deps, tx, ctx, id);
    deps.policy.enforce(ctx, 'delete_port', portTarget(row));
    // Checked before If-Match, as Zed (l3 prevent_l3_port_deletion runs first).
    if (SERVICE_OWNERS.has(row.device_owner)) throw ServicePortInUse(id, row.device_owner);
    checkRevision(ifMatch, row.revision_number);
    await disassociateFloatingIps(tx, id);
    await dropForwardingsOfPort(tx, id, null);
    await releaseIps(tx, id);
    // Security groups, address pairs and DHCP options go by ON DELETE CASCADE.
    await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
    await tx.deleteFrom('ports').where('id', '=', id).execute();
    await recordChange(tx, 'port', id, 'delete', row.revision_number);
    return row;
  });
  deps.nova?.portEvents([deletedEvent(deleted)]);
}
