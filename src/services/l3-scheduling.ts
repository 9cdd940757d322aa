// L3 scheduling (Neutron's l3_agentschedulers_db + LeastRoutersScheduler, done server side):
// a router is hosted by one live L3 agent (the least loaded), its gateway and interface ports
// are bound to that agent's host — so the host's Linux bridge agent wires their taps and the
// L3 agent builds `qrouter-<id>` from the feed — and its `status` tells the truth: ERROR
// while L3 agents exist but none that is alive hosts it (the server logs why). A deployment
// with no L3 agent at all keeps Zed's answer (ACTIVE).
import type { Deps } from './deps.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import type { AgentsTable } from '../db/schema.ts';
import { isAlive } from '../domain/binding.ts';
import { L3_AGENT_TYPE } from '../domain/agent-types.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import { computeBinding } from './port-binding.ts';
import { nowIso, recordChange } from '../db/standard-attrs.ts';
import {
  AgentNotFound, InvalidL3Agent, RouterHostedByL3Agent, RouterNotFound, RouterNotHostedByL3Agent, RouterSchedulingFailed,
} from '../errors/catalog.ts';

type Q = Tx | Deps['conn']['db'];

const liveAgent = (deps: Deps, a: AgentsTable, nowMs: number) =>
  a.admin_state_up === 1 && isAlive(a.heartbeat_timestamp, nowMs, deps.config.agentDownTime);

async function l3Agents(q: Q): Promise<AgentsTable[]> {
  return q.selectFrom('agents').selectAll().where('agent_type', '=', L3_AGENT_TYPE).orderBy('host').execute();
}

/** The agents hosting a router (legacy routers: at most one). */
export async function hostingAgents(q: Q, routerId: string): Promise<AgentsTable[]> {
  return q.selectFrom('router_l3_agent_bindings as b').innerJoin('agents as a', 'a.id', 'b.l3_agent_id').selectAll('a')
    .where('b.router_id', '=', routerId).orderBy('a.host').execute();
}

/** LeastRoutersScheduler: the live, enabled L3 agent hosting the fewest routers. */
async function pickAgent(deps: Deps, tx: Tx, agents: AgentsTable[], nowMs: number, except?: string): Promise<AgentsTable | undefined> {
  const candidates = agents.filter((a) => a.id !== except && liveAgent(deps, a, nowMs));
  if (candidates.length === 0) return undefined;
  const loads = new Map((await tx.selectFrom('router_l3_agent_bindings').select('l3_agent_id').select((eb) => eb.fn.countAll<number>().as('n'))
    .groupBy('l3_agent_id').execute()).map((r) => [r.l3_agent_id, Number(r.n)]));
  return candidates.sort((a, b) => (loads.get(a.id) ?? 0) - (loads.get(b.id) ?? 0) || a.host.localeCompare(b.host))[0];
}

/**
 * Bring one router in line: scheduled if it can be (router_auto_schedule), its ports bound to
 * the hosting agent's host (unbound when none), its status true to that. Inside the caller's
 * transaction; every change bumps revisions and is recorded, so the feed carries it.
 */
export async function syncRouterHosting(deps: Deps, tx: Tx, routerId: string, nowMs = Date.now()): Promise<void> {
  const router = await tx.selectFrom('routers').select(['id', 'status', 'revision_number', 'admin_state_up']).where('id', '=', routerId).executeTakeFirst();
  if (!router) return;
  const agents = await l3Agents(tx);
  let hosting: AgentsTable | undefined = (await hostingAgents(tx, routerId))[0];
  if (!hosting && agents.length && deps.config.values.DEFAULT.router_auto_schedule !== false) {
    hosting = await pickAgent(deps, tx, agents, nowMs);
    if (hosting) {
      await tx.insertInto('router_l3_agent_bindings').values({ router_id: routerId, l3_agent_id: hosting.id }).execute();
      deps.log?.info(`Router ${routerId} scheduled to L3 agent on host ${hosting.host}`, { router_id: routerId, host: hosting.host });
    }
  }
  await bindRouterPorts(deps, tx, routerId, hosting?.host ?? '');

  let status = 'ACTIVE';
  let why = '';
  if (agents.length > 0) {
    if (!hosting) {
      status = 'ERROR';
      why = `no live L3 agent can host it (L3 agents: ${agents.map((a) => `${a.host} ${liveAgent(deps, a, nowMs) ? 'alive' : `dead since ${a.heartbeat_timestamp}`}`).join(', ')})`;
    } else if (!liveAgent(deps, hosting, nowMs)) {
      status = 'ERROR';
      why = hosting.admin_state_up !== 1
        ? `its L3 agent on host ${hosting.host} is disabled (admin_state_up false)`
        : `its L3 agent on host ${hosting.host} has sent no heartbeat since ${hosting.heartbeat_timestamp}${deps.config.values.DEFAULT.allow_automatic_l3agent_failover === true ? '' : ' (allow_automatic_l3agent_failover is off: the router stays there)'}`;
    }
  }
  if (status !== router.status) {
    const rev = router.revision_number + 1;
    await tx.updateTable('routers').set({ status, revision_number: rev, updated_at: nowIso() }).where('id', '=', routerId).execute();
    await recordChange(tx, 'router', routerId, 'update', rev);
    if (status === 'ERROR') deps.log?.warn(`Router ${routerId} is not realised anywhere: ${why}`, { router_id: routerId });
    else deps.log?.info(`Router ${routerId} is hosted by the L3 agent on host ${hosting?.host}`, { router_id: routerId });
  }
}

