import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest, editDistance } from './did-you-mean.ts';

test('edit distance counts a transposition as one edit', () => {
  assert.equal(editDistance('vxaln', 'vxlan'), 1);
  assert.equal(editDistance('flat', 'flat'), 0);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
});

test('closest suggests near names only', () => {
  assert.equal(closest('vxaln', ['flat', 'vlan', 'vxlan']), 'vxlan');
  assert.equal(closest('ml2_type_vxaln', ['ml2', 'ml2_type_flat', 'ml2_type_vxlan']), 'ml2_type_vxlan');
  assert.equal(closest('VXLAN', ['flat', 'vxlan']), 'vxlan');
  assert.equal(closest('type-drivers', ['type_drivers']), 'type_drivers');
  assert.equal(closest('geneve', ['flat', 'vlan', 'vxlan']), null);
  assert.equal(closest('x', ['flat']), null);
});
