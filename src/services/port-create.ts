// Port create (single and bulk): policy and quota for every item first, then in slices
// MACs, fixed IPs (through IPAM), port security, security groups, address pairs, extra
// DHCP options, tags and binding. One transaction; each slice's rows go in with a few
// multi-row statements.
import { randomUUID } from 'node:crypto';
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { Item } from './item.ts';
import { inTransaction, isForeignKeyViolation, isUniqueViolation, RetryRequest, type Tx } from '../db/transaction.ts';
import { sortDhcpOpts, sortFixedIps, sortPairs, type PortAddressPair, type PortDhcpOpt, type PortRecord } from '../db/repos/ports.ts';
import type { NetworksTable, PortsTable } from '../db/schema.ts';
import { nowIso, recordChanges } from '../db/standard-attrs.ts';
import { insertRowsLater } from '../db/insert-rows.ts';
import { guardLater, GuardsUnsupported, guardStatement, sendLater } from '../db/send-later.ts';
import { compiledOnce } from '../db/compiled-once.ts';
import { sql } from 'kysely';
import {
  AddressPairAndPortSecurityRequired, MacAddressInUse, NetworkMacAddressGenerationFailure, NetworkNotFound, PortSecurityAndIPRequiredForSecurityGroups,
} from '../errors/catalog.ts';
import { normalizeMac, randomMac } from '../domain/ip/mac.ts';
import { seenNetwork, visibilityScope } from './networks.ts';
import { factsFingerprint, getPortNetwork, type PortNetwork } from '../db/repos/port-network.ts';
import type { CreateMemory, RangeAttempt } from './create-memory.ts';
import { networkParent } from './port-access.ts';
import { addressPairs, checkGroups, dhcpOpts, uniqueStrings } from './port-extension-attrs.ts';
import { ensureDefaultGroup } from './security-groups.ts';
import { enforceQuotaForItems, limitsWith } from './quotas.ts';
import { enforceDeviceIdOwner, enforceNetworkTenantOwnership } from './ownership.ts';
import { allocateIps, type FixedIp, type FixedIpRequest, type SubnetCache } from './ipam.ts';
import { subnetInfo, type SubnetInfo } from './ipam-subnets.ts';
import { allocateIpsMany } from './ipam-bulk.ts';
import { forEachSliced, inSlices } from './event-loop.ts';
import { computeBinding } from './port-binding.ts';

/** Network-owned ports (dhcp, router ports) get no port security nor security groups by default. */
const isTrusted = (deviceOwner: string): boolean => deviceOwner.startsWith('network:');

/** What the create reads about a network (./db/repos/port-network.ts) as the caller may see it. */
interface NetworkFacts { net: NetworksTable; groupProject: string; defaultGroup: string | null; subnets: SubnetInfo[]; limits: Record<string, number> }

/** The network if the caller may see it (RBAC visibility, then get_network), else NetworkNotFound; with
 *  `groupProject`'s default security group and quota limits and the network's subnets, in the same round trip.
 *  `remembered`: the same, read by an earlier create (./create-memory.ts), which the transaction confirms. */
async function networkFacts(deps: Deps, ctx: RequestContext, id: string, groupProject: string, remembered?: PortNetwork): Promise<NetworkFacts> {
  const pn = remembered ?? await getPortNetwork(deps.conn.db, id, visibilityScope(ctx), groupProject);
  if (pn && !remembered) deps.memory?.rememberNetwork(id, callerKey(ctx), groupProject, pn);
  const net = seenNetwork(deps, ctx, id, pn);
  return { net, groupProject, defaultGroup: pn!.defaultGroup, subnets: pn!.subnets.map(subnetInfo), limits: limitsWith(deps, pn!.quotas) };
}

/** The facts are still what was remembered (their fingerprint, src/db/repos/port-network.ts): built once. */
const factsGuard = compiledOnce((q, id: string, groupProject: string, fingerprint: string) => ({
  compile: () => guardStatement(sql`${factsFingerprint(id, groupProject)} <=> ${fingerprint}`).compile(q),
}));

