// /v2.0/floatingip_pools (floatingip-pools): the IPv4 subnets of the external
// networks the caller can see, one SQL query; read-only.
import { sql, type SqlBool } from 'kysely';
import type { SubRoute } from '../app.ts';
import { HTTPMethodNotAllowed, HTTPNotFound, InvalidFilter } from '../../errors/catalog.ts';
import { own } from '../../domain/own.ts';

const KEYS = ['subnet_id', 'subnet_name', 'network_id', 'cidr', 'project_id', 'tenant_id'] as const;
const COLUMNS: Record<string, string> = { subnet_id: 's.id', subnet_name: 's.name', network_id: 's.network_id', cidr: 's.cidr', project_id: 's.project_id', tenant_id: 's.project_id' };

export const floatingIpPoolsRoute: SubRoute = {
  async handle(deps, _ctx, method, parts, url) {
    if (parts.length > 1) throw HTTPNotFound(); // parts[0] is the collection itself
    if (method !== 'GET') throw HTTPMethodNotAllowed();
    let q = deps.conn.db.selectFrom('subnets as s').innerJoin('networks as n', 'n.id', 's.network_id')
      .select(['s.id', 's.name', 's.network_id', 's.cidr', 's.project_id'])
      .where('n.router_external', '=', 1).where('s.ip_version', '=', 4);
    const fields = url.searchParams.getAll('fields').filter(Boolean);
    const bad: string[] = [];
    for (const key of new Set(url.searchParams.keys())) {
      if (key === 'fields' || key === 'sort_key' || key === 'sort_dir' || key === 'limit' || key === 'marker' || key === 'page_reverse') continue;
      const col = own(COLUMNS, key);
      if (!col) { bad.push(key); continue; }
      q = q.where(sql<SqlBool>`${sql.ref(col)} in (${sql.join(url.searchParams.getAll(key))})`);
    }
    if (bad.length) throw InvalidFilter(bad);
    const rows = await q.orderBy('s.network_id').orderBy('s.id').execute();
    const pools = rows.map((r) => {
      const all: Record<string, unknown> = { subnet_id: r.id, subnet_name: r.name, network_id: r.network_id, cidr: r.cidr, project_id: r.project_id, tenant_id: r.project_id };
      if (!fields.length) return all;
      return Object.fromEntries(KEYS.filter((k) => fields.includes(k)).map((k) => [k, all[k]]));
    });
    return { status: 200, body: { floatingip_pools: pools } };
  },
};
