// Floating IP status from the L3 agents (Neutron's update_floatingip_statuses): ACTIVE once the
// hosting agent has it on the wire, DOWN when not, ERROR when the agent failed to. Only floating
// IPs of routers the reporting host's L3 agent hosts are touched, so a stale agent cannot
// overwrite what another host realised.
import type { Deps } from './deps.ts';
import { inTransaction } from '../db/transaction.ts';
import { L3_AGENT_TYPE } from '../domain/agent-types.ts';
import { nowIso, recordChange, chunks } from '../db/standard-attrs.ts';

export async function reportFloatingIpStatuses(deps: Deps, host: string, statuses: Record<string, string>): Promise<string[]> {
  const ids = Object.keys(statuses);
  if (ids.length === 0) return [];
  return inTransaction(deps.conn, async (tx) => {
    const agent = await tx.selectFrom('agents').select('id').where('agent_type', '=', L3_AGENT_TYPE).where('host', '=', host).executeTakeFirst();
    if (!agent) return [];
    const changed: string[] = [];
    for (const c of chunks(ids)) {
      const rows = await tx.selectFrom('floatingips as f').innerJoin('router_l3_agent_bindings as b', 'b.router_id', 'f.router_id')
        .select(['f.id', 'f.status', 'f.revision_number']).where('b.l3_agent_id', '=', agent.id).where('f.id', 'in', c).execute();
      for (const r of rows) {
        const status = statuses[r.id];
        if (status === r.status) continue;
        const rev = r.revision_number + 1;
        await tx.updateTable('floatingips').set({ status, revision_number: rev, updated_at: nowIso() }).where('id', '=', r.id).execute();
        await recordChange(tx, 'floatingip', r.id, 'update', rev);
        changed.push(r.id);
      }
    }
    return changed;
  });
}
