// The server settings and host names the agents bench (and its test) use: the seed's ML2
// (VXLAN tenant networks, l2population) and no quotas in the way of thousands of ports.

export const BENCH_ML2_INI = [
  '[quotas]', 'quota_port = -1', 'quota_network = -1', 'quota_subnet = -1', 'quota_security_group_rule = -1',
  '[ml2]', 'type_drivers = flat,vlan,vxlan', 'tenant_network_types = vxlan', 'mechanism_drivers = linuxbridge,l2population',
  'extension_drivers = port_security', '[ml2_type_vxlan]', 'vni_ranges = 1:100000', '',
].join('\n');

/** compute-0001 …, each with its own VTEP address (l2population peers are keyed by it) */
export function simHosts(n: number, first = 0): { name: string; tunnelIp: string }[] {
  return Array.from({ length: n }, (_, k) => {
    const i = first + k;
    return { name: `compute-${String(i + 1).padStart(4, '0')}`, tunnelIp: `10.255.${Math.floor(i / 250)}.${(i % 250) + 1}` };
  });
}
