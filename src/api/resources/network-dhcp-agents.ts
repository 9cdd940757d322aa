// /v2.0/networks/{id}/dhcp-agents (dhcp_agent_scheduler): the DHCP agents hosting a network.
import type { SubResource } from '../resource.ts';
import { HTTPMethodNotAllowed, HTTPNotFound } from '../../errors/catalog.ts';
import { agentView } from '../../services/agents.ts';
import { dhcpAgentsOfNetwork } from '../../services/dhcp-scheduling.ts';

/** GET /v2.0/networks/{id}/dhcp-agents */
export const networkDhcpAgentsSubResource: SubResource = {
  async handle(deps, ctx, req) {
    if (req.subId !== undefined) throw HTTPNotFound();
    if (req.method !== 'GET') throw HTTPMethodNotAllowed();
    const now = Date.now();
    const rows = await dhcpAgentsOfNetwork(deps, ctx, req.parentId);
    return { status: 200, body: { agents: rows.map((r) => agentView(r, now, deps.config.agentDownTime)) } };
  },
};
