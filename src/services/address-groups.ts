// Address groups: named sets of CIDRs that security group rules can name as their
// remote (remote_address_group_id); addresses change through add/remove actions.
import { randomUUID } from 'node:crypto';
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { ListQuery } from '../db/list-query.ts';
import type { Item } from './item.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import type { AddressGroupsTable } from '../db/schema.ts';
import { whereFilters, orderAndPage, type ColumnMap } from '../db/list-sql.ts';
import { AddressesAlreadyExist, AddressesNotFound, AddressGroupInUse, AddressGroupNotFound, HTTPBadRequest, InvalidAttribute } from '../errors/catalog.ts';
import { checkRevision, chunks, nowIso, recordChange } from '../db/standard-attrs.ts';
import { enforceOrHide } from './authorize.ts';
import { formatCidr, parseCidr } from '../domain/ip/cidr.ts';
import { ACCESS_SHARED, rbacGrants, sharedWith } from '../db/repos/rbac.ts';
import { deleteEntriesOf } from './rbac.ts';
import { pyStr } from '../domain/ip/py-compat.ts';

type Db = Deps['conn']['db'];

/** `shared`: Neutron's per-caller flag (an access_as_shared entry for the reader's project or '*'). */
export interface AddressGroupRecord { row: AddressGroupsTable; addresses: string[]; shared?: boolean }

const columns: ColumnMap = {
  id: { column: 'a.id', kind: 'string' },
  name: { column: 'a.name', kind: 'string' },
  description: { column: 'a.description', kind: 'string' },
  project_id: { column: 'a.project_id', kind: 'string' },
  revision_number: { column: 'a.revision_number', kind: 'int' },
  created_at: { column: 'a.created_at', kind: 'string' },
  updated_at: { column: 'a.updated_at', kind: 'string' },
};

const target = (row: AddressGroupsTable, shared = false) => ({ id: row.id, project_id: row.project_id, tenant_id: row.project_id, shared });
const owns = (ctx: RequestContext, row: AddressGroupsTable) => ctx.isAdmin || row.project_id === ctx.projectId;
const sharedTo = async (q: Tx | Db, id: string, ctx: RequestContext) => (await sharedWith(q, 'address_group', [id], ctx.projectId)).has(id);

