// The deployment's findings (GET /v2.0/muon/doctor): reads the facts the checks need in a
// handful of queries (no per-object round trips) and runs the pure checks over them.
import type { Deps } from './deps.ts';
import { chunks } from '../db/standard-attrs.ts';
import { isAlive } from '../domain/binding.ts';
import { checkDeployment, type DeploymentFacts, type PortFact } from '../doctor/deployment-checks.ts';
import type { Finding } from '../doctor/finding.ts';

/** A port in BUILD for less than this is still being wired, not stuck. */
export const BUILD_GRACE_SECONDS = 60;

export async function deploymentFindings(deps: Deps, nowMs = Date.now()): Promise<Finding[]> {
  return checkDeployment(await deploymentFacts(deps, nowMs));
}

export async function deploymentFacts(deps: Deps, nowMs = Date.now()): Promise<DeploymentFacts> {
  const db = deps.conn.db;
  const downTime = deps.config.agentDownTime;
  const [agents, networks, segments, subnets, routers, fips, dhcp, l3] = await Promise.all([
    db.selectFrom('agents').selectAll().orderBy('host').orderBy('agent_type').execute(),
    db.selectFrom('networks').select(['id', 'name', 'router_external', 'mtu']).orderBy('name').orderBy('id').execute(),
    db.selectFrom('network_segments').select(['network_id', 'network_type', 'physical_network']).orderBy('segment_index').execute(),
    db.selectFrom('subnets').select(['id', 'name', 'network_id', 'cidr', 'gateway_ip', 'enable_dhcp', 'ip_version']).orderBy('name').orderBy('id').execute(),
    db.selectFrom('routers').select(['id', 'name', 'admin_state_up', 'gw_network_id']).orderBy('name').orderBy('id').execute(),
    db.selectFrom('floatingips').select(['id', 'floating_ip_address', 'floating_network_id', 'fixed_port_id', 'fixed_ip_address', 'router_id']).orderBy('floating_ip_address').execute(),
    db.selectFrom('network_dhcp_agents').selectAll().execute(),
    db.selectFrom('router_l3_agent_bindings').selectAll().execute(),
  ]);
  const interfaces = await db.selectFrom('router_ports as rp').innerJoin('ip_allocations as ia', 'ia.port_id', 'rp.port_id')
    .select(['rp.router_id', 'ia.subnet_id']).where('rp.port_type', 'in', ['network:router_interface', 'network:router_interface_distributed']).execute();

  // ports worth a look: in BUILD, unbound after trying, or behind a floating IP
  const portCols = ['id', 'name', 'network_id', 'status', 'device_owner', 'device_id', 'binding_host_id', 'binding_vif_type', 'binding_failure', 'updated_at'] as const;
  const troubled = await db.selectFrom('ports').select(portCols)
    .where((eb) => eb.or([eb('status', '=', 'BUILD'), eb('binding_vif_type', '=', 'binding_failed')])).execute();
  const fipPortIds = fips.map((f) => f.fixed_port_id).filter((id): id is string => !!id && !troubled.some((p) => p.id === id));
  const rows = [...troubled];
  for (const ids of chunks(fipPortIds)) rows.push(...await db.selectFrom('ports').select(portCols).where('id', 'in', ids).execute());
  const ports = new Map<string, PortFact>(rows.map((p) => [p.id, { ...p, blocks: [], fixed_ips: [] }]));
  for (const ids of chunks([...ports.keys()])) {
    for (const b of await db.selectFrom('provisioning_blocks').selectAll().where('port_id', 'in', ids).execute()) ports.get(b.port_id)!.blocks.push(b.entity);
    for (const a of await db.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', ids).execute()) {
      ports.get(a.port_id)!.fixed_ips.push({ subnet_id: a.subnet_id, ip_address: a.ip_address });
    }
  }

  const group = <T,>(items: T[], key: (t: T) => string, value: (t: T) => string) => {
    const m: Record<string, string[]> = {};
    for (const i of items) (m[key(i)] ??= []).push(value(i));
    return m;
  };
  const interfaceSubnets = group(interfaces, (i) => i.router_id, (i) => i.subnet_id);
  const segmentsOf = group(segments, (s) => s.network_id, (s) => JSON.stringify({ network_type: s.network_type, physical_network: s.physical_network }));
  return {
    nowMs, agentDownTime: downTime, buildGraceSeconds: BUILD_GRACE_SECONDS,
    agents: agents.map((a) => ({
      id: a.id, agent_type: a.agent_type, host: a.host, admin_state_up: a.admin_state_up === 1,
      alive: isAlive(a.heartbeat_timestamp, nowMs, downTime), heartbeat_timestamp: a.heartbeat_timestamp,
      configurations: JSON.parse(a.configurations) as Record<string, unknown>,
    })),
    networks: networks.map((n) => ({
      id: n.id, name: n.name, router_external: n.router_external === 1, mtu: n.mtu,
      segments: (segmentsOf[n.id] ?? []).map((s) => JSON.parse(s) as { network_type: string; physical_network: string | null }),
    })),
    subnets: subnets.map((s) => ({ ...s, enable_dhcp: s.enable_dhcp === 1 })),
    ports: [...ports.values()],
    routers: routers.map((r) => ({ id: r.id, name: r.name, admin_state_up: r.admin_state_up === 1, gw_network_id: r.gw_network_id, interface_subnet_ids: interfaceSubnets[r.id] ?? [] })),
    floatingips: fips,
    dhcpAgentsByNetwork: group(dhcp, (d) => d.network_id, (d) => d.dhcp_agent_id),
    l3AgentsByRouter: group(l3, (b) => b.router_id, (b) => b.l3_agent_id),
  };
}
