// Subnet pools (db_base_plugin_v2 *_subnetpool, subnet_alloc.SubnetPoolReader):
// prefixes merged and normalised, prefix length bounds, one default pool per IP
// version, address scope association rules, prefix add/remove, and "in use" while
// subnets were allocated from the pool.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { ListQuery } from '../db/list-query.ts';
import type { Item } from './item.ts';
import type { SubnetpoolsTable } from '../db/schema.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import {
  getAddressScopeRow, getDefaultSubnetpool, getPrefixes, getSubnetpoolRow, listSubnetpoolRows, loadSubnetpools, lockSubnetpoolRow,
  replacePrefixes, type SubnetpoolRecord,
} from '../db/repos/subnetpools.ts';
import { parseCidr, type Cidr } from '../domain/ip/cidr.ts';
import type { IpVersion } from '../domain/ip/address.ts';
import {
  compactPrefixes, formatCidrs, isSubset, rangesIntersect, readPrefixBounds, subtractRanges, toRanges, rangeToCidrs,
} from '../domain/ipam/prefix-allocation.ts';
import {
  AddressScopeNotFound, AddressScopePrefixConflict, EmptySubnetPoolPrefixList, HTTPBadRequest, IllegalSubnetPoolIpVersionAssociationToAddressScope,
  IllegalSubnetPoolPrefixUpdate, IllegalSubnetPoolUpdate, InvalidInput, NetworkAddressScopeAffinityError, PrefixVersionMismatch,
  SubnetPoolDeleteError, SubnetPoolNotFound,
} from '../errors/catalog.ts';
import { NeutronError } from '../errors/neutron-error.ts';
import { enforceOrHide } from './authorize.ts';
import { enforceQuotaForItems } from './quotas.ts';
import { checkRevision, insertTags, nowIso, recordChange } from '../db/standard-attrs.ts';
import { addressScopeTarget } from './address-scopes.ts';
import { asSeenBy } from '../db/repos/rbac.ts';
import { deleteEntriesOf, setWildcardShared } from './rbac.ts';

export function subnetpoolTarget(row: SubnetpoolsTable): Record<string, unknown> {
  return {
    id: row.id, project_id: row.project_id, tenant_id: row.project_id, shared: row.shared === 1, is_default: row.is_default === 1,
    address_scope_id: row.address_scope_id, ip_version: row.ip_version, name: row.name,
  };
}

const mayRead = (deps: Deps, ctx: RequestContext, row: SubnetpoolsTable) => deps.policy.check(ctx, 'get_subnetpool', subnetpoolTarget(row));

/** The pool row as the caller sees it: `shared` also when an RBAC entry shares it with the caller's project. */
export async function poolAsSeenBy(q: Tx | Deps['conn']['db'], ctx: RequestContext, row: SubnetpoolsTable): Promise<SubnetpoolsTable> {
  return (await asSeenBy(q, 'subnetpool', [row], ctx.projectId))[0];
}

/** A pool the caller may see (as it sees it), or SubnetPoolNotFound (others' private pools are hidden). */
export async function visibleSubnetpool(deps: Deps, q: Tx | Deps['conn']['db'], ctx: RequestContext, id: string): Promise<SubnetpoolsTable> {
  const raw = await getSubnetpoolRow(q, id);
  const row = raw && await poolAsSeenBy(q, ctx, raw);
  if (!row || !mayRead(deps, ctx, row)) throw SubnetPoolNotFound(id);
  return row;
}

export async function getSubnetpool(deps: Deps, ctx: RequestContext, id: string): Promise<SubnetpoolRecord> {
  const row = await visibleSubnetpool(deps, deps.conn.db, ctx, id);
  return (await loadSubnetpools(deps.conn.db, [row]))[0];
}

export async function listSubnetpools(deps: Deps, ctx: RequestContext, q: ListQuery): Promise<SubnetpoolRecord[]> {
  let marker: SubnetpoolsTable | null = null;
  if (q.marker) marker = await visibleSubnetpool(deps, deps.conn.db, ctx, q.marker);
  const rows = await listSubnetpoolRows(deps.conn.db, q, ctx.isAdmin ? undefined : ctx.projectId, marker);
  if (q.pageReverse) rows.reverse();
  return loadSubnetpools(deps.conn.db, await asSeenBy(deps.conn.db, 'subnetpool', rows, ctx.projectId));
}