/** Addresses as Neutron stores them: the CIDR's network, a bare address as /32 or /128. */
export function normalizeAddresses(v: unknown): string[] {
  if (!Array.isArray(v)) throw InvalidAttribute('addresses', `'${pyStr(v)}' is not a list`);
  const out: string[] = [];
  for (const a of v) {
    const c = typeof a === 'string' ? parseCidr(a) : null;
    if (!c) throw InvalidAttribute('addresses', `'${pyStr(a)}' is not a valid IP subnet`);
    const s = formatCidr(c);
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

async function visible(deps: Deps, q: Tx | Db, ctx: RequestContext, id: string): Promise<AddressGroupsTable> {
  const row = await q.selectFrom('address_groups').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw AddressGroupNotFound(id);
  const shared = await sharedTo(q, id, ctx);
  if (!(owns(ctx, row) || shared) || !deps.policy.check(ctx, 'get_address_group', target(row, shared))) throw AddressGroupNotFound(id);
  return row;
}

async function load(q: Db, rows: AddressGroupsTable[]): Promise<AddressGroupRecord[]> {
  const by = new Map<string, string[]>();
  for (const chunk of chunks(rows.map((r) => r.id))) {
    const addrs = await q.selectFrom('address_group_addresses').select(['address_group_id', 'address']).where('address_group_id', 'in', chunk).orderBy('address').execute();
    for (const a of addrs) (by.get(a.address_group_id) ?? by.set(a.address_group_id, []).get(a.address_group_id)!).push(a.address);
  }
  return rows.map((row) => ({ row, addresses: by.get(row.id) ?? [] }));
}

async function loadOne(deps: Deps, id: string): Promise<AddressGroupRecord> {
  const row = (await deps.conn.db.selectFrom('address_groups').selectAll().where('id', '=', id).executeTakeFirst())!;
  return (await load(deps.conn.db, [row]))[0];
}

/** Records with `shared` as the caller's project sees it. */
async function withShared(q: Db, recs: AddressGroupRecord[], ctx: RequestContext): Promise<AddressGroupRecord[]> {
  const shared = await sharedWith(q, 'address_group', recs.map((r) => r.row.id), ctx.projectId);
  return recs.map((r) => ({ ...r, shared: shared.has(r.row.id) }));
}

export async function getAddressGroup(deps: Deps, ctx: RequestContext, id: string): Promise<AddressGroupRecord> {
  return (await withShared(deps.conn.db, await load(deps.conn.db, [await visible(deps, deps.conn.db, ctx, id)]), ctx))[0];
}

export async function listAddressGroups(deps: Deps, ctx: RequestContext, q: ListQuery): Promise<AddressGroupRecord[]> {
  const db = deps.conn.db;
  const marker = q.marker ? await visible(deps, db, ctx, q.marker) : null;
  let qb = db.selectFrom('address_groups as a').selectAll('a');
  if (!ctx.isAdmin) {
    qb = qb.where((eb) => eb.or([eb('a.project_id', '=', ctx.projectId ?? ''), rbacGrants('address_group', 'a.id', ctx.projectId, ACCESS_SHARED)]));
  }
  qb = whereFilters(qb, q.filters, columns);
  const rows = await orderAndPage(qb, q, columns, 'a.id', marker as unknown as Record<string, unknown> | null).execute();
  if (q.pageReverse) rows.reverse();
  return withShared(db, await load(db, rows), ctx);
}

export async function createAddressGroups(deps: Deps, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[]): Promise<AddressGroupRecord[]> {
  for (const { item, explicit } of items) deps.policy.enforce(ctx, 'create_address_group', item, explicit);
  const ids = await inTransaction(deps.conn, async (tx) => {
    const out: string[] = [];
    for (const { item } of items) {
      const id = randomUUID();
      const now = nowIso();
      await tx.insertInto('address_groups').values({
        id, project_id: item.project_id as string, name: item.name as string, description: item.description as string,
        revision_number: 1, created_at: now, updated_at: now,
      }).execute();
      const addrs = normalizeAddresses(item.addresses);
      if (addrs.length) await tx.insertInto('address_group_addresses').values(addrs.map((address) => ({ address_group_id: id, address }))).execute();
      await recordChange(tx, 'address_group', id, 'create', 1);
      out.push(id);
    }
    return out;
  });
  const rows = await deps.conn.db.selectFrom('address_groups').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return load(deps.conn.db, ids.map((id) => byId.get(id)!));
}

/** Loads, authorises (404 for what the caller cannot see) and locks nothing else. */
async function writable(deps: Deps, tx: Tx, ctx: RequestContext, action: string, id: string, changes: Item = {}): Promise<AddressGroupsTable> {
  const row = await tx.selectFrom('address_groups').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw AddressGroupNotFound(id);
  const shared = await sharedTo(tx, id, ctx);
  if (!owns(ctx, row) && !shared) throw AddressGroupNotFound(id);
  enforceOrHide(deps.policy, ctx, action, { ...target(row, shared), ...changes }, Object.keys(changes),
    () => deps.policy.check(ctx, 'get_address_group', target(row, shared)), () => AddressGroupNotFound(id));
  return row;
}

async function bump(tx: Tx, row: AddressGroupsTable, set: Partial<AddressGroupsTable> = {}): Promise<void> {
  await tx.updateTable('address_groups').set({ ...set, revision_number: row.revision_number + 1, updated_at: nowIso() }).where('id', '=', row.id).execute();
  await recordChange(tx, 'address_group', row.id, 'update', row.revision_number + 1);
}

export async function updateAddressGroup(deps: Deps, ctx: RequestContext, id: string, changes: Item, ifMatch: number | null): Promise<AddressGroupRecord> {
  await inTransaction(deps.conn, async (tx) => {
    const row = await writable(deps, tx, ctx, 'update_address_group', id, changes);
    checkRevision(ifMatch, row.revision_number);
    const set: Partial<AddressGroupsTable> = {};
    if ('name' in changes) set.name = changes.name as string;
    if ('description' in changes) set.description = changes.description as string;
    if (Object.entries(set).some(([k, v]) => (row as unknown as Record<string, unknown>)[k] !== v)) await bump(tx, row, set);
  });
  return (await withShared(deps.conn.db, [await loadOne(deps, id)], ctx))[0];
}

export async function deleteAddressGroup(deps: Deps, ctx: RequestContext, id: string, ifMatch: number | null): Promise<void> {
  await inTransaction(deps.conn, async (tx) => {
    const row = await writable(deps, tx, ctx, 'delete_address_group', id);
    const used = await tx.selectFrom('security_group_rules').select('id').where('remote_address_group_id', '=', id).limit(1).executeTakeFirst();
    if (used) throw AddressGroupInUse(id);
    checkRevision(ifMatch, row.revision_number);
    await tx.deleteFrom('address_groups').where('id', '=', id).execute();
    await deleteEntriesOf(tx, 'address_group', id);
    await recordChange(tx, 'address_group', id, 'delete', row.revision_number);
  });
}

function addressesOf(body: unknown): string[] {
  const b = body as { addresses?: unknown } | null | undefined;
  if (!b || typeof b !== 'object' || !('addresses' in b)) throw HTTPBadRequest("Unrecognized action: missing 'addresses' in request body");
  return normalizeAddresses(b.addresses);
}

/** PUT /address-groups/{id}/add_addresses {"addresses": [...]}: every address must be new. */
export async function addAddresses(deps: Deps, ctx: RequestContext, id: string, body: unknown): Promise<{ address_group: AddressGroupRecord }> {
  const addrs = addressesOf(body);
  await inTransaction(deps.conn, async (tx) => {
    const row = await writable(deps, tx, ctx, 'add_addresses', id);
    const have = new Set((await tx.selectFrom('address_group_addresses').select('address').where('address_group_id', '=', id).execute()).map((a) => a.address));
    const dup = addrs.filter((a) => have.has(a));
    if (dup.length) throw AddressesAlreadyExist(id, dup);
    if (addrs.length) {
      await tx.insertInto('address_group_addresses').values(addrs.map((address) => ({ address_group_id: id, address }))).execute();
      await bump(tx, row);
    }
  });
  return { address_group: (await withShared(deps.conn.db, [await loadOne(deps, id)], ctx))[0] };
}

/** PUT /address-groups/{id}/remove_addresses {"addresses": [...]}: every address must be there. */
export async function removeAddresses(deps: Deps, ctx: RequestContext, id: string, body: unknown): Promise<{ address_group: AddressGroupRecord }> {
  const addrs = addressesOf(body);
  await inTransaction(deps.conn, async (tx) => {
    const row = await writable(deps, tx, ctx, 'remove_addresses', id);
    const have = new Set((await tx.selectFrom('address_group_addresses').select('address').where('address_group_id', '=', id).execute()).map((a) => a.address));
    const missing = addrs.filter((a) => !have.has(a));
    if (missing.length) throw AddressesNotFound(id, missing);
    if (addrs.length) {
      await tx.deleteFrom('address_group_addresses').where('address_group_id', '=', id).where('address', 'in', addrs).execute();
      await bump(tx, row);
    }
  });
  return { address_group: (await withShared(deps.conn.db, [await loadOne(deps, id)], ctx))[0] };
}
