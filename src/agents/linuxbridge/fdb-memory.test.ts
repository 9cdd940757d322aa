import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Link } from '../../linux/ip.ts';
import { fdbAfter, remember, stillTrue } from './fdb-memory.ts';

const F = '00:00:00:00:00:00';
const vx = (ifname: string, ifindex: number): Link => ({ ifindex, ifname, flags: [], mtu: 1450, linkinfo: { info_kind: 'vxlan' } } as unknown as Link);
const br = (ifname: string, ifindex: number): Link => ({ ifindex, ifname, flags: [], mtu: 1450, linkinfo: { info_kind: 'bridge' } } as unknown as Link);
const show = (es: { mac: string; ifname: string; dst?: string }[]) => es.map((e) => `${e.ifname} ${e.mac} ${e.dst}`).sort();

describe('l2pop entries remembered', () => {
  test('fdbAfter: append adds, replace takes the MAC\'s place on that device, del removes; only dst entries count', () => {
    const before = [
      { mac: F, ifname: 'vxlan-1', dst: '10.0.0.2' },
      { mac: 'FA:16:3E:00:00:01', ifname: 'vxlan-1', dst: '10.0.0.2' },
      { mac: 'fa:16:3e:00:00:09', ifname: 'vxlan-1' }, // learnt, no dst
      { mac: 'fa:16:3e:00:00:08', ifname: 'tap1', master: 'brq1', dst: '10.0.0.9' },
    ];
    const after = fdbAfter(before, [
      { op: 'append', mac: F, dev: 'vxlan-1', dst: '10.0.0.3' },
      { op: 'replace', mac: 'fa:16:3e:00:00:01', dev: 'vxlan-1', dst: '10.0.0.3' },
      { op: 'replace', mac: 'fa:16:3e:00:00:02', dev: 'vxlan-2', dst: '10.0.0.2' },
      { op: 'del', mac: F, dev: 'vxlan-1', dst: '10.0.0.2' },
    ]);
    assert.deepEqual(show(after), show([
      { mac: F, ifname: 'vxlan-1', dst: '10.0.0.3' },
      { mac: 'fa:16:3e:00:00:01', ifname: 'vxlan-1', dst: '10.0.0.3' },
      { mac: 'fa:16:3e:00:00:02', ifname: 'vxlan-2', dst: '10.0.0.2' },
    ]));
  });

  test('stillTrue: believed while every vxlan device is the one remembered; not for a new or re-made one', () => {
    const m = remember([{ mac: F, ifname: 'vxlan-1', dst: '10.0.0.2' }], [{ op: 'append', mac: F, dev: 'vxlan-2', dst: '10.0.0.2' }], [vx('vxlan-1', 5), br('brq1', 4)]);
    assert.deepEqual(show(stillTrue(m, [vx('vxlan-1', 5), vx('vxlan-2', 7), br('brq1', 4)])!), show([{ mac: F, ifname: 'vxlan-1', dst: '10.0.0.2' }, { mac: F, ifname: 'vxlan-2', dst: '10.0.0.2' }]));
    assert.equal(stillTrue(m, [vx('vxlan-1', 6)]), undefined, 'vxlan-1 deleted and made again');
    assert.equal(stillTrue(m, [vx('vxlan-1', 5), vx('vxlan-3', 9)]), undefined, 'a vxlan device it never saw');
    assert.deepEqual(show(stillTrue(m, [vx('vxlan-2', 7)])!), show([{ mac: F, ifname: 'vxlan-2', dst: '10.0.0.2' }]), 'a device gone takes its entries along');
    assert.equal(stillTrue(undefined, [vx('vxlan-1', 5)]), undefined);
  });
});
