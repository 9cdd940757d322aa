// Port update: one transaction for the port's own columns, MAC (given or regenerated),
// port security with its security groups and address pairs, extra DHCP options, fixed IPs
// and binding; Nova hears of changed addresses and status once that has committed.
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { Item } from './item.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { getPortRow, loadPorts, type PortAddressPair, type PortDhcpOpt, type PortRecord } from '../db/repos/ports.ts';
import type { PortsTable } from '../db/schema.ts';
import { checkRevision, nowIso, recordChange } from '../db/standard-attrs.ts';
import {
  AddressPairAndPortSecurityRequired, ExtraDhcpOptsDuplicate, MacAddressInUse, NetworkMacAddressGenerationFailure, PortBound,
  UnsupportedPortDeviceOwner, PortSecurityAndIPRequiredForSecurityGroups, PortSecurityPortHasSecurityGroup,
} from '../errors/catalog.ts';
import { parseIp } from '../domain/ip/address.ts';
import { normalizeMac, randomMac } from '../domain/ip/mac.ts';
import { changedEvent, statusEvent, type NovaEvent } from '../domain/nova-events.ts';
import { portTarget, visiblePort } from './port-access.ts';
import { addressPairs, checkGroups, uniqueStrings } from './port-extension-attrs.ts';
import { enforceDeviceIdOwner } from './ownership.ts';
import { allocateIps, isAutoAddressSubnet, releaseIps, type FixedIp, type FixedIpRequest } from './ipam.ts';
import { computeBinding, requireL2 } from './port-binding.ts';
import { dropForwardingsOfPort } from './port-forwardings.ts';

const UNBOUND_VIF_TYPES = new Set(['unbound', 'binding_failed']);

async function macInUse(tx: Tx, networkId: string, mac: string): Promise<boolean> {
  const r = await tx.selectFrom('ports').select('id').where('network_id', '=', networkId).where('mac_address', '=', mac).executeTakeFirst();
  return r !== undefined;
}

/** One unused random MAC on a network (port-mac-address-regenerate). */
async function freshMac(deps: Deps, tx: Tx, networkId: string): Promise<string> {
  for (let i = 0; i < Math.max(1, deps.config.macGenerationRetries); i++) {
    const mac = randomMac(deps.config.baseMac, Math.random);
    if (!(await macInUse(tx, networkId, mac))) return mac;
  }
  throw NetworkMacAddressGenerationFailure(networkId);
}

async function insertRelated(tx: Tx, portId: string, sgs: string[], pairs: PortAddressPair[], opts: PortDhcpOpt[]): Promise<void> {
  if (sgs.length) await tx.insertInto('port_security_groups').values(sgs.map((security_group_id) => ({ port_id: portId, security_group_id }))).execute();
  if (pairs.length) await tx.insertInto('port_allowed_address_pairs').values(pairs.map((p) => ({ port_id: portId, ...p }))).execute();
  if (opts.length) await tx.insertInto('port_extra_dhcp_opts').values(opts.map((o) => ({ port_id: portId, ...o }))).execute();
}

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
