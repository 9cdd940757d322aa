// Test support: VM namespaces on a scratch host's bridge that ask for leases with busybox
// udhcpc, with a client script like the lab's (address, MTU, option 121 routes, else the
// router). Not a test file itself.
import { readFile, writeFile } from 'node:fs/promises';
import { toolEnv, tryExec } from '../../linux/exec.ts';
import { batch } from '../../linux/ip.ts';
import type { ScratchHost } from '../../linux/testing.ts';

export const UDHCPC_TEST_SCRIPT = `#!/bin/sh
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    [ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    if [ -n "$staticroutes" ]; then
      set -- $staticroutes
      while [ $# -ge 2 ]; do
        if [ "$2" = 0.0.0.0 ]; then ip route replace "$1" dev "$interface"; else ip route replace "$1" via "$2" dev "$interface"; fi
        shift 2
      done
    elif [ -n "$router" ]; then ip route replace default via "\${router%% *}" dev "$interface"; fi
    echo "ip=$ip mask=$mask router=$router staticroutes=$staticroutes" | tr ' ' '\\n' > "$UDHCPC_OUT"
    ;;
esac
exit 0
`;

export interface VmClients {
  /** a VM namespace with eth0 (MAC `mac`) whose peer `t<vm>` is on `bridge` */
  plug(vm: string, mac: string): Promise<void>;
  /** one udhcpc run; what the script saw (staticroutes with spaces kept), or undefined when no lease came */
  lease(vm: string, tries?: number): Promise<Record<string, string> | undefined>;
}

export async function vmClients(h: ScratchHost, work: string, bridge: string): Promise<VmClients> {
  const script = `${work}/udhcpc.sh`;
  await writeFile(script, UDHCPC_TEST_SCRIPT, { mode: 0o755 });
  return {
    async plug(vm, mac) {
      await batch(h.place, [
        ['netns', 'add', vm],
        ['link', 'add', `t${vm}`, 'mtu', '1450', 'type', 'veth', 'peer', 'name', 'eth0', 'address', mac, 'netns', vm],
        ['link', 'set', `t${vm}`, 'master', bridge, 'up'],
      ]);
      await batch(h.nested(vm), [['link', 'set', 'lo', 'up'], ['link', 'set', 'eth0', 'up']]);
    },
    async lease(vm, tries = 3) {
      const out = `${work}/${vm}.lease`;
      const r = await tryExec(['busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', String(tries), '-T', '1', '-A', '1', '-O', 'mtu', '-O', 'staticroutes', '-s', script],
        { place: h.nested(vm), env: toolEnv({ UDHCPC_OUT: out }), timeoutMs: 15_000 });
      if (r.code !== 0) return undefined;
      const lines = (await readFile(out, 'utf8')).trim().split('\n');
      // staticroutes is "dest gw dest gw …": the words after it belong to it
      const vars: Record<string, string> = {};
      let key = '';
      for (const l of lines) {
        const m = /^(\w+)=(.*)$/.exec(l);
        if (m) { key = m[1]; vars[key] = m[2]; } else if (key) vars[key] += ` ${l}`;
      }
      return vars;
    },
  };
}
