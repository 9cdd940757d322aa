// The default external network (auto_allocate/db.py's is_default callback and
// external_net_db's RBAC rules): at most one network is the default, the flag lives
// only while the network is external, and the default network stays shared to '*'.
import type { Tx } from '../db/transaction.ts';
import { DefaultExternalNetworkExists } from '../errors/catalog.ts';

/**
 * The is_default a create or update leaves on the network. `requested` is the body's
 * value (undefined when absent); `external` the network's router:external after the request.
 */
export async function resolveIsDefault(tx: Tx, networkId: string, requested: unknown, current: number, external: boolean): Promise<number> {
  if (requested === true) {
    const other = await tx.selectFrom('networks').select('id').where('is_default', '=', 1).where('id', '!=', networkId).limit(1).executeTakeFirst();
    if (other) throw DefaultExternalNetworkExists(other.id);
  }
  // Neutron keeps the flag on the externalnetworks row: no row, no flag.
  if (!external) return 0;
  return requested === undefined || requested === null ? current : requested ? 1 : 0;
}

export async function isDefaultExternal(tx: Tx, networkId: string): Promise<boolean> {
  const r = await tx.selectFrom('networks').select('id').where('id', '=', networkId).where('is_default', '=', 1).where('router_external', '=', 1).executeTakeFirst();
  return r !== undefined;
}
