// Port reads: show, list (with the filters outside the attribute map: fixed_ips,
// ip_address_substr, security_groups), list keys, and loading by id. Rows are
// rendered into PortRecords by db/repos/ports.ts, which never queries per port.
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { ListQuery } from '../db/list-query.ts';
import { getPortRows, listPortKeys as listPortRowKeys, listPortRows, loadPorts, type FixedIpFilter, type PortRecord } from '../db/repos/ports.ts';
import { InvalidInput } from '../errors/catalog.ts';
import { visiblePort } from './port-access.ts';

export async function getPort(deps: Deps, ctx: RequestContext, id: string): Promise<PortRecord> {
  const row = await visiblePort(deps, deps.conn.db, ctx, id);
  return (await loadPorts(deps.conn.db, [row], deps.config.dnsDomain))[0];
}

/** neutron-lib convert_kvp_str_to_list: "key=value" (row 222). */
function kvp(s: string): [string, string] {
  const i = s.indexOf('=');
  const k = i < 0 ? '' : s.slice(0, i).trim();
  if (i < 0 || !k) throw InvalidInput(`'${s}' is not of the form <key>=[value]`);
  return [k, s.slice(i + 1).trim()];
}

export function parseFixedIpsFilter(special: Map<string, string[]>): FixedIpFilter | null {
  const raw = special.get('fixed_ips');
  const substr = special.get('ip_address_substr');
  if (!raw && !substr) return null;
  const out: FixedIpFilter = {};
  for (const v of raw ?? []) {
    const [k, val] = kvp(v);
    if (k === 'ip_address' || k === 'subnet_id' || k === 'ip_address_substr') (out[k] ??= []).push(val);
  }
  if (substr) (out.ip_address_substr ??= []).push(...substr);
  return out;
}

/** What every list shares: filters, the caller's visibility, the marker row. */
async function listArgs(deps: Deps, ctx: RequestContext, q: ListQuery) {
  const marker = q.marker ? await visiblePort(deps, deps.conn.db, ctx, q.marker) : null;
  const filters = { fixedIps: parseFixedIpsFilter(q.special), securityGroups: q.special.get('security_groups') ?? null };
  return { marker, filters, visible: ctx.isAdmin || ctx.isAdvsvc ? undefined : ctx.projectId };
}

export async function listPorts(deps: Deps, ctx: RequestContext, q: ListQuery): Promise<PortRecord[]> {
  const db = deps.conn.db;
  const a = await listArgs(deps, ctx, q);
  const { rows, idsQuery } = await listPortRows(db, q, a.filters, a.visible, a.marker);
  if (q.pageReverse) rows.reverse();
  return loadPorts(db, rows, deps.config.dnsDomain, idsQuery);
}

export async function listPortKeys(deps: Deps, ctx: RequestContext, q: ListQuery): Promise<{ id: string; revision: number }[]> {
  const a = await listArgs(deps, ctx, q);
  const keys = await listPortRowKeys(deps.conn.db, q, a.filters, a.visible, a.marker);
  if (q.pageReverse) keys.reverse();
  return keys;
}

export async function loadPortsById(deps: Deps, ids: string[]): Promise<PortRecord[]> {
  const db = deps.conn.db;
  return loadPorts(db, await getPortRows(db, ids), deps.config.dnsDomain);
}
