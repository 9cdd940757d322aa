// What the scale-out tests share (src/cli/server-workers.test.ts, src/cli/server-haproxy.test.ts):
// a server's config, a simulated agent's registration, and 32 clients filling a subnet.
import { httpJson } from './muon-process.ts';

export const LB = { agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', topic: 'N/A' };
export const LB_CONF = { interface_mappings: {}, bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: '192.0.2.10', l2_population: true, devices: 0 };
export const CLIENTS = 32;
/** 10.9.0.0/25 without its gateway: .2 to .126 */
export const POOL = 125;

/** noauth, ml2 with linuxbridge and vxlan; the fallback check of the database every 10 minutes
 *  and no failover check for an hour, so that only peers' pokes (api_workers' relay, the broker's
 *  fanout) wake agents waiting on one process for a write served by another */
export function serverConf(o: { port: number; dir: string; db: string; workers: number; extra?: string }): string {
  return [
    '[DEFAULT]', 'bind_host = 127.0.0.1', `bind_port = ${o.port}`, 'auth_strategy = noauth', 'core_plugin = ml2', `state_path = ${o.dir}/state`,
    // the failover checks (every agent_down_time / 2) wake waiting agents too: not during a test
    `api_workers = ${o.workers}`, 'agent_down_time = 3600', o.extra ?? '',
    '[database]', `connection = ${o.db}`,
    '[muon]', `agent_socket = ${o.dir}/agent.sock`, 'revision_poll_interval = 600',
    '[ml2]', 'type_drivers = flat,vxlan', 'tenant_network_types = vxlan', 'mechanism_drivers = linuxbridge',
    '[ml2_type_vxlan]', 'vni_ranges = 1:1000', '',
  ].join('\n');
}

/** CLIENTS clients each creating ports on `net` until the subnet is full: the addresses answered with 201 */
export async function fillSubnet(base: string, net: string): Promise<{ ips: string[]; other: string[] }> {
  const ips: string[] = [];
  const other: string[] = [];
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    for (;;) {
      const r = await httpJson(base, 'POST', '/v2.0/ports', { port: { network_id: net } });
      if (r.status === 201) { ips.push(r.body.port.fixed_ips[0].ip_address); continue; }
      if (r.status === 409 && r.body?.NeutronError?.type === 'IpAddressGenerationFailure') return;
      other.push(`${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      return;
    }
  }));
  return { ips, other };
}

