// Router rows and what a router's API view is assembled from (gateway port
// addresses, extra routes, tags), loaded in batches: no per-router queries.
import type { Kysely } from 'kysely';
import type { Database, RoutersTable } from '../schema.ts';
import type { ListQuery } from '../list-query.ts';
import { whereFilters, whereTags, orderAndPage, type ColumnMap } from '../list-sql.ts';
import { chunks, loadTags } from '../standard-attrs.ts';
import { sortFixedIps, type PortFixedIp } from './ports.ts';

type Q = Kysely<Database>;

export interface RouteRow { destination: string; nexthop: string }

export interface RouterRecord {
  row: RoutersTable;
  gwFixedIps: PortFixedIp[];
  routes: RouteRow[];
  tags: string[];
}

export const routerColumns: ColumnMap = {
  id: { column: 'r.id', kind: 'string' },
  name: { column: 'r.name', kind: 'string' },
  description: { column: 'r.description', kind: 'string' },
  project_id: { column: 'r.project_id', kind: 'string' },
  status: { column: 'r.status', kind: 'string' },
  admin_state_up: { column: 'r.admin_state_up', kind: 'bool' },
  distributed: { column: 'r.distributed', kind: 'bool' },
  ha: { column: 'r.ha', kind: 'bool' },
  revision_number: { column: 'r.revision_number', kind: 'int' },
  created_at: { column: 'r.created_at', kind: 'string' },
  updated_at: { column: 'r.updated_at', kind: 'string' },
};

export async function getRouterRow(q: Q, id: string): Promise<RoutersTable | undefined> {
  return q.selectFrom('routers').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function loadRouters(q: Q, rows: RoutersTable[]): Promise<RouterRecord[]> {
  const ids = rows.map((r) => r.id);
  const gwPorts = rows.map((r) => r.gw_port_id).filter((p): p is string => p !== null);
  const ips = new Map<string, PortFixedIp[]>();
  const routes = new Map<string, RouteRow[]>();
  for (const chunk of chunks(gwPorts)) {
    for (const a of await q.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', chunk).execute()) {
      const l = ips.get(a.port_id) ?? [];
      l.push({ subnet_id: a.subnet_id, ip_address: a.ip_address });
      ips.set(a.port_id, l);
    }
  }
  for (const chunk of chunks(ids)) {
    const rs = await q.selectFrom('router_routes').selectAll().where('router_id', 'in', chunk).orderBy('destination').orderBy('nexthop').execute();
    for (const r of rs) {
      const l = routes.get(r.router_id) ?? [];
      l.push({ destination: r.destination, nexthop: r.nexthop });
      routes.set(r.router_id, l);
    }
  }
  const tags = await loadTags(q, ids);
  return rows.map((row) => ({
    row, gwFixedIps: row.gw_port_id ? sortFixedIps(ips.get(row.gw_port_id) ?? []) : [], routes: routes.get(row.id) ?? [], tags: tags.get(row.id) ?? [],
  }));
}

export async function listRouterRows(q: Q, lq: ListQuery, visibleProject: string | null | undefined, markerRow: RoutersTable | null): Promise<RoutersTable[]> {
  let qb = q.selectFrom('routers as r').selectAll('r');
  if (visibleProject !== undefined) qb = qb.where('r.project_id', '=', visibleProject ?? '');
  qb = whereFilters(qb, lq.filters, routerColumns);
  qb = whereTags(qb, 'r.id', lq.tags);
  return orderAndPage(qb, lq, routerColumns, 'r.id', markerRow as unknown as Record<string, unknown> | null).execute();
}

/** The router's interface ports (not its gateway) with their addresses. */
export async function routerInterfaces(q: Q, routerId: string): Promise<{ port_id: string; network_id: string; subnet_id: string; ip_address: string }[]> {
  return q.selectFrom('router_ports as rp').innerJoin('ports as p', 'p.id', 'rp.port_id')
    .innerJoin('ip_allocations as a', 'a.port_id', 'rp.port_id')
    .select(['rp.port_id', 'p.network_id', 'a.subnet_id', 'a.ip_address'])
    .where('rp.router_id', '=', routerId).where('rp.port_type', '=', 'network:router_interface')
    .orderBy('rp.port_id').execute();
}
