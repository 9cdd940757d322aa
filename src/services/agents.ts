// Agents: registration and heartbeats (Neutron's report_state), and the admin API
// (GET/PUT/DELETE /v2.0/agents). An agent is unique per (agent_type, host). A first report,
// or one after the agent was considered dead, is a change the feed carries (bindings and
// l2population depend on which agents are alive); a routine heartbeat is not.
import { randomUUID } from 'node:crypto';
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import { inTransaction, isUniqueViolation, RetryRequest, type Tx } from '../db/transaction.ts';
import type { AgentsTable } from '../db/schema.ts';
import { AgentNotFound, InvalidInput } from '../errors/catalog.ts';
import { isAlive } from '../domain/binding.ts';
import { DHCP_AGENT_TYPE, KNOWN_AGENT_TYPES, L3_AGENT_TYPE, LINUXBRIDGE_AGENT_TYPE } from '../domain/agent-types.ts';
import { scheduleUnhostedRouters } from './l3-scheduling.ts';
import { nowIso, recordChange } from '../db/standard-attrs.ts';
import { rebindFailedPortsOnHost } from './port-binding.ts';
import { scheduleUnscheduledNetworks } from './dhcp-scheduling.ts';
import type { AgentStateReport, ReportOutcome } from '../feed/channel.ts';

export type { AgentStateReport, ReportOutcome };


export interface AgentView {
  id: string;
  agent_type: string;
  binary: string;
  topic: string;
  host: string;
  admin_state_up: boolean;
  created_at: string;
  started_at: string;
  heartbeat_timestamp: string;
  alive: boolean;
  configurations: Record<string, unknown>;
  description: string;
  availability_zone: string | null;
  resources_synced: boolean | null;
}

/** Neutron renders agent timestamps as "2026-11-25 17:04:25" (no T, no zone). */
export function agentTime(iso: string): string {
  return iso.replace('T', ' ').replace(/Z$/, '');
}

export function agentView(row: AgentsTable, nowMs: number, agentDownTime: number): AgentView {
  return {
    id: row.id, agent_type: row.agent_type, binary: row.binary, topic: row.topic, host: row.host,
    admin_state_up: row.admin_state_up === 1,
    created_at: agentTime(row.created_at), started_at: agentTime(row.started_at), heartbeat_timestamp: agentTime(row.heartbeat_timestamp),
    alive: isAlive(row.heartbeat_timestamp, nowMs, agentDownTime),
    configurations: JSON.parse(row.configurations) as Record<string, unknown>,
    description: row.description, availability_zone: row.availability_zone,
    resources_synced: row.resources_synced === null ? null : row.resources_synced === 1,
  };
}

function hostProblems(configurations: string): unknown {
  try { return (JSON.parse(configurations) as { host_problems?: unknown }).host_problems ?? []; } catch { return []; }
}

function checkReport(r: AgentStateReport): void {
  if (!r || typeof r !== 'object') throw InvalidInput('agent_state must be an object');
  for (const k of ['agent_type', 'binary', 'host'] as const) {
    if (typeof r[k] !== 'string' || r[k].length === 0 || r[k].length > 255) throw InvalidInput(`agent_state.${k} must be a non-empty string of at most 255 characters`);
  }
  if (!KNOWN_AGENT_TYPES.has(r.agent_type)) throw InvalidInput(`unknown agent_type '${r.agent_type}'; one of: ${[...KNOWN_AGENT_TYPES].join(', ')}`);
  if (r.configurations !== undefined && (typeof r.configurations !== 'object' || r.configurations === null || Array.isArray(r.configurations))) {
    throw InvalidInput('agent_state.configurations must be an object');
  }
}

