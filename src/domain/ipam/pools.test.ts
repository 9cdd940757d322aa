import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNeutronError } from '../../errors/neutron-error.ts';
import { formatIp, parseIp } from '../ip/address.ts';
import { parseCidr } from '../ip/cidr.ts';
import {
  checkSubnetIp, defaultAllocationPools, defaultGateway, formatRange, prepareAllocationPools, rangeToPool,
  validateAllocationPools, validateGateway, type PoolInput,
} from './pools.ts';
import type { Range } from './ranges.ts';

const c = (s: string) => parseCidr(s)!;
const ip = (s: string) => parseIp(s)!;

function pools(cidr: string, ranges: Range[]): string[] {
  const v = c(cidr).version;
  return ranges.map((r) => formatRange(r, v));
}

function throwsNeutron(fn: () => unknown, status: number, type: string, message: string) {
  assert.throws(fn, (e) => {
    assert.ok(isNeutronError(e), String(e));
    assert.deepEqual({ status: e.status, type: e.type, message: e.message }, { status, type, message });
    return true;
  });
}

test('defaultGateway: first host for IPv4, the network address for IPv6', () => {
  assert.equal(formatIp(defaultGateway(c('172.16.1.0/24'))!), '172.16.1.1');
  assert.equal(formatIp(defaultGateway(c('10.196.0.5/24'))!), '10.196.0.1');
  assert.equal(formatIp(defaultGateway(c('fd00:10::/64'))!), 'fd00:10::');
  assert.equal(formatIp(defaultGateway(c('10.0.0.7/32'))!), '10.0.0.8');
  assert.equal(defaultGateway(c('255.255.255.255/32')), null);
});

test('defaultAllocationPools follows generate_pools', () => {
  const gen = (cidr: string, gw: string | null) => pools(cidr, defaultAllocationPools(c(cidr), gw ? ip(gw) : null));
  assert.deepEqual(gen('172.16.1.0/24', '172.16.1.1'), ['172.16.1.2-172.16.1.254']);
  assert.deepEqual(gen('10.196.0.0/24', '10.196.0.1'), ['10.196.0.2-10.196.0.254']); // row 47
  assert.deepEqual(gen('10.196.0.0/24', '10.199.0.1'), ['10.196.0.1-10.196.0.254']); // row 60
  assert.deepEqual(gen('192.168.0.0/24', null), ['192.168.0.1-192.168.0.254']);
  assert.deepEqual(gen('192.168.0.0/24', '192.168.0.254'), ['192.168.0.1-192.168.0.253']);
  assert.deepEqual(gen('192.168.0.0/24', '192.168.0.128'), ['192.168.0.1-192.168.0.127', '192.168.0.129-192.168.0.254']);
  assert.deepEqual(gen('192.168.0.0/24', '192.168.0.255'), ['192.168.0.1-192.168.0.254']);
  assert.deepEqual(gen('192.168.0.0/24', 'fd00::1'), ['192.168.0.1-192.168.0.254']);
  assert.deepEqual(gen('192.168.0.0/32', null), ['192.168.0.0-192.168.0.0']);
  assert.deepEqual(gen('192.168.0.0/32', '192.168.0.1'), ['192.168.0.0-192.168.0.0']);
  assert.deepEqual(gen('192.168.0.0/31', null), []);
  assert.deepEqual(gen('192.168.0.0/30', null), ['192.168.0.1-192.168.0.2']);
  assert.deepEqual(gen('192.168.0.0/30', '192.168.0.1'), ['192.168.0.2-192.168.0.2']);
  assert.deepEqual(gen('10.0.0.0/8', '10.0.0.1'), ['10.0.0.2-10.255.255.254']);
  assert.deepEqual(gen('fd00:10::/64', 'fd00:10::'), ['fd00:10::1-fd00:10::ffff:ffff:ffff:ffff']);
  assert.deepEqual(gen('f111::/64', null), ['f111::1-f111::ffff:ffff:ffff:ffff']);
  assert.deepEqual(gen('::/64', null), ['::1-::ffff:ffff:ffff:ffff']);
  assert.deepEqual(gen('fd00::/64', 'fd00::1'), ['fd00::2-fd00::ffff:ffff:ffff:ffff']);
  assert.deepEqual(gen('fd00::/126', null), ['fd00::1-fd00::3']);
  assert.deepEqual(gen('fd00::/127', null), []);
  assert.deepEqual(gen('fd00::5/128', null), ['fd00::5-fd00::5']);
  assert.deepEqual(defaultAllocationPools(c('10.0.0.0/24'), 0x0a000001n), [{ first: 0x0a000002n, last: 0x0a0000fen }]);
});

