// /v2.0/agents (agent, dhcp_agent_scheduler): the agents that registered through the agent
// channel, with `alive` computed from their last heartbeat and [DEFAULT] agent_down_time.
// Admin only (get_agent): a member's list is filtered to nothing, as Neutron answers.
//   GET /agents, GET/PUT/DELETE /agents/{id}, GET/POST /agents/{id}/dhcp-networks,
//   DELETE /agents/{id}/dhcp-networks/{network}, GET /networks/{id}/dhcp-agents,
//   GET/POST /agents/{id}/l3-routers, DELETE /agents/{id}/l3-routers/{router} (l3_agent_scheduler).
import type { SubRoute } from '../app.ts';
import { parseListQuery } from '../list-query.ts';
import { toBoolean, validString, type AttrMap } from '../attributes.ts';
import { extractUpdate, prepareUpdate } from '../body.ts';
import { shaper } from '../resource.ts';
import { HTTPBadRequest, HTTPMethodNotAllowed, HTTPNotFound } from '../../errors/catalog.ts';
import { addNetworkToDhcpAgent, removeNetworkFromDhcpAgent } from '../../services/dhcp-scheduling.ts';
import { agentView, deleteAgent, dhcpNetworkIdsOf, getAgent, listAgentRows, updateAgent, type AgentView } from '../../services/agents.ts';
import { listNetworks } from '../../services/networks.ts';
import { renderNetwork } from './networks.ts';
import { addRouterToL3Agent, removeRouterFromL3Agent, routerIdsOfL3Agent } from '../../services/l3-scheduling.ts';
import { listRouters } from '../../services/routers.ts';
import { renderRouter } from './routers.ts';

// neutron/extensions/agent.py RESOURCE_ATTRIBUTE_MAP: what a list may filter and sort on.
const BOOLEAN = new Set(['admin_state_up', 'alive', 'resources_synced']);
const agentAttributes: AttrMap = Object.fromEntries(
  ['id', 'agent_type', 'binary', 'topic', 'host', 'admin_state_up', 'created_at', 'started_at', 'heartbeat_timestamp',
    'alive', 'configurations', 'description', 'availability_zone', 'resources_synced']
    .map((k) => [k, {
      allowPost: false, allowPut: k === 'admin_state_up' || k === 'description', visible: true, filter: true, sortKey: k !== 'configurations',
      ...(BOOLEAN.has(k) ? { convert: toBoolean } : {}),
      ...(k === 'description' ? { validate: validString(255) } : {}),
    }]),
);

function matches(a: AgentView, filters: Map<string, unknown[]>): boolean {
  for (const [k, vals] of filters) {
    const v = (a as unknown as Record<string, unknown>)[k];
    if (!vals.some((x) => (typeof v === 'object' && v !== null ? JSON.stringify(v) === x : v === x || String(v) === String(x)))) return false;
  }
  return true;
}

export const agentsRoute: SubRoute = {
  async handle(deps, ctx, method, parts, url, body) {
    const [, id, sub, extra] = parts;
    if (id === undefined) {
      if (method !== 'GET') throw HTTPMethodNotAllowed();
      const q = parseListQuery(url.searchParams, agentAttributes, {});
      const now = Date.now();
      let agents = (await listAgentRows(deps, ctx)).map((r) => agentView(r, now, deps.config.agentDownTime)).filter((a) => matches(a, q.filters));
      for (const s of [...q.sorts].reverse()) {
        const dir = s.dir === 'asc' ? 1 : -1;
        agents = agents.sort((a, b) => dir * String((a as unknown as Record<string, unknown>)[s.key]).localeCompare(String((b as unknown as Record<string, unknown>)[s.key])));
      }
      if (q.limit !== null) agents = agents.slice(0, q.limit);
      const shape = shaper(new Set(), q.fields);
      return { status: 200, body: { agents: agents.map((a) => shape({ ...a })) } };
    }
    if (sub === 'dhcp-networks') {
      if (extra !== undefined) {
        if (method !== 'DELETE') throw HTTPMethodNotAllowed();
        await removeNetworkFromDhcpAgent(deps, ctx, id, extra);
        return { status: 204 };
      }
      if (method === 'POST') {
        const b = await body() as { network_id?: unknown } | null;
        if (!b || typeof b !== 'object' || typeof b.network_id !== 'string' || !b.network_id) throw HTTPBadRequest("Invalid input: 'network_id' is required");
        await addNetworkToDhcpAgent(deps, ctx, id, b.network_id);
        return { status: 201, body: null }; // Neutron's controller returns None: the body is `null`
      }
      if (method !== 'GET') throw HTTPMethodNotAllowed();
      const ids = await dhcpNetworkIdsOf(deps, ctx, id);
      if (ids.length === 0) return { status: 200, body: { networks: [] } };
      const q = parseListQuery(new URLSearchParams(ids.map((i): [string, string] => ['id', i])), { id: { allowPost: false, allowPut: false, visible: true, filter: true } }, {});
      const nets = await listNetworks(deps, ctx, q);
      return { status: 200, body: { networks: nets.map(renderNetwork) } };
    }
    if (sub === 'l3-routers') {
      if (extra !== undefined) {
        if (method !== 'DELETE') throw HTTPMethodNotAllowed();
        await removeRouterFromL3Agent(deps, ctx, id, extra);
        return { status: 204 };
      }
      if (method === 'POST') {
        const b = await body() as { router_id?: unknown } | null;
        if (!b || typeof b !== 'object' || typeof b.router_id !== 'string' || !b.router_id) throw HTTPBadRequest("Invalid input: 'router_id' is required");
        await addRouterToL3Agent(deps, ctx, id, b.router_id);
        return { status: 201, body: null }; // Neutron's controller returns None: the body is `null`
      }
      if (method !== 'GET') throw HTTPMethodNotAllowed();
      const ids = await routerIdsOfL3Agent(deps, ctx, id);
      if (ids.length === 0) return { status: 200, body: { routers: [] } };
      const q = parseListQuery(new URLSearchParams(ids.map((i): [string, string] => ['id', i])), { id: { allowPost: false, allowPut: false, visible: true, filter: true } }, {});
      const routers = await listRouters(deps, ctx, q);
      return { status: 200, body: { routers: routers.map(renderRouter) } };
    }
    if (extra !== undefined) throw HTTPNotFound();
    if (sub !== undefined) throw HTTPNotFound();
    switch (method) {
      case 'GET': {
        const q = parseListQuery(new URLSearchParams(url.searchParams.getAll('fields').map((f): [string, string] => ['fields', f])), agentAttributes, {});
        return { status: 200, body: { agent: shaper(new Set(), q.fields)({ ...(await getAgent(deps, ctx, id)) }) } };
      }
      case 'PUT': {
        const changes = prepareUpdate(extractUpdate(await body(), 'agent'), agentAttributes, ctx);
        return { status: 200, body: { agent: await updateAgent(deps, ctx, id, changes as { admin_state_up?: boolean; description?: string }) } };
      }
      case 'DELETE':
        await deleteAgent(deps, ctx, id);
        return { status: 204 };
      default:
        throw HTTPMethodNotAllowed();
    }
  },
};

