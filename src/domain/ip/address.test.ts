import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatIp, formatIpValue, ipAdd, ipCompare, ipEquals, ipFromKey, ipKey, ipSub, normalizeIp, parseIp,
  parseIpv4, parseIpv6, validateIpAddress, IPV4_MAX, IPV6_MAX, type IpAddress,
} from './address.ts';

const v6 = (s: string) => {
  const v = parseIpv6(s);
  assert.notEqual(v, null, `expected ${s} to parse`);
  return v!;
};

test('parseIp accepts canonical IPv4 only (inet_pton semantics)', () => {
  assert.deepEqual(parseIp('10.0.0.1'), { version: 4, value: 0x0a000001n });
  assert.deepEqual(parseIp('0.0.0.0'), { version: 4, value: 0n });
  assert.deepEqual(parseIp('255.255.255.255'), { version: 4, value: IPV4_MAX });
  for (const bad of ['010.0.0.1', '10.0.0.01', '256.0.0.1', '1.2.3', '1.2.3.4.', '.1.2.3', '1..2.3', '', ' 1.2.3.4',
    '1.2.3.4 ', '0x1.2.3.4', '1.2.3.-4', '1e1.2.3.4', '10']) {
    assert.equal(parseIp(bad), null, bad);
  }
});

test('parseIp accepts every inet_pton IPv6 form and rejects the rest', () => {
  assert.equal(v6('::'), 0n);
  assert.equal(v6('::1'), 1n);
  assert.equal(v6('1::'), 1n << 112n);
  assert.equal(v6('1:2:3:4:5:6:7:8'), 0x00010002000300040005000600070008n);
  assert.equal(v6('1:2:3:4:5:6:7::'), 0x00010002000300040005000600070000n);
  assert.equal(v6('::2:3:4:5:6:7:8'), 0x00000002000300040005000600070008n);
  assert.equal(v6('FD00:10::F816:3EFF:FE45:BD0D'), v6('fd00:10::f816:3eff:fe45:bd0d'));
  assert.equal(v6('0001:0002::0003'), v6('1:2::3'));
  assert.equal(v6('::ffff:1.2.3.4'), 0xffff01020304n);
  assert.equal(v6('::1.2.3.4'), 0x01020304n);
  assert.equal(v6('1:2:3:4:5:6:1.2.3.4'), 0x00010002000300040005000601020304n);
  assert.deepEqual(parseIp('::ffff:1.2.3.4'), { version: 6, value: 0xffff01020304n });
  for (const bad of [':', ':::', '1::2::3', ':1::', '1:', '1::2:', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7::8', '::1:2:3:4:5:6:7:8', '12345::', 'fe80::1%eth0', '::ffff:01.2.3.4', '::ffff:1.2.3',
    '::ffff:1.2.3.4.5', '::1.2.3.4:5', '1:2:3:4:5:6:7:1.2.3.4', 'g::1', '::ffff:256.1.1.1', '[::1]', ' ::1']) {
    assert.equal(parseIpv6(bad), null, bad);
  }
});

