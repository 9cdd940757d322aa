// Floating IP port forwardings (neutron/services/portforwarding/pf_plugin.py, Zed):
// a protocol + external port (range) of a "free" floating IP forwarded to a fixed IPv4
// address + port (range) of an internal port behind the router that reaches it. The
// floating IP takes that router as its router_id while it has forwardings.
import { randomUUID } from 'node:crypto';
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { Item } from './item.ts';
import type { FloatingIpsTable, PortForwardingsTable } from '../db/schema.ts';
import { inTransaction, isUniqueViolation, type Tx } from '../db/transaction.ts';
import { getFloatingIpRow } from '../db/repos/floatingips.ts';
import { getPortRow, sortFixedIps } from '../db/repos/ports.ts';
import { portTarget } from './port-access.ts';
import { floatingIpTarget } from './floatingips.ts';
import { bumpRevisionOf, INTF_OWNER } from './routers.ts';
import { recordChange } from '../db/standard-attrs.ts';
import { parseIp, normalizeIp } from '../domain/ip/address.ts';
import { pyRepr } from '../domain/py-str.ts';
import { NeutronError } from '../errors/neutron-error.ts';
import {
  BadRequest, FloatingIPNotFound, FloatingIPPortAlreadyAssociated, PortForwardingNotFound, PortNotFound,
} from '../errors/catalog.ts';

const RES = 'port_forwarding';

export interface PortForwardingRecord { row: PortForwardingsTable }

type Db = Deps['conn']['db'];

const PortHasBindingFloatingIP = (fipAddress: string, fipId: string, portId: string, fixedIp: string) => new NeutronError(409, 'PortHasBindingFloatingIP',
  `Cannot create port forwarding to floating IP ${fipAddress} (${fipId}) with port ${portId} using fixed IP ${fixedIp}, as that port already has a binding floating IP.`);
export const PortForwardingNotSupportFilterField = (filter: string) =>
  new NeutronError(400, 'PortForwardingNotSupportFilterField', `Port Forwarding filter ${filter} is not supported.`);

/** The view (Neutron's PortForwarding.to_dict filtered by the attribute map): single ports only when start = end. */
export function renderPortForwarding(r: PortForwardingRecord): Record<string, unknown> {
  const p = r.row;
  return {
    id: p.id,
    ...(p.external_port_start === p.external_port_end ? { external_port: p.external_port_start } : {}),
    external_port_range: `${p.external_port_start}:${p.external_port_end}`,
    protocol: p.protocol, internal_port_id: p.internal_port_id, internal_ip_address: p.internal_ip_address,
    ...(p.internal_port_start === p.internal_port_end ? { internal_port: p.internal_port_start } : {}),
    internal_port_range: `${p.internal_port_start}:${p.internal_port_end}`,
    description: p.description,
  };
}

/** Policy target: the forwarding plus its parent floating IP's owner (ext_parent:tenant_id). */
function pfTarget(fip: FloatingIpsTable, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...extra, ext_parent_floatingip_id: fip.id, 'ext_parent:tenant_id': fip.project_id, 'ext_parent:project_id': fip.project_id };
}

/** _get_fip_obj with the caller's context: another project's floating IP does not exist for it. */
async function readableFip(deps: Deps, q: Tx | Db, ctx: RequestContext, fipId: string): Promise<FloatingIpsTable> {
  const row = await getFloatingIpRow(q, fipId);
  if (!row || !deps.policy.check(ctx, 'get_floatingip', floatingIpTarget(row))) throw FloatingIPNotFound(fipId);
  return row;
}

async function pfOf(q: Tx | Db, fipId: string, id: string): Promise<PortForwardingsTable | undefined> {
  return q.selectFrom('port_forwardings').selectAll().where('id', '=', id).where('floatingip_id', '=', fipId).executeTakeFirst();
}

// ---------------------------------------------------------------------------
// reads

const NO_FILTER = new Set(['internal_ip_address', 'internal_port']);