/** Whose view of the network facts were read with: an admin (sees all), a project, or a caller
 *  scoped to none (who sees only what is shared). Never the same key for two of them. */
function callerKey(ctx: RequestContext): string {
  const scope = visibilityScope(ctx);
  return scope === undefined ? 'admin' : scope === null ? 'unscoped' : `project ${scope}`;
}

/** A create that used remembered facts found them changed: it wrote nothing, and runs again reading them. */
class FactsUnconfirmed extends Error {}

/**
 * Ports created without security_groups (port security on, not a network:* owner) go into
 * their project's default group, made on first use in its own transaction (Neutron's
 * _ensure_default_security_group_on_port). Returns project → default group id.
 */
async function defaultGroupsFor(deps: Deps, items: { item: Item }[], networks: Map<string, NetworkFacts>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const { item } of items) {
    const project = item.project_id as string;
    if (out.has(project) || item.security_groups !== undefined || item.port_security_enabled === false) continue;
    if (isTrusted((item.device_owner as string | undefined) ?? '')) continue;
    if (item.port_security_enabled === undefined) {
      const facts = networks.get(item.network_id as string)!;
      if (facts.net.port_security_enabled !== 1) continue;
      if (facts.groupProject === project && facts.defaultGroup) {
        out.set(project, facts.defaultGroup);
        continue;
      }
    }
    const id = await ensureDefaultGroup(deps, project);
    if (id) out.set(project, id);
  }
  return out;
}

// ---------------------------------------------------------------------------
// create

export async function createPorts(deps: Deps, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[]): Promise<PortRecord[]> {
  const memory = deps.memory;
  if (!memory || deps.conn.kind !== 'mysql') return createPortsWith(deps, ctx, items);
  return memory.whileCreating(() => createOnMariadb(deps, memory, ctx, items));
}

/** A single port on MariaDB reuses what an earlier create read about its network, and the
 *  transaction has MariaDB confirm it (guardLater) in the one round trip that carries all of
 *  its writes and its commit. Anything else reads first. */
async function createOnMariadb(deps: Deps, memory: CreateMemory, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[]): Promise<PortRecord[]> {
  if (items.length === 1) {
    const [id, caller, groupProject] = [items[0].item.network_id as string, callerKey(ctx), items[0].item.project_id as string];
    const remembered = memory.network(id, caller, groupProject);
    if (remembered) {
      try {
        const out = await createPortsWith(deps, ctx, items, remembered);
        memory.counts.factsConfirmed++;
        return out;
      } catch (e) {
        // Remembered facts never decide an answer other than a success: any error (a changed
        // fact, or an error they led to) and the create runs again reading them. Unless the
        // connection was lost, when a commit may have happened.
        if ((e as { fatal?: boolean }).fatal === true) throw e;
        if (e instanceof GuardsUnsupported) memory.turnOff();
        memory.forgetNetwork(id, caller, groupProject);
      }
    }
  }
  return createPortsWith(deps, ctx, items);
}

