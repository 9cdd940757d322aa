// What every host's Linux bridge sections (networks, ports, security groups, remote-group
// members, address groups, l2population peers) are assembled from, read from the database
// once per feed revision for all hosts at once. A change wakes every host's watch; reading
// the ports, groups and peers again for each of N hosts made the work N × (all ports) — at
// 1,000 hosts, minutes per change. Now: one read of the bound ports and what hangs on them
// per revision, each section value shared by the hosts it is the same for (a security group,
// a set of remote groups, a network's peers), and its digest computed once.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { byChunks, group } from './chunked.ts';
import { parseIp } from '../domain/ip/address.ts';
import { currentRevision } from './revision.ts';
import { DHCP_AGENT_TYPE, L3_AGENT_TYPE, LINUXBRIDGE_AGENT_TYPE } from '../domain/agent-types.ts';
import type {
  AddressPair, FixedIp, HostState, L2popPeer, NetworkState, SecurityGroupRuleState, SecurityGroupState,
} from './host-state.ts';

type Db = Kysely<Database>;

export interface PortBase {
  id: string;
  network_id: string;
  mac_address: string;
  admin_state_up: number;
  device_owner: string;
  device_id: string;
  port_security_enabled: number;
  binding_host_id: string;
  dns_name: string;
}

export const PORT_COLS = ['id', 'network_id', 'mac_address', 'admin_state_up', 'device_owner', 'device_id', 'port_security_enabled', 'binding_host_id', 'dns_name'] as const;

export const digestOf = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 20);

/** A section value and its digest. */
export interface Section<T> { value: T; digest: string }

interface SecurityView {
  security_groups: Section<SecurityGroupState[]>;
  remote_groups: Section<HostState['remote_groups']>;
  address_groups: Section<HostState['address_groups']>;
}

/** One network's l2population facts: every bridge-bound port, by the VTEP of its host. */
interface NetworkPeers {
  /** vtep → the peer entry with every port behind it, and those ports' entries by host */
  byVtep: Map<string, { peer: L2popPeer; perHost: Map<string, [string, string][]> }>;
  digest: string;
}

export class SharedIndex {
  readonly revision: number;
  /** ports bound to each host with vif_type bridge */
  readonly boundByHost: Map<string, PortBase[]>;
  readonly fixedIps: Map<string, FixedIp[]>;
  readonly sgLinks: Map<string, string[]>;
  readonly pairs: Map<string, AddressPair[]>;
  readonly networks: Map<string, NetworkState>;
  /** host → the networks its DHCP agent serves (those with a DHCP-enabled subnet) */
  readonly servedNets: Map<string, string[]>;
  readonly l3Hosts: Set<string>;
  private readonly vtepOf: Map<string, string>;
  private readonly groups: Map<string, SecurityGroupState>;
  private readonly members: Map<string, { IPv4: string[]; IPv6: string[] }>;
  private readonly addressGroups: Map<string, string[]>;
  private readonly securityMemo = new Map<string, SecurityView>();
  private readonly peersMemo = new Map<string, NetworkPeers>();

  private constructor(f: Omit<SharedIndex, 'security' | 'l2pop' | 'networkDigest'> & {
    vtepOf: Map<string, string>; groups: Map<string, SecurityGroupState>; members: Map<string, { IPv4: string[]; IPv6: string[] }>; addressGroups: Map<string, string[]>;
  }) {
    this.revision = f.revision;
    this.boundByHost = f.boundByHost;
    this.fixedIps = f.fixedIps;
    this.sgLinks = f.sgLinks;
    this.pairs = f.pairs;
    this.networks = f.networks;
    this.servedNets = f.servedNets;
    this.l3Hosts = f.l3Hosts;
    this.vtepOf = f.vtepOf;
    this.groups = f.groups;
    this.members = f.members;
    this.addressGroups = f.addressGroups;
  }

