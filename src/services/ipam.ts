// IP address management on the free-range table: each subnet keeps its free
// addresses (pools minus allocations) as ranges keyed by ipKey, so allocating the
// next address is one indexed "lowest range" read plus one update, never a scan of
// the CIDR or of the allocations. The ip_allocations primary key is the final guard
// against two requests taking the same address. This file: one port's addresses (fixed_ips
// rules included) and giving addresses back; ./ipam-bulk.ts: many ports at once.
import type { Kysely } from 'kysely';
import type { Tx } from '../db/transaction.ts';
import { isUniqueViolation, RetryRequest } from '../db/transaction.ts';
import type { Database } from '../db/schema.ts';
import { kindOf, type DbKind } from '../db/kind.ts';
import { formatIpValue, keyOfValue, parseIp, type IpAddress, type IpVersion } from '../domain/ip/address.ts';
import { parseCidr } from '../domain/ip/cidr.ts';
import { eui64 } from '../domain/ip/mac.ts';
import { checkSubnetIp } from '../domain/ipam/pools.ts';
import { subtract, type Range } from '../domain/ipam/ranges.ts';
import {
  AllocationOnAutoAddressSubnet, InvalidInput, InvalidIpForNetwork, InvalidIpForSubnet, IpAddressAlreadyAllocated,
  IpAddressGenerationFailure, SubnetNotFound,
} from '../errors/catalog.ts';
import {
  isAutoAddressSubnet, networkSubnets, ROUTER_INTERFACE_OWNERS, ROUTER_INTERFACE_OWNERS_SNAT,
  type FixedIp, type FixedIpRequest, type SubnetCache, type SubnetInfo,
} from './ipam-subnets.ts';

export { isAutoAddressSubnet, type FixedIp, type FixedIpRequest, type SubnetCache } from './ipam-subnets.ts';

type Planned =
  | { kind: 'any'; subnets: SubnetInfo[] } // next free address of the first subnet that has one
  | { kind: 'specific'; subnet: SubnetInfo; ip: IpAddress; requested: boolean };

/** Allocates for a new/updated port: undefined requests = Neutron's rules for a port without fixed_ips (one address from
 *  the IPv4 subnets, one from the DHCPv6-stateful ones, EUI-64 on every SLAAC/DHCPv6-stateless subnet); explicit
 *  requests = by subnet (next free address), by address (that address, any subnet of the network containing it), or both. */
export async function allocateIps(
  tx: Tx, networkId: string, portId: string, requests: FixedIpRequest[] | undefined, mac: string, deviceOwner: string, cache?: SubnetCache,
): Promise<FixedIp[]> {
  let subnets = cache?.get(networkId);
  if (!subnets) {
    subnets = await networkSubnets(tx, networkId);
    cache?.set(networkId, subnets);
  }
  const v4 = subnets.filter((s) => s.ip_version === 4);
  const v6Stateful = subnets.filter((s) => s.ip_version === 6 && !isAutoAddressSubnet(s));
  const v6Stateless = subnets.filter((s) => isAutoAddressSubnet(s));
  const plan: Planned[] = [];
  if (requests === undefined) {
    if (v4.length) plan.push({ kind: 'any', subnets: v4 });
    if (v6Stateful.length) plan.push({ kind: 'any', subnets: v6Stateful });
  } else {
    for (const fixed of requests) {
      const subnet = await subnetForFixedIp(tx, networkId, fixed, subnets, deviceOwner);
      const auto = isAutoAddressSubnet(subnet);
      if (fixed.ip_address !== undefined) {
        if (auto && !ROUTER_INTERFACE_OWNERS.includes(deviceOwner)) throw AllocationOnAutoAddressSubnet(fixed.ip_address, subnet.id);
        plan.push({ kind: 'specific', subnet, ip: parseIp(fixed.ip_address)!, requested: true });
      } else if (ROUTER_INTERFACE_OWNERS_SNAT.includes(deviceOwner) || !auto) {
        plan.push({ kind: 'any', subnets: [subnet] });
      }
    }
  }
  if (!ROUTER_INTERFACE_OWNERS_SNAT.includes(deviceOwner) && v6Stateless.length) {
    // On a port update the port may already hold its SLAAC addresses: add only missing ones.
    const held = new Set((await tx.selectFrom('ip_allocations').select('subnet_id').where('port_id', '=', portId).execute()).map((a) => a.subnet_id));
    for (const s of v6Stateless) {
      if (held.has(s.id)) continue;
      plan.push({ kind: 'specific', subnet: s, ip: { version: 6, value: eui64(s.parsed, mac) }, requested: false });
    }
  }

  // Requested addresses first, so an automatic pick cannot take one of them (Neutron's _ipam_allocate_ips).
  const ordered = [...plan.filter((p) => p.kind === 'specific' && p.requested), ...plan.filter((p) => !(p.kind === 'specific' && p.requested))];
  const kind = kindOf(tx);
  const out: FixedIp[] = [];
  for (const p of ordered) {
    if (p.kind === 'specific') {
      await takeSpecific(tx, kind, p.subnet, p.ip, portId);
      out.push({ subnet_id: p.subnet.id, ip_address: formatIpValue(p.ip.version, p.ip.value) });
      continue;
    }
    let got: FixedIp | null = null;
    for (const s of p.subnets) {
      got = await takeNext(tx, kind, s, portId);
      if (got) break;
    }
    if (!got) throw IpAddressGenerationFailure(networkId);
    out.push(got);
  }
  return out;
}

