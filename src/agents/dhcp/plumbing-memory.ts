// The DHCP networks' plumbing (qdhcp namespace, veth, addresses) as this process left it, so
// that a reconcile for a new host entry — the usual change: a VM booted — need not read every
// namespace and the host's links again (three process starts here, on the path of every
// port's ACTIVE). Trusted per network only while its desired plumbing is what was realised and
// its namespace the same one (inode); every FULL_OBSERVE_MS, and after any failure, read whole.
import type { ObservedLink } from '../../linux/ip.ts';
import type { DesiredDhcpNetwork } from './desired.ts';

export const FULL_OBSERVE_MS = 60_000;

export interface PlumbingMemory {
  /** network id → the plumbing realised (key) in the namespace with that inode */
  networks: Map<string, { key: string; inode: number }>;
  /** when the plumbing was last read whole (0: never) */
  readAt: number;
}

export const newPlumbingMemory = (): PlumbingMemory => ({ networks: new Map(), readAt: 0 });

/** What of a desired network the plumbing depends on. */
export const plumbingKey = (d: DesiredDhcpNetwork): string =>
  JSON.stringify([d.netns, d.tap, d.ns, d.mac, d.mtu, [...d.addresses].sort(), [...d.extraAddresses].sort()]);

/** The plumbing as observed, had it been read: what this process left, when that still stands. */
export interface VouchedPlumbing {
  tap: ObservedLink;
  ns: ObservedLink;
  loUp: true;
  strayNs: [];
}

/** `d`'s plumbing as this process left it, or undefined (read it): another desired plumbing, another namespace, or a read is due. */
export function vouched(memory: PlumbingMemory | undefined, d: DesiredDhcpNetwork, inode: number | undefined, now: number): VouchedPlumbing | undefined {
  if (!memory || inode === undefined || now - memory.readAt > FULL_OBSERVE_MS) return undefined;
  const m = memory.networks.get(d.id);
  if (!m || m.inode !== inode || m.key !== plumbingKey(d)) return undefined;
  const mtu = d.mtu;
  return {
    tap: { name: d.tap, kind: 'veth', mtu, up: true, addresses: [] },
    ns: { name: d.ns, kind: 'veth', mac: d.mac, mtu, up: true, addresses: [...d.addresses, ...d.extraAddresses] },
    loUp: true,
    strayNs: [],
  };
}
