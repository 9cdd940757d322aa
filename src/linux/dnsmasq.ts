// dnsmasq, the DHCP (and local DNS) server of a qdhcp namespace: its command line (pure),
// and starting, reloading, finding and stopping one instance by its pid file.
//
// It runs with --keep-in-foreground, so the pid `start` returns is dnsmasq itself (nsenter
// and `ip netns exec` exec() it) and it still writes its pid file, which is how a restarted
// agent finds it again. It drops to `nobody` after opening the pid, lease and log files and
// re-reads the hosts, addn_hosts and opts files on SIGHUP as nobody: those files and every
// directory above them must be world-readable (see ../agents/dhcp/apply.ts).
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { start, type Place } from './exec.ts';
import { isAlive, netInodeOf, terminate } from './proc.ts';

/** The files of one instance, all in one directory (Neutron: $state_path/dhcp/<network>/). */
export interface DnsmasqFiles {
  pid: string;
  host: string;
  addnHosts: string;
  opts: string;
  leases: string;
  log: string;
}

export function dnsmasqFiles(dir: string): DnsmasqFiles {
  return {
    pid: `${dir}/pid`,
    host: `${dir}/host`,
    addnHosts: `${dir}/addn_hosts`,
    opts: `${dir}/opts`,
    leases: `${dir}/leases`,
    log: `${dir}/log`,
  };
}

/** One --dhcp-range: static (only hosts-file addresses are handed out), tagged per subnet. */
export interface DhcpRange {
  /** e.g. subnet-<id>; options in the opts file select it with tag:<tag> */
  tag: string;
  /** network address of the subnet */
  address: string;
  /** IPv4: dotted netmask; IPv6: prefix length */
  mask: string;
}

export interface DnsmasqConfig {
  /** directory of the instance's files (see dnsmasqFiles) */
  dir: string;
  /** the ns-… device it serves */
  interface: string;
  ranges: readonly DhcpRange[];
  /** seconds, -1 = infinite */
  leaseSeconds: number;
  /** --dhcp-lease-max */
  leaseMax: number;
  /** network MTU, forced as option 26 (clients get it even without asking); 0 = unknown, not sent */
  mtu: number;
  /** --domain; empty = none */
  domain: string;
  /** upstream DNS servers (dnsmasq_dns_servers) */
  servers?: readonly string[];
  /** dnsmasq_local_resolv: read the place's /etc/resolv.conf for upstream servers */
  localResolv?: boolean;
  /** dnsmasq_config_file; empty = /dev/null (never the shared /etc/dnsmasq.conf) */
  confFile?: string;
  /** dhcp_broadcast_reply */
  broadcastReply?: boolean;
  /** executable, default 'dnsmasq' */
  bin?: string;
}

/** The full argv of one instance (argv[0] is the executable). */
export function dnsmasqArgv(c: DnsmasqConfig): string[] {
  const f = dnsmasqFiles(c.dir);
  const lease = c.leaseSeconds === -1 ? 'infinite' : `${c.leaseSeconds}s`;
  const argv = [
    c.bin ?? 'dnsmasq',
    '--keep-in-foreground',
    // `ip netns exec` shares /etc: without these dnsmasq reads the real hosts, resolv.conf
    // and dnsmasq.conf.
    '--no-hosts',
    ...(c.localResolv ? [] : ['--no-resolv']),
    ...(c.servers ?? []).map((s) => `--server=${s}`),
    `--conf-file=${c.confFile || '/dev/null'}`,
    `--pid-file=${f.pid}`,
    `--dhcp-hostsfile=${f.host}`,
    `--addn-hosts=${f.addnHosts}`,
    `--dhcp-optsfile=${f.opts}`,
    `--dhcp-leasefile=${f.leases}`,
    '--dhcp-match=set:ipxe,175',
    '--dhcp-userclass=set:ipxe6,iPXE',
    '--bind-interfaces',
    `--interface=${c.interface}`,
    '--except-interface=lo',
    ...c.ranges.map((r) => `--dhcp-range=set:${r.tag},${r.address},static,${r.mask},${lease}`),
    ...(c.mtu > 0 ? [`--dhcp-option-force=option:mtu,${c.mtu}`] : []),
    `--dhcp-lease-max=${c.leaseMax}`,
    ...(c.broadcastReply ? ['--dhcp-broadcast'] : []),
    ...(c.domain ? [`--domain=${c.domain}`] : []),
    `--log-facility=${f.log}`,
    '--log-dhcp',
  ];
  for (const a of argv) {
    // an argv element with a newline would break the one-option-per-element contract
    if (/[\n\0]/.test(a)) throw new Error(`invalid dnsmasq argument ${JSON.stringify(a)}`);
  }
  return argv;
}

