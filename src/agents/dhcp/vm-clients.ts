// Test support: VM namespaces on a scratch host's bridge that ask for leases with busybox
// udhcpc and the lab's client script (address, MTU, option 121 routes, else the router).
// Not a test file itself.
import { batch } from '../../linux/ip.ts';
import { requestLease, writeUdhcpcScript } from '../../linux/udhcpc.ts';
import type { ScratchHost } from '../../linux/testing.ts';

export interface VmClients {
  /** a VM namespace with eth0 (MAC `mac`) whose peer `t<vm>` is on `bridge` */
  plug(vm: string, mac: string): Promise<void>;
  /** one udhcpc run; what the script saw (staticroutes with spaces kept), or undefined when no lease came */
  lease(vm: string, tries?: number): Promise<Record<string, string> | undefined>;
}

export async function vmClients(h: ScratchHost, work: string, bridge: string): Promise<VmClients> {
  const script = await writeUdhcpcScript(`${work}/udhcpc.sh`);
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
      return (await requestLease(h.nested(vm), script, tries, 15_000)).lease;
    },
  };
}
