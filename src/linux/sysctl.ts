// sysctl inside a place (net.* values are per network namespace, so they are read and written
// by a process in that namespace). In this process's own namespaces (no place: the agents'
// case) /proc/sys is read and written directly: one process start less on the way to a VM's
// port going ACTIVE (a start costs 15–70 ms here, a write a few microseconds).
import { readFile, writeFile } from 'node:fs/promises';
import { exec, type Place } from './exec.ts';

const KEY = /^[A-Za-z0-9_.-]+$/;

function checkKey(k: string): void {
  if (!KEY.test(k)) throw new Error(`invalid sysctl key ${JSON.stringify(k)}`);
}

/** Whether `place` is this process's own namespaces. */
const here = (place: Place | undefined): boolean => !place || (!place.netns && !place.nsenter?.net && !place.nsenter?.mount);

/** The /proc/sys path of a key ('.' separates; keys hold no '/', so no path can leave /proc/sys). */
export function procPath(key: string): string {
  checkKey(key);
  return `/proc/sys/${key.replaceAll('.', '/')}`;
}

/** Read keys with one `sysctl -e -N/-n` call; a key that does not exist is absent from the result. */
export async function read(place: Place | undefined, keys: readonly string[]): Promise<Map<string, string>> {
  keys.forEach(checkKey);
  const out = new Map<string, string>();
  if (keys.length === 0) return out;
  if (here(place)) {
    await Promise.all(keys.map(async (k) => {
      try {
        out.set(k, (await readFile(procPath(k), 'utf8')).trim());
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }));
    return out;
  }
  // `sysctl -e KEY…` prints "key = value" lines and ignores unknown keys.
  const r = await exec(['sysctl', '-e', ...keys], { place });
  for (const line of r.stdout.split('\n')) {
    const i = line.indexOf(' = ');
    if (i > 0) out.set(line.slice(0, i).replaceAll('/', '.'), line.slice(i + 3).trim());
  }
  return out;
}

export async function get(place: Place | undefined, key: string): Promise<string | undefined> {
  return (await read(place, [key])).get(key);
}

/** Write values with one `sysctl -q -w k=v …` call. */
export async function write(place: Place | undefined, values: Readonly<Record<string, string | number>>): Promise<void> {
  const entries = Object.entries(values);
  if (entries.length === 0) return;
  for (const [k, v] of entries) {
    checkKey(k);
    if (/\s/.test(String(v))) throw new Error(`invalid sysctl value for ${k}: ${JSON.stringify(v)}`);
  }
  if (here(place)) {
    // in order, as `sysctl -w` writes them (a later key may depend on an earlier one)
    for (const [k, v] of entries) {
      try {
        await writeFile(procPath(k), String(v));
      } catch (e) {
        throw new Error(`cannot set ${k}=${v}: ${(e as Error).message}`, { cause: e });
      }
    }
    return;
  }
  await exec(['sysctl', '-q', '-w', ...entries.map(([k, v]) => `${k}=${v}`)], { place });
}

/** argv writing values as `write` does in a place (for a batch that runs it, see ip.ts nsExecLine). */
export function writeArgv(values: Readonly<Record<string, string | number>>): string[] {
  const entries = Object.entries(values);
  for (const [k, v] of entries) {
    checkKey(k);
    if (/\s/.test(String(v))) throw new Error(`invalid sysctl value for ${k}: ${JSON.stringify(v)}`);
  }
  return ['sysctl', '-q', '-w', ...entries.map(([k, v]) => `${k}=${v}`)];
}

/** Write only the keys whose value differs; returns the keys written. */
export async function ensure(place: Place | undefined, values: Readonly<Record<string, string | number>>): Promise<string[]> {
  const current = await read(place, Object.keys(values));
  const diff: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(values)) if (current.get(k) !== String(v)) diff[k] = v;
  await write(place, diff);
  return Object.keys(diff);
}