/** ipam_backend_mixin._get_subnet_for_fixed_ip, with Zed's messages (rows 79-81, 83). */
async function subnetForFixedIp(tx: Tx, networkId: string, fixed: FixedIpRequest, subnets: SubnetInfo[], owner: string): Promise<SubnetInfo> {
  if (!subnets.length) throw InvalidInput('IP allocation requires subnets for network');
  const ip = fixed.ip_address !== undefined ? parseIp(fixed.ip_address) : null;
  if (fixed.ip_address !== undefined && !ip) throw InvalidIpForNetwork(fixed.ip_address);
  if (fixed.subnet_id !== undefined) {
    const subnet = subnets.find((s) => s.id === fixed.subnet_id);
    if (!subnet) {
      const other = await tx.selectFrom('subnets').select('id').where('id', '=', fixed.subnet_id).executeTakeFirst();
      if (!other) throw SubnetNotFound(fixed.subnet_id);
      throw InvalidInput(`Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${fixed.subnet_id}`);
    }
    if (ip && !checkSubnetIp(subnet.parsed, ip, owner)) throw InvalidIpForSubnet(fixed.ip_address!);
    return subnet;
  }
  if (!ip) throw InvalidInput('IP allocation requires subnet_id or ip_address');
  for (const s of subnets) if (checkSubnetIp(s.parsed, ip, owner)) return s;
  throw InvalidIpForNetwork(fixed.ip_address!);
}

async function insertAllocation(tx: Tx, subnet: SubnetInfo, portId: string, ip: string): Promise<void> {
  await tx.insertInto('ip_allocations').values({ port_id: portId, subnet_id: subnet.id, network_id: subnet.network_id, ip_address: ip }).execute();
}

/** The next free address of the subnet (lowest free range), or null when the subnet has none. */
async function takeNext(tx: Tx, kind: DbKind, subnet: SubnetInfo, portId: string): Promise<FixedIp | null> {
  const version = subnet.ip_version as IpVersion;
  for (;;) {
    let q = tx.selectFrom('ip_free_ranges').select(['first_key', 'last_key'])
      .where('subnet_id', '=', subnet.id).orderBy('first_key').limit(1);
    if (kind !== 'sqlite') q = q.forUpdate();
    const range = await q.executeTakeFirst();
    if (!range) return null;
    const first = BigInt('0x' + range.first_key);
    const last = BigInt('0x' + range.last_key);
    if (first >= last) {
      await tx.deleteFrom('ip_free_ranges').where('subnet_id', '=', subnet.id).where('first_key', '=', range.first_key).execute();
    } else {
      await tx.updateTable('ip_free_ranges').set({ first_key: keyOfValue(first + 1n) })
        .where('subnet_id', '=', subnet.id).where('first_key', '=', range.first_key).execute();
    }
    const ip = formatIpValue(version, first);
    // A free range must never hold an allocated address; if one does (an older bug,
    // a manual edit), drop it from the free set and take the next one.
    const stale = await tx.selectFrom('ip_allocations').select('port_id')
      .where('subnet_id', '=', subnet.id).where('ip_address', '=', ip).executeTakeFirst();
    if (stale) continue;
    try {
      await insertAllocation(tx, subnet, portId, ip);
    } catch (e) {
      if (isUniqueViolation(e)) throw new RetryRequest(`address ${ip} taken concurrently`);
      throw e;
    }
    return { subnet_id: subnet.id, ip_address: ip };
  }
}

