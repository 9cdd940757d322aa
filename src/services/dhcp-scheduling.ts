// DHCP scheduling (Neutron's DhcpAgentNotifyAPI + network scheduler + the DHCP agent's
// port handling, done server side): a network with a DHCP-enabled subnet is hosted by up to
// dhcp_agents_per_network live DHCP agents (least loaded first), and for each of them the
// server keeps a network:dhcp port bound to that agent's host with one address on every
// DHCP-enabled subnet. The agent only realises what the feed gives it.
import { createHash } from 'node:crypto';
import type { Deps } from './deps.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { isAlive } from '../domain/binding.ts';
import { allocateIps } from './ipam.ts';
import { createServicePort } from './service-ports.ts';
import { computeBinding } from './port-binding.ts';
import { nowIso, recordChange } from '../db/standard-attrs.ts';
import { deleteServicePort } from './service-ports.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { AgentsTable } from '../db/schema.ts';
import { AgentNotFound, InvalidDHCPAgent, NetworkHostedByDHCPAgent, NetworkNotFound, NetworkNotHostedByDhcpAgent } from '../errors/catalog.ts';

import { DHCP_AGENT_TYPE } from '../domain/agent-types.ts';
export const DHCP_OWNER = 'network:dhcp';

/** Python's uuid.uuid5(namespace, name). */
export function uuid5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const NAMESPACE_DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

/** Neutron's DHCP port device_id: dhcp<uuid5(DNS, host)>-<network id>. */
export function dhcpDeviceId(host: string, networkId: string): string {
  return `dhcp${uuid5(NAMESPACE_DNS, host)}-${networkId}`;
}

/** Schedule `networkId` if it needs DHCP, and keep its DHCP ports in step with its subnets. */
export async function ensureDhcpForNetwork(deps: Deps, tx: Tx, networkId: string): Promise<void> {
  const dhcpSubnets = await tx.selectFrom('subnets').select(['id']).where('network_id', '=', networkId).where('enable_dhcp', '=', 1).execute();
  if (dhcpSubnets.length === 0) return;
  const nowMs = Date.now();
  const agents = await tx.selectFrom('agents').selectAll().where('agent_type', '=', DHCP_AGENT_TYPE).execute();
  if (agents.length === 0) return;
  const scheduled = new Set((await tx.selectFrom('network_dhcp_agents').select('dhcp_agent_id').where('network_id', '=', networkId).execute()).map((r) => r.dhcp_agent_id));
  const want = deps.config.dhcpAgentsPerNetwork;
  if (scheduled.size < want) {
    const loads = new Map((await tx.selectFrom('network_dhcp_agents').select(['dhcp_agent_id']).select((eb) => eb.fn.countAll<number>().as('n'))
      .groupBy('dhcp_agent_id').execute()).map((r) => [r.dhcp_agent_id, Number(r.n)]));
    const candidates = agents
      .filter((a) => !scheduled.has(a.id) && a.admin_state_up === 1 && isAlive(a.heartbeat_timestamp, nowMs, deps.config.agentDownTime))
      .sort((a, b) => (loads.get(a.id) ?? 0) - (loads.get(b.id) ?? 0) || a.host.localeCompare(b.host));
    for (const a of candidates.slice(0, want - scheduled.size)) {
      await tx.insertInto('network_dhcp_agents').values({ network_id: networkId, dhcp_agent_id: a.id }).execute();
      scheduled.add(a.id);
      deps.log?.info(`Network ${networkId} scheduled to DHCP agent on host ${a.host}`, { network_id: networkId, host: a.host });
    }
  }
  for (const a of agents.filter((x) => scheduled.has(x.id))) await ensureDhcpPort(deps, tx, networkId, a.host, dhcpSubnets.map((s) => s.id));
}