export async function listPortForwardings(
  deps: Deps, ctx: RequestContext, fipId: string, filters: Map<string, unknown[]>,
): Promise<PortForwardingRecord[]> {
  const fip = await readableFip(deps, deps.conn.db, ctx, fipId);
  for (const k of filters.keys()) if (NO_FILTER.has(k)) throw PortForwardingNotSupportFilterField(k);
  deps.policy.enforce(ctx, 'get_floatingip_port_forwarding', pfTarget(fip));
  const rows = await deps.conn.db.selectFrom('port_forwardings').selectAll().where('floatingip_id', '=', fipId).orderBy('id').execute();
  const out: PortForwardingRecord[] = [];
  for (const row of rows) {
    const view = renderPortForwarding({ row });
    if ([...filters].every(([k, vals]) => vals.some((v) => String(view[k]) === String(v)))) out.push({ row });
  }
  return out;
}

export async function getPortForwarding(deps: Deps, ctx: RequestContext, fipId: string, id: string): Promise<PortForwardingRecord> {
  const fip = await readableFip(deps, deps.conn.db, ctx, fipId);
  const row = await pfOf(deps.conn.db, fipId, id);
  if (!row) throw PortForwardingNotFound(id);
  deps.policy.enforce(ctx, 'get_floatingip_port_forwarding', pfTarget(fip, renderPortForwarding({ row })));
  return { row };
}

// ---------------------------------------------------------------------------
// port (range) arithmetic, as the plugin does it on "a:b" strings

interface Range { start: number; end: number }

function parseRange(s: string): Range {
  const [a, b] = s.split(':').map(Number);
  return { start: a, end: b ?? a };
}
const fmt = (r: Range) => `${r.start}:${r.end}`;

/** The ports a request names: a range wins over a single port (as the plugin's to-db order leaves it). */
function requestedRange(item: Item, single: string, range: string): Range | null {
  if (item[range] != null) return parseRange(String(item[range]));
  if (item[single] != null) return { start: item[single] as number, end: item[single] as number };
  return null;
}

/** _validate_ranges: N-N or 1-N. */
function validateRanges(internal: Range | null, external: Range | null): void {
  const dif = (r: Range | null) => (r ? r.end - r.start : 0);
  if (dif(internal) > 0 && dif(internal) !== dif(external)) {
    throw BadRequest(RES, 'Invalid ranges of internal and/or external ports. The relation between internal and external ports must be N-N or 1-N');
  }
}

/** _range_collides (with its port value check). */
function collides(a: Range, b: Range): boolean {
  if ([a.start, a.end, b.start, b.end].some((p) => p < 1 || p > 65535)) {
    throw BadRequest(RES, 'Invalid port value, the port value must be a value between 1 and 65535.');
  }
  return Math.max(a.start, b.start) <= Math.min(a.end, b.end);
}

/** _check_port_collisions: the external range on the floating IP, the internal range on the internal socket, per protocol. */
async function checkCollisions(
  tx: Tx, fipId: string, pf: { protocol: string; internal_port_id: string; internal_ip_address: string | null },
  internal: Range | null, external: Range | null, exceptId: string | null,
): Promise<void> {
  validateRanges(internal, external);
  if (internal && pf.internal_ip_address !== null) {
    const same = await tx.selectFrom('port_forwardings').selectAll().where('internal_port_id', '=', pf.internal_port_id)
      .where('protocol', '=', pf.protocol).where('internal_ip_address', '=', pf.internal_ip_address).orderBy('id').execute();
    for (const o of same) {
      if (o.id === exceptId) continue;
      const existing = { start: o.internal_port_start, end: o.internal_port_end };
      if (collides(existing, internal)) {
        throw BadRequest(RES, `There is a port collision with the internal_port_range. The following ranges collides: ${fmt(existing)} and ${fmt(internal)}`);
      }
    }
  }
  if (external) {
    const same = await tx.selectFrom('port_forwardings').selectAll().where('floatingip_id', '=', fipId).where('protocol', '=', pf.protocol).orderBy('id').execute();
    for (const o of same) {
      if (o.id === exceptId) continue;
      const existing = { start: o.external_port_start, end: o.external_port_end };
      if (collides(existing, external)) {
        throw BadRequest(RES, `There is a port collision with the external_port_range. The following ranges collides: ${fmt(existing)} and ${fmt(external)}`);
      }
    }
  }
}

/** Neutron's port view of fixed_ips in a message: [{'subnet_id': ..., 'ip_address': ...}]. */
const fixedIpsRepr = (ips: { subnet_id: string; ip_address: string }[]) =>
  pyRepr(sortFixedIps(ips.map((i) => ({ subnet_id: i.subnet_id, ip_address: i.ip_address }))));

