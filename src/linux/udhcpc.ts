// busybox udhcpc in a VM's namespace, as a cloud image's DHCP client: the lab's VMs (src/lab/vm.ts)
// and the DHCP agent's tests (src/agents/dhcp/vm-clients.ts) ask for leases with it.
import { chmod, writeFile } from 'node:fs/promises';
import { tryExec, type Place } from './exec.ts';

// The client's hook: what udhcpc learnt goes onto eth0 (MTU first: option 26), and one line
// on stdout says what the lease held.
export const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    # option 121 (RFC 3442): a client given classless routes ignores the router option; the
    # list carries the default route and 169.254.169.254/32 via the DHCP port (isolated metadata)
    if [ -n "$staticroutes" ]; then
      set -- $staticroutes
      while [ $# -ge 2 ]; do
        if [ "$2" = 0.0.0.0 ]; then ip route replace "$1" dev "$interface"; else ip route replace "$1" via "$2" dev "$interface"; fi
        shift 2
      done
    elif [ -n "$router" ]; then ip route replace default via "\${router%% *}" dev "$interface"; fi
    echo "lease ip=$ip mask=$mask router=$router dns=$dns mtu=$mtu staticroutes=$staticroutes" ;;
esac
exit 0
`;

/** Writes the client script to `path` (executable) and returns the path. */
export async function writeUdhcpcScript(path: string): Promise<string> {
  await writeFile(path, UDHCPC_SCRIPT);
  await chmod(path, 0o755);
  return path;
}

/** What the script printed for a lease: variable → value (a value of several words, as
 *  staticroutes' "dest gw dest gw …" or several dns servers, kept whole); undefined without one. */
export function parseLease(stdout: string): Record<string, string> | undefined {
  const line = /^lease (.*)$/m.exec(stdout)?.[1];
  if (line === undefined) return undefined;
  const vars: Record<string, string> = {};
  let key = '';
  for (const word of line.split(' ')) {
    const m = /^(\w+)=(.*)$/.exec(word);
    if (m) { key = m[1]; vars[key] = m[2]; } else if (key) vars[key] += ` ${word}`;
  }
  return vars;
}

/** One udhcpc run on eth0 in `place` (asking for the MTU and classless routes): the lease, or
 *  undefined and udhcpc's output to say why not. */
export async function requestLease(place: Place, script: string, tries: number, timeoutMs: number): Promise<{ lease?: Record<string, string>; output: string }> {
  const r = await tryExec(['busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', String(tries), '-T', '1', '-A', '1', '-O', 'mtu', '-O', 'staticroutes', '-s', script],
    { place, timeoutMs });
  const lease = r.code === 0 ? parseLease(r.stdout) : undefined;
  return { ...(lease?.ip ? { lease } : {}), output: (r.stderr || r.stdout).trim() };
}
