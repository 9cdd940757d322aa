// radvd: IPv6 router advertisements from a router namespace, configured as Neutron's
// neutron/agent/linux/ra.py does (one `interface` block per qr- device with IPv6 subnets
// whose ipv6_ra_mode is set). Started in the foreground (-n) so its pid is the one start()
// returns; it still writes its pid file, which identifies it later. SIGHUP re-reads the config.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { start, type Place } from './exec.ts';
import { isAlive, netInodeOf, terminate } from './proc.ts';

export type RaMode = 'slaac' | 'dhcpv6-stateless' | 'dhcpv6-stateful';

export interface RadvdInterface {
  device: string;
  /** advertised as AdvLinkMTU when >= 1280 */
  mtu?: number;
  prefixes: { cidr: string; mode: RaMode }[];
  dnsServers?: string[];
}

/** Neutron's radvd.conf for these interfaces (ra.py CONFIG_TEMPLATE). */
export function radvdConfig(ifaces: readonly RadvdInterface[], opts: { minInterval?: number; maxInterval?: number } = {}): string {
  const min = opts.minInterval ?? 30;
  const max = opts.maxInterval ?? 100;
  const out: string[] = [];
  for (const i of ifaces) {
    const modes = new Set(i.prefixes.map((p) => p.mode));
    out.push(`interface ${i.device}`, '{', '   AdvSendAdvert on;', `   MinRtrAdvInterval ${min};`, `   MaxRtrAdvInterval ${max};`);
    if (i.mtu !== undefined && i.mtu >= 1280) out.push(`   AdvLinkMTU ${i.mtu};`);
    if (modes.has('dhcpv6-stateless')) out.push('   AdvOtherConfigFlag on;');
    if (modes.has('dhcpv6-stateful')) out.push('   AdvManagedFlag on;');
    if (i.dnsServers?.length) out.push(`   RDNSS ${i.dnsServers.join(' ')} {};`);
    for (const p of i.prefixes) {
      const auto = p.mode === 'dhcpv6-stateful' ? 'off' : 'on';
      out.push(`   prefix ${p.cidr}`, '   {', '        AdvOnLink on;', `        AdvAutonomous ${auto};`, '   };');
    }
    out.push('};');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

export function radvdArgv(conf: string, pidFile: string): string[] {
  return ['radvd', '-n', '-C', conf, '-p', pidFile, '-m', 'stderr'];
}

export interface RunningRadvd {
  pid: number;
  netInode?: number;
}

/** The radvd whose pid file is `pidFile`, if it runs (its command line names that pid file). */
export async function findRadvd(pidFile: string): Promise<RunningRadvd | undefined> {
  const text = await readFile(pidFile, 'utf8').catch(() => '');
  const t = text.trim();
  if (!/^[1-9]\d*$/.test(t)) return undefined;
  const pid = Number(t);
  if (!(await isAlive(pid))) return undefined;
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  if (basename(argv[0] ?? '') !== 'radvd') return undefined;
  const i = argv.indexOf('-p');
  if (i < 0 || argv[i + 1] !== pidFile) return undefined;
  return { pid, netInode: await netInodeOf(pid) };
}

/** Start radvd in `place` and wait until it wrote its pid file (or fail with its log's end). */
export async function startRadvd(place: Place | undefined, conf: string, pidFile: string, logFile: string, timeoutMs = 5000): Promise<number> {
  const pid = await start(radvdArgv(conf, pidFile), { place, logFile });
  const until = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(pidFile, 'utf8').catch(() => '');
    if (text.trim() === String(pid)) return pid;
    if (!(await isAlive(pid))) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`radvd (pid ${pid}) exited at start: ${log.split('\n').filter(Boolean).slice(-5).join('\n')} (log: ${logFile})`);
    }
    if (Date.now() > until) {
      await terminate([pid]);
      throw new Error(`radvd (pid ${pid}) did not write ${pidFile} within ${timeoutMs} ms (log: ${logFile})`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function reloadRadvd(pid: number): void {
  process.kill(pid, 'SIGHUP');
}

export async function stopRadvd(pid: number): Promise<void> {
  await terminate([pid], 2000);
}
