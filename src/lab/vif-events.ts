// Nova's side of a boot: it waits for Neutron's `network-vif-plugged` for the VM's port (sent
// when the port goes ACTIVE) rather than asking for the port again and again. The lab's
// stand-in Nova appends each event it receives to a file (one JSON object a line); this
// watches that file (inotify, through fs.watch on its directory) from a byte offset on.
import { watch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { VIF_PLUGGED } from '../domain/nova-events.ts';

/** The events file's size now: events from here on are new. */
export async function eventsOffset(file: string): Promise<number> {
  return stat(file).then((s) => s.size, () => 0);
}

export interface VifWait {
  /** resolves once the stand-in Nova recorded network-vif-plugged for the port (never rejects) */
  plugged: Promise<void>;
  close(): void;
}

/** Watch `file` from byte `from` for network-vif-plugged tagged with `portId`. */
export function waitVifPlugged(file: string, portId: string, from: number): VifWait {
  let offset = from;
  let partial = '';
  let reading = false;
  let again = false;
  let resolve: () => void = () => {};
  let watcher: FSWatcher | undefined;
  let done = false;
  const plugged = new Promise<void>((r) => { resolve = r; });
  const finish = (): void => { done = true; watcher?.close(); resolve(); };

  const read = async (): Promise<void> => {
    if (reading) { again = true; return; }
    reading = true;
    try {
      do {
        again = false;
        const fh = await open(file, 'r').catch(() => undefined);
        if (!fh) return;
        try {
          const { size } = await fh.stat();
          if (size <= offset) continue;
          const buf = Buffer.alloc(size - offset);
          const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
          offset += bytesRead;
          const lines = (partial + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
          partial = lines.pop() ?? '';
          if (lines.some((l) => isPlugged(l, portId))) { finish(); return; }
        } finally {
          await fh.close();
        }
      } while (again && !done);
    } finally {
      reading = false;
    }
  };

  try {
    const name = basename(file);
    watcher = watch(dirname(file), { persistent: false }, (_event, f) => { if (!done && (f === null || f === name)) void read(); });
    watcher.on('error', () => {});
  } catch {
    // no watch (the directory is gone): the caller's poll still sees the port go ACTIVE
  }
  void read(); // what came before the watch began
  return { plugged, close: () => { done = true; watcher?.close(); } };
}

function isPlugged(line: string, portId: string): boolean {
  if (!line.includes(VIF_PLUGGED)) return false;
  try {
    const e = JSON.parse(line) as { name?: string; tag?: string };
    return e.name === VIF_PLUGGED && e.tag === portId;
  } catch {
    return false;
  }
}
