// The /tags sub-resource (standard-attr-tag): tags change with the owner's rights
// and bump the tagged object's revision, as Neutron's tag plugin does.
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import { inTransaction } from '../db/transaction.ts';
import { bumpRevision, loadTags } from '../db/standard-attrs.ts';
import { InvalidAttribute, PolicyNotAuthorized, TagNotFound } from '../errors/catalog.ts';
import { pyStr } from '../domain/ip/py-compat.ts';

const TABLES = { network: 'networks', subnet: 'subnets', port: 'ports', security_group: 'security_groups', subnetpool: 'subnetpools' } as const;
const MAX_TAGS = 50;

export interface Tagged { resource: string; id: string; projectId: string }

function assertMayChange(ctx: RequestContext, t: Tagged): void {
  if (!ctx.isAdmin && ctx.projectId !== t.projectId) throw PolicyNotAuthorized(`rule:update_${t.resource}:tags`);
}

export function validateTag(tag: unknown): string {
  if (typeof tag !== 'string' || tag === '' || tag.length > 255 || tag.includes(',') || tag.includes('/')) {
    throw InvalidAttribute('tags', `'${pyStr(tag)}' is not a valid tag`);
  }
  return tag;
}

export async function getTags(deps: Deps, t: Tagged): Promise<string[]> {
  return (await loadTags(deps.conn.db, [t.id])).get(t.id) ?? [];
}

export async function hasTag(deps: Deps, t: Tagged, tag: string): Promise<void> {
  const row = await deps.conn.db.selectFrom('tags').select('tag').where('resource_id', '=', t.id).where('tag', '=', tag).executeTakeFirst();
  if (!row) throw TagNotFound(t.resource, t.id, tag);
}

async function change(deps: Deps, t: Tagged, fn: (current: Set<string>) => Set<string>): Promise<string[]> {
  return inTransaction(deps.conn, async (tx) => {
    const current = new Set((await tx.selectFrom('tags').select('tag').where('resource_id', '=', t.id).execute()).map((r) => r.tag));
    const next = fn(new Set(current));
    if (next.size > MAX_TAGS) throw InvalidAttribute('tags', `The number of tags exceeds the limit ${MAX_TAGS}`);
    const removed = [...current].filter((x) => !next.has(x));
    const added = [...next].filter((x) => !current.has(x));
    if (removed.length) await tx.deleteFrom('tags').where('resource_id', '=', t.id).where('tag', 'in', removed).execute();
    if (added.length) await tx.insertInto('tags').values(added.map((tag) => ({ resource_id: t.id, tag }))).execute();
    const table = TABLES[t.resource as keyof typeof TABLES];
    if ((removed.length || added.length) && table) await bumpRevision(tx, table, t.id, t.resource);
    return [...next].sort();
  });
}

export async function replaceTags(deps: Deps, ctx: RequestContext, t: Tagged, tags: string[]): Promise<string[]> {
  assertMayChange(ctx, t);
  const valid = tags.map(validateTag);
  return change(deps, t, () => new Set(valid));
}

export async function addTag(deps: Deps, ctx: RequestContext, t: Tagged, tag: string): Promise<void> {
  assertMayChange(ctx, t);
  validateTag(tag);
  await change(deps, t, (s) => s.add(tag));
}

export async function removeTag(deps: Deps, ctx: RequestContext, t: Tagged, tag: string): Promise<void> {
  assertMayChange(ctx, t);
  await change(deps, t, (s) => {
    if (!s.delete(tag)) throw TagNotFound(t.resource, t.id, tag);
    return s;
  });
}

export async function removeAllTags(deps: Deps, ctx: RequestContext, t: Tagged): Promise<void> {
  assertMayChange(ctx, t);
  await change(deps, t, () => new Set());
}
