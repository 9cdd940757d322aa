// The external events Neutron sends Nova about an instance's ports
// (neutron/notifiers/nova.py): which port changes Nova cares about, and their shape on
// the wire of POST /os-server-external-events.

export const VIF_PLUGGED = 'network-vif-plugged';
export const VIF_UNPLUGGED = 'network-vif-unplugged';
export const VIF_DELETED = 'network-vif-deleted';
export const NETWORK_CHANGED = 'network-changed';

export interface NovaEvent {
  name: string;
  /** the instance: the port's device_id */
  server_uuid: string;
  /** the port id */
  tag: string;
  status: 'completed' | 'failed';
}

export interface NovaPort { id: string; device_id: string; device_owner: string }

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Only an instance's port (device_owner compute:*, a uuid-like device_id) concerns Nova. */
export function isComputePort(p: NovaPort): boolean {
  return p.device_owner.startsWith('compute:') && UUID.test(p.device_id);
}

/** Events about port status changes (notify_nova_on_port_status_changes). */
export const STATUS_EVENTS: ReadonlySet<string> = new Set([VIF_PLUGGED, VIF_UNPLUGGED]);

/**
 * record_port_status_changed: DOWN/BUILD/new → ACTIVE/ERROR is a plug (failed when ERROR),
 * ACTIVE → DOWN an unplug; other transitions do not interest Nova.
 */
export function statusEvent(p: NovaPort, previous: string | null, current: string): NovaEvent | null {
  if (!isComputePort(p)) return null;
  if (previous === 'ACTIVE' && current === 'DOWN') return { name: VIF_UNPLUGGED, server_uuid: p.device_id, tag: p.id, status: 'completed' };
  if ((previous === null || previous === 'DOWN' || previous === 'BUILD') && (current === 'ACTIVE' || current === 'ERROR')) {
    return { name: VIF_PLUGGED, server_uuid: p.device_id, tag: p.id, status: current === 'ERROR' ? 'failed' : 'completed' };
  }
  return null;
}

export function deletedEvent(p: NovaPort): NovaEvent | null {
  return isComputePort(p) ? { name: VIF_DELETED, server_uuid: p.device_id, tag: p.id, status: 'completed' } : null;
}

/** Fixed IPs changed or a floating IP came or went: Nova refreshes the instance's network info. */
export function changedEvent(p: NovaPort): NovaEvent | null {
  return isComputePort(p) ? { name: NETWORK_CHANGED, server_uuid: p.device_id, tag: p.id, status: 'completed' } : null;
}
