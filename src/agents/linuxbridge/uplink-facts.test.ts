import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uplinkFacts } from './uplink-facts.ts';
import type { L2Settings } from './l2-plan.ts';
import type { Link, LinkAddresses } from '../../linux/ip.ts';

const settings: L2Settings = {
  physicalInterfaceMappings: { public: 'eno1', other: 'eno2' }, bridgeMappings: {},
  vxlan: { enabled: true, localIp: '192.168.81.66', udpDstport: 4789, ttl: null, tos: null },
};
const link = (ifname: string, mtu: number, master?: string) => ({ ifindex: 0, ifname, flags: [], mtu, operstate: 'UP', ...(master ? { master } : {}) }) as Link;
const addr = (ifname: string, ...cidrs: string[]): LinkAddresses => ({
  ifindex: 0, ifname, addr_info: cidrs.map((c) => ({ family: c.includes(':') ? 'inet6' : 'inet', local: c.split('/')[0], prefixlen: Number(c.split('/')[1]), scope: c.startsWith('fe80') ? 'link' : 'global' })),
});

test('before the flat bridge exists: the addresses on the interface, the underlay MTU', () => {
  const f = uplinkFacts(settings, { links: [link('eno1', 1500), link('eno2', 9000)], addrs: [addr('eno1', '192.168.81.66/24', 'fe80::1/64'), addr('eno2')] });
  assert.deepEqual(f, { addresses: { public: ['192.168.81.66/24'], other: [] }, tunnelMtu: 1500 });
});

test('after: the addresses moved to the bridge the interface is in', () => {
  const f = uplinkFacts(settings, { links: [link('eno1', 1450, 'brq123'), link('brq123', 1450)], addrs: [addr('eno1'), addr('brq123', '192.168.81.66/24')] });
  assert.deepEqual(f, { addresses: { public: ['192.168.81.66/24'], other: [] }, tunnelMtu: 1450 });
});

test('no VXLAN, or local_ip on no interface: no underlay MTU', () => {
  assert.equal(uplinkFacts({ ...settings, vxlan: { ...settings.vxlan, enabled: false } }, { links: [link('eno1', 1500)], addrs: [addr('eno1', '192.168.81.66/24')] }).tunnelMtu, null);
  assert.equal(uplinkFacts(settings, { links: [link('eno1', 1500)], addrs: [addr('eno1', '10.0.0.1/24')] }).tunnelMtu, null);
});