async function ensureDhcpPort(deps: Deps, tx: Tx, networkId: string, host: string, subnetIds: string[]): Promise<void> {
  const deviceId = dhcpDeviceId(host, networkId);
  const existing = await tx.selectFrom('ports').select(['id', 'mac_address', 'revision_number', 'binding_host_id', 'binding_vif_type'])
    .where('network_id', '=', networkId).where('device_id', '=', deviceId).executeTakeFirst();
  if (!existing) {
    const net = await tx.selectFrom('networks').select('project_id').where('id', '=', networkId).executeTakeFirstOrThrow();
    const { id } = await createServicePort(deps, tx, {
      networkId, projectId: net.project_id, deviceId, deviceOwner: DHCP_OWNER, fixedIps: subnetIds.map((subnet_id) => ({ subnet_id })),
    });
    const cols = await computeBinding(deps, tx, { id, network_id: networkId, binding_host_id: host, binding_vnic_type: 'normal', device_owner: DHCP_OWNER });
    await tx.updateTable('ports').set({ ...cols, binding_host_id: host }).where('id', '=', id).execute();
    return;
  }
  const have = new Set((await tx.selectFrom('ip_allocations').select('subnet_id').where('port_id', '=', existing.id).execute()).map((r) => r.subnet_id));
  const missing = subnetIds.filter((s) => !have.has(s));
  const rebinding = existing.binding_vif_type !== 'bridge';
  if (missing.length === 0 && !rebinding) return;
  if (missing.length) await allocateIps(tx, networkId, existing.id, missing.map((subnet_id) => ({ subnet_id })), existing.mac_address, DHCP_OWNER);
  const cols = rebinding
    ? await computeBinding(deps, tx, { id: existing.id, network_id: networkId, binding_host_id: host, binding_vnic_type: 'normal', device_owner: DHCP_OWNER })
    : {};
  const rev = existing.revision_number + 1;
  await tx.updateTable('ports').set({ ...cols, revision_number: rev, updated_at: nowIso() }).where('id', '=', existing.id).execute();
  await recordChange(tx, 'port', existing.id, 'update', rev);
}

/** A DHCP agent (re)appeared: every network that needs DHCP and lacks agents gets one. */
export async function scheduleUnscheduledNetworks(deps: Deps): Promise<void> {
  const nets = await deps.conn.db.selectFrom('subnets').select('network_id').distinct().where('enable_dhcp', '=', 1).execute();
  for (const n of nets) {
    await inTransaction(deps.conn, (tx) => ensureDhcpForNetwork(deps, tx, n.network_id));
  }
}

// ---------------------------------------------------------------------------
// dhcp_agent_scheduler: an admin moves networks between DHCP agents by hand

async function dhcpAgentRow(tx: Tx, agentId: string): Promise<AgentsTable> {
  const a = await tx.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirst();
  if (!a) throw AgentNotFound(agentId);
  if (a.agent_type !== DHCP_AGENT_TYPE || a.admin_state_up !== 1) throw InvalidDHCPAgent(agentId);
  return a;
}

/** POST /agents/{id}/dhcp-networks {network_id} */
export async function addNetworkToDhcpAgent(deps: Deps, ctx: RequestContext, agentId: string, networkId: string): Promise<void> {
  deps.policy.enforce(ctx, 'create_dhcp-network', {});
  await inTransaction(deps.conn, async (tx) => {
    const agent = await dhcpAgentRow(tx, agentId);
    if (!(await tx.selectFrom('networks').select('id').where('id', '=', networkId).executeTakeFirst())) throw NetworkNotFound(networkId);
    const hosted = await tx.selectFrom('network_dhcp_agents').select('network_id').where('network_id', '=', networkId).where('dhcp_agent_id', '=', agentId).executeTakeFirst();
    if (hosted) throw NetworkHostedByDHCPAgent(networkId, agentId);
    await tx.insertInto('network_dhcp_agents').values({ network_id: networkId, dhcp_agent_id: agentId }).execute();
    const subnets = await tx.selectFrom('subnets').select('id').where('network_id', '=', networkId).where('enable_dhcp', '=', 1).execute();
    if (subnets.length) await ensureDhcpPort(deps, tx, networkId, agent.host, subnets.map((s) => s.id));
    await recordChange(tx, 'network', networkId, 'update');
  });
}

