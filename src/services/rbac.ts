// RBAC policies (Neutron's rbac_db_mixin plus the per-type BEFORE_* callbacks):
// who may share what with whom, and refusing to withdraw access that other
// projects' resources still depend on. Every entry change bumps the object's
// revision; wildcard access_as_shared entries also set the object's `shared` column
// (kept as a fast flag in the same transaction; the entries stay the source of truth).
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { ListQuery } from '../db/list-query.ts';
import type { Item } from './item.ts';
import type { RbacPoliciesTable } from '../db/schema.ts';
import { inTransaction, isUniqueViolation, type Tx } from '../db/transaction.ts';
import { ACCESS_EXTERNAL, ACCESS_SHARED, getRbacRow, listRbacRows } from '../db/repos/rbac.ts';
import { isDefaultExternal } from './default-external-network.ts';
import { getVisibleNetworkRow } from '../db/repos/networks.ts';
import {
  AddressGroupNotFound, AddressScopeNotFound, DuplicateRbacPolicy, InvalidActionForType, InvalidInput, InvalidSharedSetting,
  NetworkNotFound, RbacPolicyInUse, RbacPolicyNotFound, SecurityGroupNotFound, SubnetPoolNotFound,
} from '../errors/catalog.ts';
import type { NeutronError } from '../errors/neutron-error.ts';
import { enforceQuotaForItems } from './quotas.ts';
import { nowIso, recordChange } from '../db/standard-attrs.ts';
import { own } from '../domain/own.ts';

type ObjectTable = 'networks' | 'security_groups' | 'address_scopes' | 'subnetpools' | 'address_groups';

interface ObjectKind {
  table: ObjectTable;
  actions: readonly string[];
  notFound: (id: string) => NeutronError;
  /** Has standard attributes (revision_number); address scopes have none. */
  revised: boolean;
  /** Keeps a `shared` column mirroring the wildcard access_as_shared entry. */
  sharedColumn: boolean;
  /** Projects whose resources use the object (Neutron's get_bound_project_ids). */
  bound?: (tx: Tx, id: string) => Promise<string[]>;
}

const distinct = async (rows: Promise<{ project_id: string }[]>) => [...new Set((await rows).map((r) => r.project_id))];

/** Object types and their valid actions, as Zed registers them (network with external-net). */
export const RBAC_OBJECT_KINDS: Record<string, ObjectKind> = {
  network: { table: 'networks', actions: [ACCESS_SHARED, ACCESS_EXTERNAL], notFound: NetworkNotFound, revised: true, sharedColumn: true },
  security_group: {
    table: 'security_groups', actions: [ACCESS_SHARED], notFound: SecurityGroupNotFound, revised: true, sharedColumn: false,
    bound: (tx, id) => distinct(tx.selectFrom('port_security_groups as b').innerJoin('ports as p', 'p.id', 'b.port_id')
      .select('p.project_id').where('b.security_group_id', '=', id).execute()),
  },
  address_scope: {
    table: 'address_scopes', actions: [ACCESS_SHARED], notFound: AddressScopeNotFound, revised: false, sharedColumn: true,
    bound: (tx, id) => distinct(tx.selectFrom('subnetpools').select('project_id').where('address_scope_id', '=', id).execute()),
  },
  subnetpool: {
    table: 'subnetpools', actions: [ACCESS_SHARED], notFound: SubnetPoolNotFound, revised: true, sharedColumn: true,
    bound: (tx, id) => distinct(tx.selectFrom('subnets').select('project_id').where('subnetpool_id', '=', id).execute()),
  },
  address_group: {
    table: 'address_groups', actions: [ACCESS_SHARED], notFound: AddressGroupNotFound, revised: true, sharedColumn: false,
    bound: (tx, id) => distinct(tx.selectFrom('security_group_rules').select('project_id').where('remote_address_group_id', '=', id).execute()),
  },
};

export interface RbacRecord { row: RbacPoliciesTable }

