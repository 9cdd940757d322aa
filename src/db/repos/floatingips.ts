// Floating IP rows and what a floating IP's view is assembled from (the
// associated port's details, tags), loaded in batches.
import type { Kysely } from 'kysely';
import type { Database, FloatingIpsTable, PortsTable } from '../schema.ts';
import type { ListQuery } from '../list-query.ts';
import type { Tx } from '../transaction.ts';
import { whereFilters, whereTags, orderAndPage, type ColumnMap } from '../list-sql.ts';
import { chunks, loadTags, nowIso, recordChange } from '../standard-attrs.ts';

type Q = Kysely<Database>;

export type PortDetails = Pick<PortsTable, 'name' | 'network_id' | 'mac_address' | 'admin_state_up' | 'status' | 'device_id' | 'device_owner'>;

export interface FloatingIpRecord {
  row: FloatingIpsTable;
  port: PortDetails | null;
  tags: string[];
}

export const floatingIpColumns: ColumnMap = {
  id: { column: 'f.id', kind: 'string' },
  description: { column: 'f.description', kind: 'string' },
  project_id: { column: 'f.project_id', kind: 'string' },
  floating_ip_address: { column: 'f.floating_ip_address', kind: 'string' },
  floating_network_id: { column: 'f.floating_network_id', kind: 'string' },
  router_id: { column: 'f.router_id', kind: 'string' },
  port_id: { column: 'f.fixed_port_id', kind: 'string' },
  fixed_ip_address: { column: 'f.fixed_ip_address', kind: 'string' },
  status: { column: 'f.status', kind: 'string' },
  revision_number: { column: 'f.revision_number', kind: 'int' },
  created_at: { column: 'f.created_at', kind: 'string' },
  updated_at: { column: 'f.updated_at', kind: 'string' },
};

export async function getFloatingIpRow(q: Q, id: string): Promise<FloatingIpsTable | undefined> {
  return q.selectFrom('floatingips').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function loadFloatingIps(q: Q, rows: FloatingIpsTable[]): Promise<FloatingIpRecord[]> {
  const portIds = [...new Set(rows.map((r) => r.fixed_port_id).filter((p): p is string => p !== null))];
  const ports = new Map<string, PortDetails>();
  for (const chunk of chunks(portIds)) {
    const ps = await q.selectFrom('ports').select(['id', 'name', 'network_id', 'mac_address', 'admin_state_up', 'status', 'device_id', 'device_owner'])
      .where('id', 'in', chunk).execute();
    for (const p of ps) ports.set(p.id, p);
  }
  const tags = await loadTags(q, rows.map((r) => r.id));
  return rows.map((row) => ({ row, port: row.fixed_port_id ? ports.get(row.fixed_port_id) ?? null : null, tags: tags.get(row.id) ?? [] }));
}

export async function listFloatingIpRows(q: Q, lq: ListQuery, visibleProject: string | null | undefined, markerRow: FloatingIpsTable | null): Promise<FloatingIpsTable[]> {
  let qb = q.selectFrom('floatingips as f').selectAll('f');
  if (visibleProject !== undefined) qb = qb.where('f.project_id', '=', visibleProject ?? '');
  // port_id=<empty> lists unassociated floating IPs (empty-string-filtering).
  const portFilter = lq.filters.get('port_id');
  const filters = new Map(lq.filters);
  if (portFilter?.includes('')) {
    filters.delete('port_id');
    qb = qb.where('f.fixed_port_id', 'is', null);
  }
  qb = whereFilters(qb, filters, floatingIpColumns);
  qb = whereTags(qb, 'f.id', lq.tags);
  const marker = markerRow ? { ...markerRow, port_id: markerRow.fixed_port_id } : null;
  return orderAndPage(qb, lq, floatingIpColumns, 'f.id', marker).execute();
}

/** A deleted port takes its floating IPs' associations with it (l3_db.disassociate_floatingips). */
export async function disassociateFloatingIps(tx: Tx, portId: string): Promise<void> {
  const fips = await tx.selectFrom('floatingips').select(['id', 'revision_number']).where('fixed_port_id', '=', portId).execute();
  if (!fips.length) return;
  await tx.updateTable('floatingips')
    .set((eb) => ({ fixed_port_id: null, fixed_ip_address: null, router_id: null, revision_number: eb('revision_number', '+', 1), updated_at: nowIso() }))
    .where('fixed_port_id', '=', portId).execute();
  for (const f of fips) await recordChange(tx, 'floatingip', f.id, 'update', f.revision_number + 1);
}
