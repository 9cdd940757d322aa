// What the agent reports about its uplinks for the server's checks (GET /v2.0/muon/doctor):
// the addresses on each mapped physical network's interface (the seed's external subnet had to
// be that segment) and the MTU of the interface carrying local_ip (the VXLAN underlay).
import type { L2Observed, L2Settings } from './l2-plan.ts';

export interface UplinkFacts {
  /** physnet → "a.b.c.d/len" seen on its interface, or on the bridge its addresses moved to */
  addresses: Record<string, string[]>;
  /** MTU of the interface holding [vxlan] local_ip; null when VXLAN is off or the address is not here */
  tunnelMtu: number | null;
}

export function uplinkFacts(settings: L2Settings, observed: Pick<L2Observed, 'links' | 'addrs'>): UplinkFacts {
  const byName = new Map(observed.links.map((l) => [l.ifname, l]));
  const addrsOf = (dev: string | undefined) => (dev === undefined ? [] : observed.addrs.find((a) => a.ifname === dev)?.addr_info
    .filter((i) => i.family === 'inet' || (i.family === 'inet6' && i.scope !== 'link'))
    .map((i) => `${i.local}/${i.prefixlen}`) ?? []);
  const addresses: Record<string, string[]> = {};
  for (const [physnet, dev] of Object.entries(settings.physicalInterfaceMappings)) {
    // a flat network's bridge takes over the interface's addresses: both places count
    addresses[physnet] = [...new Set([...addrsOf(dev), ...addrsOf(byName.get(dev)?.master)])];
  }
  let tunnelMtu: number | null = null;
  const ip = settings.vxlan.localIp;
  if (settings.vxlan.enabled && ip) {
    const holder = observed.addrs.find((a) => a.addr_info.some((i) => i.local === ip));
    tunnelMtu = (holder && byName.get(holder.ifname)?.mtu) ?? null;
  }
  return { addresses, tunnelMtu };
}
