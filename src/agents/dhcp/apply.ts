// apply: carry out planned actions. Networks are independent: each one's actions run in
// order, a few networks at a time, and a failure stops only that network's remaining actions.
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Place } from '../../linux/exec.ts';
import { batch } from '../../linux/ip.ts';
import { reloadDnsmasq, startDnsmasq, stopDnsmasq } from '../../linux/dnsmasq.ts';
import { isAlive, terminate } from '../../linux/proc.ts';
import { releaseLeases } from '../../linux/dhcp-release.ts';
import { stopHaproxy } from '../../linux/haproxy.ts';
import { applyProxyStep, proxyBind } from '../metadata/proxy.ts';
import type { DhcpAction } from './plan.ts';
import { mapLimit } from './pool.ts';

export interface ApplyOutcome {
  /** actions carried out, in order per network */
  done: DhcpAction[];
  /** network → pid of the dnsmasq started or restarted */
  started: Map<string, number>;
  /** network → the error that stopped its actions */
  failed: Map<string, Error>;
  /** network → what failed but does not stop DHCP: its metadata proxy, releasing stale leases */
  warnings: Map<string, Error[]>;
}

/**
 * dnsmasq re-reads its files as `nobody`: every directory from / down to `dir` must be
 * searchable by others. Checked so that this fails here, loudly, rather than as a silent
 * "no address available" later.
 */
export async function assertNobodyCanReach(dir: string): Promise<void> {
  for (let p = dir; ; p = dirname(p)) {
    const st = await stat(p);
    if ((st.mode & 0o001) === 0) {
      throw new Error(`${p} is not searchable by others (mode ${(st.mode & 0o777).toString(8)}): dnsmasq runs as nobody and re-reads its files under ${dir} on SIGHUP; chmod o+x ${p}`);
    }
    if (p === dirname(p)) return;
  }
}

/** Write via a temporary file and rename, so dnsmasq never reads half a file. World-readable (see above). */
export async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode: 0o644 });
  await chmod(tmp, 0o644); // the umask may have taken bits away
  await rename(tmp, path);
}

async function run(place: Place | undefined, a: DhcpAction, started: Map<string, number>): Promise<void> {
  switch (a.kind) {
    case 'ip':
      await batch(a.netns ? { ...place, netns: a.netns } : place, a.commands);
      return;
    case 'mkdir':
      await mkdir(a.path, { recursive: true, mode: 0o755 });
      await chmod(dirname(a.path), 0o755);
      await chmod(a.path, 0o755);
      await assertNobodyCanReach(a.path);
      return;
    case 'write':
      await writeAtomic(a.path, a.content);
      return;
    case 'start':
      await assertNobodyCanReach(dirname(a.logFile));
      started.set(a.network, await startDnsmasq({ ...place, netns: a.netns }, a.argv, { logFile: a.logFile }));
      return;
    case 'restart':
      await stopDnsmasq(a.pid);
      await assertNobodyCanReach(dirname(a.logFile));
      started.set(a.network, await startDnsmasq({ ...place, netns: a.netns }, a.argv, { logFile: a.logFile }));
      return;
    case 'reload':
      reloadDnsmasq(a.pid);
      return;
    case 'release':
      await releaseLeases({ ...place, netns: a.netns }, a.interface, a.leases);
      return;
    case 'kill': {
      await terminate(a.pids);
      const until = Date.now() + 1000;
      for (const pid of a.pids) while ((await isAlive(pid)) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      return;
    }
    case 'proxy':
      await applyProxyStep(place, a.netns, a.files, a.config, proxyBind('network').port, a.step, a.observedConfig);
      return;
    case 'proxy-stop':
      if (a.pid) await stopHaproxy(a.pid, a.files.pid);
      await Promise.all([a.files.config, a.files.pid, a.files.log].map((f) => rm(f, { force: true })));
      return;
    case 'rmdir':
      await rm(a.path, { recursive: true, force: true });
      return;
  }
}

export async function applyDhcp(place: Place | undefined, actions: readonly DhcpAction[], opts: { concurrency?: number } = {}): Promise<ApplyOutcome> {
  const byNetwork = new Map<string, DhcpAction[]>();
  for (const a of actions) {
    const list = byNetwork.get(a.network) ?? [];
    list.push(a);
    byNetwork.set(a.network, list);
  }
  const outcome: ApplyOutcome = { done: [], started: new Map(), failed: new Map(), warnings: new Map() };
  await mapLimit([...byNetwork], opts.concurrency ?? 4, async ([network, list]) => {
    for (const a of list) {
      try {
        await run(place, a, outcome.started);
        outcome.done.push(a);
      } catch (e) {
        // a metadata proxy that cannot run, or a lease that cannot be released, must not keep the network's ports from DHCP
        if (a.kind === 'proxy' || a.kind === 'proxy-stop' || a.kind === 'release') {
          const why = a.kind === 'release' ? (e as Error) : new Error(`the metadata proxy (169.254.169.254 in ${a.kind === 'proxy' ? a.netns : `qdhcp-${network}`}) failed: ${(e as Error).message}`);
          outcome.warnings.set(network, [...(outcome.warnings.get(network) ?? []), why]);
          continue;
        }
        outcome.failed.set(network, e as Error);
        return;
      }
    }
  });
  return outcome;
}
