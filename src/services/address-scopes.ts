// Address scopes (neutron/db/address_scope_db.py): name, ip_version, shared
// (admin only, never unshared); in use while a subnet pool belongs to one.
import { randomUUID } from 'node:crypto';
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { ListQuery } from '../db/list-query.ts';
import type { Item } from './item.ts';
import type { AddressScopesTable } from '../db/schema.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { getAddressScopeRow, listAddressScopeRows } from '../db/repos/subnetpools.ts';
import { AddressScopeInUse, AddressScopeNotFound, AddressScopeUpdateError } from '../errors/catalog.ts';
import { enforceOrHide } from './authorize.ts';
import { recordChange } from '../db/standard-attrs.ts';
import { asSeenBy } from '../db/repos/rbac.ts';
import { deleteEntriesOf, setWildcardShared } from './rbac.ts';

export function addressScopeTarget(row: AddressScopesTable): Record<string, unknown> {
  return { id: row.id, project_id: row.project_id, tenant_id: row.project_id, shared: row.shared === 1, ip_version: row.ip_version, name: row.name };
}

const mayRead = (deps: Deps, ctx: RequestContext, row: AddressScopesTable) => deps.policy.check(ctx, 'get_address_scope', addressScopeTarget(row));

/** The scope as the caller sees it: `shared` also when an RBAC entry shares it with the caller's project. */
const seen = async (q: Tx | Deps['conn']['db'], ctx: RequestContext, row: AddressScopesTable) => (await asSeenBy(q, 'address_scope', [row], ctx.projectId))[0];

/** An address scope the caller may see (as it sees it), or AddressScopeNotFound. */
export async function visibleAddressScope(deps: Deps, q: Tx | Deps['conn']['db'], ctx: RequestContext, id: string): Promise<AddressScopesTable> {
  const raw = await getAddressScopeRow(q, id);
  const row = raw && await seen(q, ctx, raw);
  if (!row || !mayRead(deps, ctx, row)) throw AddressScopeNotFound(id);
  return row;
}

export async function getAddressScope(deps: Deps, ctx: RequestContext, id: string): Promise<AddressScopesTable> {
  return visibleAddressScope(deps, deps.conn.db, ctx, id);
}

export async function listAddressScopes(deps: Deps, ctx: RequestContext, q: ListQuery): Promise<AddressScopesTable[]> {
  let marker: AddressScopesTable | null = null;
  if (q.marker) marker = await visibleAddressScope(deps, deps.conn.db, ctx, q.marker);
  const rows = await listAddressScopeRows(deps.conn.db, q, ctx.isAdmin ? undefined : ctx.projectId, marker);
  if (q.pageReverse) rows.reverse();
  return asSeenBy(deps.conn.db, 'address_scope', rows, ctx.projectId);
}

export async function createAddressScopes(deps: Deps, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[]): Promise<AddressScopesTable[]> {
  for (const { item, explicit } of items) deps.policy.enforce(ctx, 'create_address_scope', item, explicit);
  const rows = items.map(({ item }): AddressScopesTable => ({
    id: randomUUID(), project_id: item.project_id as string, name: item.name as string, shared: item.shared ? 1 : 0, ip_version: item.ip_version as number,
  }));
  await inTransaction(deps.conn, async (tx) => {
    await tx.insertInto('address_scopes').values(rows).execute();
    for (const r of rows) {
      if (r.shared === 1) await setWildcardShared(tx, 'address_scope', r.id, r.project_id, true);
      await recordChange(tx, 'address_scope', r.id, 'create');
    }
  });
  return rows;
}

export async function updateAddressScope(deps: Deps, ctx: RequestContext, id: string, changes: Item): Promise<AddressScopesTable> {
  return inTransaction(deps.conn, async (tx) => {
    const raw = await getAddressScopeRow(tx, id);
    if (!raw) throw AddressScopeNotFound(id);
    const row = await seen(tx, ctx, raw);
    enforceOrHide(deps.policy, ctx, 'update_address_scope', { ...addressScopeTarget(row), ...changes }, Object.keys(changes),
      () => mayRead(deps, ctx, row), () => AddressScopeNotFound(id));
    if (raw.shared === 1 && changes.shared === false) throw AddressScopeUpdateError(id, "Shared address scope can't be unshared");
    const set: Partial<AddressScopesTable> = {};
    if ('name' in changes) set.name = changes.name as string;
    if ('shared' in changes) set.shared = changes.shared ? 1 : 0;
    if (Object.entries(set).some(([k, v]) => (raw as unknown as Record<string, unknown>)[k] !== v)) {
      const { shared, ...rest } = set;
      if (Object.keys(rest).length) await tx.updateTable('address_scopes').set(rest).where('id', '=', id).execute();
      // shared=True is the wildcard access_as_shared entry (the column follows it).
      if (shared !== undefined && shared !== raw.shared) await setWildcardShared(tx, 'address_scope', id, raw.project_id, shared === 1);
      await recordChange(tx, 'address_scope', id, 'update');
    }
    return seen(tx, ctx, { ...raw, ...set });
  });
}

export async function deleteAddressScope(deps: Deps, ctx: RequestContext, id: string): Promise<void> {
  await inTransaction(deps.conn, async (tx) => {
    const raw = await getAddressScopeRow(tx, id);
    if (!raw) throw AddressScopeNotFound(id);
    const row = await seen(tx, ctx, raw);
    enforceOrHide(deps.policy, ctx, 'delete_address_scope', addressScopeTarget(row), undefined,
      () => mayRead(deps, ctx, row), () => AddressScopeNotFound(id));
    const used = await tx.selectFrom('subnetpools').select('id').where('address_scope_id', '=', id).limit(1).executeTakeFirst();
    if (used) throw AddressScopeInUse(id);
    await tx.deleteFrom('address_scopes').where('id', '=', id).execute();
    await deleteEntriesOf(tx, 'address_scope', id);
    await recordChange(tx, 'address_scope', id, 'delete');
  });
}