/** _read_prefix_info: at least one prefix, one IP version, overlaps merged. */
function readPrefixes(texts: readonly string[]): { version: IpVersion; prefixes: Cidr[] } {
  if (!texts.length) throw EmptySubnetPoolPrefixList();
  const cidrs = texts.map((t) => parseCidr(t)!);
  const version = cidrs[0].version;
  if (cidrs.some((c) => c.version !== version)) throw PrefixVersionMismatch();
  return { version, prefixes: compactPrefixes(version, cidrs) };
}

async function checkNoOtherDefault(tx: Tx, version: number, exceptId?: string): Promise<void> {
  const current = await getDefaultSubnetpool(tx, version);
  if (current && current.id !== exceptId) {
    throw InvalidInput('A default subnetpool for this IP family has already been set. Only one default may exist per IP family');
  }
}

/** _validate_address_scope_id: visible scope, same IP version, network affinity, no prefix overlap inside the scope. */
async function validateAddressScope(deps: Deps, tx: Tx, ctx: RequestContext, scopeId: string | null, poolId: string, prefixes: Cidr[], version: IpVersion): Promise<void> {
  if (!scopeId) return;
  const raw = await getAddressScopeRow(tx, scopeId);
  const scope = raw && (await asSeenBy(tx, 'address_scope', [raw], ctx.projectId))[0];
  if (!scope || !deps.policy.check(ctx, 'get_address_scope', addressScopeTarget(scope))) throw AddressScopeNotFound(scopeId);
  if (scope.ip_version !== version) throw IllegalSubnetPoolIpVersionAssociationToAddressScope(poolId, scopeId, scope.ip_version);
  // Re-scoping the pool must not leave a network with subnets in two scopes.
  const split = await sql<{ id: string }>`
    select s2.id from subnets s2 where s2.ip_version = ${version}
      and s2.network_id in (select s.network_id from subnets s where s.subnetpool_id = ${poolId})
      and (s2.subnetpool_id is null or s2.subnetpool_id <> ${poolId}) limit 1`.execute(tx);
  if (split.rows.length) throw NetworkAddressScopeAffinityError();
  const mine = toRanges(prefixes);
  const others = await tx.selectFrom('subnetpool_prefixes as p').innerJoin('subnetpools as sp', 'sp.id', 'p.subnetpool_id')
    .select('p.cidr').where('sp.address_scope_id', '=', scopeId).where('sp.id', '!=', poolId).execute();
  if (rangesIntersect(mine, toRanges(others.map((o) => parseCidr(o.cidr)!)))) throw AddressScopePrefixConflict();
}

const opt = (v: unknown): number | undefined => (v === undefined ? undefined : (v as number));

export async function createSubnetpools(deps: Deps, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[]): Promise<SubnetpoolRecord[]> {
  for (const { item, explicit } of items) deps.policy.enforce(ctx, 'create_subnetpool', item, explicit);
  const ids = await inTransaction(deps.conn, async (tx) => {
    await enforceQuotaForItems(deps, tx, 'subnetpool', items.map((i) => i.item));
    const out: string[] = [];
    for (const { item } of items) out.push(await insertSubnetpool(deps, ctx, tx, item));
    return out;
  });
  const rows = await deps.conn.db.selectFrom('subnetpools').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return loadSubnetpools(deps.conn.db, ids.map((id) => byId.get(id)!));
}

async function insertSubnetpool(deps: Deps, ctx: RequestContext, tx: Tx, item: Item): Promise<string> {
  const id = randomUUID();
  const { version, prefixes } = readPrefixes(item.prefixes as string[]);
  const b = readPrefixBounds(version, { min: opt(item.min_prefixlen), max: opt(item.max_prefixlen), dflt: opt(item.default_prefixlen) });
  if (item.is_default) await checkNoOtherDefault(tx, version);
  const scopeId = (item.address_scope_id ?? null) as string | null;
  await validateAddressScope(deps, tx, ctx, scopeId, id, prefixes, version);
  const now = nowIso();
  await tx.insertInto('subnetpools').values({
    id, project_id: item.project_id as string, name: item.name as string, ip_version: version,
    default_prefixlen: b.dflt, min_prefixlen: b.min, max_prefixlen: b.max, shared: item.shared ? 1 : 0, is_default: item.is_default ? 1 : 0,
    default_quota: (item.default_quota ?? null) as number | null, address_scope_id: scopeId,
    description: (item.description as string) ?? '', revision_number: 0, created_at: now, updated_at: now,
  }).execute();
  await replacePrefixes(tx, id, formatCidrs(prefixes));
  if (item.shared) await setWildcardShared(tx, 'subnetpool', id, item.project_id as string, true);
  await insertTags(tx, id, (item.tags as string[]) ?? []);
  await recordChange(tx, 'subnetpool', id, 'create', 0);
  return id;
}

