import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PortState } from '../../feed/host-state.ts';
import { pluggedTaps, tapsChanged } from './port-plan.ts';

const port = (id: string, net: string, up = true): PortState => ({
  id, network_id: net, mac_address: 'fa:16:3e:00:00:01', fixed_ips: [], admin_state_up: up, device_owner: 'compute:nova',
  port_security_enabled: false, security_groups: [], allowed_address_pairs: [], device: `tap${id.slice(0, 11)}`,
});
const P1 = port('11111111-aaaa', 'n1');
const P2 = port('22222222-bbbb', 'n1', false);
const P3 = port('33333333-cccc', 'n2');
const mtus = new Map([['n1', 1450], ['n2', 1500]]);
const plan = { bridges: { n1: 'brqn1' }, absentPorts: [] as string[] };
const ev = (ifname: string, o: { up?: boolean; mtu?: number; master?: string; deleted?: boolean }) => ({ ifname, deleted: false, ...o });

test('pluggedTaps: each present tap as plugged (bridge, MTU, admin state); none for unserved networks or absent taps', () => {
  const all = pluggedTaps([P1, P2, P3], mtus, plan);
  assert.deepEqual([...all.keys()], [P1.device, P2.device]);
  assert.deepEqual([...pluggedTaps([P1, P2], mtus, { ...plan, absentPorts: [P1.id] }).keys()], [P2.device]);
  assert.deepEqual([...pluggedTaps([P1, P2], mtus, plan, new Set([P2.id])).keys()], [P2.device]);
});

test('tapsChanged: a tap left as plugged is no change; judged by its last event; deleted, unknown or different taps are', () => {
  const plugged = pluggedTaps([P1, P2], mtus, plan);
  const done = ev(P1.device, { up: true, mtu: 1450, master: 'brqn1' });
  assert.equal(tapsChanged([], plugged), false);
  assert.equal(tapsChanged([ev(P1.device, { up: false, mtu: 1500 }), ev(P1.device, { up: false, mtu: 1450, master: 'brqn1' }), done], plugged), false);
  assert.equal(tapsChanged([ev(P2.device, { up: false, mtu: 1450, master: 'brqn1' })], plugged), false, 'admin down: plugged down');
  assert.equal(tapsChanged([done, ev(P1.device, { up: true, mtu: 1450 })], plugged), true, 'taken out of its bridge');
  assert.equal(tapsChanged([ev(P1.device, { up: true, mtu: 1400, master: 'brqn1' })], plugged), true, 'another MTU');
  assert.equal(tapsChanged([ev(P2.device, { up: true, mtu: 1450, master: 'brqn1' })], plugged), true, 'up although admin down');
  assert.equal(tapsChanged([done, ev(P1.device, { deleted: true, up: true, mtu: 1450, master: 'brqn1' }), done], plugged), true, 'a deletion in between');
  assert.equal(tapsChanged([ev(P3.device, { up: true, mtu: 1500 })], plugged), true, 'a tap of no plugged port');
  assert.equal(tapsChanged([ev('eno1', { up: false })], plugged), false, 'not a tap');
});