const NETWORK_SHARED_CALLBACK = 'neutron.db.db_base_plugin_v2.NeutronDbPluginV2.validate_network_rbac_policy_change';
const NETWORK_EXTERNAL_CALLBACK = 'neutron.db.external_net_db.External_net_db_mixin._process_ext_policy_create';

/**
 * Neutron validates a new entry in BEFORE_CREATE callbacks and turns whatever they raise
 * into InvalidInput naming the callback (so an invisible network is a 400, not a 404).
 * Zed appends a per-process number to the callback id; Muon leaves it out.
 */
function callbackFailure(callback: string, inner: NeutronError): NeutronError {
  return InvalidInput(`Callback ${callback} failed with "${inner.message}"`);
}

export function rbacTarget(row: RbacPoliciesTable): Record<string, unknown> {
  return {
    id: row.id, project_id: row.project_id, tenant_id: row.project_id, object_type: row.object_type,
    object_id: row.object_id, action: row.action, target_tenant: row.target_project,
  };
}

// ---------------------------------------------------------------------------
// reads

/** Entries are visible to their owner (Neutron's project query filter) and admins. */
async function visibleEntry(deps: Deps, q: Tx | Deps['conn']['db'], ctx: RequestContext, id: string): Promise<RbacPoliciesTable> {
  const row = await getRbacRow(q, id);
  const own = row && (ctx.isAdmin || row.project_id === ctx.projectId);
  if (!row || !own || !deps.policy.check(ctx, 'get_rbac_policy', rbacTarget(row))) throw RbacPolicyNotFound(id, 'unknown');
  return row;
}

export async function getRbacPolicy(deps: Deps, ctx: RequestContext, id: string): Promise<RbacRecord> {
  return { row: await visibleEntry(deps, deps.conn.db, ctx, id) };
}

export async function listRbacPolicies(deps: Deps, ctx: RequestContext, q: ListQuery): Promise<RbacRecord[]> {
  const db = deps.conn.db;
  const marker = q.marker ? await visibleEntry(deps, db, ctx, q.marker) : null;
  const rows = await listRbacRows(db, q, ctx.isAdmin ? undefined : ctx.projectId, marker);
  if (q.pageReverse) rows.reverse();
  return rows.map((row) => ({ row }));
}

// ---------------------------------------------------------------------------
// writes

export async function createRbacPolicies(deps: Deps, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[]): Promise<RbacRecord[]> {
  for (const { item, explicit } of items) deps.policy.enforce(ctx, 'create_rbac_policy', item, explicit);
  const ids = await inTransaction(deps.conn, async (tx) => {
    await enforceQuotaForItems(deps, tx, 'rbac_policy', items.map((i) => i.item));
    const out: string[] = [];
    for (const { item } of items) out.push(await insertEntry(deps, ctx, tx, item));
    return out;
  });
  const rows = await deps.conn.db.selectFrom('rbac_policies').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => ({ row: byId.get(id)! }));
}

