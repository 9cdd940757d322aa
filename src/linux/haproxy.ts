// haproxy, the metadata proxy of a qrouter-/qdhcp- namespace: check a config file, start
// one instance in a namespace, find it again by its pid file, stop it.
//
// It runs in the foreground (-db), like dnsmasq with --keep-in-foreground: the pid `start`
// returns is haproxy itself (nsenter and `ip netns exec` exec() it), and its stderr — where
// the config sends its log, since a namespace has no syslog — goes to a log file. haproxy
// writes no pid file in the foreground, so this module writes it once haproxy listens.
import { readFile, writeFile, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { exec, start, tryExec, type Place } from './exec.ts';
import { isAlive, netInodeOf, terminate } from './proc.ts';

export interface HaproxyFiles {
  config: string;
  pid: string;
  log: string;
}

export interface RunningHaproxy {
  pid: number;
  /** its command line, from /proc/PID/cmdline */
  argv: string[];
  /** inode of its network namespace */
  netInode?: number;
}

/** The argv of one instance (argv[0] is the executable). */
export function haproxyArgv(configPath: string, bin = 'haproxy'): string[] {
  return [bin, '-db', '-f', configPath];
}

/**
 * `haproxy -c`: reject with haproxy's own words when the config is invalid (unknown user,
 * bad bind line, …), so that a broken proxy fails here and not as a silent dead process.
 */
export async function checkHaproxyConfig(place: Place | undefined, configPath: string, bin = 'haproxy'): Promise<void> {
  const r = await tryExec([bin, '-c', '-q', '-f', configPath], { place: place && { nsenter: place.nsenter }, timeoutMs: 10_000 });
  if (r.code !== 0) {
    const why = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-6).join('\n');
    throw new Error(`haproxy rejects ${configPath} (haproxy -c, exit ${r.code}):\n${why}`);
  }
}

async function logTail(path: string): Promise<string> {
  const t = await readFile(path, 'utf8').catch(() => '');
  return t.split('\n').filter(Boolean).slice(-5).join('\n');
}

/** Is a TCP socket of pid's network namespace listening on `port`? (/proc/PID/net/tcp{,6}) */
async function listening(pid: number, port: number): Promise<boolean> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const f of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${f}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[1].endsWith(`:${hex}`) && cols[3] === '0A') return true;
    }
  }
  return false;
}

/**
 * Check the config, start haproxy in `place` and wait until it listens on `port`; then
 * write its pid file. Rejects with the end of its log when it exits (a bind error, …) or
 * does not listen within `timeoutMs`.
 */
export async function startHaproxy(place: Place | undefined, files: HaproxyFiles, port: number, opts: { timeoutMs?: number; bin?: string } = {}): Promise<number> {
  await checkHaproxyConfig(place, files.config, opts.bin);
  const pid = await start(haproxyArgv(files.config, opts.bin), { place, logFile: files.log });
  const until = Date.now() + (opts.timeoutMs ?? 5000);
  for (;;) {
    // until exec() has happened the pid is nsenter / ip: wait for haproxy itself
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
    if (comm === 'haproxy' && (await listening(pid, port))) break;
    if (!(await isAlive(pid))) {
      const tail = await logTail(files.log);
      throw new Error(`haproxy (pid ${pid}) exited at start${tail ? `:\n${tail}` : ''}\n(log: ${files.log})`);
    }
    if (Date.now() > until) {
      await terminate([pid]);
      throw new Error(`haproxy (pid ${pid}) did not listen on port ${port} within ${opts.timeoutMs ?? 5000} ms; stopped it (log: ${files.log})`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await writeFile(files.pid, `${pid}\n`);
  return pid;
}

/**
 * The haproxy whose pid file is `files.pid`, if it runs: the pid is alive, its executable is
 * haproxy and its command line names `files.config` (a stale pid reused by another process
 * does not count).
 */
export async function findHaproxy(files: Pick<HaproxyFiles, 'pid' | 'config'>): Promise<RunningHaproxy | undefined> {
  const text = await readFile(files.pid, 'utf8').catch(() => '');
  const t = text.trim();
  if (!/^[1-9]\d*$/.test(t)) return undefined;
  const pid = Number(t);
  if (!(await isAlive(pid))) return undefined;
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  if (argv.at(-1) === '') argv.pop();
  if (argv.length === 0 || basename(argv[0]) !== 'haproxy' || !argv.includes(files.config)) return undefined;
  return { pid, argv, netInode: await netInodeOf(pid) };
}

/** SIGTERM (SIGKILL after graceMs), wait until gone, remove the pid file. */
export async function stopHaproxy(pid: number, pidFile?: string, graceMs = 2000): Promise<void> {
  await terminate([pid], graceMs);
  const until = Date.now() + 1000;
  while ((await isAlive(pid)) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  if (pidFile) await rm(pidFile, { force: true });
}

/** haproxy's version line (for diagnostics); rejects when haproxy is not installed. */
export async function haproxyVersion(bin = 'haproxy'): Promise<string> {
  const r = await exec([bin, '-v']);
  return r.stdout.split('\n')[0];
}
