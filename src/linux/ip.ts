// iproute2 `ip`: read links, addresses, routes and neighbours with `ip -j`, change them with
// one `ip -batch -` call (a list of commands, each an array of tokens).
import { checkName, exec, type Place } from './exec.ts';
import { monitorLinks } from './link-monitor.ts';

export interface Link {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate: string;
  address?: string;
  master?: string;
  /** the peer's name for veths ("eno1" in `p-compute@if2`), when ip shows it */
  link?: string;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown>; info_slave_kind?: string };
  [key: string]: unknown;
}

export interface AddrInfo {
  family: 'inet' | 'inet6' | string;
  local: string;
  prefixlen: number;
  scope?: string;
  broadcast?: string;
  label?: string;
  [key: string]: unknown;
}

export interface LinkAddresses {
  ifindex: number;
  ifname: string;
  addr_info: AddrInfo[];
  [key: string]: unknown;
}

/** A link as an agent compares it with what it wants (the L3 agent's qr-/qg-/tap devices, the
 *  DHCP agent's tap and ns- ends). */
export interface ObservedLink {
  name: string;
  /** linkinfo kind ('veth'), when read with details */
  kind?: string;
  mac?: string;
  mtu: number;
  up: boolean;
  /** global-scope addresses, ip/prefixlen */
  addresses: string[];
}

export interface Route {
  /** "default" or a prefix ("192.168.81.0/24"; a host route has no "/") */
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  type?: string;
  table?: string;
  flags?: string[];
  [key: string]: unknown;
}

export interface Neighbour {
  dst: string;
  dev: string;
  lladdr?: string;
  state?: string[];
  [key: string]: unknown;
}

/** A batch command: tokens, as `ip` would get them after `ip` (e.g. ['link', 'set', 'eno1', 'up']). */
export type IpCommand = readonly string[];

/** Parse `ip -j` output: empty output means an empty list. */
export function parseJsonList<T>(text: string, what: string): T[] {
  const t = text.trim();
  if (!t) return [];
  try {
    const v = JSON.parse(t) as unknown;
    if (!Array.isArray(v)) throw new Error('not a JSON array');
    return v as T[];
  } catch (e) {
    throw new Error(`cannot parse ${what} output: ${(e as Error).message}: ${t.slice(0, 200)}`);
  }
}

/** Split concatenated JSON documents (`ip -j -batch` prints one array per command). */
export function splitJsonDocs(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let inStr = false;
  let esc = false;
  let startAt = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      if (esc) esc = false;
      else if (c === '\\') esc = true;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '[' || c === '{') { if (depth++ === 0) startAt = i; }
    else if (c === ']' || c === '}') { if (--depth === 0) out.push(JSON.parse(text.slice(startAt, i + 1))); }
  }
  return out;
}