/** report_state: upsert the agent row; returns what the server thought of it. */
export async function reportState(deps: Deps, report: AgentStateReport): Promise<{ id: string; outcome: ReportOutcome }> {
  checkReport(report);
  const result = await inTransaction(deps.conn, async (tx) => {
    const now = nowIso();
    const nowMs = Date.parse(now);
    const config = JSON.stringify(report.configurations ?? {});
    const existing = await tx.selectFrom('agents').selectAll().where('agent_type', '=', report.agent_type).where('host', '=', report.host).executeTakeFirst();
    if (!existing) {
      const id = randomUUID();
      try {
        await tx.insertInto('agents').values({
          id, agent_type: report.agent_type, binary: report.binary, topic: report.topic ?? 'N/A', host: report.host, admin_state_up: 1,
          created_at: now, started_at: now, heartbeat_timestamp: now, description: '', configurations: config,
          availability_zone: report.availability_zone ?? null, resources_synced: null,
        }).execute();
      } catch (e) {
        if (isUniqueViolation(e)) throw new RetryRequest('agent registered concurrently');
        throw e;
      }
      await recordChange(tx, 'agent', id, 'create');
      return { id, outcome: 'new' as ReportOutcome, agentType: report.agent_type, host: report.host, problemsChanged: false };
    }
    const wasAlive = isAlive(existing.heartbeat_timestamp, nowMs, deps.config.agentDownTime);
    const changed = existing.configurations !== config || existing.binary !== report.binary;
    // the agent's own host check changed its verdict (an interface appeared, local_ip fixed…)
    const problemsChanged = changed && JSON.stringify(hostProblems(existing.configurations)) !== JSON.stringify(report.configurations?.host_problems ?? []);
    await tx.updateTable('agents').set({
      heartbeat_timestamp: now, configurations: config, binary: report.binary, topic: report.topic ?? existing.topic,
      availability_zone: report.availability_zone ?? existing.availability_zone,
      ...(report.start_flag ? { started_at: now } : {}),
    }).where('id', '=', existing.id).execute();
    if (!wasAlive || changed || report.start_flag) await recordChange(tx, 'agent', existing.id, 'update');
    return { id: existing.id, outcome: (wasAlive ? 'alive' : 'revived') as ReportOutcome, agentType: report.agent_type, host: report.host, problemsChanged };
  });
  // A (re)appearing agent can serve what was waiting for it: ports that failed to bind on its
  // host (also when its host check's verdict changed), networks without a DHCP server.
  if (result.outcome !== 'alive' || result.problemsChanged) {
    if (result.agentType === LINUXBRIDGE_AGENT_TYPE) await rebindFailedPortsOnHost(deps, result.host);
  }
  if (result.outcome !== 'alive') {
    if (result.agentType === DHCP_AGENT_TYPE) await scheduleUnscheduledNetworks(deps);
    if (result.agentType === L3_AGENT_TYPE) await scheduleUnhostedRouters(deps);
  }
  return { id: result.id, outcome: result.outcome };
}

// ---------------------------------------------------------------------------
// admin API

function agentTarget(row: AgentsTable): Record<string, unknown> {
  return { id: row.id, host: row.host, agent_type: row.agent_type };
}

async function visibleAgent(deps: Deps, tx: Tx | Deps['conn']['db'], ctx: RequestContext, id: string, action: string): Promise<AgentsTable> {
  const row = await tx.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || !deps.policy.check(ctx, 'get_agent', agentTarget(row))) throw AgentNotFound(id);
  if (action !== 'get_agent') deps.policy.enforce(ctx, action, agentTarget(row));
  return row;
}

export async function listAgentRows(deps: Deps, ctx: RequestContext): Promise<AgentsTable[]> {
  const rows = await deps.conn.db.selectFrom('agents').selectAll().orderBy('host').orderBy('agent_type').execute();
  return rows.filter((r) => deps.policy.check(ctx, 'get_agent', agentTarget(r)));
}

export async function getAgent(deps: Deps, ctx: RequestContext, id: string): Promise<AgentView> {
  return agentView(await visibleAgent(deps, deps.conn.db, ctx, id, 'get_agent'), Date.now(), deps.config.agentDownTime);
}

export async function updateAgent(deps: Deps, ctx: RequestContext, id: string, changes: { admin_state_up?: boolean; description?: string }): Promise<AgentView> {
  await inTransaction(deps.conn, async (tx) => {
    await visibleAgent(deps, tx, ctx, id, 'update_agent');
    const set: Partial<AgentsTable> = {};
    if (changes.admin_state_up !== undefined) set.admin_state_up = changes.admin_state_up ? 1 : 0;
    if (changes.description !== undefined) set.description = changes.description;
    if (Object.keys(set).length) {
      await tx.updateTable('agents').set(set).where('id', '=', id).execute();
      await recordChange(tx, 'agent', id, 'update');
    }
  });
  if (changes.admin_state_up !== undefined) await scheduleUnhostedRouters(deps);
  return getAgent(deps, ctx, id);
}

export async function deleteAgent(deps: Deps, ctx: RequestContext, id: string): Promise<void> {
  await inTransaction(deps.conn, async (tx) => {
    await visibleAgent(deps, tx, ctx, id, 'delete_agent');
    await tx.deleteFrom('agents').where('id', '=', id).execute();
    await recordChange(tx, 'agent', id, 'delete');
  });
  await scheduleUnhostedRouters(deps);
}

/** Networks scheduled to a DHCP agent (GET /agents/{id}/dhcp-networks). */
export async function dhcpNetworkIdsOf(deps: Deps, ctx: RequestContext, agentId: string): Promise<string[]> {
  await visibleAgent(deps, deps.conn.db, ctx, agentId, 'get_agent');
  deps.policy.enforce(ctx, 'get_dhcp-networks', {});
  const rows = await deps.conn.db.selectFrom('network_dhcp_agents').select('network_id').where('dhcp_agent_id', '=', agentId).execute();
  return rows.map((r) => r.network_id);
}