async function createPortsWith(
  deps: Deps, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[], remembered?: PortNetwork,
): Promise<PortRecord[]> {
  // Visibility, policy and each port's plan before the transaction, as Neutron's API layer
  // checks before the plugin's: on SQLite every other write waits while a transaction holds
  // the database's write lock, so a bulk's transaction does only what needs it. A bulk works
  // in slices with a turn of the event loop between them (other requests go on meanwhile).
  const networks = new Map<string, NetworkFacts>();
  await forEachSliced(items, async ({ item, explicit }) => {
    const id = item.network_id as string;
    let facts = networks.get(id);
    if (!facts) {
      facts = await networkFacts(deps, ctx, id, item.project_id as string, remembered);
      networks.set(id, facts);
    }
    enforceNetworkTenantOwnership(ctx, facts.net, item.project_id as string);
    deps.policy.enforce(ctx, 'create_port', { ...item, ...networkParent(facts.net) }, explicit);
  });
  const defaults = await defaultGroupsFor(deps, items, networks);
  // A plan's error is thrown when its slice is reached, where it was found before the plans
  // were made ahead (an earlier slice's error comes first).
  const plans: (PortPlan | Error)[] = [];
  await forEachSliced(items, ({ item }) => {
    try {
      plans.push(planPort(deps, item, networks.get(item.network_id as string)!.net, defaults));
    } catch (e) {
      plans.push(e as Error);
    }
  });
  // limits read with the networks (a project's limit changed meanwhile: as if this came first)
  const limits = new Map([...networks.values()].map((f) => [f.groupProject, f.limits]));
  let attempt = 0;
  let ranges: ReturnType<CreateMemory['rangeAttempt']> | undefined;
  const out = await inTransaction(deps.conn, async (tx) => {
    if (remembered) {
      // first in the transaction's one round trip: the facts are still what was remembered
      const item = items[0].item;
      await guardLater(tx, factsGuard(tx, item.network_id as string, item.project_id as string, remembered.fingerprint!),
        () => new FactsUnconfirmed('network facts changed since they were remembered'));
    }
    ranges = deps.conn.kind === 'mysql' ? deps.memory?.rangeAttempt() : undefined;
    await enforceQuotaForItems(deps, tx, 'port', items.map((i) => i.item), limits);
    // the plugin's own check, after the API layer's policy and quota (create_port_db)
    for (const { item } of items) {
      await enforceDeviceIdOwner(tx, ctx, item.device_owner as string | undefined, item.device_id as string | undefined, item.project_id as string);
    }
    const out: PortRecord[] = [];
    // The subnets read with the networks serve the first attempt on MariaDB and PostgreSQL (a
    // round trip saved per create; their transactions see a subnet created meanwhile no more
    // than before). SQLite reads them inside, where it costs no round trip and its one writer
    // at a time keeps them current; a retry reads them again everywhere.
    const firstTry = attempt++ === 0;
    const reuse = firstTry && deps.conn.kind !== 'sqlite';
    const subnets: SubnetCache = new Map(reuse ? [...networks].map(([id, f]) => [id, f.subnets]) : []);
    await inSlices(plans, async (slice) => {
      const ready = slice.map((p) => { if (p instanceof Error) throw p; return freshPlan(p); });
      out.push(...await insertPorts(deps, tx, ctx, ready, subnets, firstTry, ranges));
    });
    return out;
  });
  // committed: what the last attempt learnt about free ranges holds now
  ranges?.publish();
  return out;
}

/** The plan as made, for one attempt of the transaction (a retry starts again from it). */
const freshPlan = (p: PortPlan): PortPlan => ({ ...p, row: { ...p.row } });

/** A port to create: its row and related rows, all but the MAC (picked per slice) and the addresses. */
interface PortPlan { item: Item; net: NetworksTable; row: PortsTable; sgs: string[]; opts: PortDhcpOpt[]; tags: string[] }

function planPort(deps: Deps, item: Item, net: NetworksTable, defaults: Map<string, string>): PortPlan {
  const deviceOwner = (item.device_owner as string) ?? '';
  const psec = item.port_security_enabled !== undefined
    ? item.port_security_enabled === true
    : isTrusted(deviceOwner) ? false : net.port_security_enabled === 1;
  const pairsGiven = Array.isArray(item.allowed_address_pairs) && item.allowed_address_pairs.length > 0;
  const sgsGiven = Array.isArray(item.security_groups) && item.security_groups.length > 0;
  // Zed's _portsec_ext_port_create_processing order: address pairs first, then security groups.
  if (pairsGiven && !psec) throw AddressPairAndPortSecurityRequired();
  if (sgsGiven && !psec) throw PortSecurityAndIPRequiredForSecurityGroups();
  const defaultGroup = defaults.get(item.project_id as string);
  const sgs = item.security_groups === undefined
    ? (psec && !isTrusted(deviceOwner) && defaultGroup ? [defaultGroup] : [])
    : uniqueStrings(item.security_groups);
  const now = nowIso();
  const row: PortsTable = {
    id: randomUUID(), project_id: item.project_id as string, network_id: net.id, name: (item.name as string) ?? '', mac_address: '',
    admin_state_up: item.admin_state_up === false ? 0 : 1, status: 'DOWN', device_id: (item.device_id as string) ?? '', device_owner: deviceOwner,
    port_security_enabled: psec ? 1 : 0, binding_host_id: (item['binding:host_id'] as string | undefined) ?? '',
    binding_vnic_type: (item['binding:vnic_type'] as string | undefined) ?? 'normal',
    binding_profile: JSON.stringify(item['binding:profile'] ?? {}), binding_vif_type: 'unbound', binding_vif_details: '{}', binding_failure: null,
    dns_name: (item.dns_name as string | undefined) ?? '', description: (item.description as string) ?? '', revision_number: 1, created_at: now, updated_at: now,
  };
  return { item, net, row, sgs, opts: dhcpOpts(item.extra_dhcp_opts), tags: [...new Set((item.tags as string[] | undefined) ?? [])] };
}