/** The router's gateway and interface ports follow the hosting agent's host. */
async function bindRouterPorts(deps: Deps, tx: Tx, routerId: string, host: string): Promise<void> {
  const ports = await tx.selectFrom('router_ports as rp').innerJoin('ports as p', 'p.id', 'rp.port_id')
    .select(['p.id', 'p.network_id', 'p.binding_host_id', 'p.binding_vnic_type', 'p.binding_vif_type', 'p.device_owner', 'p.revision_number'])
    .where('rp.router_id', '=', routerId).execute();
  for (const p of ports) {
    if (p.binding_host_id === host && (host === '' || p.binding_vif_type === 'bridge')) continue;
    const cols = await computeBinding(deps, tx, { ...p, binding_host_id: host });
    const rev = p.revision_number + 1;
    await tx.updateTable('ports').set({ ...cols, binding_host_id: host, revision_number: rev, updated_at: nowIso() }).where('id', '=', p.id).execute();
    await recordChange(tx, 'port', p.id, 'update', rev);
  }
}

/** An L3 agent (re)appeared or revived: routers nobody live hosts get one, statuses are refreshed. */
export async function scheduleUnhostedRouters(deps: Deps): Promise<void> {
  const routers = await deps.conn.db.selectFrom('routers').select('id').execute();
  for (const r of routers) await inTransaction(deps.conn, (tx) => syncRouterHosting(deps, tx, r.id));
}

/**
 * Dead L3 agents: with allow_automatic_l3agent_failover their routers move to live agents
 * (ports rebound: the new host builds the namespace); without it, or with no live agent to
 * take them, the routers say ERROR. Returns the routers moved.
 */
export async function failoverL3(deps: Deps, nowMs = Date.now()): Promise<{ router_id: string; from: string; to: string }[]> {
  const agents = await l3Agents(deps.conn.db);
  const dead = agents.filter((a) => !isAlive(a.heartbeat_timestamp, nowMs, deps.config.agentDownTime));
  const moves: { router_id: string; from: string; to: string }[] = [];
  const failover = deps.config.values.DEFAULT.allow_automatic_l3agent_failover === true;
  for (const a of dead) {
    const routers = await deps.conn.db.selectFrom('router_l3_agent_bindings').select('router_id').where('l3_agent_id', '=', a.id).execute();
    for (const { router_id } of routers) {
      await inTransaction(deps.conn, async (tx) => {
        if (failover) {
          const to = await pickAgent(deps, tx, agents, nowMs, a.id);
          if (to) {
            await tx.deleteFrom('router_l3_agent_bindings').where('router_id', '=', router_id).where('l3_agent_id', '=', a.id).execute();
            await tx.insertInto('router_l3_agent_bindings').values({ router_id, l3_agent_id: to.id }).execute();
            moves.push({ router_id, from: a.host, to: to.host });
            deps.log?.warn(`L3 agent on host ${a.host} is dead (no heartbeat since ${a.heartbeat_timestamp}): router ${router_id} moved to host ${to.host}`, { router_id, from: a.host, to: to.host });
          }
        }
        await syncRouterHosting(deps, tx, router_id, nowMs);
      });
    }
  }
  return moves;
}

