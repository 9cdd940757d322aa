// The user's way in to a server that runs on `controller` (the two-machine lab): 127.0.0.1:PORT
// on the machine is forwarded to 192.168.81.66:PORT on the controller, with nothing configured
// in the machine's own network namespace. A process cannot connect across network namespaces
// by itself, so two socats meet at a unix socket (which every mount namespace here sees):
//   machine:    socat TCP-LISTEN:PORT,bind=127.0.0.1  →  UNIX-CONNECT:<controller state>/api-PORT.sock
//   controller: socat UNIX-LISTEN:<…>/api-PORT.sock    →  TCP:192.168.81.66:PORT
// The socket lives under the controller's state directory, which compute cannot see.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { start } from '../linux/exec.ts';
import { isAlive, netInodeOf, terminate } from '../linux/proc.ts';
import type { Lab } from './topology.ts';

const PID_PREFIX = 'api-forwarder-';

async function aliveSocat(file: string): Promise<number | undefined> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (!(pid > 0) || !(await isAlive(pid))) return undefined;
  const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
  return comm === 'socat' ? pid : undefined; // a reused pid is not ours
}

/** Forward 127.0.0.1:port (machine) to `target`:port on controller, unless already forwarded. Returns what it did. */
export async function ensureForward(lab: Lab, port: number, target: string): Promise<string | undefined> {
  const sock = `${lab.stateDir('controller')}/api-${port}.sock`;
  const inner = `${lab.stateDir('controller')}/${PID_PREFIX}${port}.pid`;
  const outer = `${lab.paths.stateDir}/${PID_PREFIX}${port}.pid`;
  const said: string[] = [];
  if (!(await aliveSocat(inner))) {
    await rm(sock, { force: true });
    const pid = await lab.startOn('controller', ['socat', `UNIX-LISTEN:${sock},fork,mode=600`, `TCP:${target}:${port}`], { logFile: `${lab.stateDir('controller')}/api-forwarder.log`, settleMs: 30 });
    await writeFile(inner, `${pid}\n`);
    said.push(`controller ${sock} → ${target}:${port}`);
  }
  const o = await aliveSocat(outer);
  if (!o || (await netInodeOf(o)) !== (await netInodeOf(process.pid))) {
    const pid = await start(['socat', `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${sock}`], { logFile: `${lab.paths.stateDir}/api-forwarder.log`, settleMs: 30 });
    await writeFile(outer, `${pid}\n`);
    said.push(`127.0.0.1:${port} → ${sock}`);
  }
  return said.length ? `forwarding ${said.join('; ')}` : undefined;
}

/**
 * End the machine-side forwarders of the lab under `stateDir` (the controller-side ones end
 * with the controller's namespaces). Returns the pids ended.
 */
export async function stopForwarders(stateDir: string): Promise<number[]> {
  const files = (await readdir(stateDir).catch(() => [] as string[])).filter((f) => f.startsWith(PID_PREFIX) && f.endsWith('.pid'));
  const pids: number[] = [];
  for (const f of files) {
    const pid = await aliveSocat(`${stateDir}/${f}`);
    if (pid) pids.push(pid);
  }
  if (pids.length) await terminate(pids);
  return pids;
}
