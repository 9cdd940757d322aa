// A scratch host wired for router tests and benchmarks (root): bridges brqext (upstream
// 192.168.81.254/24 with 203.0.113.1/32 on lo, no route back to tenants) and brqint (VM
// namespaces vm1 172.16.1.11, vm2 172.16.1.12, default via 172.16.1.1). `plug` does the
// Linux bridge agent's part: the router's taps into those bridges. Not a test file.
import { batch } from '../../linux/ip.ts';
import { scratchHost, type ScratchHost } from '../../linux/testing.ts';
import type { RouterState } from '../../feed/host-state.ts';
import { VM1_IP, VM2_IP } from './fixtures.ts';

export const INTERNET = '203.0.113.1';

export interface L3Testbed {
  h: ScratchHost;
  plug(r: RouterState): Promise<void>;
}

export async function l3Testbed(): Promise<L3Testbed> {
  const h = await scratchHost();
  try {
    await batch(h.place, [
      ['link', 'add', 'brqext', 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0'], ['link', 'set', 'brqext', 'up'],
      ['link', 'add', 'brqint', 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0'], ['link', 'set', 'brqint', 'up'],
    ]);
    const ns = async (name: string, ip: string, bridge: string, gw?: string): Promise<void> => {
      await batch(h.place, [
        ['netns', 'add', name],
        ['link', 'add', `v${name}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name],
        ['link', 'set', `v${name}`, 'master', bridge, 'up'],
      ]);
      await batch(h.nested(name), [
        ['link', 'set', 'lo', 'up'], ['link', 'set', 'eth0', 'up'], ['addr', 'add', ip, 'dev', 'eth0'],
        ...(gw ? [['route', 'add', 'default', 'via', gw]] : []),
      ]);
    };
    await ns('upstream', '192.168.81.254/24', 'brqext');
    await batch(h.nested('upstream'), [['addr', 'add', `${INTERNET}/32`, 'dev', 'lo']]);
    await ns('vm1', `${VM1_IP}/24`, 'brqint', '172.16.1.1');
    await ns('vm2', `${VM2_IP}/24`, 'brqint', '172.16.1.1');
  } catch (e) {
    await h.teardown().catch(() => {});
    throw e;
  }
  return {
    h,
    async plug(r) {
      const cmds = [...(r.gw_port ? [[r.gw_port.tap, 'brqext']] : []), ...r.interfaces.map((p) => [p.tap, 'brqint'])]
        .map(([tap, br]) => ['link', 'set', 'dev', tap, 'master', br]);
      await batch(h.place, cmds);
    },
  };
}
