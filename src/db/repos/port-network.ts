// What a port create reads about its network, in one round trip: the network as the caller
// sees it (its RBAC grants), the port's project's default security group and quota rows, and
// the network's subnets. Each was a query of its own; on MariaDB or PostgreSQL every query is a network
// round trip, and a sequential create is a dozen of them.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database, NetworksTable } from '../schema.ts';
import { networkAsSeen } from './networks.ts';
import { compiledOnce } from '../compiled-once.ts';
import { kindOf } from '../kind.ts';

export interface PortNetworkSubnet {
  id: string;
  network_id: string;
  ip_version: number;
  cidr: string;
  ipv6_address_mode: string | null;
  ipv6_ra_mode: string | null;
}

export interface PortNetwork {
  row: NetworksTable;
  /** Neutron's per-caller `shared` (an access_as_shared entry for '*' or the caller's project). */
  sharedToCaller: boolean;
  /** The default security group of `groupProject`; null when it has none yet. */
  defaultGroup: string | null;
  /** In creation order, as IPAM walks them. */
  subnets: PortNetworkSubnet[];
  /** `groupProject`'s own quota rows (its limits where they differ from the defaults). */
  quotas: { resource: string; quota_limit: number }[];
  /** MariaDB: what factsFingerprint gave when this was read (null elsewhere). */
  fingerprint: string | null;
}

/**
 * What getPortNetwork read, as MariaDB sums it up: the network's revision, and `groupProject`'s
 * default security group and quota rows; NULL when the network is gone. Every write that
 * changes the rest of what a create reads bumps the network's revision (its updates, its
 * subnets' creates, updates and deletes, RBAC grants on it). A create that reuses facts read
 * earlier checks in its own transaction that this is unchanged (src/services/port-create.ts)
 * instead of reading them again: the same expression, so the comparison is exact. (A digest
 * of every row read cost MariaDB three times as much.)
 */
export function factsFingerprint(id: unknown, groupProject: unknown): RawBuilder<string | null> {
  return sql<string | null>`(select concat(fn.revision_number,
    '|', ifnull((select fd.security_group_id from default_security_groups fd where fd.project_id = ${groupProject}), '~'),
    '|', ifnull((select group_concat(fq.resource, '=', fq.quota_limit order by fq.resource) from quotas fq where fq.project_id = ${groupProject}), '~'))
    from networks fn where fn.id = ${id})`;
}

/**
 * The network `id` as `projectId` sees it (undefined: an admin, sees everything), or
 * undefined when it does not exist or is not visible (networkAsSeen, as getVisibleNetworkRow). The row
 * comes once per grant × subnet × quota row (left joins): few of each.
 */
const portNetworkQuery = compiledOnce((q, id: string, caller: string, groupProject: string) => q.selectFrom('networks as n')
  .leftJoin('rbac_policies as r', (j) => j.onRef('r.object_id', '=', 'n.id').on('r.object_type', '=', 'network')
    .on('r.target_project', 'in', [caller, '*']))
  .leftJoin('default_security_groups as d', (j) => j.on('d.project_id', '=', groupProject))
  .leftJoin('subnets as s', 's.network_id', 'n.id')
  .leftJoin('quotas as qt', (j) => j.on('qt.project_id', '=', groupProject))
  .selectAll('n')
  .select([
    'r.action as rbac_action', 'd.security_group_id as default_group', 's.id as s_id', 's.ip_version as s_ip_version', 's.cidr as s_cidr',
    's.ipv6_address_mode as s_ipv6_address_mode', 's.ipv6_ra_mode as s_ipv6_ra_mode', 's.created_at as s_created_at',
    'qt.resource as q_resource', 'qt.quota_limit as q_limit',
    kindOf(q) === 'mysql' ? factsFingerprint(id, groupProject).as('facts_fp') : sql<string | null>`null`.as('facts_fp'),
  ])
  .where('n.id', '=', id));

type PortNetworkRow = NetworksTable & {
  rbac_action: string | null; default_group: string | null; s_id: string | null; s_ip_version: number | null; s_cidr: string | null;
  s_ipv6_address_mode: string | null; s_ipv6_ra_mode: string | null; s_created_at: string | null; q_resource: string | null; q_limit: number | null;
  facts_fp: string | null;
};

export async function getPortNetwork(q: Kysely<Database>, id: string, projectId: string | null | undefined, groupProject: string): Promise<PortNetwork | undefined> {
  const { rows } = await q.executeQuery<PortNetworkRow>(portNetworkQuery(q, id, projectId ?? '', groupProject));
  if (!rows.length) return undefined;
  const {
    rbac_action: _a, default_group: _d, s_id: _i, s_ip_version: _v, s_cidr: _c, s_ipv6_address_mode: _m, s_ipv6_ra_mode: _r, s_created_at: _t,
    q_resource: _qr, q_limit: _ql, facts_fp: fingerprint, ...row
  } = rows[0];
  const seen = networkAsSeen(row, projectId, rows.map((r) => r.rbac_action));
  if (!seen) return undefined;
  const subnets = new Map<string, PortNetworkSubnet & { created_at: string }>();
  for (const r of rows) {
    if (r.s_id === null || subnets.has(r.s_id)) continue;
    subnets.set(r.s_id, {
      id: r.s_id, network_id: row.id, ip_version: r.s_ip_version!, cidr: r.s_cidr!, ipv6_address_mode: r.s_ipv6_address_mode ?? null,
      ipv6_ra_mode: r.s_ipv6_ra_mode ?? null, created_at: r.s_created_at!,
    });
  }
  const quotas = new Map<string, number>();
  for (const r of rows) if (r.q_resource !== null) quotas.set(r.q_resource, Number(r.q_limit));
  // networkSubnets' order: created_at, then id
  const ordered = [...subnets.values()].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    ...seen, defaultGroup: rows[0].default_group ?? null,
    subnets: ordered.map(({ created_at: _, ...s }) => s), quotas: [...quotas].map(([resource, quota_limit]) => ({ resource, quota_limit })),
    fingerprint: fingerprint ?? null,
  };
}