/** _find_a_router_for_fip_port_forwarding: the internal address and the router that reaches it from the floating network. */
async function routerFor(
  deps: Deps, ctx: RequestContext, tx: Tx, fip: FloatingIpsTable, portId: string, wantedIp: string | null,
): Promise<{ routerId: string; internalIp: string }> {
  const port = await getPortRow(tx, portId);
  if (!port || !deps.policy.check(ctx, 'get_port', portTarget(port))) throw PortNotFound(portId);
  const ips = await tx.selectFrom('ip_allocations').select(['subnet_id', 'ip_address']).where('port_id', '=', portId).execute();
  const v4 = sortFixedIps(ips.filter((i) => parseIp(i.ip_address)?.version === 4));
  if (!v4.length) throw BadRequest(RES, `Requested internal port ${portId} must allocate an IPv4 address at least.`);
  let chosen = v4[0];
  if (wantedIp !== null) {
    const want = normalizeIp(wantedIp) ?? wantedIp;
    const hit = v4.find((i) => i.ip_address === want);
    if (!hit) {
      throw BadRequest(RES, `Requested internal IP address ${wantedIp} is not suitable for internal neutron port ${portId}, as its fixed_ips are ${fixedIpsRepr(v4)}`);
    }
    chosen = hit;
  }
  const router = await tx.selectFrom('routers as r').innerJoin('router_ports as rp', 'rp.router_id', 'r.id')
    .innerJoin('ip_allocations as a', 'a.port_id', 'rp.port_id')
    .select('r.id').where('r.gw_network_id', '=', fip.floating_network_id).where('rp.port_type', '=', INTF_OWNER)
    .where('a.subnet_id', '=', chosen.subnet_id).orderBy('r.id').limit(1).executeTakeFirst();
  if (!router) {
    throw BadRequest(RES, `External network ${fip.floating_network_id} is not reachable from subnet ${chosen.subnet_id}. `
      + `Cannot set Port forwarding for port ${portId} with Floating IP ${fip.id}`);
  }
  return { routerId: router.id, internalIp: chosen.ip_address };
}

/** _check_router_match: a floating IP already serving forwardings stays on its router. */
async function checkRouterMatch(tx: Tx, fip: FloatingIpsTable, routerId: string, portId: string, internalIp: string, internalPort: number | null): Promise<void> {
  if (!fip.router_id || fip.router_id === routerId) return;
  const same = internalPort === null ? undefined : await tx.selectFrom('port_forwardings').select('id').where('floatingip_id', '=', fip.id)
    .where('internal_ip_address', '=', internalIp).where('internal_port_start', '=', internalPort).where('internal_port_end', '=', internalPort)
    .executeTakeFirst();
  if (same) {
    throw BadRequest(RES, `Floating IP ${fip.id} with params: internal_ip_address: ${internalIp}, internal_port: ${internalPort} already exists`);
  }
  throw BadRequest(RES, `The Floating IP ${fip.id} had been set on router ${fip.router_id}, the internal Neutron port ${portId} can not reach it`);
}

/** _check_port_has_binding_floating_ip: a port with a floating IP of its own cannot also be forwarded to. */
async function checkPortHasNoFip(tx: Tx, portId: string, internalIp: unknown): Promise<void> {
  const f = await tx.selectFrom('floatingips').select(['id', 'floating_ip_address']).where('fixed_port_id', '=', portId).orderBy('id').executeTakeFirst();
  if (f) throw PortHasBindingFloatingIP(f.floating_ip_address, f.id, portId, internalIp == null ? 'None' : String(internalIp));
}

/** A forwarding changed: the floating IP and the internal port revise (revises_on_change). */
async function touch(tx: Tx, fipId: string, portIds: string[]): Promise<void> {
  await bumpRevisionOf(tx, 'floatingips', fipId, 'floatingip');
  for (const p of new Set(portIds)) {
    await tx.updateTable('ports').set((eb) => ({ revision_number: eb('revision_number', '+', 1) })).where('id', '=', p).execute();
    await recordChange(tx, 'port', p, 'update');
  }
}

function duplicate(conflict: Record<string, unknown>): NeutronError {
  return BadRequest(RES, `A duplicate port forwarding entry with same attributes already exists, conflicting values are ${pyRepr(conflict)}`);
}

// ---------------------------------------------------------------------------
// writes

