// Which port changes Nova hears of (neutron/notifiers/nova.py record_port_status_changed).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { changedEvent, deletedEvent, isComputePort, statusEvent } from './nova-events.ts';

const VM = { id: 'p1', device_id: '6f1c2d6e-6a59-4b8e-9b6e-1f2d3c4b5a69', device_owner: 'compute:nova' };

describe('Nova events', () => {
  it('plugs on DOWN/BUILD/new → ACTIVE (completed) or ERROR (failed), unplugs on ACTIVE → DOWN, nothing else', () => {
    const name = (prev: string | null, cur: string) => { const e = statusEvent(VM, prev, cur); return e && `${e.name}/${e.status}`; };
    assert.equal(name('DOWN', 'ACTIVE'), 'network-vif-plugged/completed');
    assert.equal(name('BUILD', 'ACTIVE'), 'network-vif-plugged/completed');
    assert.equal(name(null, 'ACTIVE'), 'network-vif-plugged/completed');
    assert.equal(name('BUILD', 'ERROR'), 'network-vif-plugged/failed');
    assert.equal(name('ACTIVE', 'DOWN'), 'network-vif-unplugged/completed');
    assert.equal(name('ACTIVE', 'BUILD'), null);
    assert.equal(name('DOWN', 'BUILD'), null);
    assert.equal(name('ERROR', 'DOWN'), null);
  });

  it('concerns only an instance\'s ports: compute:* with a uuid device_id', () => {
    assert.ok(isComputePort(VM));
    assert.ok(isComputePort({ ...VM, device_id: VM.device_id.replaceAll('-', '') }));
    assert.ok(!isComputePort({ ...VM, device_owner: 'network:dhcp' }));
    assert.ok(!isComputePort({ ...VM, device_id: '' }));
    assert.ok(!isComputePort({ ...VM, device_id: 'dhcp-controller' }));
    assert.equal(deletedEvent({ ...VM, device_owner: '' }), null);
    assert.deepEqual(deletedEvent(VM), { name: 'network-vif-deleted', server_uuid: VM.device_id, tag: 'p1', status: 'completed' });
    assert.deepEqual(changedEvent(VM), { name: 'network-changed', server_uuid: VM.device_id, tag: 'p1', status: 'completed' });
  });
});
