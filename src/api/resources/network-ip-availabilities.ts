// /v2.0/network-ip-availabilities[/{network_id}] (network-ip-availability extension,
// admin only): per network and subnet, the pool sizes and the allocation counts,
// both computed by the database (a GROUP BY count and the pool rows), never by
// walking addresses.
import { sql, type SqlBool } from 'kysely';
import type { SubRoute } from '../app.ts';
import type { Deps } from '../../services/deps.ts';
import { HTTPMethodNotAllowed, HTTPNotFound, InvalidFilter, NetworkNotFound } from '../../errors/catalog.ts';
import { parseIp } from '../../domain/ip/address.ts';
import { chunks } from '../../db/standard-attrs.ts';
import { exactCount } from '../json-reply.ts';

const FILTERS = ['network_id', 'network_name', 'project_id', 'tenant_id', 'ip_version'];

// Counts beyond 2^53 (IPv6 pools) are BigInts: the reply serializer writes them exactly.
type Count = number | bigint;
interface SubnetAvailability { subnet_id: string; subnet_name: string; cidr: string; ip_version: number; total_ips: Count; used_ips: number }
interface NetworkAvailability {
  network_id: string; network_name: string; tenant_id: string; project_id: string;
  total_ips: Count; used_ips: number; subnet_ip_availability: SubnetAvailability[];
}

export async function networkIpAvailabilities(deps: Deps, filters: Map<string, string[]>): Promise<NetworkAvailability[]> {
  const db = deps.conn.db;
  let q = db.selectFrom('networks as n').select(['n.id', 'n.name', 'n.project_id']);
  const f = (k: string) => filters.get(k);
  if (f('network_id')) q = q.where('n.id', 'in', f('network_id')!);
  if (f('network_name')) q = q.where('n.name', 'in', f('network_name')!);
  const project = f('project_id') ?? f('tenant_id');
  if (project) q = q.where('n.project_id', 'in', project);
  const versions = f('ip_version')?.map(Number);
  if (versions) {
    q = q.where(sql<SqlBool>`exists (select 1 from subnets vs where vs.network_id = n.id and vs.ip_version in (${sql.join(versions)}))`);
  }
  const nets = await q.orderBy('n.id').execute();
  const out = new Map<string, NetworkAvailability>();
  for (const n of nets) {
    out.set(n.id, { network_id: n.id, network_name: n.name, tenant_id: n.project_id, project_id: n.project_id, total_ips: 0, used_ips: 0, subnet_ip_availability: [] });
  }
  for (const ids of chunks([...out.keys()])) {
    let sq = db.selectFrom('subnets').select(['id', 'name', 'cidr', 'ip_version', 'network_id']).where('network_id', 'in', ids);
    if (versions) sq = sq.where('ip_version', 'in', versions);
    const subnets = await sq.orderBy('created_at').orderBy('id').execute();
    if (!subnets.length) continue;
    const subnetIds = subnets.map((s) => s.id);
    const used = new Map<string, number>();
    const totals = new Map<string, bigint>();
    for (const sc of chunks(subnetIds)) {
      const counts = await db.selectFrom('ip_allocations').select(['subnet_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('subnet_id', 'in', sc).groupBy('subnet_id').execute();
      for (const c of counts) used.set(c.subnet_id, Number(c.n));
      for (const p of await db.selectFrom('subnet_pool_ranges').selectAll().where('subnet_id', 'in', sc).execute()) {
        const a = parseIp(p.first_ip), b = parseIp(p.last_ip);
        if (a && b) totals.set(p.subnet_id, (totals.get(p.subnet_id) ?? 0n) + (b.value - a.value + 1n));
      }
    }
    for (const s of subnets) {
      const net = out.get(s.network_id)!;
      const total = totals.get(s.id) ?? 0n;
      const u = used.get(s.id) ?? 0;
      net.subnet_ip_availability.push({ subnet_id: s.id, subnet_name: s.name, cidr: s.cidr, ip_version: s.ip_version, total_ips: exactCount(total), used_ips: u });
      net.total_ips = exactCount(BigInt(net.total_ips) + total);
      net.used_ips += u;
    }
  }
  return [...out.values()];
}

function pickFields(o: NetworkAvailability, fields: string[]): Record<string, unknown> {
  if (!fields.length) return o as unknown as Record<string, unknown>;
  const r: Record<string, unknown> = {};
  for (const k of fields) if (Object.hasOwn(o, k)) r[k] = (o as unknown as Record<string, unknown>)[k];
  return r;
}

export const ipAvailabilityRoute: SubRoute = {
  async handle(deps, ctx, method, parts, url) {
    if (parts.length > 2) throw HTTPNotFound();
    if (method !== 'GET') throw HTTPMethodNotAllowed();
    deps.policy.enforce(ctx, 'get_network_ip_availability', { project_id: ctx.projectId ?? '', tenant_id: ctx.projectId ?? '' });
    const fields = url.searchParams.getAll('fields').filter(Boolean);
    const id = parts[1];
    if (id !== undefined) {
      const [one] = await networkIpAvailabilities(deps, new Map([['network_id', [id]]]));
      if (!one) throw NetworkNotFound(id);
      return { status: 200, body: { network_ip_availability: pickFields(one, fields) } };
    }
    const filters = new Map<string, string[]>();
    const bad: string[] = [];
    for (const k of new Set(url.searchParams.keys())) {
      if (['fields', 'limit', 'marker', 'sort_key', 'sort_dir', 'page_reverse'].includes(k)) continue;
      if (!FILTERS.includes(k)) { bad.push(k); continue; }
      filters.set(k, url.searchParams.getAll(k));
    }
    if (bad.length) throw InvalidFilter(bad);
    const all = await networkIpAvailabilities(deps, filters);
    return { status: 200, body: { network_ip_availabilities: all.map((a) => pickFields(a, fields)) } };
  },
};