test('formatIp prints what netaddr (glibc inet_ntop) prints', () => {
  const cases: [string, string][] = [
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['ABCD::', 'abcd::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['1:0:1:1:1:1:1:1', '1:0:1:1:1:1:1:1'],
    ['1:0:0:1:0:0:1:1', '1::1:0:0:1:1'],
    ['0:0:1::', '0:0:1::'],
    ['fd00:10:0:0:f816:3eff:fe45:bd0d', 'fd00:10::f816:3eff:fe45:bd0d'],
    ['fd00:10::ffff:ffff:ffff:ffff', 'fd00:10::ffff:ffff:ffff:ffff'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::ffff:0102:0304', '::ffff:1.2.3.4'],
    ['::ffff:0:0', '::ffff:0.0.0.0'],
    ['::1.2.3.4', '::1.2.3.4'],
    ['::2:3', '::0.2.0.3'],
    ['1::ffff:1.2.3.4', '1::ffff:102:304'],
  ];
  for (const [input, want] of cases) assert.equal(formatIp({ version: 6, value: v6(input) }), want, input);
  assert.equal(formatIp({ version: 4, value: 0x0a000001n }), '10.0.0.1');
  assert.equal(formatIpValue(4, 0n), '0.0.0.0');
  assert.equal(normalizeIp('FD00::0001'), 'fd00::1');
  assert.equal(normalizeIp('010.0.0.1'), null);
});

test('validateIpAddress gives neutron-lib reasons', () => {
  assert.equal(validateIpAddress('10.0.0.1'), null);
  assert.equal(validateIpAddress('fd00::1'), null);
  assert.equal(validateIpAddress('FD00::0001'), null);
  assert.equal(validateIpAddress('::ffff:1.2.3.4'), null);
  assert.equal(validateIpAddress('abc'), "'abc' is not a valid IP address");
  assert.equal(validateIpAddress('foo'), "'foo' is not a valid IP address");
  assert.equal(validateIpAddress('1.2.3'), "'1.2.3' is not a valid IP address");
  assert.equal(validateIpAddress('256.1.1.1'), "'256.1.1.1' is not a valid IP address");
  assert.equal(validateIpAddress('10.0.0.1 '), "'10.0.0.1 ' is not a valid IP address");
  assert.equal(validateIpAddress('fe80::1%eth0'), "'fe80::1%eth0' is not a valid IP address");
  assert.equal(validateIpAddress('010.0.0.1'), "'010.0.0.1' is not an accepted IP address, '10.0.0.1' is recommended");
  assert.equal(validateIpAddress('+1.2.3.4'), "'+1.2.3.4' is not an accepted IP address, '1.2.3.4' is recommended");
  assert.equal(validateIpAddress('1_0.0.0.1'), "'1_0.0.0.1' is not an accepted IP address, '10.0.0.1' is recommended");
  assert.equal(validateIpAddress(5), "'5' is not a valid IP address");
  assert.equal(validateIpAddress(null), "'None' is not a valid IP address");
  assert.equal(validateIpAddress(['1.2.3.4']), "'['1.2.3.4']' is not a valid IP address");
});

test('ipKey is fixed width and sorts like the numbers', () => {
  const values = [0n, 1n, 9n, 10n, 15n, 16n, 255n, 256n, IPV4_MAX, 1n << 64n, (1n << 64n) + 1n, IPV6_MAX];
  const keys = values.map((value) => ipKey({ version: 6, value }));
  for (const k of keys) assert.match(k, /^[0-9a-f]{32}$/);
  assert.deepEqual([...keys].reverse().sort(), keys);
  assert.equal(ipKey({ version: 4, value: 0x0a000001n }), '0000000000000000000000000a000001');
  for (const value of values) assert.deepEqual(ipFromKey(ipKey({ version: 6, value }), 6), { version: 6, value });
  assert.deepEqual(ipFromKey('0000000000000000000000000a000001', 4), { version: 4, value: 0x0a000001n });
  assert.throws(() => ipFromKey('00000000000000000000000100000000', 4));
  assert.throws(() => ipFromKey('xyz', 4));
});

test('address arithmetic and comparison', () => {
  const a: IpAddress = { version: 4, value: 0x0a0000ffn };
  assert.equal(formatIp(ipAdd(a, 1)!), '10.0.1.0');
  assert.equal(formatIp(ipSub(a, 255n)!), '10.0.0.0');
  assert.equal(ipAdd({ version: 4, value: IPV4_MAX }, 1), null);
  assert.equal(ipSub({ version: 6, value: 0n }, 1), null);
  assert.equal(ipAdd({ version: 6, value: IPV4_MAX }, 1)!.value, 1n << 32n);
  assert.equal(ipCompare(a, { version: 4, value: 1n }), 1);
  assert.equal(ipCompare({ version: 4, value: IPV4_MAX }, { version: 6, value: 0n }), -1);
  assert.equal(ipCompare(a, { ...a }), 0);
  assert.ok(ipEquals(a, { version: 4, value: 0x0a0000ffn }));
  assert.ok(!ipEquals(a, { version: 6, value: 0x0a0000ffn }));
  assert.equal(parseIpv4('1.2.3.4'), 0x01020304n);
});
