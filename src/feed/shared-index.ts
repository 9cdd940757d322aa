// What every host's Linux bridge sections (networks, ports, security groups, remote-group
// members, address groups, l2population peers) are assembled from, read from the database
// once per feed revision for all hosts at once. A change wakes every host's watch; reading
// the ports, groups and peers again for each of N hosts made the work N × (all ports) — at
// 1,000 hosts, minutes per change. Now: one read of the bound ports and what hangs on them
// per revision, each section value shared by the hosts it is the same for (a security group,
// a set of remote groups, a network's peers), and its digest computed once.
//
// A revision whose changes are all security-group ones (a rule added or removed: what an
// operator does most to a running cloud) leaves the ports, their addresses, the agents and the
// networks as they were: the next index keeps those, with each host's port-side sections and
// digests already built, and reads only the groups' rules (and members of groups newly named).
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { byChunks, group } from './chunked.ts';
import { currentRevision } from './revision.ts';
import { loadNetworks, loadSecurity, onlySecurityChanges } from './index-reads.ts';
import { DHCP_AGENT_TYPE, L3_AGENT_TYPE, LINUXBRIDGE_AGENT_TYPE } from '../domain/agent-types.ts';
import {
  deviceName, type AddressPair, type FixedIp, type HostState, type L2popPeer, type NetworkState, type PortState, type SecurityGroupState,
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

/** A host's Linux bridge sections that depend only on the ports (not on the groups' rules). */
export interface HostPorts {
  networks: Section<NetworkState[]>;
  ports: Section<PortState[]>;
  l2pop: { digest: string; value: () => L2popPeer[] };
  /** the groups of its secured ports (sorted): the key of its security sections */
  sgIds: string[];
}

/** The groups' side of an index (src/feed/index-reads.ts loadSecurity): read again at every revision. */
type Security = Awaited<ReturnType<typeof loadSecurity>>;

/** The port-side facts of an index, and what was built from them: kept by the next index when only groups changed. */
interface PortSide {
  /** ports bound to each host with vif_type bridge */
  boundByHost: Map<string, PortBase[]>;
  fixedIps: Map<string, FixedIp[]>;
  sgLinks: Map<string, string[]>;
  pairs: Map<string, AddressPair[]>;
  networks: Map<string, NetworkState>;
  servedNets: Map<string, string[]>;
  l3Hosts: Set<string>;
  vtepOf: Map<string, string>;
  /** the groups of secured ports (sorted) */
  sgIds: string[];
  peersMemo: Map<string, NetworkPeers>;
  hostMemo: Map<string, HostPorts>;
}

/** One network's l2population facts: every bridge-bound port, by the VTEP of its host. */
interface NetworkPeers {
  /** vtep → the peer entry with every port behind it, and those ports' entries by host */
  byVtep: Map<string, { peer: L2popPeer; perHost: Map<string, [string, string][]> }>;
  digest: string;
}

export class SharedIndex {
  readonly revision: number;
  /** true when the port side was kept from the previous index (tests, figures) */
  readonly keptPorts: boolean;
  private readonly side: PortSide;
  private readonly sec: Security;
  private readonly securityMemo = new Map<string, SecurityView>();

  private constructor(revision: number, side: PortSide, sec: Security, keptPorts: boolean) {
    this.revision = revision;
    this.side = side;
    this.sec = sec;
    this.keptPorts = keptPorts;
  }

  /** host → the networks its DHCP agent serves (those with a DHCP-enabled subnet) */
  get servedNets(): ReadonlyMap<string, string[]> { return this.side.servedNets; }
  get l3Hosts(): ReadonlySet<string> { return this.side.l3Hosts; }

  /**
   * The revision is read first: a change committed meanwhile is seen again by the next watch.
   * `prev`: the index of an older revision, whose port side is kept when every change since
   * was a security-group one.
   */
  static async load(db: Db, prev?: SharedIndex): Promise<SharedIndex> {
    const revision = await currentRevision(db);
    if (prev && await onlySecurityChanges(db, prev.revision, revision)) {
      // members hang on ports, which did not change: only groups newly named by a rule are read
      return new SharedIndex(revision, prev.side, await loadSecurity(db, prev.side.sgIds, prev.sec.members), true);
    }
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
    const side: PortSide = {
      networks, servedNets, l3Hosts, vtepOf, sgLinks, sgIds,
      boundByHost: group(bound, (p) => p.binding_host_id),
      fixedIps: new Map([...group(ipRows, (r) => r.port_id)].map(([k, rows]) => [k, rows.map((r) => ({ subnet_id: r.subnet_id, ip_address: r.ip_address }))])),
      pairs: new Map([...group(pairRows, (r) => r.port_id)].map(([k, rows]) => [k, rows.map((a) => ({ ip_address: a.ip_address, mac_address: a.mac_address }))])),
      peersMemo: new Map(), hostMemo: new Map(),
    };
    return new SharedIndex(revision, side, await loadSecurity(db, sgIds, new Map()), false);
  }

  /** A host's port-side sections (networks, ports, l2pop) and the groups of its secured ports: built once, kept while the ports are. */
  hostPorts(host: string): HostPorts {
    let v = this.side.hostMemo.get(host);
    if (v) return v;
    const bound = this.side.boundByHost.get(host) ?? [];
    const served = this.side.servedNets.get(host) ?? [];
    const networks = [...new Set([...bound.map((p) => p.network_id), ...served])].map((id) => this.side.networks.get(id))
      .filter((n) => n !== undefined).sort((a, b) => a.id.localeCompare(b.id));
    const netIds = new Set(networks.map((n) => n.id));
    const ports: PortState[] = bound.filter((p) => netIds.has(p.network_id)).map((p) => toPortState(p, this.side.fixedIps.get(p.id) ?? [],
      this.side.sgLinks.get(p.id) ?? [], this.side.pairs.get(p.id) ?? []));
    ports.sort((a, b) => a.id.localeCompare(b.id));
    v = {
      networks: { value: networks, digest: digestOf(networks) },
      ports: { value: ports, digest: digestOf(ports) },
      l2pop: this.l2pop(host, networks.filter((n) => n.network_type === 'vxlan')),
      sgIds: [...new Set(ports.filter((p) => p.port_security_enabled).flatMap((p) => p.security_groups))].sort(),
    };
    this.side.hostMemo.set(host, v);
    return v;
  }

  /** security_groups, remote_groups and address_groups of a host whose secured ports are in `sgIds` (sorted). */
  security(sgIds: readonly string[]): SecurityView {
    const key = sgIds.join(',');
    let v = this.securityMemo.get(key);
    if (v) return v;
    const security_groups = sgIds.map((id) => this.sec.groups.get(id)).filter((g) => g !== undefined).sort((a, b) => a.id.localeCompare(b.id));
    const allRules = security_groups.flatMap((g) => g.rules);
    const remote_groups: HostState['remote_groups'] = {};
    for (const id of [...new Set(allRules.map((r) => r.remote_group_id).filter((x): x is string => !!x))].sort()) {
      remote_groups[id] = this.sec.members.get(id) ?? { IPv4: [], IPv6: [] };
    }
    const address_groups: HostState['address_groups'] = {};
    for (const id of [...new Set(allRules.map((r) => r.remote_address_group_id).filter((x): x is string => !!x))].sort()) {
      address_groups[id] = this.sec.addressGroups.get(id) ?? [];
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
    let v = this.side.peersMemo.get(net.id);
    if (v) return v;
    const byVtep = new Map<string, { peer: L2popPeer; perHost: Map<string, [string, string][]> }>();
    for (const [host, ports] of this.side.boundByHost) {
      const vtep = this.side.vtepOf.get(host);
      if (!vtep) continue;
      for (const p of ports) {
        if (p.network_id !== net.id) continue;
        let e = byVtep.get(vtep);
        if (!e) byVtep.set(vtep, e = { peer: { network_id: net.id, segmentation_id: net.segmentation_id ?? 0, vtep, ports: [] }, perHost: new Map() });
        let mine = e.perHost.get(host);
        if (!mine) e.perHost.set(host, mine = []);
        const addrs = (this.side.fixedIps.get(p.id) ?? []).map((r) => r.ip_address);
        if (addrs.length === 0) mine.push([p.mac_address, '']);
        for (const a of addrs) mine.push([p.mac_address, a]);
        // Allowed address pairs that name one address need an ARP/ND entry too: with the VXLAN
        // device's proxy flag, a remote address without one is unreachable.
        for (const a of this.side.pairs.get(p.id) ?? []) {
          const single = a.ip_address.replace(/\/(32|128)$/, '');
          if (!single.includes('/')) mine.push([a.mac_address, single]);
        }
      }
    }
    for (const { peer, perHost } of byVtep.values()) peer.ports = [...perHost.values()].flat().sort(byEntry);
    const entries = [...byVtep.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    v = { byVtep: new Map(entries), digest: digestOf(entries.map(([, e]) => [e.peer, [...e.perHost.keys()].sort()])) };
    this.side.peersMemo.set(net.id, v);
    return v;
  }
}

const byEntry = (a: [string, string], b: [string, string]) => (a[0] + a[1]).localeCompare(b[0] + b[1]);

export function toPortState(p: PortBase, fixed_ips: PortState['fixed_ips'], security_groups: string[], allowed_address_pairs: PortState['allowed_address_pairs']): PortState {
  return {
    id: p.id, network_id: p.network_id, mac_address: p.mac_address, fixed_ips, admin_state_up: p.admin_state_up === 1,
    device_owner: p.device_owner, port_security_enabled: p.port_security_enabled === 1, security_groups, allowed_address_pairs,
    device: deviceName('tap', p.id),
  };
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
  // built on the previous index (its port side is kept when only groups changed since)
  const index = (c ? c.index.catch(() => undefined) : Promise.resolve(undefined)).then((prev) => SharedIndex.load(db, prev));
  const entry = { revision, index };
  current.set(db, entry);
  index.catch(() => { if (current.get(db) === entry) current.delete(db); });
  return index;
}