test('user pools: the Zed error answers (rows 54-56, 59)', () => {
  const cidr = c('10.196.0.0/24');
  throwsNeutron(
    () => validateAllocationPools(cidr, [{ start: '10.196.0.10', end: '10.196.0.50' }, { start: '10.196.0.40', end: '10.196.0.60' }], '10.196.0.1'),
    409, 'OverlappingAllocationPools',
    'Found overlapping allocation pools: 10.196.0.10-10.196.0.50 10.196.0.40-10.196.0.60 for subnet 10.196.0.0/24.',
  );
  throwsNeutron(
    () => validateAllocationPools(cidr, [{ start: '10.196.0.10', end: '10.196.1.20' }], '10.196.0.1'),
    400, 'OutOfBoundsAllocationPool', 'The allocation pool 10.196.0.10-10.196.1.20 spans beyond the subnet cidr 10.196.0.0/24.',
  );
  throwsNeutron(
    () => validateAllocationPools(cidr, [{ start: '10.196.0.1', end: '10.196.0.20' }], '10.196.0.1'),
    409, 'GatewayConflictWithAllocationPools', 'Gateway ip 10.196.0.1 conflicts with allocation pool 10.196.0.1-10.196.0.20.',
  );
  throwsNeutron(
    () => validateAllocationPools(cidr, [{ start: '10.196.0.50', end: '10.196.0.10' }], '10.196.0.1'),
    400, 'InvalidAllocationPool', "The allocation pool {'start': '10.196.0.50', 'end': '10.196.0.10'} is not valid.",
  );
});

test('user pools: other rejections', () => {
  const cidr = c('10.196.0.0/24');
  const reversedKeys = JSON.parse('{"end": "10.196.0.10", "start": "10.196.0.50"}') as PoolInput;
  throwsNeutron(() => validateAllocationPools(cidr, [reversedKeys], null),
    400, 'InvalidAllocationPool', "The allocation pool {'end': '10.196.0.10', 'start': '10.196.0.50'} is not valid.");
  throwsNeutron(() => validateAllocationPools(cidr, [{ start: '10.196.0.5', end: 'fd00::5' }], null),
    400, 'InvalidAllocationPool', "The allocation pool {'start': '10.196.0.5', 'end': 'fd00::5'} is not valid.");
  throwsNeutron(() => validateAllocationPools(cidr, [{ start: 'fd00::1', end: 'fd00::5' }], null),
    400, 'InvalidAllocationPool', 'The allocation pool fd00::1-fd00::5 is not valid.');
  throwsNeutron(() => validateAllocationPools(cidr, [{ start: '10.196.0.0', end: '10.196.0.5' }], null),
    400, 'OutOfBoundsAllocationPool', 'The allocation pool 10.196.0.0-10.196.0.5 spans beyond the subnet cidr 10.196.0.0/24.');
  throwsNeutron(() => validateAllocationPools(cidr, [{ start: '10.196.0.200', end: '10.196.0.255' }], null),
    400, 'OutOfBoundsAllocationPool', 'The allocation pool 10.196.0.200-10.196.0.255 spans beyond the subnet cidr 10.196.0.0/24.');
  // version/bounds of every pool are checked before any overlap
  throwsNeutron(
    () => validateAllocationPools(cidr, [{ start: '10.196.0.10', end: '10.196.0.50' }, { start: '10.196.0.40', end: '10.196.0.60' },
      { start: '10.196.0.250', end: '10.196.0.255' }], null),
    400, 'OutOfBoundsAllocationPool', 'The allocation pool 10.196.0.250-10.196.0.255 spans beyond the subnet cidr 10.196.0.0/24.');
  // overlaps are reported for the first (left, right) pair in request order
  throwsNeutron(
    () => validateAllocationPools(cidr, [{ start: '10.196.0.100', end: '10.196.0.110' }, { start: '10.196.0.10', end: '10.196.0.20' },
      { start: '10.196.0.15', end: '10.196.0.16' }, { start: '10.196.0.105', end: '10.196.0.105' }], null),
    409, 'OverlappingAllocationPools',
    'Found overlapping allocation pools: 10.196.0.100-10.196.0.110 10.196.0.105-10.196.0.105 for subnet 10.196.0.0/24.');
  throwsNeutron(() => validateAllocationPools(c('fd00::/64'), [{ start: 'FD00::10', end: 'fd00::20' }], 'fd00::0:15'),
    409, 'GatewayConflictWithAllocationPools', 'Gateway ip fd00::0:15 conflicts with allocation pool fd00::10-fd00::20.');
});

