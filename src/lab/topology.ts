// The seed's two machines, emulated (see ../../../shared/reference/dataplane-facts.md):
//
//   fabric      bridge br-phys (the physical switch), veths p-controller, p-compute, p-upstream;
//               bridge-nf-call-* = 0 (a switch does not conntrack)
//   upstream    eth0 192.168.81.254/24, lo 203.0.113.1/32 ("the internet"), no route to the
//               tenant networks; optional socat "whoami" on 203.0.113.1:8080
//   controller  eno1 192.168.81.66/24, default via .254, bridge-nf-call-ip(6)tables = 1
//   compute     eno1 192.168.81.65/24, default via .254, bridge-nf-call-ip(6)tables = 1
//
// up() reconciles: it reads what exists and applies only what is missing (a second call
// changes nothing), one `ip -batch` per host. down() removes exactly what lives under the
// lab root. The controller's eno1 address may later be moved onto a brq bridge by the
// linuxbridge agent (as Neutron does); up() accepts it there and does not put it back.
import { writeFile, readFile } from 'node:fs/promises';
import { which, type ExecOptions, type ExecResult, type Place } from '../linux/exec.ts';
import { addresses, batch, links, routes, type IpCommand, type Link, type LinkAddresses, type Route } from '../linux/ip.ts';
import { list as listNetns } from '../linux/netns.ts';
import { isAlive, netInodeOf, nsInode, processesIn, type ProcInfo } from '../linux/proc.ts';
import { ensure as ensureSysctls } from '../linux/sysctl.ts';
import {
  destroy, ensureHost, ensureRoot, hostExists, hostNetPlace, hostPair, hostPlace, labPaths,
  runIn, runOn, startOn, tryRunOn, type LabPaths,
} from './hosts.ts';
import type { TeardownReport } from '../linux/netns.ts';

export const FABRIC = 'fabric';
export const SWITCH = 'br-phys';

export interface MachineSpec {
  name: string;
  /** its interface on the physical segment (the peer of p-<name> on br-phys) */
  nic: string;
  /** address on the segment, CIDR */
  address: string;
  /** extra addresses on lo (CIDR) */
  loopback?: string[];
  /** default gateway on the segment */
  gateway?: string;
  sysctls: Record<string, string>;
}

export interface TopologySpec {
  machines: MachineSpec[];
  fabricSysctls: Record<string, string>;
}

export const SEED_GATEWAY = '192.168.81.254';
export const SEED_INTERNET = '203.0.113.1';

/** The seed's machines. `upstream` stands for the outside world. */
export const SEED_TOPOLOGY: TopologySpec = {
  machines: [
    {
      name: 'upstream', nic: 'eth0', address: `${SEED_GATEWAY}/24`, loopback: [`${SEED_INTERNET}/32`],
      sysctls: {},
    },
    {
      name: 'controller', nic: 'eno1', address: '192.168.81.66/24', gateway: SEED_GATEWAY,
      sysctls: { 'net.bridge.bridge-nf-call-iptables': '1', 'net.bridge.bridge-nf-call-ip6tables': '1' },
    },
    {
      name: 'compute', nic: 'eno1', address: '192.168.81.65/24', gateway: SEED_GATEWAY,
      sysctls: { 'net.bridge.bridge-nf-call-iptables': '1', 'net.bridge.bridge-nf-call-ip6tables': '1' },
    },
  ],
  fabricSysctls: {
    'net.bridge.bridge-nf-call-iptables': '0',
    'net.bridge.bridge-nf-call-ip6tables': '0',
    'net.bridge.bridge-nf-call-arptables': '0',
  },
};

export interface LabOptions {
  /** lab root directory (default /run/muon-lab); tests use a unique one */
  root?: string;
  /** mount source prefix (default: the root's basename) */
  tag?: string;
  topology?: TopologySpec;
  /** start the upstream "whoami" service (socat) when socat is installed (default true) */
  whoami?: boolean;
}

export interface UpReport {
  /** what up() changed; empty when everything was in place */
  changes: string[];
  notes: string[];
  ms: number;
}

export interface HostStatus {
  name: string;
  exists: boolean;
  links: { name: string; kind?: string; state: string; master?: string; mtu: number; addresses: string[] }[];
  routes: { dst: string; gateway?: string; dev?: string }[];
  netns: string[];
  processes: ProcInfo[];
}

export interface LabStatus {
  root: string;
  up: boolean;
  hosts: HostStatus[];
}

const isUp = (l: Link | undefined) => !!l && l.flags.includes('UP');

