// What the simulated hosts serve, made through the API as Nova and an operator would: a few
// VXLAN tenant networks, each host's share of ports bound to it (binding:host_id, device_owner
// compute:nova), all in the project's default security group — whose remote-group rules make
// every host's filter depend on every port's address, as in a stock cloud.
import { randomUUID } from 'node:crypto';

/** The API as the bench calls it: JSON in, JSON out, a throw on an error status. */
export type ApiCall = (method: string, path: string, body?: unknown) => Promise<any>;

export function fetchApi(url: string): ApiCall {
  return async (method, path, body) => {
    const res = await fetch(url + path, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  };
}

export interface Topology {
  networks: string[];
  /** the one group every port is in */
  sgId: string;
  portsByHost: Record<string, number>;
  ports: number;
}

export async function buildTopology(api: ApiCall, hosts: readonly string[], opts: { networks: number; portsPerHost: number; bulk?: number }): Promise<Topology> {
  const networks: string[] = [];
  for (let i = 0; i < opts.networks; i++) {
    const net = (await api('POST', '/v2.0/networks', { network: { name: `bench-net-${i}` } })).network.id as string;
    await api('POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: `10.${100 + i}.0.0/16`, name: `bench-subnet-${i}` } });
    networks.push(net);
  }
  const wanted = hosts.flatMap((host, h) => Array.from({ length: opts.portsPerHost }, (_, k) => ({
    network_id: networks[(h * opts.portsPerHost + k) % networks.length], name: `${host}-vm${k}`,
    device_owner: 'compute:nova', device_id: randomUUID(), 'binding:host_id': host,
  })));
  const bulk = opts.bulk ?? 500;
  let sgId: string | undefined;
  for (let i = 0; i < wanted.length; i += bulk) {
    const made = (await api('POST', '/v2.0/ports', { ports: wanted.slice(i, i + bulk) })).ports as { security_groups: string[]; 'binding:vif_type': string; id: string }[];
    const unbound = made.filter((p) => p['binding:vif_type'] !== 'bridge');
    if (unbound.length) throw new Error(`${unbound.length} ports did not bind (vif_type ${unbound[0]['binding:vif_type']}): is every host's agent registered?`);
    sgId ??= made[0]?.security_groups[0];
  }
  if (!sgId) throw new Error('no port, hence no security group: give at least one host one port');
  return {
    networks, sgId, ports: wanted.length,
    portsByHost: Object.fromEntries(hosts.map((h) => [h, opts.portsPerHost])),
  };
}