/** DELETE /agents/{id}/dhcp-networks/{network_id}: the agent's DHCP port for it goes too. */
export async function removeNetworkFromDhcpAgent(deps: Deps, ctx: RequestContext, agentId: string, networkId: string): Promise<void> {
  deps.policy.enforce(ctx, 'delete_dhcp-network', {});
  await inTransaction(deps.conn, async (tx) => {
    const agent = await dhcpAgentRow(tx, agentId);
    const r = await tx.deleteFrom('network_dhcp_agents').where('network_id', '=', networkId).where('dhcp_agent_id', '=', agentId).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw NetworkNotHostedByDhcpAgent(networkId, agentId);
    const port = await tx.selectFrom('ports').select('id').where('network_id', '=', networkId).where('device_id', '=', dhcpDeviceId(agent.host, networkId)).executeTakeFirst();
    if (port) await deleteServicePort(tx, port.id);
    await recordChange(tx, 'network', networkId, 'update');
  });
}

/** GET /networks/{id}/dhcp-agents */
export async function dhcpAgentsOfNetwork(deps: Deps, ctx: RequestContext, networkId: string): Promise<AgentsTable[]> {
  deps.policy.enforce(ctx, 'get_dhcp-agents', {});
  return deps.conn.db.selectFrom('network_dhcp_agents as nda').innerJoin('agents as a', 'a.id', 'nda.dhcp_agent_id').selectAll('a')
    .where('nda.network_id', '=', networkId).orderBy('a.host').execute();
}

// ---------------------------------------------------------------------------
// allow_automatic_dhcp_failover: networks of dead DHCP agents move to live ones

/**
 * Networks hosted by a DHCP agent without a heartbeat for agent_down_time are taken from it
 * (its DHCP port goes) and scheduled to live agents — only when a live agent can take them,
 * so a network is never left with fewer DHCP servers than before. Returns the moves made.
 */
export async function failoverDhcp(deps: Deps, nowMs = Date.now()): Promise<{ network_id: string; from: string }[]> {
  const agents = await deps.conn.db.selectFrom('agents').selectAll().where('agent_type', '=', DHCP_AGENT_TYPE).execute();
  const alive = (a: AgentsTable) => a.admin_state_up === 1 && isAlive(a.heartbeat_timestamp, nowMs, deps.config.agentDownTime);
  const dead = agents.filter((a) => !isAlive(a.heartbeat_timestamp, nowMs, deps.config.agentDownTime));
  if (dead.length === 0 || !agents.some(alive)) return [];
  const moves: { network_id: string; from: string }[] = [];
  for (const a of dead) {
    const nets = await deps.conn.db.selectFrom('network_dhcp_agents').select('network_id').where('dhcp_agent_id', '=', a.id).execute();
    for (const { network_id } of nets) {
      const moved = await inTransaction(deps.conn, async (tx) => {
        const hosts = await tx.selectFrom('network_dhcp_agents').select('dhcp_agent_id').where('network_id', '=', network_id).execute();
        const hosting = new Set(hosts.map((h) => h.dhcp_agent_id));
        if (!hosting.has(a.id) || !agents.some((x) => alive(x) && !hosting.has(x.id))) return false;
        await tx.deleteFrom('network_dhcp_agents').where('network_id', '=', network_id).where('dhcp_agent_id', '=', a.id).execute();
        const port = await tx.selectFrom('ports').select('id').where('network_id', '=', network_id).where('device_id', '=', dhcpDeviceId(a.host, network_id)).executeTakeFirst();
        if (port) await deleteServicePort(tx, port.id);
        await ensureDhcpForNetwork(deps, tx, network_id);
        return true;
      });
      if (moved) {
        moves.push({ network_id, from: a.host });
        deps.log?.warn(`DHCP agent on host ${a.host} is dead (no heartbeat since ${a.heartbeat_timestamp}): network ${network_id} moved to a live DHCP agent`, { network_id, host: a.host });
      }
    }
  }
  return moves;
}
