// Port binding and provisioning blocks, inside the caller's transaction.
//  - bind: binding:host_id set → ask the domain (bindPort) whether the host's live Linux
//    bridge agent can serve one of the network's segments; store vif_type/vif_details, or
//    binding_failed with the reason (binding_failure, shown to admins) and log it.
//  - provisioning blocks: a bound port that is not network-owned waits for 'L2' (its
//    host's agent wired the tap) and, when a DHCP server serves one of its subnets, 'DHCP'
//    (dnsmasq has its host entry). It goes ACTIVE when the last block is removed.
import type { Deps } from './deps.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { bindPort, isAlive, type BindingAgent } from '../domain/binding.ts';
import { DHCP_AGENT_TYPE, LINUXBRIDGE_AGENT_TYPE } from '../domain/agent-types.ts';
import { nowIso, recordChange } from '../db/standard-attrs.ts';
import type { DeviceReport } from '../feed/channel.ts';
import { statusEvent, type NovaEvent } from '../domain/nova-events.ts';

export type { DeviceReport };

export const L2_BLOCK = 'L2';
export const DHCP_BLOCK = 'DHCP';

export interface BindablePort {
  id: string;
  network_id: string;
  binding_host_id: string;
  binding_vnic_type: string;
  device_owner: string;
}

export interface BindingColumns {
  binding_vif_type: string;
  binding_vif_details: string;
  binding_failure: string | null;
  status?: string;
}

/** Ports the agents own themselves do not wait for provisioning (Neutron's NO_PROVISIONING_BLOCKS_OWNERS). */
const ownedByNetwork = (deviceOwner: string) => deviceOwner.startsWith('network:');

/**
 * Compute the binding of a port as it is now (host, vnic type, agents) and the provisioning
 * blocks it waits for; writes the blocks, returns the port columns to set (the caller writes
 * them with its own revision bump).
 */
export async function computeBinding(deps: Deps, tx: Tx, port: BindablePort): Promise<BindingColumns> {
  await tx.deleteFrom('provisioning_blocks').where('port_id', '=', port.id).execute();
  if (!port.binding_host_id) {
    return { binding_vif_type: 'unbound', binding_vif_details: '{}', binding_failure: null, status: 'DOWN' };
  }
  const nowMs = Date.now();
  const agents = await tx.selectFrom('agents').select(['host', 'heartbeat_timestamp', 'admin_state_up', 'configurations'])
    .where('agent_type', '=', LINUXBRIDGE_AGENT_TYPE).execute();
  const own = agents.find((a) => a.host === port.binding_host_id);
  const agent: BindingAgent | undefined = own && {
    host: own.host, alive: isAlive(own.heartbeat_timestamp, nowMs, deps.config.agentDownTime), admin_state_up: own.admin_state_up === 1,
    heartbeat_timestamp: own.heartbeat_timestamp, configurations: JSON.parse(own.configurations) as BindingAgent['configurations'],
  };
  const segments = await tx.selectFrom('network_segments').select(['network_type', 'physical_network', 'segmentation_id'])
    .where('network_id', '=', port.network_id).orderBy('segment_index').execute();
  const r = bindPort({
    host: port.binding_host_id, vnic_type: port.binding_vnic_type, segments, agent, knownHosts: agents.map((a) => a.host),
    portFilter: deps.config.securityGroup.enableSecurityGroup, agentDownTime: deps.config.agentDownTime,
  });
  if (!r.bound) {
    deps.log?.warn(`Failed to bind port ${port.id} on host ${port.binding_host_id} for vnic_type ${port.binding_vnic_type} using segments ${JSON.stringify(segments)}: ${r.reason}`,
      { port_id: port.id, host: port.binding_host_id, reason: r.reason });
    return { binding_vif_type: 'binding_failed', binding_vif_details: '{}', binding_failure: r.reason, status: 'DOWN' };
  }
  if (!ownedByNetwork(port.device_owner)) {
    const blocks = [L2_BLOCK];
    if (await servedByDhcp(tx, port.id, port.network_id)) blocks.push(DHCP_BLOCK);
    await tx.insertInto('provisioning_blocks').values(blocks.map((entity) => ({ port_id: port.id, entity }))).execute();
  }
  return { binding_vif_type: r.vif_type, binding_vif_details: JSON.stringify(r.vif_details), binding_failure: null, status: 'DOWN' };
}

/** The port waits for its L2 agent again (it was set admin up, or its device went away). */
export async function requireL2(tx: Tx, portId: string, deviceOwner: string): Promise<void> {
  if (ownedByNetwork(deviceOwner)) return;
  await tx.deleteFrom('provisioning_blocks').where('port_id', '=', portId).where('entity', '=', L2_BLOCK).execute();
  await tx.insertInto('provisioning_blocks').values({ port_id: portId, entity: L2_BLOCK }).execute();
}