/** A batch line from tokens. Tokens may not hold whitespace, quotes, '#' or '\' (so no token can be split or commented out). */
export function batchLine(tokens: readonly string[]): string {
  if (tokens.length === 0) throw new Error('empty batch command');
  for (const t of tokens) {
    if (t === '' || /[\s"'#\\]/.test(t)) throw new Error(`invalid token ${JSON.stringify(t)} in batch command: ${tokens.join(' ')}`);
  }
  return tokens.join(' ');
}

async function readJson<T>(place: Place | undefined, args: string[]): Promise<T[]> {
  // in a nested namespace `ip -n` enters it itself, as batch() does: one exec less than `ip netns exec`
  const ns = place?.netns;
  if (ns) checkName(ns, 'netns name');
  const r = await exec(['ip', ...(ns ? ['-n', ns] : []), '-j', ...args], { place: ns ? { ...place, netns: undefined } : place });
  return parseJsonList<T>(r.stdout, `ip -j ${args.join(' ')}`);
}

/** `ip -j -d link show [dev DEV]` (with details: linkinfo kind and data). */
export function links(place?: Place, dev?: string): Promise<Link[]> {
  return readJson<Link>(place, ['-d', 'link', 'show', ...(dev ? ['dev', dev] : [])]);
}

/**
 * Wait until `dev` is a bridge port (has a master): another agent enslaves it (the Linux
 * bridge agent plugs the L3 agent's taps when their bridge was not there). One look first;
 * if it is not one yet, watches the kernel's link events (`ip monitor link`, subscribed
 * before the next look, so nothing is missed) instead of polling: three process starts at
 * most rather than one every few ms beside the agent doing the plugging.
 * Resolves false after `timeoutMs`, or when the device cannot be read (gone).
 */
export async function untilEnslaved(place: Place | undefined, dev: string, timeoutMs: number): Promise<boolean> {
  // already in one (the usual case): no monitor to start
  try { if ((await links(place, dev))[0]?.master) return true; } catch { return false; }
  const end = Date.now() + timeoutMs;
  let wake = (): void => {};
  const monitor = await monitorLinks(place, { filter: (n) => n === dev, onChange: () => wake() });
  try {
    for (;;) {
      const changed = new Promise<void>((r) => { wake = r; });
      let l: Link | undefined;
      try { l = (await links(place, dev))[0]; } catch { return false; }
      if (l?.master) return true;
      const left = end - Date.now();
      if (!l || left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([changed, new Promise<void>((r) => { timer = setTimeout(r, left); })]);
      clearTimeout(timer);
    }
  } finally {
    await monitor.stop();
  }
}

/** `ip -j addr show` */
export function addresses(place?: Place, dev?: string): Promise<LinkAddresses[]> {
  return readJson<LinkAddresses>(place, ['addr', 'show', ...(dev ? ['dev', dev] : [])]);
}

/** `ip -j [-4|-6] route show [table T]` (main table by default). */
export function routes(place?: Place, opts: { family?: 4 | 6; table?: string } = {}): Promise<Route[]> {
  const fam = opts.family ? [`-${opts.family}`] : [];
  return readJson<Route>(place, [...fam, 'route', 'show', ...(opts.table ? ['table', opts.table] : [])]);
}

/** `ip -j neigh show [dev DEV]` */
export function neighbours(place?: Place, dev?: string): Promise<Neighbour[]> {
  return readJson<Neighbour>(place, ['neigh', 'show', ...(dev ? ['dev', dev] : [])]);
}

/**
 * Apply commands with ONE `ip -batch -` call. It stops at the first failing command and the
 * error names it (ip reports "Command failed -:N"; the line is added to the message).
 * `force` keeps going after errors (ip -force), still failing at the end if one failed.
 */
export async function batch(place: Place | undefined, commands: readonly IpCommand[], opts: { force?: boolean } = {}): Promise<void> {
  if (commands.length === 0) return;
  const lines = commands.map(batchLine);
  // in a nested namespace, `ip -n` enters it itself: one exec less than `ip netns exec`, and no /sys remount
  const ns = place?.netns;
  if (ns) checkName(ns, 'netns name');
  const at: Place | undefined = ns ? { ...place, netns: undefined } : place;
  try {
    await exec(['ip', ...(ns ? ['-n', ns] : []), ...(opts.force ? ['-force'] : []), '-batch', '-'], { place: at, input: `${lines.join('\n')}\n` });
  } catch (e) {
    const m = /Command failed -:(\d+)/.exec((e as Error).message);
    if (m) (e as Error).message += `\n(failing batch line ${m[1]}: ip ${lines[Number(m[1]) - 1]})`;
    throw e;
  }
}

/**
 * A batch line running `argv` inside the nested namespace `netns` (`netns exec`): in a batch,
 * ip forks it itself, so a whole namespace's work (sysctl, nft, an inner `ip -batch FILE`)
 * costs the caller one process start instead of one per tool.
 */
export function nsExecLine(netns: string, argv: readonly string[]): IpCommand {
  checkName(netns, 'netns name');
  return ['netns', 'exec', netns, ...argv];
}

/** argv of an `ip -batch FILE` (inside a namespace through nsExecLine); `force` keeps going after errors. */
export function batchFileArgv(path: string, opts: { force?: boolean } = {}): string[] {
  return ['ip', ...(opts.force ? ['-force'] : []), '-batch', path];
}

/** The batch lines of commands, as a file for batchFileArgv. */
export function batchText(commands: readonly IpCommand[]): string {
  return `${commands.map(batchLine).join('\n')}\n`;
}

/**
 * Did ip stop because `dev`, named as an argument (`link set X master DEV`), does not exist?
 * ip exits at once on such a line (no "Command failed"), so in a batch nothing after it ran.
 */
export function namesMissingDevice(message: string, dev: string): boolean {
  return message.includes(`argument "${dev}" is wrong: Device does not exist`);
}

/** Which line of which batch failed: ip says "Command failed FILE:N" (FILE '-' for stdin), innermost first. */
export function failedBatchLines(message: string): { file: string; line: number }[] {
  return [...message.matchAll(/Command failed (\S+):(\d+)/g)].map((m) => ({ file: m[1], line: Number(m[2]) }));
}

/** IPv4/IPv6 addresses as "a.b.c.d/len" per device name. */
export function addressMap(list: readonly LinkAddresses[], family?: 'inet' | 'inet6'): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const l of list) {
    m.set(l.ifname, l.addr_info.filter((a) => !family || a.family === family).map((a) => `${a.local}/${a.prefixlen}`));
  }
  return m;
}
