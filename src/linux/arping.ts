// Gratuitous ARP: tell a segment's neighbours (the upstream gateway's ARP cache) that an
// address now lives at this interface's MAC. iputils `arping` when installed, else busybox's
// applet; the same flags for both (`-U -c N -I DEV ADDR`).
import { tryExec, which, type ExecResult, type Place } from './exec.ts';

let tool: Promise<string[] | undefined> | undefined;

/** The arping argv prefix available here (iputils arping, else busybox arping), or undefined. */
export function arpingTool(): Promise<string[] | undefined> {
  tool ??= (async () => {
    if (await which('arping')) return ['arping'];
    if (await which('busybox')) return ['busybox', 'arping'];
    return undefined;
  })();
  return tool;
}

export function garpArgv(prefix: readonly string[], dev: string, addr: string, count = 3): string[] {
  return [...prefix, '-U', '-c', String(count), '-I', dev, addr];
}

/**
 * Send `count` unsolicited ARPs for `addr` from `dev` (about one a second, so this takes
 * count-1 seconds; callers usually do not wait). Resolves with the result, or undefined when
 * no arping exists. Never rejects.
 */
export async function gratuitousArp(place: Place | undefined, dev: string, addr: string, count = 3): Promise<ExecResult | undefined> {
  const prefix = await arpingTool();
  if (!prefix) return undefined;
  return tryExec(garpArgv(prefix, dev, addr, count), { place, timeoutMs: (count + 3) * 1000 }).catch(() => undefined);
}
