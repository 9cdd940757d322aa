// The reads behind the shared index (./shared-index.ts) that are not about ports: the
// networks, the security groups with their rules, members and address groups, and whether the
// changes between two revisions were all security-group ones (then the ports are kept).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { byChunks, group } from './chunked.ts';
import { parseIp } from '../domain/ip/address.ts';
import type { MemberAddresses, NetworkState, SecurityGroupRuleState, SecurityGroupState } from './host-state.ts';

type Db = Kysely<Database>;

/** Change types that leave every port-side table (ports, addresses, group links, pairs, networks, agents, DHCP/L3 placement) as it was. */
const SECURITY_ONLY = new Set(['security_group_rule', 'security_group', 'address_group']);
/** past this many changes a full read is cheaper than looking at them */
const MAX_DELTA = 1000;

/**
 * Every change in (from, to] is a security-group one. A gap in the sequence (pruned rows, a
 * rolled-back insert, a transaction not yet committed) counts as "something else".
 */
export async function onlySecurityChanges(db: Db, from: number, to: number): Promise<boolean> {
  if (to <= from || to - from > MAX_DELTA) return false;
  const rows = await db.selectFrom('changes').select('resource_type').where('seq', '>', from).where('seq', '<=', to).execute();
  return rows.length === to - from && rows.every((r) => SECURITY_ONLY.has(r.resource_type));
}

/** The groups of secured ports, their rules, and the members and address groups the rules name; `known` members are kept. */
export async function loadSecurity(db: Db, sgIds: readonly string[], known: ReadonlyMap<string, MemberAddresses>): Promise<{
  groups: Map<string, SecurityGroupState>; members: Map<string, MemberAddresses>; addressGroups: Map<string, string[]>;
}> {
  const groups = await loadGroups(db, sgIds);
  const rules = [...groups.values()].flatMap((g) => g.rules);
  const remote = [...new Set(rules.map((r) => r.remote_group_id).filter((x): x is string => !!x))];
  const members = await loadMembers(db, remote.filter((id) => !known.has(id)));
  for (const id of remote) if (known.has(id)) members.set(id, known.get(id)!);
  const addressGroups = await loadAddressGroups(db, [...new Set(rules.map((r) => r.remote_address_group_id).filter((x): x is string => !!x))]);
  return { groups, members, addressGroups };
}

export async function loadNetworks(db: Db, ids: readonly string[]): Promise<NetworkState[]> {
  const rows = await byChunks(ids, (c) => db.selectFrom('networks').select(['id', 'mtu', 'admin_state_up']).where('id', 'in', c).execute());
  const segs = group(await byChunks(ids, (c) => db.selectFrom('network_segments').selectAll().where('network_id', 'in', c).orderBy('segment_index').execute()), (s) => s.network_id);
  return rows.map((n) => {
    const s = segs.get(n.id)?.[0];
    return {
      id: n.id, network_type: s?.network_type ?? 'local', physical_network: s?.physical_network ?? null,
      segmentation_id: s?.segmentation_id ?? null, mtu: n.mtu, admin_state_up: n.admin_state_up === 1,
    };
  }).sort((a, b) => a.id.localeCompare(b.id));
}

async function loadGroups(db: Db, sgIds: readonly string[]): Promise<Map<string, SecurityGroupState>> {
  const sgs = await byChunks(sgIds, (c) => db.selectFrom('security_groups').select(['id', 'stateful']).where('id', 'in', c).execute());
  const rules = group(await byChunks(sgIds, (c) => db.selectFrom('security_group_rules').selectAll().where('security_group_id', 'in', c).execute()), (r) => r.security_group_id);
  return new Map(sgs.map((g) => [g.id, {
    id: g.id, stateful: g.stateful === 1,
    rules: (rules.get(g.id) ?? []).map((r): SecurityGroupRuleState => ({
      id: r.id, direction: r.direction as 'ingress' | 'egress', ethertype: r.ethertype as 'IPv4' | 'IPv6', protocol: r.protocol,
      port_range_min: r.port_range_min, port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix,
      remote_group_id: r.remote_group_id, remote_address_group_id: r.remote_address_group_id,
    })).sort((a, b) => a.id.localeCompare(b.id)),
  }]));
}

/** members: fixed IPs and allowed address pairs of every port in the group, cloud-wide */
async function loadMembers(db: Db, ids: readonly string[]): Promise<Map<string, MemberAddresses>> {
  const out = new Map(ids.map((id) => [id, { IPv4: [] as string[], IPv6: [] as string[] }]));
  const members = await byChunks(ids, (c) => db.selectFrom('port_security_groups as psg').innerJoin('ip_allocations as ia', 'ia.port_id', 'psg.port_id')
    .select(['psg.security_group_id as sg', 'ia.ip_address as ip']).where('psg.security_group_id', 'in', c).execute());
  const pairMembers = await byChunks(ids, (c) => db.selectFrom('port_security_groups as psg').innerJoin('port_allowed_address_pairs as ap', 'ap.port_id', 'psg.port_id')
    .select(['psg.security_group_id as sg', 'ap.ip_address as ip']).where('psg.security_group_id', 'in', c).execute());
  const seen = new Map(ids.map((id) => [id, new Set<string>()]));
  for (const m of [...members, ...pairMembers]) {
    if (seen.get(m.sg)!.has(m.ip)) continue;
    seen.get(m.sg)!.add(m.ip);
    const v = parseIp(m.ip.split('/')[0])?.version;
    out.get(m.sg)![v === 6 ? 'IPv6' : 'IPv4'].push(m.ip);
  }
  for (const g of out.values()) { g.IPv4.sort(); g.IPv6.sort(); }
  return out;
}

async function loadAddressGroups(db: Db, ids: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map(ids.map((id) => [id, [] as string[]]));
  for (const a of await byChunks(ids, (c) => db.selectFrom('address_group_addresses').selectAll().where('address_group_id', 'in', c).execute())) {
    out.get(a.address_group_id)!.push(a.address);
  }
  for (const l of out.values()) l.sort();
  return out;
}