  /** The revision is read first: a change committed meanwhile is seen again by the next watch. */
  static async load(db: Db): Promise<SharedIndex> {
    const revision = await currentRevision(db);
    const bound = await db.selectFrom('ports').select(PORT_COLS).where('binding_vif_type', '=', 'bridge').execute();
    const ofBound = <T>(q: (ids: string[]) => Promise<T[]>) => byChunks(bound.map((p) => p.id), q);
    const ipRows = await ofBound((c) => db.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', c).execute());
    const sgRows = await ofBound((c) => db.selectFrom('port_security_groups').selectAll().where('port_id', 'in', c).execute());
    const pairRows = await ofBound((c) => db.selectFrom('port_allowed_address_pairs').selectAll().where('port_id', 'in', c).execute());

    const dhcpAgents = await db.selectFrom('agents').select(['id', 'host']).where('agent_type', '=', DHCP_AGENT_TYPE).execute();
    const servedNets = new Map<string, string[]>();
    if (dhcpAgents.length) {
      const hostOf = new Map(dhcpAgents.map((a) => [a.id, a.host]));
      const links = await byChunks(dhcpAgents.map((a) => a.id), (c) => db.selectFrom('network_dhcp_agents').select(['network_id', 'dhcp_agent_id']).where('dhcp_agent_id', 'in', c).execute());
      const withDhcp = new Set((await byChunks([...new Set(links.map((l) => l.network_id))], (c) => db.selectFrom('subnets').select('network_id')
        .where('network_id', 'in', c).where('enable_dhcp', '=', 1).execute())).map((s) => s.network_id));
      for (const l of links) {
        if (!withDhcp.has(l.network_id)) continue;
        const h = hostOf.get(l.dhcp_agent_id)!;
        const list = servedNets.get(h);
        if (!list) servedNets.set(h, [l.network_id]); else if (!list.includes(l.network_id)) list.push(l.network_id);
      }
    }
    const l3Hosts = new Set((await db.selectFrom('agents').select('host').where('agent_type', '=', L3_AGENT_TYPE).execute()).map((a) => a.host));
    const netIds = [...new Set([...bound.map((p) => p.network_id), ...[...servedNets.values()].flat()])];
    const networks = new Map((await loadNetworks(db, netIds)).map((n) => [n.id, n]));

    const vtepOf = new Map<string, string>();
    for (const a of await db.selectFrom('agents').select(['host', 'configurations']).where('agent_type', '=', LINUXBRIDGE_AGENT_TYPE).execute()) {
      const ip = (JSON.parse(a.configurations) as { tunneling_ip?: string | null }).tunneling_ip;
      if (ip) vtepOf.set(a.host, ip);
    }

    const sgLinks = new Map<string, string[]>();
    for (const [port, rows] of group(sgRows, (r) => r.port_id)) sgLinks.set(port, rows.map((r) => r.security_group_id).sort());
    const secured = new Set(bound.filter((p) => p.port_security_enabled === 1).map((p) => p.id));
    const sgIds = [...new Set(sgRows.filter((r) => secured.has(r.port_id)).map((r) => r.security_group_id))].sort();
    const groups = await loadGroups(db, sgIds);
    const rules = [...groups.values()].flatMap((g) => g.rules);
    const members = await loadMembers(db, [...new Set(rules.map((r) => r.remote_group_id).filter((x): x is string => !!x))]);
    const addressGroups = await loadAddressGroups(db, [...new Set(rules.map((r) => r.remote_address_group_id).filter((x): x is string => !!x))]);

    return new SharedIndex({
      revision, networks, servedNets, l3Hosts, vtepOf, groups, members, addressGroups, sgLinks,
      boundByHost: group(bound, (p) => p.binding_host_id),
      fixedIps: new Map([...group(ipRows, (r) => r.port_id)].map(([k, rows]) => [k, rows.map((r) => ({ subnet_id: r.subnet_id, ip_address: r.ip_address }))])),
      pairs: new Map([...group(pairRows, (r) => r.port_id)].map(([k, rows]) => [k, rows.map((a) => ({ ip_address: a.ip_address, mac_address: a.mac_address }))])),
    });
  }

  /** security_groups, remote_groups and address_groups of a host whose secured ports are in `sgIds` (sorted). */
  security(sgIds: readonly string[]): SecurityView {
    const key = sgIds.join(',');
    let v = this.securityMemo.get(key);
    if (v) return v;
    const security_groups = sgIds.map((id) => this.groups.get(id)).filter((g) => g !== undefined).sort((a, b) => a.id.localeCompare(b.id));
    const allRules = security_groups.flatMap((g) => g.rules);
    const remote_groups: HostState['remote_groups'] = {};
    for (const id of [...new Set(allRules.map((r) => r.remote_group_id).filter((x): x is string => !!x))].sort()) {
      remote_groups[id] = this.members.get(id) ?? { IPv4: [], IPv6: [] };
    }
    const address_groups: HostState['address_groups'] = {};
    for (const id of [...new Set(allRules.map((r) => r.remote_address_group_id).filter((x): x is string => !!x))].sort()) {
      address_groups[id] = this.addressGroups.get(id) ?? [];
    }
    v = {
      security_groups: { value: security_groups, digest: digestOf(security_groups) },
      remote_groups: { value: remote_groups, digest: digestOf(remote_groups) },
      address_groups: { value: address_groups, digest: digestOf(address_groups) },
    };
    this.securityMemo.set(key, v);
    return v;
  }

  /**
   * l2population for `host` on its VXLAN networks: the ports of every other host, by VTEP.
   * The digest comes from the networks' shared digests (which cover whose ports are where),
   * so hosts whose peers did not change are told so without their list being assembled.
   */
  l2pop(host: string, vxlanNets: readonly NetworkState[]): { digest: string; value: () => L2popPeer[] } {
    const per = vxlanNets.map((n) => ({ net: n, peers: this.peers(n) }));
    const digest = digestOf([host, per.map((p) => p.peers.digest)]);
    return {
      digest,
      value: () => {
        const out: L2popPeer[] = [];
        for (const { peers } of per) {
          for (const { peer, perHost } of peers.byVtep.values()) {
            if (!perHost.has(host)) { out.push(peer); continue; }
            // this host's own ports are no peers of it (another host sharing its VTEP's are)
            const ports = [...perHost].filter(([h]) => h !== host).flatMap(([, p]) => p).sort(byEntry);
            if (ports.length) out.push({ ...peer, ports });
          }
        }
        return out.sort((a, b) => (a.network_id + a.vtep).localeCompare(b.network_id + b.vtep));
      },
    };
  }

  private peers(net: NetworkState): NetworkPeers {
    let v = this.peersMemo.get(net.id);
    if (v) return v;
    const byVtep = new Map<string, { peer: L2popPeer; perHost: Map<string, [string, string][]> }>();
    for (const [host, ports] of this.boundByHost) {
      const vtep = this.vtepOf.get(host);
      if (!vtep) continue;
      for (const p of ports) {
        if (p.network_id !== net.id) continue;
        let e = byVtep.get(vtep);
        if (!e) byVtep.set(vtep, e = { peer: { network_id: net.id, segmentation_id: net.segmentation_id ?? 0, vtep, ports: [] }, perHost: new Map() });
        let mine = e.perHost.get(host);
        if (!mine) e.perHost.set(host, mine = []);
        const addrs = (this.fixedIps.get(p.id) ?? []).map((r) => r.ip_address);
        if (addrs.length === 0) mine.push([p.mac_address, '']);
        for (const a of addrs) mine.push([p.mac_address, a]);
        // Allowed address pairs that name one address need an ARP/ND entry too: with the VXLAN
        // device's proxy flag, a remote address without one is unreachable.
        for (const a of this.pairs.get(p.id) ?? []) {
          const single = a.ip_address.replace(/\/(32|128)$/, '');
          if (!single.includes('/')) mine.push([a.mac_address, single]);
        }
      }
    }
    for (const { peer, perHost } of byVtep.values()) peer.ports = [...perHost.values()].flat().sort(byEntry);
    const entries = [...byVtep.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    v = { byVtep: new Map(entries), digest: digestOf(entries.map(([, e]) => [e.peer, [...e.perHost.keys()].sort()])) };
    this.peersMemo.set(net.id, v);
    return v;
  }
}

const byEntry = (a: [string, string], b: [string, string]) => (a[0] + a[1]).localeCompare(b[0] + b[1]);

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
async function loadMembers(db: Db, ids: readonly string[]): Promise<Map<string, { IPv4: string[]; IPv6: string[] }>> {
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

/** The index of the newest revision read, shared by every watch that reads it (one per database). */
const current = new WeakMap<Db, { revision: number; index: Promise<SharedIndex> }>();

export async function sharedIndex(db: Db, atLeast?: number): Promise<SharedIndex> {
  // a thousand watches woken by one write all know the revision they were woken at: the
  // index of that revision needs no query to tell it is recent enough
  const cached = current.get(db);
  if (cached && atLeast !== undefined && cached.revision >= atLeast) return cached.index;
  const revision = await currentRevision(db);
  const c = current.get(db);
  if (c && c.revision >= revision) return c.index;
  const index = SharedIndex.load(db);
  const entry = { revision, index };
  current.set(db, entry);
  index.catch(() => { if (current.get(db) === entry) current.delete(db); });
  return index;
}
