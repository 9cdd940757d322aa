// Ports: MAC allocation, fixed IPs (through IPAM), port security, security groups,
// allowed address pairs, extra DHCP options, dns_assignment, binding attributes.
// Every request is one transaction; lists and creates never query per port.
import { randomUUID } from 'node:crypto';
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { Item } from './item.ts';
import { inTransaction, isUniqueViolation, RetryRequest, type Tx } from '../db/transaction.ts';
import {
  getPortRow, loadPorts, sortDhcpOpts, sortFixedIps, sortPairs, type PortAddressPair, type PortDhcpOpt, type PortRecord, type PortRow,
} from '../db/repos/ports.ts';
import { visibleNetwork } from './networks.ts';
import { addressPairs, checkGroups, dhcpOpts, uniqueStrings } from './port-extension-attrs.ts';
import { networkParent, portTarget, visiblePort } from './port-access.ts';
import { ensureDefaultGroup } from './security-groups.ts';
import { getNetworkRow } from '../db/repos/networks.ts';
import { dropForwardingsOfPort } from './port-forwardings.ts';
import { parseIp } from '../domain/ip/address.ts';
import { enforceQuotaForItems } from './quotas.ts';
import { enforceDeviceIdOwner, enforceNetworkTenantOwnership } from './ownership.ts';
import type { NetworksTable, PortsTable } from '../db/schema.ts';
import {
  AddressPairAndPortSecurityRequired, ExtraDhcpOptsDuplicate, MacAddressInUse,
  NetworkMacAddressGenerationFailure, NetworkNotFound, PortBound, UnsupportedPortDeviceOwner, PortSecurityAndIPRequiredForSecurityGroups,
  PortSecurityPortHasSecurityGroup,
} from '../errors/catalog.ts';
import { checkRevision, nowIso, recordChange, recordChanges } from '../db/standard-attrs.ts';
import { normalizeMac, randomMac } from '../domain/ip/mac.ts';
import { allocateIps, allocateIpsMany, isAutoAddressSubnet, releaseIps, type FixedIp, type FixedIpRequest, type SubnetCache } from './ipam.ts';
import { forEachSliced, inSlices } from './event-loop.ts';
import { computeBinding, requireL2 } from './port-binding.ts';
import { changedEvent, statusEvent, type NovaEvent } from '../domain/nova-events.ts';

const UNBOUND_VIF_TYPES = new Set(['unbound', 'binding_failed']);

/** Network-owned ports (dhcp, router ports) get no port security nor security groups by default. */
const isTrusted = (deviceOwner: string): boolean => deviceOwner.startsWith('network:');

// ---------------------------------------------------------------------------
// helpers shared by create and update

async function macInUse(tx: Tx, networkId: string, mac: string): Promise<boolean> {
  const r = await tx.selectFrom('ports').select('id').where('network_id', '=', networkId).where('mac_address', '=', mac).executeTakeFirst();
  return r !== undefined;
}

/**
 * Ports created without security_groups (port security on, not a network:* owner) go into
 * their project's default group, made on first use in its own transaction (Neutron's
 * _ensure_default_security_group_on_port). Returns project → default group id.
 */
async function defaultGroupsFor(deps: Deps, items: { item: Item }[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const { item } of items) {
    const project = item.project_id as string;
    if (out.has(project) || item.security_groups !== undefined || item.port_security_enabled === false) continue;
    if (isTrusted((item.device_owner as string | undefined) ?? '')) continue;
    if (item.port_security_enabled === undefined) {
      const net = await getNetworkRow(deps.conn.db, item.network_id as string);
      if (!net || net.port_security_enabled !== 1) continue;
    }
    const id = await ensureDefaultGroup(deps, project);
    if (id) out.set(project, id);
  }
  return out;
}

