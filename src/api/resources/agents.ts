// /v2.0/agents (agent, dhcp_agent_scheduler, l3_agent_scheduler): Muon's API server has no
// agents reporting to it, so the list is empty — for an admin, and for everyone else as
// Neutron answers a non-admin (get_agent is admin-only: the list is filtered to nothing,
// 200 `{"agents": []}`). Any agent id, and its dhcp-networks/l3-routers, is AgentNotFound.
import type { SubRoute } from '../app.ts';
import { parseListQuery } from '../list-query.ts';
import type { AttrMap } from '../attributes.ts';
import { AgentNotFound, HTTPMethodNotAllowed, HTTPNotFound } from '../../errors/catalog.ts';

// neutron/extensions/agent.py RESOURCE_ATTRIBUTE_MAP: what a list may filter on.
const agentAttributes: AttrMap = Object.fromEntries(
  ['id', 'agent_type', 'binary', 'topic', 'host', 'admin_state_up', 'created_at', 'started_at', 'heartbeat_timestamp',
    'alive', 'configurations', 'description', 'availability_zone', 'resources_synced']
    .map((k) => [k, { allowPost: false, allowPut: k === 'admin_state_up' || k === 'description', visible: true, filter: true }]),
);

export const agentsRoute: SubRoute = {
  async handle(_deps, _ctx, method, parts, url) {
    if (parts.length === 1) {
      if (method !== 'GET') throw HTTPMethodNotAllowed();
      parseListQuery(url.searchParams, agentAttributes, {}); // bad filters and sort keys are still 400s
      return { status: 200, body: { agents: [] } };
    }
    if (parts.length > 3 || (parts.length === 3 && parts[2] !== 'dhcp-networks' && parts[2] !== 'l3-routers')) throw HTTPNotFound();
    throw AgentNotFound(parts[1]);
  },
};
