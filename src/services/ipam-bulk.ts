// Bulk IP allocation: the next free addresses for many new ports without fixed_ips on one
// network, a few statements per slice of ports instead of a few per port (./ipam.ts holds
// single-port allocation with its fixed_ips rules, and the free-range bookkeeping).
import type { Tx } from '../db/transaction.ts';
import { isForeignKeyViolation, isUniqueViolation, RetryRequest } from '../db/transaction.ts';
import { kindOf, type DbKind } from '../db/kind.ts';
import { formatIpValue, keyOfValue, type IpVersion } from '../domain/ip/address.ts';
import { IpAddressGenerationFailure } from '../errors/catalog.ts';
import { insertRows, insertRowsQuery } from '../db/insert-rows.ts';
import { compiledOnce } from '../db/compiled-once.ts';
import { sendLater } from '../db/send-later.ts';
import { sql } from 'kysely';
import type { RangeAttempt } from './create-memory.ts';
import { isAutoAddressSubnet, networkSubnets, type FixedIp, type SubnetCache, type SubnetInfo } from './ipam-subnets.ts';

/**
 * allocateIps for many new ports without fixed_ips on one network, in a few statements: each
 * gets what allocateIps would give it, in order (the next free address of the first IPv4
 * subnet that has one, then of the first DHCPv6-stateful one). null when the network has
 * SLAAC subnets (per-port EUI-64 addresses): use allocateIps. `firstTry`: the request's first
 * attempt, which may record a single address without looking (see takeNextMany).
 */
export async function allocateIpsMany(
  tx: Tx, networkId: string, portIds: readonly string[], cache?: SubnetCache, firstTry = false, ranges?: RangeAttempt,
): Promise<FixedIp[][] | null> {
  let subnets = cache?.get(networkId);
  if (!subnets) {
    subnets = await networkSubnets(tx, networkId);
    cache?.set(networkId, subnets);
  }
  if (subnets.some((s) => isAutoAddressSubnet(s))) return null;
  const out: FixedIp[][] = portIds.map(() => []);
  const kind = kindOf(tx);
  for (const group of [subnets.filter((s) => s.ip_version === 4), subnets.filter((s) => s.ip_version === 6)]) {
    if (!group.length) continue;
    let next = 0; // ports before this one have their address from this group
    for (const s of group) {
      if (next === portIds.length) break;
      const ips = await takeNextMany(tx, kind, s, portIds.slice(next), firstTry, ranges);
      for (const ip of ips) out[next++].push({ subnet_id: s.id, ip_address: ip });
    }
    if (next < portIds.length) throw IpAddressGenerationFailure(networkId);
  }
  return out;
}

// The lowest free ranges (locked where rows lock), and a range's new start: built once (../db/compiled-once.ts).
const lowestRanges = compiledOnce((q, subnetId: string, want: number) => {
  const sel = q.selectFrom('ip_free_ranges').select(['first_key', 'last_key']).where('subnet_id', '=', subnetId).orderBy('first_key').limit(want);
  return kindOf(q) === 'sqlite' ? sel : sel.forUpdate();
});
const moveRangeStart = compiledOnce((q, subnetId: string, from: string, to: string) =>
  q.updateTable('ip_free_ranges').set({ first_key: to }).where('subnet_id', '=', subnetId).where('first_key', '=', from));
// A remembered lowest range (../services/create-memory.ts), used without reading it: the
// rewrite matches nothing unless the range is still (from, last), and marks the session when
// it matched (@muon_moved, set to the new port's id: no reset needed). The address (`from`)
// is recorded only when it did and no free range starts at or below it any more (a freed
// address, a split, pools rewritten); else the address is NULL, which the column refuses: the
// transaction stops there and the request runs again, reading. (Not row_count(): a SET
// between the statements, as the driver's compound commit has, resets it.)
const moveRememberedStart = compiledOnce((q, subnetId: string, from: string, last: string, to: string, portId: string) => q.updateTable('ip_free_ranges')
  .set({ first_key: sql<string>`if((@muon_moved := ${portId}) is not null, ${to}, null)` })
  .where('subnet_id', '=', subnetId).where('first_key', '=', from).where('last_key', '=', last));