/** The value of `--pid-file=` in an argv. */
export function pidFileOf(argv: readonly string[]): string | undefined {
  const a = argv.find((x) => x.startsWith('--pid-file='));
  return a?.slice('--pid-file='.length);
}

export interface RunningDnsmasq {
  pid: number;
  /** its command line, from /proc/PID/cmdline */
  argv: string[];
  /** inode of its network namespace */
  netInode?: number;
}

/** Parse a pid file's text; undefined unless it holds one positive integer. */
export function parsePid(text: string): number | undefined {
  const t = text.trim();
  return /^[1-9]\d*$/.test(t) ? Number(t) : undefined;
}

/**
 * The dnsmasq whose pid file is `pidFile`, if it runs: the pid in the file is alive, its
 * executable is dnsmasq and its command line names that very pid file (a stale file whose
 * pid was reused by another process does not count).
 */
export async function findRunning(pidFile: string): Promise<RunningDnsmasq | undefined> {
  let pid: number | undefined;
  try {
    pid = parsePid(await readFile(pidFile, 'utf8'));
  } catch {
    return undefined;
  }
  if (pid === undefined || !(await isAlive(pid))) return undefined;
  let argv: string[];
  try {
    argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  } catch {
    return undefined;
  }
  if (argv.at(-1) === '') argv.pop();
  if (argv.length === 0 || basename(argv[0]) !== 'dnsmasq' || pidFileOf(argv) !== pidFile) return undefined;
  return { pid, argv, netInode: await netInodeOf(pid) };
}

async function logTail(path: string): Promise<string> {
  try {
    const t = await readFile(path, 'utf8');
    return t.split('\n').filter(Boolean).slice(-5).join('\n');
  } catch {
    return '';
  }
}

/**
 * Start dnsmasq (argv from dnsmasqArgv) in `place` and wait until it is serving: its pid
 * file holds its pid, which it writes after binding its sockets. Rejects with the end of
 * its log when it exits (a config or bind error) or is not ready within `timeoutMs`.
 */
export async function startDnsmasq(place: Place | undefined, argv: readonly string[], opts: { logFile: string; timeoutMs?: number }): Promise<number> {
  const pidFile = pidFileOf(argv);
  if (!pidFile) throw new Error('dnsmasq argv has no --pid-file');
  const pid = await start(argv, { place, logFile: opts.logFile });
  const until = Date.now() + (opts.timeoutMs ?? 5000);
  for (;;) {
    const text = await readFile(pidFile, 'utf8').catch(() => '');
    if (parsePid(text) === pid) return pid;
    if (!(await isAlive(pid))) {
      const tail = await logTail(opts.logFile);
      throw new Error(`dnsmasq (pid ${pid}) exited at start${tail ? `:\n${tail}` : ''}\n(log: ${opts.logFile})`);
    }
    if (Date.now() > until) {
      await terminate([pid]);
      throw new Error(`dnsmasq (pid ${pid}) did not write ${pidFile} within ${opts.timeoutMs ?? 5000} ms; stopped it (log: ${opts.logFile})`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** SIGHUP: dnsmasq re-reads the hosts, addn_hosts and opts files (and clears its DNS cache). */
export function reloadDnsmasq(pid: number): void {
  process.kill(pid, 'SIGHUP');
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone (or after another second). */
export async function stopDnsmasq(pid: number, graceMs = 2000): Promise<void> {
  await terminate([pid], graceMs);
  const until = Date.now() + 1000;
  while ((await isAlive(pid)) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
}