async function insertRelated(tx: Tx, portId: string, sgs: string[], pairs: PortAddressPair[], opts: PortDhcpOpt[]): Promise<void> {
  if (sgs.length) await tx.insertInto('port_security_groups').values(sgs.map((security_group_id) => ({ port_id: portId, security_group_id }))).execute();
  if (pairs.length) await tx.insertInto('port_allowed_address_pairs').values(pairs.map((p) => ({ port_id: portId, ...p }))).execute();
  if (opts.length) await tx.insertInto('port_extra_dhcp_opts').values(opts.map((o) => ({ port_id: portId, ...o }))).execute();
}

// ---------------------------------------------------------------------------
// create

export async function createPorts(deps: Deps, ctx: RequestContext, items: { item: Item; explicit: Set<string> }[]): Promise<PortRecord[]> {
  const defaults = await defaultGroupsFor(deps, items);
  return inTransaction(deps.conn, async (tx) => {
    const networks = new Map<string, NetworksTable>();
    const network = async (id: string): Promise<NetworksTable> => {
      let net = networks.get(id);
      if (!net) {
        net = await visibleNetwork(deps, tx, ctx, id);
        networks.set(id, net);
      }
      return net;
    };
    // Visibility and policy for every item before anything is written (as the API layer does).
    // A bulk works in slices with a turn of the event loop between them: other requests
    // go on meanwhile (on SQLite their reads use the reader connection, src/db/sqlite-driver.ts),
    // and each slice writes its rows with a few multi-row statements, not a few per port.
    await forEachSliced(items, async ({ item, explicit }) => {
      const net = await network(item.network_id as string);
      enforceNetworkTenantOwnership(ctx, net, item.project_id as string);
      deps.policy.enforce(ctx, 'create_port', { ...item, ...networkParent(net) }, explicit);
    });
    await enforceQuotaForItems(deps, tx, 'port', items.map((i) => i.item));
    // the plugin's own check, after the API layer's policy and quota (create_port_db)
    for (const { item } of items) {
      await enforceDeviceIdOwner(tx, ctx, item.device_owner as string | undefined, item.device_id as string | undefined, item.project_id as string);
    }
    const out: PortRecord[] = [];
    const subnets: SubnetCache = new Map();
    await inSlices(items, async (slice) => {
      out.push(...await insertPorts(deps, tx, ctx, slice.map(({ item }) => planPort(deps, item, networks.get(item.network_id as string)!, defaults)), subnets));
    });
    return out;
  });
}

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
 *  (one query per network and draw, against the database and the slice itself). */
