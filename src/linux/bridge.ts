// iproute2 `bridge`: read the forwarding database and bridge ports with `bridge -j`, change
// fdb entries (l2population) with one `bridge -batch -` call.
import { exec, type Place } from './exec.ts';
import { batchLine, parseJsonList } from './ip.ts';

export interface FdbEntry {
  mac: string;
  ifname: string;
  dst?: string;
  master?: string;
  vlan?: number;
  state?: string;
  flags?: string[];
  [key: string]: unknown;
}

export interface BridgePort {
  ifindex: number;
  ifname: string;
  master?: string;
  state?: string;
  mtu?: number;
  flags?: string[];
  [key: string]: unknown;
}

/** `bridge -j fdb show [dev DEV | br BRIDGE]` */
export async function fdb(place?: Place, opts: { dev?: string; br?: string } = {}): Promise<FdbEntry[]> {
  const args = ['fdb', 'show', ...(opts.dev ? ['dev', opts.dev] : []), ...(opts.br ? ['br', opts.br] : [])];
  const r = await exec(['bridge', '-j', ...args], { place });
  return parseJsonList<FdbEntry>(r.stdout, `bridge -j ${args.join(' ')}`);
}

/** `bridge -j link show` (ports enslaved to bridges, with their STP state) */
export async function ports(place?: Place): Promise<BridgePort[]> {
  const r = await exec(['bridge', '-j', 'link', 'show'], { place });
  return parseJsonList<BridgePort>(r.stdout, 'bridge -j link show');
}

export type FdbOp = 'append' | 'replace' | 'del';

export interface FdbChange {
  op: FdbOp;
  mac: string;
  dev: string;
  /** remote VTEP (vxlan) */
  dst?: string;
  /** extra tokens, e.g. ['self'] or ['permanent'] */
  extra?: readonly string[];
}

/** The `bridge` command tokens for one fdb change (e.g. fdb append 00:00:00:00:00:00 dev vxlan-10 dst 192.168.81.65). */
export function fdbCommand(c: FdbChange): string[] {
  return ['fdb', c.op, c.mac, 'dev', c.dev, ...(c.dst ? ['dst', c.dst] : []), ...(c.extra ?? [])];
}

/** Apply fdb changes with ONE `bridge -batch -` call. */
export async function applyFdb(place: Place | undefined, changes: readonly FdbChange[], opts: { force?: boolean } = {}): Promise<void> {
  if (changes.length === 0) return;
  const lines = changes.map((c) => batchLine(fdbCommand(c)));
  try {
    await exec(['bridge', ...(opts.force ? ['-force'] : []), '-batch', '-'], { place, input: `${lines.join('\n')}\n` });
  } catch (e) {
    const m = /Command failed -:(\d+)/.exec((e as Error).message);
    if (m) (e as Error).message += `\n(failing batch line ${m[1]}: bridge ${lines[Number(m[1]) - 1]})`;
    throw e;
  }
}