/** The pool, locked against concurrent allocations and prefix changes (MySQL/PostgreSQL). */
export async function lockedSubnetpool(deps: Deps, tx: Tx, id: string): Promise<SubnetpoolsTable | undefined> {
  return lockSubnetpoolRow(tx, id, deps.conn.kind !== 'sqlite');
}

async function bumpPool(tx: Tx, row: SubnetpoolsTable, set: Partial<SubnetpoolsTable>): Promise<void> {
  await tx.updateTable('subnetpools').set({ ...set, revision_number: row.revision_number + 1, updated_at: nowIso() }).where('id', '=', row.id).execute();
  await recordChange(tx, 'subnetpool', row.id, 'update', row.revision_number + 1);
}

/** A pool row + new values, checked as update_subnetpool does; returns the row as stored. */
async function applyUpdate(deps: Deps, ctx: RequestContext, tx: Tx, row: SubnetpoolsTable, changes: Item): Promise<void> {
  const current = (await getPrefixes(tx, row.id)).map((c) => parseCidr(c)!);
  let prefixes = current;
  if (changes.prefixes !== undefined) {
    const wanted = (changes.prefixes as string[]).map((t) => parseCidr(t)!);
    if (!isSubset(toRanges(current), toRanges(wanted))) throw IllegalSubnetPoolPrefixUpdate('Existing prefixes must be a subset of the new prefixes');
    prefixes = wanted;
  }
  const { version, prefixes: compacted } = readPrefixes(formatCidrs(prefixes));
  const b = readPrefixBounds(version, {
    min: opt(changes.min_prefixlen) ?? row.min_prefixlen, max: opt(changes.max_prefixlen) ?? row.max_prefixlen,
    dflt: opt(changes.default_prefixlen) ?? row.default_prefixlen,
  });
  const isDefault = changes.is_default === undefined ? row.is_default === 1 : changes.is_default === true;
  if (isDefault && row.is_default !== 1) await checkNoOtherDefault(tx, version, row.id);
  if (row.address_scope_id) {
    const scope = await getAddressScopeRow(tx, row.address_scope_id);
    if (scope && !ctx.isAdmin && scope.project_id !== ctx.projectId) {
      throw IllegalSubnetPoolUpdate(`subnetpool ${row.id} cannot be updated when associated with shared address scope ${row.address_scope_id}`);
    }
  }
  const scopeId = changes.address_scope_id === undefined ? row.address_scope_id : (changes.address_scope_id as string | null);
  await validateAddressScope(deps, tx, ctx, scopeId, row.id, compacted, version);

  const set: Partial<SubnetpoolsTable> = {
    name: changes.name === undefined ? row.name : (changes.name as string),
    description: changes.description === undefined ? row.description : (changes.description as string),
    default_prefixlen: b.dflt, min_prefixlen: b.min, max_prefixlen: b.max, is_default: isDefault ? 1 : 0,
    default_quota: changes.default_quota === undefined ? row.default_quota : (changes.default_quota as number | null),
    address_scope_id: scopeId,
  };
  const newPrefixes = formatCidrs(compacted);
  const prefixesChanged = newPrefixes.join(',') !== formatCidrs(compactPrefixes(version, current)).join(',');
  const rowChanged = Object.entries(set).some(([k, v]) => (row as unknown as Record<string, unknown>)[k] !== v);
  if (prefixesChanged) await replacePrefixes(tx, row.id, newPrefixes);
  if (rowChanged || prefixesChanged) await bumpPool(tx, row, set);
}

/** Zed's update answer carries the prefix lengths as integers (create/show/list: strings). */
export async function updateSubnetpool(deps: Deps, ctx: RequestContext, id: string, changes: Item, ifMatch: number | null): Promise<SubnetpoolRecord> {
  await inTransaction(deps.conn, async (tx) => {
    const locked = await lockedSubnetpool(deps, tx, id);
    if (!locked) throw SubnetPoolNotFound(id);
    const row = await poolAsSeenBy(tx, ctx, locked);
    enforceOrHide(deps.policy, ctx, 'update_subnetpool', { ...subnetpoolTarget(row), ...changes }, Object.keys(changes),
      () => mayRead(deps, ctx, row), () => SubnetPoolNotFound(id));
    checkRevision(ifMatch, row.revision_number);
    await applyUpdate(deps, ctx, tx, row, changes);
  });
  const rec = (await loadSubnetpools(deps.conn.db, [await poolAsSeenBy(deps.conn.db, ctx, (await getSubnetpoolRow(deps.conn.db, id))!)]))[0];
  return { ...rec, prefixlensAsNumbers: true };
}

