// Port rows and what a port's API view is assembled from: one query for the
// ports (filters, sort, paging in SQL), then one IN (...) query per related
// table per 500 ports — never a query per port.
import type { Kysely } from 'kysely';
import { sql, type Expression, type SqlBool } from 'kysely';
import type { Database, PortsTable } from '../schema.ts';
import type { ListQuery } from '../list-query.ts';
import { whereFilters, whereTags, orderAndPage, type ColumnMap } from '../list-sql.ts';
import { chunks, loadTags } from '../standard-attrs.ts';

type Q = Kysely<Database>;

/** A port row with the owner and sharing of its network (for policy targets). */
export interface PortRow extends PortsTable {
  network_project_id: string;
  network_shared: number;
}

export interface PortFixedIp { subnet_id: string; ip_address: string }
export interface PortAddressPair { ip_address: string; mac_address: string }
export interface PortDhcpOpt { opt_name: string; opt_value: string; ip_version: number }

export interface PortRecord {
  row: PortRow;
  fixedIps: PortFixedIp[];
  securityGroups: string[];
  addressPairs: PortAddressPair[];
  dhcpOpts: PortDhcpOpt[];
  tags: string[];
  /** [DEFAULT] dns_domain, for dns_assignment's fqdn. */
  dnsDomain: string;
}

export const portColumns: ColumnMap = {
  id: { column: 'p.id', kind: 'string' },
  name: { column: 'p.name', kind: 'string' },
  description: { column: 'p.description', kind: 'string' },
  project_id: { column: 'p.project_id', kind: 'string' },
  network_id: { column: 'p.network_id', kind: 'string' },
  mac_address: { column: 'p.mac_address', kind: 'string' },
  admin_state_up: { column: 'p.admin_state_up', kind: 'bool' },
  status: { column: 'p.status', kind: 'string' },
  device_id: { column: 'p.device_id', kind: 'string' },
  device_owner: { column: 'p.device_owner', kind: 'string' },
  port_security_enabled: { column: 'p.port_security_enabled', kind: 'bool' },
  'binding:host_id': { column: 'p.binding_host_id', kind: 'string' },
  'binding:vnic_type': { column: 'p.binding_vnic_type', kind: 'string' },
  'binding:vif_type': { column: 'p.binding_vif_type', kind: 'string' },
  dns_name: { column: 'p.dns_name', kind: 'string' },
  revision_number: { column: 'p.revision_number', kind: 'int' },
  created_at: { column: 'p.created_at', kind: 'string' },
  updated_at: { column: 'p.updated_at', kind: 'string' },
};

/** fixed_ips sub-filters (fixed_ips=ip_address=..., subnet_id=..., ip_address_substr=...). */
export interface FixedIpFilter { ip_address?: string[]; subnet_id?: string[]; ip_address_substr?: string[] }

export interface PortListFilters {
  fixedIps: FixedIpFilter | null;
  securityGroups: string[] | null;
}

function portsQuery(q: Q) {
  return q.selectFrom('ports as p')
    .innerJoin('networks as n', 'n.id', 'p.network_id')
    .selectAll('p')
    .select(['n.project_id as network_project_id', 'n.shared as network_shared']);
}
type PortsFrom = ReturnType<typeof portsQuery>;

export async function getPortRow(q: Q, id: string): Promise<PortRow | undefined> {
  return portsQuery(q).where('p.id', '=', id).executeTakeFirst();
}