test('user pools: accepted ones come back as given, canonical', () => {
  // seed: 192.168.81.0/24 gw .254 with a pool
  const seed = validateAllocationPools(c('192.168.81.0/24'), [{ start: '192.168.81.100', end: '192.168.81.200' }], '192.168.81.254');
  assert.deepEqual(seed.map((r) => rangeToPool(r, 4)), [{ start: '192.168.81.100', end: '192.168.81.200' }]);
  const v4 = validateAllocationPools(c('10.0.0.0/24'), [{ start: '10.0.0.200', end: '10.0.0.254' }, { start: '10.0.0.2', end: '10.0.0.9' }], '10.0.0.1');
  assert.deepEqual(v4.map((r) => formatRange(r, 4)), ['10.0.0.200-10.0.0.254', '10.0.0.2-10.0.0.9']);
  const v6 = validateAllocationPools(c('fd00::/64'), [{ start: 'FD00::ffff:ffff:ffff:0', end: 'fd00::ffff:ffff:ffff:ffff' }], 'fd00::');
  assert.deepEqual(v6.map((r) => rangeToPool(r, 6)), [{ start: 'fd00::ffff:ffff:ffff:0', end: 'fd00::ffff:ffff:ffff:ffff' }]);
  // gateway outside the CIDR never conflicts; no gateway skips the check
  assert.equal(validateAllocationPools(c('10.0.0.0/24'), [{ start: '10.0.0.1', end: '10.0.0.9' }], '10.9.0.1').length, 1);
  assert.equal(validateAllocationPools(c('10.0.0.0/24'), [{ start: '10.0.0.1', end: '10.0.0.9' }], null).length, 1);
});

test('IPv6 CIDRs inside ::/96 inherit netaddr\'s mixed-version bound comparison', () => {
  // Neutron's bounds become IPv4 addresses there: lower bound never trips, upper always does.
  throwsNeutron(() => validateAllocationPools(c('::/120'), [{ start: '::1', end: '::5' }], null),
    400, 'OutOfBoundsAllocationPool', 'The allocation pool ::1-::5 spans beyond the subnet cidr ::/120.');
  assert.equal(validateAllocationPools(c('::/64'), [{ start: '::', end: '::5' }], null).length, 1);
});

test('prepareAllocationPools: absent/null -> generated, given (even []) -> validated', () => {
  const cidr = c('10.0.0.0/24');
  assert.deepEqual(pools('10.0.0.0/24', prepareAllocationPools(cidr, undefined, '10.0.0.1')), ['10.0.0.2-10.0.0.254']);
  assert.deepEqual(pools('10.0.0.0/24', prepareAllocationPools(cidr, null, null)), ['10.0.0.1-10.0.0.254']);
  assert.deepEqual(prepareAllocationPools(cidr, [], '10.0.0.1'), []);
  assert.deepEqual(pools('10.0.0.0/24', prepareAllocationPools(cidr, [{ start: '10.0.0.5', end: '10.0.0.6' }], '10.0.0.1')),
    ['10.0.0.5-10.0.0.6']);
  // the default gateway is checked against user pools too
  throwsNeutron(() => prepareAllocationPools(cidr, [{ start: '10.0.0.1', end: '10.0.0.6' }], '10.0.0.1'),
    409, 'GatewayConflictWithAllocationPools', 'Gateway ip 10.0.0.1 conflicts with allocation pool 10.0.0.1-10.0.0.6.');
});

test('validateGateway (rows 60-61)', () => {
  const cidr = c('10.196.0.0/24');
  validateGateway(cidr, '10.199.0.1'); // outside: accepted
  validateGateway(cidr, '10.196.0.1');
  validateGateway(cidr, '10.196.0.254');
  throwsNeutron(() => validateGateway(cidr, '10.196.0.0'), 400, 'InvalidInput', 'Invalid input for operation: Gateway is not valid on subnet.');
  throwsNeutron(() => validateGateway(cidr, '10.196.0.255'), 400, 'InvalidInput', 'Invalid input for operation: Gateway is not valid on subnet.');
  throwsNeutron(() => validateGateway(cidr, 'fd00::1'), 400, 'InvalidInput',
    "Invalid input for operation: gateway_ip 'fd00::1' does not match the ip_version '4'.");
  validateGateway(c('fd00:10::/64'), 'fd00:10::'); // IPv6 network address is fine
  validateGateway(c('fd00:10::/64'), 'fd00:10::ffff:ffff:ffff:ffff');
});

test('checkSubnetIp', () => {
  const v4 = c('10.0.0.0/24');
  assert.ok(checkSubnetIp(v4, ip('10.0.0.1')));
  assert.ok(checkSubnetIp(v4, ip('10.0.0.254')));
  assert.ok(!checkSubnetIp(v4, ip('10.0.0.0')));
  assert.ok(!checkSubnetIp(v4, ip('10.0.0.255')));
  assert.ok(!checkSubnetIp(v4, ip('10.0.1.1')));
  assert.ok(!checkSubnetIp(v4, ip('::1')));
  assert.ok(!checkSubnetIp(c('10.0.0.5/32'), ip('10.0.0.5')));
  const v6 = c('fd00::/64');
  assert.ok(checkSubnetIp(v6, ip('fd00::1'), 'compute:nova'));
  assert.ok(checkSubnetIp(v6, ip('fd00::ffff:ffff:ffff:ffff'), 'compute:nova'));
  assert.ok(!checkSubnetIp(v6, ip('fd00::'), 'compute:nova'));
  assert.ok(checkSubnetIp(v6, ip('fd00::'), 'network:router_interface'));
  assert.ok(checkSubnetIp(v6, ip('fd00::')));
  assert.ok(!checkSubnetIp(v6, ip('fd01::1')));
});