async function insertEntry(deps: Deps, ctx: RequestContext, tx: Tx, item: Item): Promise<string> {
  const type = item.object_type as string;
  const objectId = item.object_id as string;
  const action = item.action as string;
  const kind = own(RBAC_OBJECT_KINDS, type)!; // toObjectType let only known kinds through
  if (type === 'network') {
    // The network callbacks only look at the actions they know; anything else fails on the action.
    if (!kind.actions.includes(action)) throw InvalidActionForType(action, type, kind.actions);
    const callback = action === ACCESS_SHARED ? NETWORK_SHARED_CALLBACK : NETWORK_EXTERNAL_CALLBACK;
    const net = await getVisibleNetworkRow(tx, objectId, ctx.isAdmin || ctx.isAdvsvc ? undefined : ctx.projectId);
    if (!net) throw callbackFailure(callback, NetworkNotFound(objectId));
    if (!ctx.isAdmin && net.row.project_id !== ctx.projectId) {
      throw callbackFailure(callback, InvalidInput('Only admins can manipulate policies on networks they do not own'));
    }
    // Sharing a network as external turns it into an external network.
    if (action === ACCESS_EXTERNAL && net.row.router_external !== 1) {
      await tx.updateTable('networks').set({ router_external: 1 }).where('id', '=', objectId).execute();
    }
  } else {
    const owner = await objectOwner(tx, kind, objectId);
    const callback = `neutron.objects.rbac_db.${type}.validate_rbac_policy_change`;
    if (owner === undefined) throw callbackFailure(callback, kind.notFound(objectId));
    if (!ctx.isAdmin && owner !== ctx.projectId) {
      throw callbackFailure(callback, InvalidInput('Only admins can manipulate policies on objects they do not own'));
    }
    if (!kind.actions.includes(action)) throw InvalidActionForType(action, type, kind.actions);
  }
  const target = item.target_tenant as string;
  const dup = await tx.selectFrom('rbac_policies').select('id').where('object_type', '=', type).where('object_id', '=', objectId)
    .where('action', '=', action).where('target_project', '=', target).executeTakeFirst();
  if (dup) throw DuplicateRbacPolicy();
  const id = randomUUID();
  try {
    await tx.insertInto('rbac_policies').values({
      id, project_id: item.project_id as string, object_type: type, object_id: objectId, action, target_project: target,
    }).execute();
  } catch (e) {
    if (isUniqueViolation(e)) throw DuplicateRbacPolicy();
    throw e;
  }
  await objectChanged(tx, type, objectId);
  return id;
}

export async function updateRbacPolicy(deps: Deps, ctx: RequestContext, id: string, changes: Item): Promise<RbacRecord> {
  await inTransaction(deps.conn, async (tx) => {
    const row = await visibleEntry(deps, tx, ctx, id);
    deps.policy.enforce(ctx, 'update_rbac_policy', { ...rbacTarget(row), ...changes }, Object.keys(changes));
    if (!('target_tenant' in changes)) return;
    const kind = RBAC_OBJECT_KINDS[row.object_type];
    const owner = await objectOwner(tx, kind, row.object_id);
    if (owner !== undefined && !ctx.isAdmin && owner !== ctx.projectId) {
      throw InvalidInput(row.object_type === 'network'
        ? 'Only admins can manipulate policies on networks they do not own'
        : 'Only admins can manipulate policies on objects they do not own');
    }
    const next = changes.target_tenant as string;
    if (next !== row.target_project && owner !== undefined) await ensureNotInUse(tx, row, owner, next);
    try {
      await tx.updateTable('rbac_policies').set({ target_project: next }).where('id', '=', id).execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw DuplicateRbacPolicy();
      throw e;
    }
    await objectChanged(tx, row.object_type, row.object_id);
  });
  return { row: (await getRbacRow(deps.conn.db, id))! };
}

export async function deleteRbacPolicy(deps: Deps, ctx: RequestContext, id: string): Promise<void> {
  await inTransaction(deps.conn, async (tx) => {
    const row = await visibleEntry(deps, tx, ctx, id);
    deps.policy.enforce(ctx, 'delete_rbac_policy', rbacTarget(row));
    const owner = await objectOwner(tx, RBAC_OBJECT_KINDS[row.object_type], row.object_id);
    if (owner !== undefined) await ensureNotInUse(tx, row, owner, null);
    await tx.deleteFrom('rbac_policies').where('id', '=', id).execute();
    if (row.object_type === 'network' && row.action === ACCESS_EXTERNAL) await externalIfStillShared(tx, row.object_id);
    await objectChanged(tx, row.object_type, row.object_id);
  });
}

/** _process_ext_policy_delete: without any access_as_external entry the network is no longer external. */
async function externalIfStillShared(tx: Tx, networkId: string): Promise<void> {
  const left = await tx.selectFrom('rbac_policies').select('id').where('object_type', '=', 'network').where('object_id', '=', networkId)
    .where('action', '=', ACCESS_EXTERNAL).limit(1).executeTakeFirst();
  if (left) return;
  // Gateway ports keep it external: Neutron's ExternalNetworkInUse there is raised in an
  // AFTER_DELETE callback, logged and not answered.
  const gw = await tx.selectFrom('ports').select('id').where('network_id', '=', networkId).where('device_owner', '=', 'network:router_gateway')
    .limit(1).executeTakeFirst();
  if (!gw) await tx.updateTable('networks').set({ router_external: 0, is_default: 0 }).where('id', '=', networkId).execute();
}

