// /v2.0/routers/{id}/l3-agents (l3_agent_scheduler): the L3 agents hosting a router
// (`neutron l3-agent-list-hosting-router`, `openstack network agent list --router`).
import type { SubResource } from '../resource.ts';
import { HTTPMethodNotAllowed, HTTPNotFound } from '../../errors/catalog.ts';
import { agentView } from '../../services/agents.ts';
import { l3AgentsOfRouter } from '../../services/l3-scheduling.ts';

export const routerL3AgentsSubResource: SubResource = {
  async handle(deps, ctx, req) {
    if (req.subId !== undefined) throw HTTPNotFound();
    if (req.method !== 'GET') throw HTTPMethodNotAllowed();
    const now = Date.now();
    const rows = await l3AgentsOfRouter(deps, ctx, req.parentId);
    return { status: 200, body: { agents: rows.map((r) => agentView(r, now, deps.config.agentDownTime)) } };
  },
};