/** That address: removed from the free range holding it (if any), then recorded; outside the pools is allowed. */
async function takeSpecific(tx: Tx, kind: DbKind, subnet: SubnetInfo, ip: IpAddress, portId: string): Promise<void> {
  const text = formatIpValue(ip.version, ip.value);
  const k = keyOfValue(ip.value);
  let q = tx.selectFrom('ip_free_ranges').select(['first_key', 'last_key'])
    .where('subnet_id', '=', subnet.id).where('first_key', '<=', k).orderBy('first_key', 'desc').limit(1);
  if (kind !== 'sqlite') q = q.forUpdate();
  const range = await q.executeTakeFirst();
  const existing = await tx.selectFrom('ip_allocations').select('port_id')
    .where('subnet_id', '=', subnet.id).where('ip_address', '=', text).executeTakeFirst();
  if (existing) throw IpAddressAlreadyAllocated(text, subnet.id);
  if (range && range.last_key >= k) {
    const first = BigInt('0x' + range.first_key);
    const last = BigInt('0x' + range.last_key);
    if (first === last) {
      await tx.deleteFrom('ip_free_ranges').where('subnet_id', '=', subnet.id).where('first_key', '=', range.first_key).execute();
    } else if (ip.value === first) {
      await tx.updateTable('ip_free_ranges').set({ first_key: keyOfValue(first + 1n) })
        .where('subnet_id', '=', subnet.id).where('first_key', '=', range.first_key).execute();
    } else {
      await tx.updateTable('ip_free_ranges').set({ last_key: keyOfValue(ip.value - 1n) })
        .where('subnet_id', '=', subnet.id).where('first_key', '=', range.first_key).execute();
      if (ip.value < last) {
        await tx.insertInto('ip_free_ranges').values({ subnet_id: subnet.id, first_key: keyOfValue(ip.value + 1n), last_key: range.last_key }).execute();
      }
    }
  }
  try {
    await insertAllocation(tx, subnet, portId, text);
  } catch (e) {
    if (isUniqueViolation(e)) throw IpAddressAlreadyAllocated(text, subnet.id);
    throw e;
  }
}

/** Returns the port's addresses to their subnets' free ranges (only if still inside the subnet's current pools)
 *  and deletes the ip_allocations rows. `only`: just these addresses of the port. */
export async function releaseIps(tx: Tx, portId: string, only?: FixedIp[]): Promise<void> {
  let rows = await tx.selectFrom('ip_allocations as a').innerJoin('subnets as s', 's.id', 'a.subnet_id')
    .select(['a.subnet_id', 'a.ip_address', 's.ip_version']).where('a.port_id', '=', portId).execute();
  if (only) {
    const wanted = new Set(only.map((f) => `${f.subnet_id} ${normalize(f.ip_address)}`));
    rows = rows.filter((r) => wanted.has(`${r.subnet_id} ${r.ip_address}`));
  }
  if (!rows.length) return;
  const pools = await loadPools(tx, [...new Set(rows.map((r) => r.subnet_id))]);
  for (const r of rows) {
    await tx.deleteFrom('ip_allocations').where('subnet_id', '=', r.subnet_id).where('ip_address', '=', r.ip_address).execute();
    const ip = parseIp(r.ip_address);
    if (!ip) continue;
    if (!(pools.get(r.subnet_id) ?? []).some((p) => ip.value >= p.first && ip.value <= p.last)) continue;
    await freeAddress(tx, r.subnet_id, ip.value);
  }
}

const normalize = (ip: string): string => {
  const a = parseIp(ip);
  return a ? formatIpValue(a.version, a.value) : ip;
};