// ---------------------------------------------------------------------------
// helpers for the resources that are shared (networks, subnet pools, ...)

/** Creates or removes the wildcard access_as_shared entry (the object's `shared` flag). */
export async function setWildcardShared(tx: Tx, objectType: string, objectId: string, ownerProject: string, shared: boolean): Promise<void> {
  await setWildcard(tx, objectType, objectId, ownerProject, ACCESS_SHARED, shared);
}

export async function setWildcard(tx: Tx, objectType: string, objectId: string, ownerProject: string, action: string, on: boolean): Promise<void> {
  const q = tx.deleteFrom('rbac_policies').where('object_type', '=', objectType).where('object_id', '=', objectId).where('action', '=', action);
  if (!on) {
    // Removing external access removes every access_as_external entry (external_net_db).
    await (action === ACCESS_EXTERNAL ? q : q.where('target_project', '=', '*')).execute();
  } else {
    const exists = await tx.selectFrom('rbac_policies').select('id').where('object_type', '=', objectType).where('object_id', '=', objectId)
      .where('action', '=', action).where('target_project', '=', '*').executeTakeFirst();
    if (!exists) {
      await tx.insertInto('rbac_policies').values({
        id: randomUUID(), project_id: ownerProject, object_type: objectType, object_id: objectId, action, target_project: '*',
      }).execute();
    }
  }
  const kind = RBAC_OBJECT_KINDS[objectType];
  if (action === ACCESS_SHARED && kind?.sharedColumn) {
    await sql`update ${sql.table(kind.table)} set shared = ${on ? 1 : 0} where id = ${objectId}`.execute(tx);
  }
}

/** The object is being deleted: its entries go with it. */
export async function deleteEntriesOf(tx: Tx, objectType: string, objectId: string): Promise<void> {
  await tx.deleteFrom('rbac_policies').where('object_type', '=', objectType).where('object_id', '=', objectId).execute();
}

/**
 * Network un-sharing (update shared=false): every project with ports (other than network:*
 * ones) or subnets on it must keep access by its own entry (_validate_shared_update).
 */
export async function ensureUnshareAllowed(tx: Tx, net: { id: string; name: string; project_id: string }): Promise<void> {
  const users = await sql<{ project_id: string }>`
    select p.project_id from ports p where p.network_id = ${net.id} and p.device_owner not like 'network:%'
    union select s.project_id from subnets s where s.network_id = ${net.id}`.execute(tx);
  const projects = new Set(users.rows.map((r) => r.project_id));
  projects.delete(net.project_id);
  if (projects.size === 0) return;
  const allowed = new Set((await tx.selectFrom('rbac_policies').select('target_project').where('object_type', '=', 'network')
    .where('object_id', '=', net.id).where('action', '=', ACCESS_SHARED).where('target_project', '!=', '*').execute()).map((r) => r.target_project));
  if ([...projects].some((p) => !allowed.has(p))) throw InvalidSharedSetting(net.name);
}

// ---------------------------------------------------------------------------

async function objectOwner(tx: Tx, kind: ObjectKind | undefined, id: string): Promise<string | undefined> {
  if (!kind) return undefined;
  const r = await sql<{ project_id: string }>`select project_id from ${sql.table(kind.table)} where id = ${id}`.execute(tx);
  return r.rows[0]?.project_id;
}

