// Subnets from pools (db_base_plugin_v2._get_subnetpool_id, ipam_pluggable_backend
// .allocate_subnet, subnet_alloc.SubnetAllocator): which pool, then a free prefix
// of the requested length, or the requested CIDR if it is still free in the pool.
// Race-safe: the pool row is locked FOR UPDATE (MySQL/PostgreSQL; SQLite runs one
// writer at a time), the allocated set is read with a locking read (fresh even under
// InnoDB's REPEATABLE READ), and the result is re-checked after the insert.
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { Item } from './item.ts';
import { RetryRequest, type Tx } from '../db/transaction.ts';
import { getDefaultSubnetpool, getPrefixes } from '../db/repos/subnetpools.ts';
import { formatCidr, overlaps, parseCidr, type Cidr } from '../domain/ip/cidr.ts';
import type { IpVersion } from '../domain/ip/address.ts';
import { allocateAny, availablePrefixes, checkRequestedPrefixlen, isAvailable, quotaUnits } from '../domain/ipam/prefix-allocation.ts';
import {
  BadRequest, NetworkAddressScopeAffinityError, NetworkSubnetPoolAffinityError, SubnetAllocationError, SubnetPoolNotFound,
  SubnetPoolQuotaExceeded,
} from '../errors/catalog.ts';
import { lockedSubnetpool, poolAsSeenBy, subnetpoolTarget } from './subnetpools.ts';

/** _get_subnetpool_id: subnetpool_id, or the default pool of the version with use_default_subnetpool. */
export async function resolveSubnetpoolId(tx: Tx, item: Item): Promise<string | null> {
  const useDefault = item.use_default_subnetpool === true;
  const poolId = (item.subnetpool_id ?? null) as string | null;
  if (useDefault && poolId) throw BadRequest('subnets', 'subnetpool_id and use_default_subnetpool cannot both be specified');
  if (poolId) return poolId;
  if (!useDefault) return null;
  const version = item.cidr != null ? parseCidr(item.cidr as string)!.version : (item.ip_version as number);
  const pool = await getDefaultSubnetpool(tx, version);
  if (pool) return pool.id;
  throw BadRequest('subnets', `No default subnetpool found for IPv${version}`);
}

export interface PoolRequest {
  poolId: string;
  projectId: string;
  ipVersion: number;
  /** A specific CIDR, or null for "any prefix of prefixlen". */
  cidr: Cidr | null;
  prefixlen: number | null;
}

/** Allocates a prefix from the pool inside the caller's transaction; the pool stays locked until commit. */
export async function allocateFromPool(deps: Deps, tx: Tx, ctx: RequestContext, req: PoolRequest): Promise<Cidr> {
  const pool = await lockedSubnetpool(deps, tx, req.poolId);
  if (!pool || !deps.policy.check(ctx, 'get_subnetpool', subnetpoolTarget(await poolAsSeenBy(tx, ctx, pool)))) throw SubnetPoolNotFound(req.poolId);
  if (req.ipVersion !== pool.ip_version) {
    throw BadRequest('subnets', `Cannot allocate IPv${req.ipVersion} subnet from IPv${pool.ip_version} subnet pool`);
  }
  const version = pool.ip_version as IpVersion;
  const prefixlen = req.cidr ? req.cidr.prefixlen : req.prefixlen ?? pool.default_prefixlen;
  checkRequestedPrefixlen(prefixlen, { min: pool.min_prefixlen, max: pool.max_prefixlen });

  let q = tx.selectFrom('subnets').select(['cidr', 'project_id']).where('subnetpool_id', '=', pool.id);
  if (deps.conn.kind !== 'sqlite') q = q.forUpdate();
  const allocated = (await q.execute()).map((s) => ({ cidr: parseCidr(s.cidr)!, project: s.project_id }));

  if (pool.default_quota !== null && pool.default_quota !== 0) {
    const used = allocated.filter((a) => a.project === req.projectId).reduce((n, a) => n + quotaUnits(version, a.cidr.prefixlen), 0);
    if (used + quotaUnits(version, prefixlen) > pool.default_quota) throw SubnetPoolQuotaExceeded();
  }
  const prefixes = (await getPrefixes(tx, pool.id)).map((c) => parseCidr(c)!);
  const available = availablePrefixes(version, prefixes, allocated.map((a) => a.cidr));
  if (req.cidr) {
    if (!isAvailable(available, req.cidr)) throw SubnetAllocationError('Cannot allocate requested subnet from the available set of prefixes');
    return req.cidr;
  }
  const got = allocateAny(available, prefixlen);
  if (!got) throw SubnetAllocationError(`Insufficient prefix space to allocate subnet size /${prefixlen}`);
  return got;
}

/** After the insert: the pool's subnets still do not overlap (a lost race is retried). */
export async function recheckPoolAllocation(tx: Tx, poolId: string, subnetId: string, cidr: Cidr): Promise<void> {
  const others = await tx.selectFrom('subnets').select('cidr').where('subnetpool_id', '=', poolId).where('id', '!=', subnetId).execute();
  for (const o of others) {
    if (overlaps(parseCidr(o.cidr)!, cidr)) throw new RetryRequest(`prefix ${formatCidr(cidr)} of pool ${poolId} taken concurrently`);
  }
}

/**
 * _validate_network_subnetpools: the subnets of one IP version on a network come from
 * one pool, or (with address scopes) from pools of one scope.
 */
export async function checkNetworkSubnetpools(tx: Tx, networkId: string, ipVersion: number, poolId: string | null): Promise<void> {
  const existing = await tx.selectFrom('subnets as s').leftJoin('subnetpools as sp', 'sp.id', 's.subnetpool_id')
    .select(['s.subnetpool_id', 'sp.address_scope_id']).where('s.network_id', '=', networkId).where('s.ip_version', '=', ipVersion).execute();
  const networkScope = existing.find((s) => s.address_scope_id)?.address_scope_id ?? null;
  let newScope: string | null = null;
  if (poolId) {
    const pool = await tx.selectFrom('subnetpools').select('address_scope_id').where('id', '=', poolId).executeTakeFirst();
    newScope = pool?.address_scope_id ?? null;
    if (networkScope && newScope !== networkScope) throw NetworkAddressScopeAffinityError();
  }
  for (const s of existing) {
    if (poolId ? s.subnetpool_id !== poolId && !networkScope : s.subnetpool_id) throw NetworkSubnetPoolAffinityError();
  }
}