/** Pure: the ip commands that make the fabric match the spec, given its links. */
export function planFabric(spec: TopologySpec, nsDir: string, observed: readonly Link[]): IpCommand[] {
  const by = new Map(observed.map((l) => [l.ifname, l]));
  const cmds: IpCommand[] = [];
  if (!by.has(SWITCH)) cmds.push(['link', 'add', SWITCH, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
  for (const m of spec.machines) {
    const port = `p-${m.name}`;
    const l = by.get(port);
    if (!l) cmds.push(['link', 'add', port, 'type', 'veth', 'peer', 'name', m.nic, 'netns', `${nsDir}/${m.name}.net`]);
    if (l?.master !== SWITCH) cmds.push(['link', 'set', port, 'master', SWITCH]);
    if (!isUp(l)) cmds.push(['link', 'set', port, 'up']);
  }
  if (!isUp(by.get(SWITCH))) cmds.push(['link', 'set', SWITCH, 'up']);
  return cmds;
}

/**
 * Pure: the ip commands that make a machine match the spec. Its address counts as present on
 * the nic or on the bridge the nic is enslaved to (the linuxbridge agent moves it there);
 * any default route via the gateway counts.
 */
export function planMachine(m: MachineSpec, observed: { links: readonly Link[]; addrs: readonly LinkAddresses[]; routes: readonly Route[] }): IpCommand[] {
  const cmds: IpCommand[] = [];
  const nic = observed.links.find((l) => l.ifname === m.nic);
  const addrsOf = (dev: string | undefined) =>
    observed.addrs.find((a) => a.ifname === dev)?.addr_info.map((i) => `${i.local}/${i.prefixlen}`) ?? [];
  if (!isUp(nic)) cmds.push(['link', 'set', m.nic, 'up']);
  const lo = observed.links.find((l) => l.ifname === 'lo');
  if (!isUp(lo)) cmds.push(['link', 'set', 'lo', 'up']);
  const carriers = [m.nic, ...(nic?.master ? [nic.master] : [])];
  if (!carriers.some((d) => addrsOf(d).includes(m.address))) cmds.push(['addr', 'add', m.address, 'dev', m.nic]);
  for (const a of m.loopback ?? []) if (!addrsOf('lo').includes(a)) cmds.push(['addr', 'add', a, 'dev', 'lo']);
  if (m.gateway && !observed.routes.some((r) => r.dst === 'default' && r.gateway === m.gateway)) {
    cmds.push(['route', 'add', 'default', 'via', m.gateway]);
  }
  return cmds;
}

const show = (cmds: readonly IpCommand[]) => cmds.map((c) => `ip ${c.join(' ')}`);

export class Lab {
  readonly paths: LabPaths;
  readonly spec: TopologySpec;
  readonly whoami: boolean;

  constructor(opts: LabOptions = {}) {
    this.paths = labPaths(opts.root, opts.tag);
    this.spec = opts.topology ?? SEED_TOPOLOGY;
    this.whoami = opts.whoami ?? true;
  }

  get hosts(): string[] {
    return [FABRIC, ...this.spec.machines.map((m) => m.name)];
  }

  /** Where commands run on a host, or in one of its nested namespaces (for the linux/ functions). */
  place(host: string, netns?: string): Place {
    this.checkHost(host);
    return hostPlace(this.paths, host, netns);
  }

  runOn(host: string, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    this.checkHost(host);
    return runOn(this.paths, host, argv, opts);
  }

  runIn(host: string, netns: string, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    this.checkHost(host);
    return runIn(this.paths, host, netns, argv, opts);
  }

  tryRunOn(host: string, argv: readonly string[], opts?: ExecOptions & { netns?: string }): Promise<ExecResult> {
    this.checkHost(host);
    return tryRunOn(this.paths, host, argv, opts);
  }

  /** Start a daemon on a host (or in a nested netns of it); `down()` ends it. Returns its pid. */
  startOn(host: string, argv: readonly string[], opts?: { netns?: string; logFile?: string; settleMs?: number }): Promise<number> {
    this.checkHost(host);
    return startOn(this.paths, host, argv, opts);
  }

  /** Per-host state directory, visible at the same path on every host. */
  stateDir(host: string): string {
    this.checkHost(host);
    return `${this.paths.stateDir}/${host}`;
  }

  private checkHost(host: string): void {
    if (!this.hosts.includes(host)) throw new Error(`unknown lab host ${JSON.stringify(host)}; hosts are ${this.hosts.join(', ')}`);
  }

  /** Build what is missing; change nothing that is in place. */
  async up(): Promise<UpReport> {
    const t0 = performance.now();
    const changes: string[] = [];
    const notes: string[] = [];
    changes.push(...(await ensureRoot(this.paths)));
    for (const h of this.hosts) if (await ensureHost(this.paths, h)) changes.push(`create host ${h}`);

    // the switch and the cables, from the fabric side (net-only nsenter: the peers' ns file paths resolve here)
    const fabric = hostNetPlace(this.paths, FABRIC);
    const fcmds = planFabric(this.spec, this.paths.nsDir, await links(fabric));
    await batch(fabric, fcmds);
    changes.push(...show(fcmds).map((c) => `${FABRIC}: ${c}`));
    const fsys: Record<string, string> = { ...this.spec.fabricSysctls, [`net.ipv6.conf.${SWITCH}.disable_ipv6`]: '1' };
    for (const m of this.spec.machines) fsys[`net.ipv6.conf.p-${m.name}.disable_ipv6`] = '1';
    changes.push(...(await ensureSysctls(fabric, fsys)).map((k) => `${FABRIC}: sysctl ${k}=${fsys[k]}`));

    for (const m of this.spec.machines) {
      const place = hostPlace(this.paths, m.name);
      const [l, a, r] = await Promise.all([links(place), addresses(place), routes(place, { family: 4 })]);
      const cmds = planMachine(m, { links: l, addrs: a, routes: r });
      await batch(place, cmds);
      changes.push(...show(cmds).map((c) => `${m.name}: ${c}`));
      changes.push(...(await ensureSysctls(place, m.sysctls)).map((k) => `${m.name}: sysctl ${k}=${m.sysctls[k]}`));
    }

    if (this.whoami && this.spec.machines.some((m) => m.name === 'upstream')) {
      const r = await this.ensureWhoami();
      if (r.change) changes.push(r.change);
      if (r.note) notes.push(r.note);
    }
    return { changes, notes, ms: Math.round(performance.now() - t0) };
  }

  /** socat on upstream 203.0.113.1:8080 answering with the source address it sees (SNAT checks). */
  private async ensureWhoami(): Promise<{ change?: string; note?: string }> {
    const pidFile = `${this.stateDir('upstream')}/whoami.pid`;
    const upstreamNet = await nsInode(hostPair(this.paths, 'upstream').net);
    const old = Number(await readFile(pidFile, 'utf8').catch(() => ''));
    if (old > 0 && (await isAlive(old)) && (await netInodeOf(old)) === upstreamNet) return {};
    if (!(await which('socat'))) return { note: 'socat is not installed: no whoami service on upstream 203.0.113.1:8080' };
    const pid = await this.startOn('upstream', [
      'socat', `TCP-LISTEN:8080,bind=${SEED_INTERNET},fork,reuseaddr`, 'EXEC:printenv SOCAT_PEERADDR',
    ], { logFile: `${this.stateDir('upstream')}/whoami.log`, settleMs: 30 });
    await writeFile(pidFile, `${pid}\n`);
    return { change: `upstream: start whoami (socat, pid ${pid})` };
  }

  /** Remove everything the lab created (processes by pid, nested namespaces, hosts, mounts). */
  async down(): Promise<TeardownReport & { ms: number }> {
    const t0 = performance.now();
    const r = await destroy(this.paths);
    return { ...r, ms: Math.round(performance.now() - t0) };
  }

  /** Read what exists: hosts, their links/addresses/routes, nested namespaces, processes. */
  async status(): Promise<LabStatus> {
    const hosts: HostStatus[] = [];
    for (const h of this.hosts) {
      if (!(await hostExists(this.paths, h))) {
        hosts.push({ name: h, exists: false, links: [], routes: [], netns: [], processes: [] });
        continue;
      }
      const place = hostPlace(this.paths, h);
      const [l, a, r, n] = await Promise.all([links(place), addresses(place), routes(place, { family: 4 }), listNetns(place)]);
      const pair = hostPair(this.paths, h);
      const processes = await processesIn({ net: new Set([await nsInode(pair.net)]), mnt: new Set([await nsInode(pair.mount)]) });
      hosts.push({
        name: h,
        exists: true,
        links: l.map((x) => ({
          name: x.ifname,
          kind: x.linkinfo?.info_kind,
          state: x.operstate,
          master: x.master,
          mtu: x.mtu,
          addresses: a.find((y) => y.ifname === x.ifname)?.addr_info.map((i) => `${i.local}/${i.prefixlen}`) ?? [],
        })),
        routes: r.map((x) => ({ dst: x.dst, gateway: x.gateway, dev: x.dev })),
        netns: n,
        processes,
      });
    }
    return { root: this.paths.root, up: hosts.every((h) => h.exists), hosts };
  }
}