async function pickMacs(deps: Deps, tx: Tx, plans: PortPlan[]): Promise<void> {
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
      const busy = await taken(networkId, pending.map((p) => p.row.mac_address));
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

/** One unused random MAC on a network (port-mac-address-regenerate). */
async function freshMac(deps: Deps, tx: Tx, networkId: string): Promise<string> {
  for (let i = 0; i < Math.max(1, deps.config.macGenerationRetries); i++) {
    const mac = randomMac(deps.config.baseMac, Math.random);
    if (!(await macInUse(tx, networkId, mac))) return mac;
  }
  throw NetworkMacAddressGenerationFailure(networkId);
}

async function insertPorts(deps: Deps, tx: Tx, ctx: RequestContext, plans: PortPlan[], subnets: SubnetCache): Promise<PortRecord[]> {
  await pickMacs(deps, tx, plans);
  try {
    await tx.insertInto('ports').values(plans.map((p) => p.row)).execute();
  } catch (e) {
    // A concurrent request took a MAC between the check and the insert: run again.
    if (isUniqueViolation(e)) throw new RetryRequest('port mac taken concurrently');
    throw e;
  }
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
    const ips = run.length ? await allocateIpsMany(tx, plans[i].net.id, run.map((p) => p.row.id), subnets) : null;
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
  if (sgRows.length) await tx.insertInto('port_security_groups').values(sgRows).execute();
  if (pairRows.length) await tx.insertInto('port_allowed_address_pairs').values(pairRows).execute();
  if (optRows.length) await tx.insertInto('port_extra_dhcp_opts').values(optRows).execute();
  if (tagRows.length) await tx.insertInto('tags').values(tagRows).execute();
  for (const rec of out) {
    const row = rec.row;
    if (!row.binding_host_id) continue;
    // after the addresses: whether DHCP must report for this port depends on them
    const binding = await computeBinding(deps, tx, row);
    Object.assign(row, binding);
    await tx.updateTable('ports').set({ binding_vif_type: row.binding_vif_type, binding_vif_details: row.binding_vif_details, binding_failure: row.binding_failure, status: row.status })
      .where('id', '=', row.id).execute();
  }
  await recordChanges(tx, 'port', plans.map((p) => p.row.id), 'create', 1);
  return out;
}

// ---------------------------------------------------------------------------
// update

/**
 * ipam_pluggable_backend._get_changed_ips_for_port: requests naming an address keep it
 * if the port has it; subnet-only requests reuse an address the port has there; what is
 * left over is removed, except auto-addressed (SLAAC) ones unless asked to.
 */
async function changedIps(
  tx: Tx, original: FixedIp[], requested: FixedIpRequest[], deviceOwner: string,
): Promise<{ add: FixedIpRequest[]; remove: FixedIp[] }> {
  const deleteSubnets = new Set(requested.filter((r) => (r as { delete_subnet?: boolean }).delete_subnet).map((r) => r.subnet_id));
  const ips = requested.filter((r) => !deleteSubnets.has(r.subnet_id));
  const add: FixedIpRequest[] = [];
  const origByIp = new Map(original.map((o) => [o.ip_address, o]));
  for (const r of ips) {
    if (r.ip_address === undefined) continue;
    const o = origByIp.get(r.ip_address);
    if (o && (r.subnet_id === undefined || r.subnet_id === o.subnet_id)) origByIp.delete(r.ip_address);
    else add.push(r);
  }
  const origBySubnet = new Map<string, FixedIp[]>();
  for (const o of origByIp.values()) {
    const l = origBySubnet.get(o.subnet_id);
    if (l) l.push(o); else origBySubnet.set(o.subnet_id, [o]);
  }
  for (const r of ips) {
    if (r.ip_address !== undefined) continue;
    const l = r.subnet_id !== undefined ? origBySubnet.get(r.subnet_id) : undefined;
    if (!l || l.length === 0) add.push(r);
    else l.pop();
  }
  const maybeRemove = [...origBySubnet.values()].flat();
  if (maybeRemove.length === 0) return { add, remove: [] };
  const subnetIds = [...new Set(maybeRemove.map((o) => o.subnet_id))];
  const subnets = await tx.selectFrom('subnets').select(['id', 'ip_version', 'ipv6_address_mode', 'ipv6_ra_mode']).where('id', 'in', subnetIds).execute();
  const routerPort = deviceOwner === 'network:router_interface' || deviceOwner === 'network:router_interface_distributed';
  const auto = new Set(subnets.filter((s) => !routerPort && isAutoAddressSubnet(s)).map((s) => s.id));
  const remove = maybeRemove.filter((o) => !auto.has(o.subnet_id) || deleteSubnets.has(o.subnet_id));
  return { add, remove };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

export async function updatePort(deps: Deps, ctx: RequestContext, id: string, changes: Item, ifMatch: number | null): Promise<PortRecord> {
  const nova: (NovaEvent | null)[] = [];
  await inTransaction(deps.conn, async (tx) => {
    nova.length = 0;
    const row = await visiblePort(deps, tx, ctx, id);
    const target = { ...portTarget(row), ...changes };
    deps.policy.enforce(ctx, 'update_port', target, Object.keys(changes));
    // _validate_port_for_update: the owner and device as they will be, checked against the port's project.
    if ('device_owner' in changes || changes.device_id !== row.device_id) {
      await enforceDeviceIdOwner(tx, ctx, (changes.device_owner as string) || row.device_owner, (changes.device_id as string) || row.device_id, row.project_id);
    }
    checkRevision(ifMatch, row.revision_number);

    const set: Partial<PortsTable> = {};
    if ('name' in changes) set.name = changes.name as string;
    if ('description' in changes) set.description = changes.description as string;
    if ('admin_state_up' in changes) set.admin_state_up = changes.admin_state_up ? 1 : 0;
    if ('device_id' in changes) set.device_id = changes.device_id as string;
    if ('device_owner' in changes) set.device_owner = changes.device_owner as string;
    if ('dns_name' in changes) set.dns_name = changes.dns_name as string;
    if ('binding:host_id' in changes) set.binding_host_id = (changes['binding:host_id'] as string | null) ?? '';
    if ('binding:vnic_type' in changes) set.binding_vnic_type = changes['binding:vnic_type'] as string;
    if ('binding:profile' in changes) set.binding_profile = JSON.stringify(changes['binding:profile'] ?? {});
    if ('port_security_enabled' in changes) set.port_security_enabled = changes.port_security_enabled ? 1 : 0;

    let mac = row.mac_address;
    if (changes.mac_address !== undefined) {
      // null: port-mac-address-regenerate, a fresh MAC under the same rules as a given one
      const newMac = changes.mac_address === null ? await freshMac(deps, tx, row.network_id) : normalizeMac(changes.mac_address as string)!;
      if (newMac !== row.mac_address) {
        // ml2's _check_mac_update_allowed, then db_base_plugin_v2's _check_mac_addr_update
        if (!UNBOUND_VIF_TYPES.has(row.binding_vif_type)) throw PortBound(id, row.binding_vif_type, row.mac_address, newMac);
        const owner = (changes.device_owner as string | undefined) || row.device_owner;
        if (owner.startsWith('network:')) throw UnsupportedPortDeviceOwner('mac address update', '<built-in function id>', owner);
        if (await macInUse(tx, row.network_id, newMac)) throw MacAddressInUse(row.network_id, newMac);
        set.mac_address = newMac;
        mac = newMac;
      }
    }

    // Port security, security groups and address pairs as they will be after this request.
    const psec = (set.port_security_enabled ?? row.port_security_enabled) === 1;
    const [oldSgs, oldPairs, oldOpts] = await Promise.all([
      tx.selectFrom('port_security_groups').select('security_group_id').where('port_id', '=', id).execute(),
      tx.selectFrom('port_allowed_address_pairs').select(['ip_address', 'mac_address']).where('port_id', '=', id).execute(),
      tx.selectFrom('port_extra_dhcp_opts').select(['opt_name', 'opt_value', 'ip_version']).where('port_id', '=', id).execute(),
    ]);
    const curSgs = oldSgs.map((s) => s.security_group_id);
    const newSgs = 'security_groups' in changes ? uniqueStrings(changes.security_groups) : curSgs;
    const newPairs = 'allowed_address_pairs' in changes ? addressPairs(deps, changes.allowed_address_pairs, mac) : null;
    if (!psec) {
      if (newPairs ? newPairs.length > 0 : oldPairs.length > 0) throw AddressPairAndPortSecurityRequired();
      if (newSgs.length) {
        if ('security_groups' in changes) throw PortSecurityAndIPRequiredForSecurityGroups();
        throw PortSecurityPortHasSecurityGroup();
      }
    }

    let related = false;
    if (!sameSet(curSgs, newSgs)) {
      await checkGroups(tx, ctx, row.project_id, newSgs.filter((g) => !curSgs.includes(g)));
      await tx.deleteFrom('port_security_groups').where('port_id', '=', id).execute();
      await insertRelated(tx, id, newSgs, [], []);
      related = true;
    }
    if (newPairs) {
      const key = (p: PortAddressPair) => `${p.mac_address}|${p.ip_address}`;
      if (!sameSet(oldPairs.map(key), newPairs.map(key))) {
        await tx.deleteFrom('port_allowed_address_pairs').where('port_id', '=', id).execute();
        await insertRelated(tx, id, [], newPairs, []);
        related = true;
      }
    }
    if ('extra_dhcp_opts' in changes && changes.extra_dhcp_opts !== null) {
      // Update semantics: upsert by (opt_name, ip_version); opt_value null removes the option.
      const merged = new Map(oldOpts.map((o) => [`${o.opt_name}|${o.ip_version}`, o]));
      const requested = changes.extra_dhcp_opts as { opt_name: string; opt_value: string | null; ip_version?: number }[];
      const seen = new Set<string>();
      for (const o of requested) {
        const k = `${o.opt_name}|${o.ip_version ?? 4}`;
        if (seen.has(k)) throw ExtraDhcpOptsDuplicate(o.opt_name);
        seen.add(k);
        if (o.opt_value === null) merged.delete(k);
        else merged.set(k, { opt_name: o.opt_name, opt_value: o.opt_value, ip_version: o.ip_version ?? 4 });
      }
      const key = (o: PortDhcpOpt) => `${o.opt_name}|${o.ip_version}|${o.opt_value}`;
      const next = [...merged.values()];
      if (!sameSet(oldOpts.map(key), next.map(key))) {
        await tx.deleteFrom('port_extra_dhcp_opts').where('port_id', '=', id).execute();
        await insertRelated(tx, id, [], [], next);
        related = true;
      }
    }

    if ('fixed_ips' in changes && changes.fixed_ips !== null) {
      const original = await tx.selectFrom('ip_allocations').select(['subnet_id', 'ip_address']).where('port_id', '=', id).execute();
      const { add, remove } = await changedIps(tx, original, changes.fixed_ips as FixedIpRequest[], set.device_owner ?? row.device_owner);
      if (remove.length) await releaseIps(tx, id, remove);
      if (add.length) await allocateIps(tx, row.network_id, id, add, mac, set.device_owner ?? row.device_owner);
      if (add.length || remove.length) related = true;
      if (add.length || remove.length) nova.push(changedEvent({ id, device_id: set.device_id ?? row.device_id, device_owner: set.device_owner ?? row.device_owner }));
      if (remove.length) {
        // pf_plugin._process_port_request (AFTER_UPDATE): forwardings to addresses the port lost go.
        const kept = (await tx.selectFrom('ip_allocations').select('ip_address').where('port_id', '=', id).execute())
          .map((a) => a.ip_address).filter((a) => parseIp(a)?.version === 4);
        if (kept.length) await dropForwardingsOfPort(tx, id, kept);
      }
    }

    const hostChanged = set.binding_host_id !== undefined && set.binding_host_id !== row.binding_host_id;
    const vnicChanged = set.binding_vnic_type !== undefined && set.binding_vnic_type !== row.binding_vnic_type;
    if (hostChanged || vnicChanged || (row.binding_vif_type === 'binding_failed' && 'binding:host_id' in changes)) {
      Object.assign(set, await computeBinding(deps, tx, {
        id, network_id: row.network_id, binding_host_id: set.binding_host_id ?? row.binding_host_id,
        binding_vnic_type: set.binding_vnic_type ?? row.binding_vnic_type, device_owner: set.device_owner ?? row.device_owner,
      }));
    }
    // admin_state_up on a bound port: down at once; back up once its agent wires it again
    if (set.admin_state_up !== undefined && set.admin_state_up !== row.admin_state_up && set.binding_vif_type === undefined && row.binding_vif_type === 'bridge') {
      set.status = 'DOWN';
      if (set.admin_state_up === 1) await requireL2(tx, id, set.device_owner ?? row.device_owner);
    }
    const changed = related || Object.entries(set).some(([k, v]) => (row as unknown as Record<string, unknown>)[k] !== v);
    if (changed) {
      const rev = row.revision_number + 1;
      await tx.updateTable('ports').set({ ...set, revision_number: rev, updated_at: nowIso() }).where('id', '=', id).execute();
      await recordChange(tx, 'port', id, 'update', rev);
      if (set.status !== undefined && set.status !== row.status) {
        nova.push(statusEvent({ id, device_id: set.device_id ?? row.device_id, device_owner: set.device_owner ?? row.device_owner }, row.status, set.status));
      }
    }
  });
  deps.nova?.portEvents(nova);
  const row = (await getPortRow(deps.conn.db, id))!;
  return (await loadPorts(deps.conn.db, [row], deps.config.dnsDomain))[0];
}
