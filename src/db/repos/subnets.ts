// Subnet rows and what a subnet's API view is assembled from (pools, DNS servers,
// host routes, tags), loaded in batches: no per-subnet queries on lists.
import type { Kysely } from 'kysely';
import { sql, type SqlBool } from 'kysely';
import type { Database, NetworksTable, SubnetsTable } from '../schema.ts';
import type { ListQuery } from '../list-query.ts';
import { ACCESS_SHARED, rbacGrants } from './rbac.ts';
import { whereFilters, whereTags, orderAndPage, type ColumnMap } from '../list-sql.ts';
import { chunks, loadTags } from '../standard-attrs.ts';
import { parseIp } from '../../domain/ip/address.ts';

type Q = Kysely<Database>;

export interface Pool { start: string; end: string }
export interface HostRouteRow { destination: string; nexthop: string }

export interface SubnetRecord {
  row: SubnetsTable;
  pools: Pool[];
  dns: string[];
  routes: HostRouteRow[];
  tags: string[];
}

export const subnetColumns: ColumnMap = {
  id: { column: 's.id', kind: 'string' },
  name: { column: 's.name', kind: 'string' },
  description: { column: 's.description', kind: 'string' },
  project_id: { column: 's.project_id', kind: 'string' },
  network_id: { column: 's.network_id', kind: 'string' },
  ip_version: { column: 's.ip_version', kind: 'int' },
  cidr: { column: 's.cidr', kind: 'string' },
  gateway_ip: { column: 's.gateway_ip', kind: 'string' },
  enable_dhcp: { column: 's.enable_dhcp', kind: 'bool' },
  ipv6_ra_mode: { column: 's.ipv6_ra_mode', kind: 'string' },
  ipv6_address_mode: { column: 's.ipv6_address_mode', kind: 'string' },
  subnetpool_id: { column: 's.subnetpool_id', kind: 'string' },
  segment_id: { column: 's.segment_id', kind: 'string' },
  shared: { column: 'n.shared', kind: 'bool' },
  revision_number: { column: 's.revision_number', kind: 'int' },
  created_at: { column: 's.created_at', kind: 'string' },
  updated_at: { column: 's.updated_at', kind: 'string' },
};

/** Subnets a non-admin project may see: its own, and those of networks shared (access_as_shared)
 *  with the project or everyone; `n.shared` is the wildcard flag. access_as_external entries make
 *  the network visible, not its subnets (Neutron registers that query hook for networks only). */
export function subnetVisibleTo(projectId: string | null) {
  return sql<SqlBool>`(s.project_id = ${projectId ?? ''} or n.shared = 1 or ${rbacGrants('network', 's.network_id', projectId, ACCESS_SHARED)})`;
}

export async function getSubnetRow(q: Q, id: string): Promise<SubnetsTable | undefined> {
  return q.selectFrom('subnets as s').selectAll('s').where('s.id', '=', id).executeTakeFirst();
}

/** The subnet with its network, or undefined. */
export async function getSubnetWithNetwork(q: Q, id: string): Promise<{ subnet: SubnetsTable; network: NetworksTable } | undefined> {
  const subnet = await getSubnetRow(q, id);
  if (!subnet) return undefined;
  const network = await q.selectFrom('networks').selectAll().where('id', '=', subnet.network_id).executeTakeFirst();
  return network ? { subnet, network } : undefined;
}

const byValue = (a: string, b: string): number => {
  const x = parseIp(a)?.value ?? 0n, y = parseIp(b)?.value ?? 0n;
  return x < y ? -1 : x > y ? 1 : 0;
};

export async function loadSubnets(q: Q, rows: SubnetsTable[]): Promise<SubnetRecord[]> {
  const ids = rows.map((r) => r.id);
  const pools = new Map<string, Pool[]>();
  const dns = new Map<string, string[]>();
  const routes = new Map<string, HostRouteRow[]>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => { const l = m.get(k); if (l) l.push(v); else m.set(k, [v]); };
  for (const chunk of chunks(ids)) {
    for (const p of await q.selectFrom('subnet_pool_ranges').selectAll().where('subnet_id', 'in', chunk).execute()) {
      push(pools, p.subnet_id, { start: p.first_ip, end: p.last_ip });
    }
    for (const d of await q.selectFrom('subnet_dns_nameservers').selectAll().where('subnet_id', 'in', chunk).orderBy('position').execute()) {
      push(dns, d.subnet_id, d.address);
    }
    for (const r of await q.selectFrom('subnet_host_routes').selectAll().where('subnet_id', 'in', chunk).orderBy('destination').orderBy('nexthop').execute()) {
      push(routes, r.subnet_id, { destination: r.destination, nexthop: r.nexthop });
    }
  }
  for (const l of pools.values()) l.sort((a, b) => byValue(a.start, b.start));
  const tags = await loadTags(q, ids);
  return rows.map((row) => ({
    row, pools: pools.get(row.id) ?? [], dns: dns.get(row.id) ?? [], routes: routes.get(row.id) ?? [], tags: tags.get(row.id) ?? [],
  }));
}

export async function listSubnetRows(q: Q, lq: ListQuery, visibleProject: string | null | undefined, markerRow: SubnetsTable | null): Promise<SubnetsTable[]> {
  let qb = q.selectFrom('subnets as s').innerJoin('networks as n', 'n.id', 's.network_id').selectAll('s');
  if (visibleProject !== undefined) qb = qb.where(subnetVisibleTo(visibleProject));
  qb = whereFilters(qb, lq.filters, subnetColumns);
  qb = whereTags(qb, 's.id', lq.tags);
  return orderAndPage(qb, lq, subnetColumns, 's.id', markerRow as unknown as Record<string, unknown> | null).execute();
}

/** Replaces the subnet's DNS servers (order kept), host routes or pools. */
export async function replaceDns(q: Q, subnetId: string, servers: readonly string[]): Promise<void> {
  await q.deleteFrom('subnet_dns_nameservers').where('subnet_id', '=', subnetId).execute();
  if (servers.length) {
    await q.insertInto('subnet_dns_nameservers').values(servers.map((address, position) => ({ subnet_id: subnetId, address, position }))).execute();
  }
}

export async function replaceRoutes(q: Q, subnetId: string, routes: readonly HostRouteRow[]): Promise<void> {
  await q.deleteFrom('subnet_host_routes').where('subnet_id', '=', subnetId).execute();
  if (routes.length) {
    await q.insertInto('subnet_host_routes').values(routes.map((r) => ({ subnet_id: subnetId, destination: r.destination, nexthop: r.nexthop }))).execute();
  }
}

export async function replacePools(q: Q, subnetId: string, pools: readonly Pool[]): Promise<void> {
  await q.deleteFrom('subnet_pool_ranges').where('subnet_id', '=', subnetId).execute();
  if (pools.length) {
    await q.insertInto('subnet_pool_ranges').values(pools.map((p) => ({ subnet_id: subnetId, first_ip: p.start, last_ip: p.end }))).execute();
  }
}