export async function createPortForwarding(deps: Deps, ctx: RequestContext, fipId: string, item: Item, explicit: Set<string>): Promise<PortForwardingRecord> {
  const id = randomUUID();
  await inTransaction(deps.conn, async (tx) => {
    const fipAny = await getFloatingIpRow(tx, fipId);
    if (!fipAny) throw FloatingIPNotFound(fipId);
    // The controller enforces before the plugin looks anything up.
    deps.policy.enforce(ctx, 'create_floatingip_port_forwarding', pfTarget(fipAny, item), explicit);
    const portId = item.internal_port_id as string;
    const wantedIp = (item.internal_ip_address ?? null) as string | null;
    if (item.internal_port == null && item.internal_port_range == null) {
      throw BadRequest(RES, 'Either internal_port or internal_port_range must be specified');
    }
    if (item.external_port == null && item.external_port_range == null) {
      throw BadRequest(RES, 'Either external_port or external_port_range must be specified');
    }
    const internal = requestedRange(item, 'internal_port', 'internal_port_range')!;
    const external = requestedRange(item, 'external_port', 'external_port_range')!;
    const protocol = item.protocol as string;
    await checkCollisions(tx, fipId, { protocol, internal_port_id: portId, internal_ip_address: wantedIp }, internal, external, null);
    await checkPortHasNoFip(tx, portId, wantedIp);
    const fip = await readableFip(deps, tx, ctx, fipId);
    if (fip.fixed_port_id) {
      throw FloatingIPPortAlreadyAssociated(fip.floating_ip_address, fip.id, portId, wantedIp ?? 'None', fip.floating_network_id);
    }
    const { routerId, internalIp } = await routerFor(deps, ctx, tx, fip, portId, wantedIp);
    await checkRouterMatch(tx, fip, routerId, portId, internalIp, internal.start === internal.end ? internal.start : null);
    if (!fip.router_id) await tx.updateTable('floatingips').set({ router_id: routerId }).where('id', '=', fipId).execute();
    const row: PortForwardingsTable = {
      id, floatingip_id: fipId, internal_port_id: portId, internal_ip_address: internalIp, protocol,
      external_port_start: external.start, external_port_end: external.end, internal_port_start: internal.start, internal_port_end: internal.end,
      description: (item.description as string | undefined) ?? '',
    };
    try {
      await tx.insertInto('port_forwardings').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw duplicate({ floatingip_id: fipId, external_port: external.start, protocol });
      throw e;
    }
    await touch(tx, fipId, [portId]);
  });
  return { row: (await pfOf(deps.conn.db, fipId, id))! };
}