const insertIfMoved = compiledOnce((q, portId: string, subnetId: string, networkId: string, ip: string, movedFor: string, rangeSubnet: string, from: string) =>
  q.insertInto('ip_allocations').values({
    port_id: portId, subnet_id: subnetId, network_id: networkId,
    ip_address: sql<string>`if(@muon_moved <=> ${movedFor} and not exists (select 1 from ip_free_ranges where subnet_id = ${rangeSubnet} and first_key <= ${from}), ${ip}, null)`,
  }));
const isNullViolation = (e: unknown): boolean => (e as { errno?: number })?.errno === 1048; // MariaDB ER_BAD_NULL_ERROR

/** takeNext for several ports at once: the lowest free addresses of the subnet, given in order
 *  (fewer when the subnet runs out); the free ranges are read and rewritten once per pass. */
async function takeNextMany(tx: Tx, kind: DbKind, subnet: SubnetInfo, portIds: readonly string[], firstTry: boolean, hints?: RangeAttempt): Promise<string[]> {
  const version = subnet.ip_version as IpVersion;
  const hint = portIds.length === 1 && firstTry && kind === 'mysql' ? hints?.take(subnet.id) : undefined;
  // (a range's last address is taken the reading way: the range's row goes)
  if (hint && hint.first !== hint.last) {
    // One address where this process last saw the lowest free range start: no read, the
    // range's rewrite and the address go with the transaction's next round trip, and match
    // or record nothing when the range moved meanwhile (another process, a freed address).
    const first = BigInt('0x' + hint.first);
    const ip = formatIpValue(version, first);
    await sendLater(tx, moveRememberedStart(tx, subnet.id, hint.first, hint.last, keyOfValue(first + 1n), portIds[0]));
    await sendLater(tx, insertIfMoved(tx, portIds[0], subnet.id, subnet.network_id, ip, portIds[0], subnet.id, hint.first),
      (e) => {
        if (!isNullViolation(e) && !isUniqueViolation(e) && !isForeignKeyViolation(e)) return e;
        hints!.stale(subnet.id);
        return new RetryRequest(`the free range remembered for ${subnet.id} moved`);
      });
    hints!.propose(subnet.id, { first: keyOfValue(first + 1n), last: hint.last });
    return [ip];
  }
  const taken: string[] = [];
  while (taken.length < portIds.length) {
    const want = portIds.length - taken.length;
    const { rows: ranges } = await tx.executeQuery<{ first_key: string; last_key: string }>(lowestRanges(tx, subnet.id, want));
    if (!ranges.length) break;
    const candidates: string[] = [];
    const emptied: string[] = [];
    let shrunk: { from: string; to: string; last: string } | null = null;
    for (const r of ranges) {
      const first = BigInt('0x' + r.first_key);
      const last = BigInt('0x' + r.last_key);
      const n = Number(last - first + 1n < BigInt(want - candidates.length) ? last - first + 1n : BigInt(want - candidates.length));
      for (let i = 0; i < n; i++) candidates.push(formatIpValue(version, first + BigInt(i)));
      if (first + BigInt(n) > last) emptied.push(r.first_key);
      else shrunk = { from: r.first_key, to: keyOfValue(first + BigInt(n)), last: r.last_key };
      if (candidates.length === want) break;
    }
    // the range rows are locked (FOR UPDATE): their rewrite goes with the next statement on MariaDB
    for (let i = 0; i < emptied.length; i += 500) {
      await sendLater(tx, tx.deleteFrom('ip_free_ranges').where('subnet_id', '=', subnet.id).where('first_key', 'in', emptied.slice(i, i + 500)));
    }
    if (shrunk) {
      await sendLater(tx, moveRangeStart(tx, subnet.id, shrunk.from, shrunk.to));
    }
    // where the lowest free range starts after this (a single port's create: the next one may skip the read)
    if (want === 1) hints?.propose(subnet.id, shrunk && emptied.length === 0 ? { first: shrunk.to, last: shrunk.last } : null);
    if (candidates.length === 1 && want === 1) {
      const portId = portIds[taken.length];
      if (firstTry) {
        // One address on a request's first attempt (every single port create): a plain insert
        // whose answer nobody waits for; on MariaDB it goes with the rest of the transaction's
        // writes and its commit, which does not run if the insert fails. It fails only when the
        // free range was stale (the address allocated) or the subnet is gone: the request runs
        // again, and its next attempt takes the checked way below.
        await sendLater(tx, insertRowsQuery(tx, 'ip_allocations', [{ port_id: portId, subnet_id: subnet.id, network_id: subnet.network_id, ip_address: candidates[0] }])!,
          (e) => (isUniqueViolation(e) || isForeignKeyViolation(e) ? new RetryRequest(`address ${candidates[0]} of ${subnet.id} could not be recorded`) : e));
        taken.push(candidates[0]);
        continue;
      }
      // inserted unless allocated, which saves the look-up below; an address found allocated
      // is stale, already dropped from the free range.
      if (await insertUnlessAllocated(tx, kind, subnet, portId, candidates[0])) taken.push(candidates[0]);
      continue;
    }
    // A free range must never hold an allocated address; those that do are dropped (as takeNext).
    const stale = new Set<string>();
    for (let i = 0; i < candidates.length; i += 500) {
      const rows = await tx.selectFrom('ip_allocations').select('ip_address')
        .where('subnet_id', '=', subnet.id).where('ip_address', 'in', candidates.slice(i, i + 500)).execute();
      for (const r of rows) stale.add(r.ip_address);
    }
    const fresh = candidates.filter((ip) => !stale.has(ip));
    const rows = fresh.map((ip, i) => ({ port_id: portIds[taken.length + i], subnet_id: subnet.id, network_id: subnet.network_id, ip_address: ip }));
    try {
      for (let i = 0; i < rows.length; i += 500) await insertRows(tx, 'ip_allocations', rows.slice(i, i + 500));
    } catch (e) {
      if (isUniqueViolation(e)) throw new RetryRequest(`an address of ${subnet.id} taken concurrently`);
      throw e;
    }
    taken.push(...fresh);
  }
  return taken;
}

/**
 * Records the allocation unless the address is already allocated (then false: a stale free
 * range, or a concurrent request that took it). Only the (subnet_id, ip_address) key may
 * keep the row out: MySQL's INSERT IGNORE would also swallow a foreign key failure (the
 * subnet deleted meanwhile), so a missing row that nothing holds retries the request.
 */
async function insertUnlessAllocated(tx: Tx, kind: DbKind, subnet: SubnetInfo, portId: string, ip: string): Promise<boolean> {
  const row = { port_id: portId, subnet_id: subnet.id, network_id: subnet.network_id, ip_address: ip };
  const insert = tx.insertInto('ip_allocations').values(row);
  const r = kind === 'mysql'
    ? await insert.ignore().executeTakeFirst()
    : await insert.onConflict((oc) => oc.columns(['subnet_id', 'ip_address']).doNothing()).executeTakeFirst();
  if (Number(r.numInsertedOrUpdatedRows ?? 0n) > 0) return true;
  const holder = await tx.selectFrom('ip_allocations').select('port_id').where('subnet_id', '=', subnet.id).where('ip_address', '=', ip).executeTakeFirst();
  if (!holder) throw new RetryRequest(`address ${ip} of ${subnet.id} could not be recorded`);
  return false;
}