/** v4 before v6, then by address: the order fixed_ips are shown in everywhere. */
export function sortFixedIps<T extends PortFixedIp>(ips: T[]): T[] {
  const key = (ip: string) => {
    if (!ip.includes(':')) return '4' + ip.split('.').map((o) => o.padStart(3, '0')).join('.');
    return '6' + ip;
  };
  return ips.sort((a, b) => {
    const ka = key(a.ip_address), kb = key(b.ip_address);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** Address pairs and DHCP options in one stable order, whatever the backend returns. */
export function sortPairs(pairs: PortAddressPair[]): PortAddressPair[] {
  return pairs.sort((a, b) => cmp(a.ip_address, b.ip_address) || cmp(a.mac_address, b.mac_address));
}
export function sortDhcpOpts(opts: PortDhcpOpt[]): PortDhcpOpt[] {
  return opts.sort((a, b) => cmp(a.opt_name, b.opt_name) || a.ip_version - b.ip_version);
}
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Assembles the views of `rows`. Related rows are read with one `port_id IN (...)` query
 * per table per 500 ports; for a whole unpaged list, `idsQuery` (the list's own filtered
 * query selecting p.id) replaces the literal id lists: one query per table, no parameters.
 */
export async function loadPorts(q: Q, rows: PortRow[], dnsDomain: string, idsQuery?: IdsQuery): Promise<PortRecord[]> {
  const ids = rows.map((r) => r.id);
  // Kysely takes a list or a single-column subquery on the right of IN.
  const batches = (idsQuery && ids.length > 500 ? [idsQuery] : [...chunks(ids)]) as string[][];
  const ips = new Map<string, PortFixedIp[]>();
  const sgs = new Map<string, string[]>();
  const pairs = new Map<string, PortAddressPair[]>();
  const opts = new Map<string, PortDhcpOpt[]>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const l = m.get(k);
    if (l) l.push(v); else m.set(k, [v]);
  };
  for (const chunk of batches) {
    for (const r of await q.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', chunk).execute()) {
      push(ips, r.port_id, { subnet_id: r.subnet_id, ip_address: r.ip_address });
    }
    for (const r of await q.selectFrom('port_security_groups').select(['port_id', 'security_group_id']).where('port_id', 'in', chunk).execute()) {
      push(sgs, r.port_id, r.security_group_id);
    }
    for (const r of await q.selectFrom('port_allowed_address_pairs').select(['port_id', 'ip_address', 'mac_address']).where('port_id', 'in', chunk).execute()) {
      push(pairs, r.port_id, { ip_address: r.ip_address, mac_address: r.mac_address });
    }
    for (const r of await q.selectFrom('port_extra_dhcp_opts').select(['port_id', 'opt_name', 'opt_value', 'ip_version']).where('port_id', 'in', chunk).execute()) {
      push(opts, r.port_id, { opt_name: r.opt_name, opt_value: r.opt_value, ip_version: r.ip_version });
    }
  }
  const tags = new Map<string, string[]>();
  if (batches.length === 1 && !Array.isArray(batches[0])) {
    const tagRows = await q.selectFrom('tags').select(['resource_id', 'tag']).where('resource_id', 'in', batches[0]).orderBy('tag').execute();
    for (const r of tagRows) push(tags, r.resource_id, r.tag);
  } else {
    for (const [k, v] of await loadTags(q, ids)) tags.set(k, v);
  }
  return rows.map((row) => ({
    row,
    fixedIps: sortFixedIps(ips.get(row.id) ?? []),
    securityGroups: (sgs.get(row.id) ?? []).sort(),
    addressPairs: sortPairs(pairs.get(row.id) ?? []),
    dhcpOpts: sortDhcpOpts(opts.get(row.id) ?? []),
    tags: tags.get(row.id) ?? [],
    dnsDomain,
  }));
}

/** A subquery selecting the ids of the ports a list returns (used instead of literal id lists). */
export type IdsQuery = Expression<{ id: string }>;

/**
 * Ports matching a list query. `visibleProject`: undefined for admins (everything),
 * else the caller's project: its own ports and every port on its networks.
 */
export async function listPortRows(
  q: Q, lq: ListQuery, extra: PortListFilters, visibleProject: string | null | undefined, markerRow: PortRow | null,
): Promise<{ rows: PortRow[]; idsQuery?: IdsQuery }> {
  const qb = filteredPorts(q, lq, extra, visibleProject);
  const marker = markerRow ? markerAttrs(markerRow) : null;
  const rows = await orderAndPage(qb, lq, portColumns, 'p.id', marker).execute();
  // Unpaged lists: the same filtered query (no ORDER BY / LIMIT) selects the ids for loadPorts.
  const idsQuery = lq.limit === null && !markerRow ? (qb.clearSelect().select('p.id') as IdsQuery) : undefined;
  return { rows, idsQuery };
}

/** The ids and revisions listPortRows would return, in the same order (for the view cache). */
export async function listPortKeys(
  q: Q, lq: ListQuery, extra: PortListFilters, visibleProject: string | null | undefined, markerRow: PortRow | null,
): Promise<{ id: string; revision: number }[]> {
  // An admin's keys need no network (filters and sort keys are the port's own columns): the
  // join would only slow down the read of every port.
  const from = visibleProject === undefined ? q.selectFrom('ports as p').selectAll('p') as unknown as PortsFrom : portsQuery(q);
  const qb = filteredPorts(q, lq, extra, visibleProject, from).clearSelect().select(['p.id as id', 'p.revision_number as revision']);
  const marker = markerRow ? markerAttrs(markerRow) : null;
  return orderAndPage(qb, lq, portColumns, 'p.id', marker).execute();
}

export async function getPortRows(q: Q, ids: readonly string[]): Promise<PortRow[]> {
  const out: PortRow[] = [];
  for (const chunk of chunks(ids)) out.push(...await portsQuery(q).where('p.id', 'in', chunk).execute());
  return out;
}

function filteredPorts(q: Q, lq: ListQuery, extra: PortListFilters, visibleProject: string | null | undefined, from: PortsFrom = portsQuery(q)) {
  let qb = from;
  if (visibleProject !== undefined) {
    const p = visibleProject ?? '';
    qb = qb.where(sql<SqlBool>`(p.project_id = ${p} or n.project_id = ${p})`);
  }
  qb = whereFilters(qb, lq.filters, portColumns);
  const fi = extra.fixedIps;
  if (fi) {
    const conds = [];
    if (fi.ip_address?.length) conds.push(sql`a.ip_address in (${sql.join(fi.ip_address)})`);
    if (fi.subnet_id?.length) conds.push(sql`a.subnet_id in (${sql.join(fi.subnet_id)})`);
    for (const s of fi.ip_address_substr ?? []) conds.push(sql`a.ip_address like ${'%' + escapeLike(s) + '%'} escape '!'`);
    if (conds.length) {
      qb = qb.where(sql<SqlBool>`exists (select 1 from ip_allocations a where a.port_id = p.id and ${sql.join(conds, sql` and `)})`);
    }
  }
  if (extra.securityGroups?.length) {
    qb = qb.where(sql<SqlBool>`exists (select 1 from port_security_groups g where g.port_id = p.id and g.security_group_id in (${sql.join(extra.securityGroups)}))`);
  }
  return whereTags(qb, 'p.id', lq.tags);
}

function escapeLike(s: string): string {
  return s.replace(/[!%_]/g, (c) => '!' + c);
}

function markerAttrs(r: PortRow): Record<string, unknown> {
  return {
    ...r, 'binding:host_id': r.binding_host_id, 'binding:vnic_type': r.binding_vnic_type, 'binding:vif_type': r.binding_vif_type,
  };
}