/** Mirrors the wildcard flag, bumps the object's revision and logs the change. */
async function objectChanged(tx: Tx, objectType: string, objectId: string): Promise<void> {
  const kind = RBAC_OBJECT_KINDS[objectType];
  if (!kind) return;
  const wildcard = await tx.selectFrom('rbac_policies').select('id').where('object_type', '=', objectType).where('object_id', '=', objectId)
    .where('action', '=', ACCESS_SHARED).where('target_project', '=', '*').executeTakeFirst();
  if (kind.sharedColumn) await sql`update ${sql.table(kind.table)} set shared = ${wildcard ? 1 : 0} where id = ${objectId}`.execute(tx);
  if (kind.revised) {
    await sql`update ${sql.table(kind.table)} set revision_number = revision_number + 1, updated_at = ${nowIso()} where id = ${objectId}`.execute(tx);
    await recordChange(tx, objectType, objectId, 'update');
  }
}

/** Access withdrawn from `row.target_project` (delete, or update to `next`) must not strand anyone. */
async function ensureNotInUse(tx: Tx, row: RbacPoliciesTable, owner: string, next: string | null): Promise<void> {
  const old = row.target_project;
  if (row.object_type === 'network') {
    if (row.action === ACCESS_SHARED) {
      if (old === owner) return;
      if (await stranded(tx, row, owner)) {
        throw RbacPolicyInUse(row.object_id, `Unable to reconfigure sharing settings for network ${row.object_id}. Multiple tenants are using it.`);
      }
      return;
    }
    // Deleting the wildcard is okay ... as long as the network is not the default external network.
    if (row.target_project === '*' && next !== '*' && await isDefaultExternal(tx, row.object_id)) {
      throw RbacPolicyInUse(row.object_id, 'Default external networks must be shared to everyone.');
    }
    if (await routersStranded(tx, row, next)) {
      throw RbacPolicyInUse(row.object_id, 'There are routers attached to this network that depend on this policy for access.');
    }
    return;
  }
  if (row.action !== ACCESS_SHARED || old === owner) return;
  // An update to anything but '*' is checked as a delete (validate_rbac_policy_update).
  if (next === '*') return;
  const kind = RBAC_OBJECT_KINDS[row.object_type];
  const bound = new Set(await kind.bound!(tx, row.object_id));
  bound.delete(owner);
  const others = await otherTargets(tx, row, ACCESS_SHARED);
  const inUse = old !== '*' ? !others.has('*') && bound.has(old) : [...bound].some((p) => !others.has(p));
  if (inUse) throw RbacPolicyInUse(row.object_id, `tenant_id=${old}`);
}

async function otherTargets(tx: Tx, row: RbacPoliciesTable, action: string): Promise<Set<string>> {
  const rows = await tx.selectFrom('rbac_policies').select('target_project').where('object_type', '=', row.object_type)
    .where('object_id', '=', row.object_id).where('action', '=', action).where('id', '!=', row.id).execute();
  return new Set(rows.map((r) => r.target_project));
}

/** ensure_no_tenant_ports_on_network: ports of projects that would lose access. */
async function stranded(tx: Tx, row: RbacPoliciesTable, owner: string): Promise<boolean> {
  const others = await otherTargets(tx, row, ACCESS_SHARED);
  let q = tx.selectFrom('ports').select('id').where('network_id', '=', row.object_id);
  if (row.target_project === '*') {
    q = q.where('project_id', 'not in', [...others, owner]);
  } else {
    if (others.has('*')) return false;
    q = q.where('project_id', '=', row.target_project);
  }
  return (await q.limit(1).executeTakeFirst()) !== undefined;
}

/** _validate_ext_not_in_use_by_tenant: routers with a gateway on the network that depend on the entry. */
async function routersStranded(tx: Tx, row: RbacPoliciesTable, next: string | null): Promise<boolean> {
  let q = tx.selectFrom('routers').select('id').where('gw_network_id', '=', row.object_id);
  if (row.target_project !== '*') {
    if ((await otherTargets(tx, row, ACCESS_EXTERNAL)).has('*')) return false;
    q = q.where('project_id', '=', row.target_project);
  } else {
    if (next === '*') return false;
    const withEntries = [...await otherTargets(tx, row, ACCESS_EXTERNAL)];
    if (withEntries.length) q = q.where('project_id', 'not in', withEntries);
  }
  return (await q.limit(1).executeTakeFirst()) !== undefined;
}