/** subnet id → its allocation pools as ranges. */
export async function loadPools(tx: Kysely<Database>, subnetIds: string[]): Promise<Map<string, Range[]>> {
  const out = new Map<string, Range[]>();
  if (!subnetIds.length) return out;
  const rows = await tx.selectFrom('subnet_pool_ranges').selectAll().where('subnet_id', 'in', subnetIds).execute();
  for (const p of rows) {
    const f = parseIp(p.first_ip), l = parseIp(p.last_ip);
    if (!f || !l) continue;
    const list = out.get(p.subnet_id) ?? [];
    list.push({ first: f.value, last: l.value });
    out.set(p.subnet_id, list);
  }
  return out;
}

/** Adds one address to the free set, merging with the adjacent ranges (both found through the primary key). */
async function freeAddress(tx: Tx, subnetId: string, v: bigint): Promise<void> {
  const k = keyOfValue(v);
  const prev = await tx.selectFrom('ip_free_ranges').select(['first_key', 'last_key'])
    .where('subnet_id', '=', subnetId).where('first_key', '<=', k).orderBy('first_key', 'desc').limit(1).executeTakeFirst();
  if (prev && prev.last_key >= k) return; // already free
  const nextKey = keyOfValue(v + 1n);
  const next = await tx.selectFrom('ip_free_ranges').select(['first_key', 'last_key'])
    .where('subnet_id', '=', subnetId).where('first_key', '=', nextKey).executeTakeFirst();
  const joinsPrev = prev !== undefined && v > 0n && prev.last_key === keyOfValue(v - 1n);
  if (joinsPrev && next) {
    await tx.deleteFrom('ip_free_ranges').where('subnet_id', '=', subnetId).where('first_key', '=', next.first_key).execute();
    await tx.updateTable('ip_free_ranges').set({ last_key: next.last_key }).where('subnet_id', '=', subnetId).where('first_key', '=', prev.first_key).execute();
  } else if (joinsPrev) {
    await tx.updateTable('ip_free_ranges').set({ last_key: k }).where('subnet_id', '=', subnetId).where('first_key', '=', prev.first_key).execute();
  } else if (next) {
    await tx.updateTable('ip_free_ranges').set({ first_key: k }).where('subnet_id', '=', subnetId).where('first_key', '=', next.first_key).execute();
  } else {
    await tx.insertInto('ip_free_ranges').values({ subnet_id: subnetId, first_key: k, last_key: k }).execute();
  }
}

/** Rebuilds a subnet's free ranges: pools minus its current allocations (subnet create and pool updates). */
export async function rebuildFreeRanges(tx: Tx, subnetId: string, pools: readonly Range[]): Promise<void> {
  await tx.deleteFrom('ip_free_ranges').where('subnet_id', '=', subnetId).execute();
  if (!pools.length) return;
  const allocated: bigint[] = [];
  for (const a of await tx.selectFrom('ip_allocations').select('ip_address').where('subnet_id', '=', subnetId).execute()) {
    const ip = parseIp(a.ip_address);
    if (ip) allocated.push(ip.value);
  }
  const free = subtract(pools, allocated);
  for (let i = 0; i < free.length; i += 200) {
    await tx.insertInto('ip_free_ranges')
      .values(free.slice(i, i + 200).map((r) => ({ subnet_id: subnetId, first_key: keyOfValue(r.first), last_key: keyOfValue(r.last) })))
      .execute();
  }
}

/** A new SLAAC / DHCPv6-stateless subnet gives every existing non-router port of the network its EUI-64 address
 *  (Neutron's _add_auto_addrs_on_network_ports). Returns the ids of the ports that got one. */
export async function addAutoAddressesOnNetworkPorts(tx: Tx, subnetId: string): Promise<string[]> {
  const row = await tx.selectFrom('subnets').select(['id', 'network_id', 'ip_version', 'cidr', 'ipv6_address_mode', 'ipv6_ra_mode'])
    .where('id', '=', subnetId).executeTakeFirst();
  if (!row || !isAutoAddressSubnet(row)) return [];
  const subnet: SubnetInfo = { ...row, parsed: parseCidr(row.cidr)! };
  const ports = await tx.selectFrom('ports').select(['id', 'mac_address'])
    .where('network_id', '=', row.network_id).where('device_owner', 'not in', ROUTER_INTERFACE_OWNERS_SNAT).execute();
  const kind = kindOf(tx);
  for (const p of ports) await takeSpecific(tx, kind, subnet, { version: 6, value: eui64(subnet.parsed, p.mac_address) }, p.id);
  return ports.map((p) => p.id);
}