// ---------------------------------------------------------------------------
// l3_agent_scheduler: an admin moves routers between L3 agents by hand

async function l3AgentRow(tx: Tx, agentId: string): Promise<AgentsTable> {
  const a = await tx.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirst();
  if (!a) throw AgentNotFound(agentId);
  if (a.agent_type !== L3_AGENT_TYPE || a.admin_state_up !== 1) throw InvalidL3Agent(agentId);
  return a;
}

/** POST /agents/{id}/l3-routers {router_id}: a legacy router lives on one agent, so it moves there. */
export async function addRouterToL3Agent(deps: Deps, ctx: RequestContext, agentId: string, routerId: string): Promise<void> {
  deps.policy.enforce(ctx, 'create_l3-router', {});
  await inTransaction(deps.conn, async (tx) => {
    const agent = await l3AgentRow(tx, agentId);
    if (!(await tx.selectFrom('routers').select('id').where('id', '=', routerId).executeTakeFirst())) throw RouterNotFound(routerId);
    const hosting = await hostingAgents(tx, routerId);
    if (hosting.some((h) => h.id === agentId)) throw RouterHostedByL3Agent(routerId, agentId);
    // Neutron refuses to add a second agent to a legacy router while its agent is alive
    if (hosting.some((h) => liveAgent(deps, h, Date.now()))) throw RouterSchedulingFailed(routerId, agentId);
    await tx.deleteFrom('router_l3_agent_bindings').where('router_id', '=', routerId).execute();
    await tx.insertInto('router_l3_agent_bindings').values({ router_id: routerId, l3_agent_id: agent.id }).execute();
    await syncRouterHosting(deps, tx, routerId);
  });
}

/** DELETE /agents/{id}/l3-routers/{router_id}: the router is left unscheduled (its ports unbound). */
export async function removeRouterFromL3Agent(deps: Deps, ctx: RequestContext, agentId: string, routerId: string): Promise<void> {
  deps.policy.enforce(ctx, 'delete_l3-router', {});
  await inTransaction(deps.conn, async (tx) => {
    const a = await tx.selectFrom('agents').select(['id', 'agent_type']).where('id', '=', agentId).executeTakeFirst();
    if (!a) throw AgentNotFound(agentId);
    if (a.agent_type !== L3_AGENT_TYPE) throw InvalidL3Agent(agentId);
    const r = await tx.deleteFrom('router_l3_agent_bindings').where('router_id', '=', routerId).where('l3_agent_id', '=', agentId).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw RouterNotHostedByL3Agent(routerId, agentId);
    // not rescheduled at once (Neutron does not either): bindRouterPorts unbinds, status says ERROR
    const router = await tx.selectFrom('routers').select(['id', 'status', 'revision_number']).where('id', '=', routerId).executeTakeFirstOrThrow();
    await bindRouterPorts(deps, tx, routerId, '');
    const rev = router.revision_number + 1;
    await tx.updateTable('routers').set({ status: 'ERROR', revision_number: rev, updated_at: nowIso() }).where('id', '=', routerId).execute();
    await recordChange(tx, 'router', routerId, 'update', rev);
    deps.log?.warn(`Router ${routerId} removed from the L3 agent on host ${(await tx.selectFrom('agents').select('host').where('id', '=', agentId).executeTakeFirst())?.host}: no agent hosts it now`, { router_id: routerId });
  });
}

/** GET /agents/{id}/l3-routers */
export async function routerIdsOfL3Agent(deps: Deps, ctx: RequestContext, agentId: string): Promise<string[]> {
  deps.policy.enforce(ctx, 'get_l3-routers', {});
  const a = await deps.conn.db.selectFrom('agents').select('id').where('id', '=', agentId).executeTakeFirst();
  if (!a) throw AgentNotFound(agentId);
  return (await deps.conn.db.selectFrom('router_l3_agent_bindings').select('router_id').where('l3_agent_id', '=', agentId).execute()).map((r) => r.router_id);
}

/** GET /routers/{id}/l3-agents */
export async function l3AgentsOfRouter(deps: Deps, ctx: RequestContext, routerId: string): Promise<AgentsTable[]> {
  deps.policy.enforce(ctx, 'get_l3-agents', {});
  if (!(await deps.conn.db.selectFrom('routers').select('id').where('id', '=', routerId).executeTakeFirst())) throw RouterNotFound(routerId);
  return hostingAgents(deps.conn.db, routerId);
}