export async function deleteSubnetpool(deps: Deps, ctx: RequestContext, id: string, ifMatch: number | null): Promise<void> {
  await inTransaction(deps.conn, async (tx) => {
    const locked = await lockedSubnetpool(deps, tx, id);
    if (!locked) throw SubnetPoolNotFound(id);
    const row = await poolAsSeenBy(tx, ctx, locked);
    enforceOrHide(deps.policy, ctx, 'delete_subnetpool', subnetpoolTarget(row), undefined,
      () => mayRead(deps, ctx, row), () => SubnetPoolNotFound(id));
    checkRevision(ifMatch, row.revision_number);
    const used = await tx.selectFrom('subnets').select('id').where('subnetpool_id', '=', id).limit(1).executeTakeFirst();
    if (used) throw SubnetPoolDeleteError('Subnet pool has existing allocations');
    // Prefixes go by ON DELETE CASCADE.
    await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
    await tx.deleteFrom('subnetpools').where('id', '=', id).execute();
    await deleteEntriesOf(tx, 'subnetpool', id);
    await recordChange(tx, 'subnetpool', id, 'delete', row.revision_number);
  });
}

// ---- subnetpool-prefix-ops: PUT /subnetpools/{id}/add_prefixes | remove_prefixes ----

/** get_operation_request_body: {"prefixes": [non-empty list]}; each must parse as a network. */
function prefixesOf(body: unknown): Cidr[] {
  const prefixes = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).prefixes : undefined;
  if (!Array.isArray(prefixes) || prefixes.length === 0) throw HTTPBadRequest('Request body contains invalid data');
  return prefixes.map((p) => {
    const c = typeof p === 'string' ? parseCidr(p) : null;
    if (!c) throw new NeutronError(400, 'AddrFormatError', `invalid IPNetwork ${String(p)}`);
    return c;
  });
}

async function prefixAction(deps: Deps, ctx: RequestContext, id: string, action: string, body: unknown,
  fn: (tx: Tx, row: SubnetpoolsTable, current: Cidr[], given: Cidr[]) => Promise<void>): Promise<{ prefixes: string[] }> {
  return inTransaction(deps.conn, async (tx) => {
    const locked = await lockedSubnetpool(deps, tx, id);
    const row = locked && await poolAsSeenBy(tx, ctx, locked);
    if (!row || !mayRead(deps, ctx, row)) throw SubnetPoolNotFound(id);
    deps.policy.enforce(ctx, action, subnetpoolTarget(row));
    const given = prefixesOf(body);
    await fn(tx, row, (await getPrefixes(tx, id)).map((c) => parseCidr(c)!), given);
    return { prefixes: await getPrefixes(tx, id) };
  });
}

export function addPrefixes(deps: Deps, ctx: RequestContext, id: string, body: unknown): Promise<{ prefixes: string[] }> {
  return prefixAction(deps, ctx, id, 'add_prefixes', body, async (tx, row, current, given) => {
    await applyUpdate(deps, ctx, tx, row, { prefixes: formatCidrs([...current, ...given]) });
  });
}

export function removePrefixes(deps: Deps, ctx: RequestContext, id: string, body: unknown): Promise<{ prefixes: string[] }> {
  return prefixAction(deps, ctx, id, 'remove_prefixes', body, async (tx, row, current, given) => {
    const all = toRanges(current);
    const removal = toRanges(given);
    if (!rangesIntersect(all, removal)) return; // nothing of it is in the pool: a no-op
    const allocated = await tx.selectFrom('subnets').select('cidr').where('subnetpool_id', '=', row.id).execute();
    if (rangesIntersect(toRanges(allocated.map((s) => parseCidr(s.cidr)!)), removal)) {
      throw IllegalSubnetPoolPrefixUpdate('One or more the prefixes to be removed is in use by a subnet.');
    }
    const left = subtractRanges(all, removal).flatMap((r) => rangeToCidrs(row.ip_version as IpVersion, r));
    // Neutron stores the remainder as is (no prefix-list checks), bumping the revision.
    await replacePrefixes(tx, row.id, formatCidrs(left));
    await bumpPool(tx, row, {});
  });
}
