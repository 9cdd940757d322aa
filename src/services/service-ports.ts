// Ports Neutron creates on a user's behalf (router gateway and interface ports,
// floating IP ports): no policy or quota of their own, the router's or floating
// IP's request already passed those; addresses through IPAM like any port.
import { randomUUID } from 'node:crypto';
import type { Deps } from './deps.ts';
import { isUniqueViolation, RetryRequest, type Tx } from '../db/transaction.ts';
import { allocateIps, releaseIps, type FixedIp, type FixedIpRequest } from './ipam.ts';
import { nowIso, recordChange } from '../db/standard-attrs.ts';
import { randomMac } from '../domain/ip/mac.ts';
import { NetworkMacAddressGenerationFailure } from '../errors/catalog.ts';

export interface ServicePortSpec {
  networkId: string;
  projectId: string;
  deviceId: string;
  deviceOwner: string;
  fixedIps?: FixedIpRequest[];
}

export async function createServicePort(deps: Deps, tx: Tx, spec: ServicePortSpec): Promise<{ id: string; fixedIps: FixedIp[] }> {
  const id = randomUUID();
  const now = nowIso();
  let mac: string | null = null;
  for (let i = 0; i < Math.max(1, deps.config.macGenerationRetries) && mac === null; i++) {
    const candidate = randomMac(deps.config.baseMac, Math.random);
    const taken = await tx.selectFrom('ports').select('id').where('network_id', '=', spec.networkId).where('mac_address', '=', candidate).executeTakeFirst();
    if (!taken) mac = candidate;
  }
  if (mac === null) throw NetworkMacAddressGenerationFailure(spec.networkId);
  try {
    await tx.insertInto('ports').values({
      id, project_id: spec.projectId, network_id: spec.networkId, name: '', mac_address: mac, admin_state_up: 1, status: 'DOWN',
      device_id: spec.deviceId, device_owner: spec.deviceOwner, port_security_enabled: 0, binding_host_id: '', binding_vnic_type: 'normal',
      binding_profile: '{}', binding_vif_type: 'unbound', binding_vif_details: '{}', binding_failure: null, dns_name: '',
      description: '', revision_number: 1, created_at: now, updated_at: now,
    }).execute();
  } catch (e) {
    if (isUniqueViolation(e)) throw new RetryRequest('port mac taken concurrently');
    throw e;
  }
  const fixedIps = await allocateIps(tx, spec.networkId, id, spec.fixedIps, mac, spec.deviceOwner);
  await recordChange(tx, 'port', id, 'create', 1);
  return { id, fixedIps };
}

export async function deleteServicePort(tx: Tx, portId: string): Promise<void> {
  await releaseIps(tx, portId);
  await tx.deleteFrom('tags').where('resource_id', '=', portId).execute();
  await tx.deleteFrom('ports').where('id', '=', portId).execute();
  await recordChange(tx, 'port', portId, 'delete');
}