/** MACs for a slice of ports: given ones must be free, random ones are drawn again while taken
 *  (one query per network and draw, against the database and the slice itself). A single
 *  random MAC is not looked up: the unique key on (network_id, mac_address) turns the rare
 *  collision (one in 2^24 per port of the network) into a retry of the transaction, a round
 *  trip saved on every sequential create. Many random MACs at once are looked up: among
 *  thousands a collision is likely, and would retry a whole bulk. */
async function pickMacs(deps: Deps, tx: Tx, plans: PortPlan[]): Promise<void> {
  const keyGuards = plans.length === 1;
  const taken = async (networkId: string, macs: string[]): Promise<Set<string>> => new Set(macs.length === 0 ? [] :
    (await tx.selectFrom('ports').select('mac_address').where('network_id', '=', networkId).where('mac_address', 'in', macs).execute()).map((r) => r.mac_address));
  const byNet = new Map<string, PortPlan[]>();
  for (const p of plans) byNet.set(p.net.id, [...(byNet.get(p.net.id) ?? []), p]);
  for (const [networkId, list] of byNet) {
    const given = list.filter((p) => p.item.mac_address !== undefined && p.item.mac_address !== null);
    const inUse = await taken(networkId, given.map((p) => normalizeMac(p.item.mac_address as string)!));
    const used = new Set<string>();
    for (const p of given) {
      const mac = normalizeMac(p.item.mac_address as string)!;
      if (inUse.has(mac) || used.has(mac)) throw MacAddressInUse(networkId, mac);
      used.add(mac);
      p.row.mac_address = mac;
    }
    let pending = list.filter((p) => p.row.mac_address === '');
    for (let i = 0; i < Math.max(1, deps.config.macGenerationRetries) && pending.length; i++) {
      for (const p of pending) p.row.mac_address = randomMac(deps.config.baseMac, Math.random);
      const busy = keyGuards ? new Set<string>() : await taken(networkId, pending.map((p) => p.row.mac_address));
      const next: PortPlan[] = [];
      for (const p of pending) {
        if (busy.has(p.row.mac_address) || used.has(p.row.mac_address)) next.push(p);
        else used.add(p.row.mac_address);
      }
      pending = next;
    }
    if (pending.length) throw NetworkMacAddressGenerationFailure(networkId);
  }
}

/** (Read outside the transaction: on PostgreSQL a failed statement ends it.) */
async function goneNetwork(deps: Deps, plans: PortPlan[]): Promise<string | undefined> {
  const ids = [...new Set(plans.map((p) => p.net.id))];
  const found = new Set((await deps.conn.db.selectFrom('networks').select('id').where('id', 'in', ids).execute()).map((r) => r.id));
  return ids.find((id) => !found.has(id));
}