export async function updatePortForwarding(deps: Deps, ctx: RequestContext, fipId: string, id: string, changes: Item): Promise<PortForwardingRecord> {
  await inTransaction(deps.conn, async (tx) => {
    const fip = await readableFip(deps, tx, ctx, fipId);
    const old = await pfOf(tx, fipId, id);
    if (!old) throw PortForwardingNotFound(id);
    deps.policy.enforce(ctx, 'update_floatingip_port_forwarding', pfTarget(fip, { ...renderPortForwarding({ row: old }), ...changes }), Object.keys(changes));
    const next: PortForwardingsTable = { ...old };
    const newPortId = (changes.internal_port_id ?? null) as string | null;
    if (newPortId !== null) await checkPortHasNoFip(tx, newPortId, changes.internal_ip_address);
    if (newPortId !== null && newPortId !== old.internal_port_id) {
      const wanted = (changes.internal_ip_address ?? null) as string | null;
      const { routerId, internalIp } = await routerFor(deps, ctx, tx, fip, newPortId, wanted);
      const ip = changes.internal_port ?? null;
      await checkRouterMatch(tx, fip, routerId, newPortId, internalIp, ip === null ? null : ip as number);
      next.internal_port_id = newPortId;
      next.internal_ip_address = internalIp;
    }
    if (changes.internal_ip_address != null) next.internal_ip_address = normalizeIp(changes.internal_ip_address as string) ?? (changes.internal_ip_address as string);
    if (changes.protocol != null) next.protocol = changes.protocol as string;
    if ('description' in changes) next.description = (changes.description as string | null) ?? '';
    const internal = requestedRange(changes, 'internal_port', 'internal_port_range');
    const external = requestedRange(changes, 'external_port', 'external_port_range');
    if (internal) { next.internal_port_start = internal.start; next.internal_port_end = internal.end; }
    if (external) { next.external_port_start = external.start; next.external_port_end = external.end; }

    // _check_port_forwarding_update: the address must be on the port; no twin outside or inside.
    const ips = await tx.selectFrom('ip_allocations').select(['subnet_id', 'ip_address']).where('port_id', '=', next.internal_port_id).execute();
    if (!ips.some((i) => i.ip_address === next.internal_ip_address)) {
      throw BadRequest(RES, `The internal IP does not correspond to an address on the internal port, which has fixed_ips ${fixedIpsRepr(ips)}`);
    }
    const twins = await tx.selectFrom('port_forwardings').selectAll().where('floatingip_id', '=', fipId).where('protocol', '=', next.protocol)
      .where('id', '!=', id).orderBy('id').execute();
    const single = (s: number, e: number) => (s === e ? s : null);
    for (const o of twins) {
      const ext = single(o.external_port_start, o.external_port_end);
      if (ext !== null && ext === single(next.external_port_start, next.external_port_end)) {
        throw BadRequest(RES, `Another port forwarding entry with the same attributes already exists, conflicting values are ${pyRepr({ floating_ip_address: fip.floating_ip_address, external_port: ext })}`);
      }
      const int = single(o.internal_port_start, o.internal_port_end);
      if (o.internal_port_id === next.internal_port_id && o.internal_ip_address === next.internal_ip_address
        && int !== null && int === single(next.internal_port_start, next.internal_port_end)) {
        throw BadRequest(RES, `Another port forwarding entry with the same attributes already exists, conflicting values are ${pyRepr({
          internal_port_id: o.internal_port_id, internal_ip_address: o.internal_ip_address, internal_port: int,
        })}`);
      }
    }
    if (internal || external) {
      await checkCollisions(tx, fipId, next, internal, external, id);
    }
    const changed = (Object.keys(next) as (keyof PortForwardingsTable)[]).some((k) => next[k] !== old[k]);
    if (!changed) return;
    try {
      await tx.updateTable('port_forwardings').set(next).where('id', '=', id).execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw duplicate({ floatingip_id: fipId, external_port: next.external_port_start, protocol: next.protocol });
      throw e;
    }
    await touch(tx, fipId, [old.internal_port_id, next.internal_port_id]);
  });
  return { row: (await pfOf(deps.conn.db, fipId, id))! };
}

export async function deletePortForwarding(deps: Deps, ctx: RequestContext, fipId: string, id: string): Promise<void> {
  await inTransaction(deps.conn, async (tx) => {
    const fip = await readableFip(deps, tx, ctx, fipId);
    const row = await pfOf(tx, fipId, id);
    if (!row) throw PortForwardingNotFound(id);
    deps.policy.enforce(ctx, 'delete_floatingip_port_forwarding', pfTarget(fip, renderPortForwarding({ row })));
    await tx.deleteFrom('port_forwardings').where('id', '=', id).execute();
    await releaseRouterIfLast(tx, fipId);
    await touch(tx, fipId, [row.internal_port_id]);
  });
}

/** The floating IP's last forwarding went: it no longer belongs to a router. */
async function releaseRouterIfLast(tx: Tx, fipId: string): Promise<void> {
  const left = await tx.selectFrom('port_forwardings').select('id').where('floatingip_id', '=', fipId).limit(1).executeTakeFirst();
  if (!left) await tx.updateTable('floatingips').set({ router_id: null }).where('id', '=', fipId).where('fixed_port_id', 'is', null).execute();
}

/**
 * _process_port_request: a port being deleted (keep = null) or losing fixed IPv4 addresses
 * (keep = the addresses it keeps) takes the forwardings to the lost addresses with it.
 */
export async function dropForwardingsOfPort(tx: Tx, portId: string, keep: readonly string[] | null): Promise<void> {
  const pfs = await tx.selectFrom('port_forwardings').select(['id', 'floatingip_id', 'internal_ip_address']).where('internal_port_id', '=', portId).execute();
  const gone = pfs.filter((p) => keep === null || !keep.includes(p.internal_ip_address));
  if (!gone.length) return;
  await tx.deleteFrom('port_forwardings').where('id', 'in', gone.map((p) => p.id)).execute();
  for (const fipId of new Set(gone.map((p) => p.floatingip_id))) {
    await releaseRouterIfLast(tx, fipId);
    await bumpRevisionOf(tx, 'floatingips', fipId, 'floatingip');
  }
}