/** The port has an address on a DHCP-enabled subnet of a network some DHCP agent hosts. */
async function servedByDhcp(tx: Tx, portId: string, networkId: string): Promise<boolean> {
  const hosted = await tx.selectFrom('network_dhcp_agents as nda').innerJoin('agents as a', 'a.id', 'nda.dhcp_agent_id')
    .select('a.id').where('nda.network_id', '=', networkId).where('a.agent_type', '=', DHCP_AGENT_TYPE).executeTakeFirst();
  if (!hosted) return false;
  const ip = await tx.selectFrom('ip_allocations as ia').innerJoin('subnets as s', 's.id', 'ia.subnet_id')
    .select('ia.ip_address').where('ia.port_id', '=', portId).where('s.enable_dhcp', '=', 1).executeTakeFirst();
  return ip !== undefined;
}

/** Bind and write the columns, bumping the port's revision (for callers outside a port update). */
export async function rebind(deps: Deps, tx: Tx, port: BindablePort & { revision_number: number }): Promise<void> {
  const cols = await computeBinding(deps, tx, port);
  const rev = port.revision_number + 1;
  await tx.updateTable('ports').set({ ...cols, revision_number: rev, updated_at: nowIso() }).where('id', '=', port.id).execute();
  await recordChange(tx, 'port', port.id, 'update', rev);
}

/** An agent (re)appeared on `host`: ports that failed to bind there are tried again. */
export async function rebindFailedPortsOnHost(deps: Deps, host: string): Promise<void> {
  await inTransaction(deps.conn, async (tx) => {
    const ports = await tx.selectFrom('ports').select(['id', 'network_id', 'binding_host_id', 'binding_vnic_type', 'device_owner', 'revision_number'])
      .where('binding_host_id', '=', host).where('binding_vif_type', '=', 'binding_failed').execute();
    for (const p of ports) await rebind(deps, tx, p);
  });
}

/**
 * Status reports from a host's agents (update_device_up/down, dhcp_ready_on_ports), level
 * triggered: the same report twice changes nothing. Only ports bound to `host` are touched
 * for up/down. Returns the ids whose status changed.
 */
export async function reportDevices(deps: Deps, host: string, report: DeviceReport): Promise<string[]> {
  const up = [...new Set(report.up ?? [])];
  const down = [...new Set(report.down ?? [])];
  const ready = [...new Set(report.dhcp_ready ?? [])];
  if (!up.length && !down.length && !ready.length) return [];
  const nova: (NovaEvent | null)[] = [];
  const changedIds = await inTransaction(deps.conn, async (tx) => {
    const changed: string[] = [];
    nova.length = 0; // a retried transaction starts over
    if (up.length) await tx.deleteFrom('provisioning_blocks').where('entity', '=', L2_BLOCK).where('port_id', 'in', up).execute();
    if (ready.length) await tx.deleteFrom('provisioning_blocks').where('entity', '=', DHCP_BLOCK).where('port_id', 'in', ready).execute();
    const ids = [...new Set([...up, ...down, ...ready])];
    const ports = await tx.selectFrom('ports').select(['id', 'status', 'admin_state_up', 'binding_host_id', 'binding_vif_type', 'device_id', 'device_owner', 'revision_number'])
      .where('id', 'in', ids).execute();
    const blocked = new Set((await tx.selectFrom('provisioning_blocks').select('port_id').where('port_id', 'in', ids).execute()).map((b) => b.port_id));
    const upSet = new Set(up);
    const downSet = new Set(down);
    for (const p of ports) {
      const boundHere = p.binding_host_id === host && p.binding_vif_type === 'bridge';
      let status = p.status;
      if (boundHere && downSet.has(p.id)) {
        status = 'DOWN';
        // wired again later → provisioning again
        if (p.status !== 'DOWN') await requireL2(tx, p.id, p.device_owner);
      } else if (boundHere && upSet.has(p.id)) {
        status = p.admin_state_up !== 1 ? 'DOWN' : blocked.has(p.id) ? 'BUILD' : 'ACTIVE';
      } else if (p.status === 'BUILD' && !blocked.has(p.id)) {
        status = 'ACTIVE'; // the last block (DHCP) went
      }
      if (status !== p.status) {
        const rev = p.revision_number + 1;
        await tx.updateTable('ports').set({ status, revision_number: rev, updated_at: nowIso() }).where('id', '=', p.id).execute();
        await recordChange(tx, 'port', p.id, 'update', rev);
        changed.push(p.id);
        nova.push(statusEvent(p, p.status, status));
      }
    }
    return changed;
  });
  deps.nova?.portEvents(nova); // vif-plugged / vif-unplugged, once committed
  return changedIds;
}