async function insertPorts(
  deps: Deps, tx: Tx, ctx: RequestContext, plans: PortPlan[], subnets: SubnetCache, firstTry: boolean, ranges?: RangeAttempt,
): Promise<PortRecord[]> {
  await pickMacs(deps, tx, plans);
  // Sent with the next statement on MariaDB (./db/send-later.ts): its failure surfaces there, as this maps it.
  await insertRowsLater(tx, 'ports', plans.map((p) => p.row), async (e) => {
    // A concurrent request took a MAC between the check and the insert: run again.
    if (isUniqueViolation(e)) return new RetryRequest('port mac taken concurrently');
    // The networks were read before the transaction: one deleted since is not there.
    if (isForeignKeyViolation(e)) return NetworkNotFound(await goneNetwork(deps, plans) ?? plans[0].net.id);
    return e;
  });
  const out: PortRecord[] = [];
  const sgRows: { port_id: string; security_group_id: string }[] = [];
  const pairRows: (PortAddressPair & { port_id: string })[] = [];
  const optRows: (PortDhcpOpt & { port_id: string })[] = [];
  const tagRows: { resource_id: string; tag: string }[] = [];
  // Addresses of ports without fixed_ips in a few statements per run of them on one network;
  // the others, in their place in the order, one by one.
  const batched = new Map<PortPlan, FixedIp[]>();
  for (let i = 0; i < plans.length;) {
    let j = i;
    while (j < plans.length && plans[j].item.fixed_ips === undefined && plans[j].net.id === plans[i].net.id) j++;
    const run = plans.slice(i, j);
    const ips = run.length ? await allocateIpsMany(tx, plans[i].net.id, run.map((p) => p.row.id), subnets, firstTry, ranges) : null;
    if (ips) run.forEach((p, k) => batched.set(p, ips[k]));
    for (const p of (ips ? plans.slice(j, j + 1) : plans.slice(i, Math.max(j, i + 1)))) {
      batched.set(p, await allocateIps(tx, p.net.id, p.row.id, p.item.fixed_ips as FixedIpRequest[] | undefined, p.row.mac_address, p.row.device_owner, subnets));
    }
    i = ips ? j + 1 : Math.max(j, i + 1);
  }
  for (const plan of plans) {
    const { item, net, row, sgs, opts, tags } = plan;
    const pairs = addressPairs(deps, item.allowed_address_pairs, row.mac_address);
    const fixedIps = batched.get(plan)!;
    if (item.security_groups !== undefined) await checkGroups(tx, ctx, row.project_id, sgs);
    for (const g of sgs) sgRows.push({ port_id: row.id, security_group_id: g });
    for (const p of pairs) pairRows.push({ port_id: row.id, ...p });
    for (const o of opts) optRows.push({ port_id: row.id, ...o });
    for (const tag of tags) tagRows.push({ resource_id: row.id, tag });
    out.push({
      row: { ...row, network_project_id: net.project_id, network_shared: net.shared },
      fixedIps: sortFixedIps(fixedIps.map((f) => ({ subnet_id: f.subnet_id, ip_address: f.ip_address }))),
      securityGroups: sgs, addressPairs: sortPairs([...pairs]), dhcpOpts: sortDhcpOpts([...opts]), tags: [...tags].sort(), dnsDomain: deps.config.dnsDomain,
    });
  }
  await insertRowsLater(tx, 'port_security_groups', sgRows);
  await insertRowsLater(tx, 'port_allowed_address_pairs', pairRows);
  await insertRowsLater(tx, 'port_extra_dhcp_opts', optRows);
  await insertRowsLater(tx, 'tags', tagRows);
  for (const rec of out) {
    const row = rec.row;
    if (!row.binding_host_id) continue;
    // after the addresses: whether DHCP must report for this port depends on them
    const binding = await computeBinding(deps, tx, row);
    Object.assign(row, binding);
    await sendLater(tx, tx.updateTable('ports').set({ binding_vif_type: row.binding_vif_type, binding_vif_details: row.binding_vif_details, binding_failure: row.binding_failure, status: row.status })
      .where('id', '=', row.id));
  }
  await recordChanges(tx, 'port', plans.map((p) => p.row.id), 'create', 1);
  return out;
}
