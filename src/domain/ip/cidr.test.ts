import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNeutronError } from '../../errors/neutron-error.ts';
import {
  cidrFirst, cidrLast, cidrSize, contains, containsCidr, convertCidrToCanonical, formatCidr, isLoopback, isMulticast,
  isValidPrefix, makeCidr, overlaps, parseCidr, parseNetaddrNetwork, subnetCidrFromRequest, validateRouteCidr,
  validateSubnetCidr, formatNetmaskV4,
} from './cidr.ts';

const c = (s: string) => {
  const r = parseCidr(s);
  assert.ok(r, `expected ${s} to parse`);
  return r;
};

test('parseCidr normalises host bits away (row 47) and reads what netaddr reads', () => {
  const cases: [string, string][] = [
    ['10.196.0.5/24', '10.196.0.0/24'],
    ['10.196.0.0/24', '10.196.0.0/24'],
    ['10/8', '10.0.0.0/8'],
    ['172.16/12', '172.16.0.0/12'],
    ['010.0.0.0/8', '10.0.0.0/8'],
    [' 10.0.0.0/24', '10.0.0.0/24'],
    ['10.0.0.0/ 24', '10.0.0.0/24'],
    ['10.0.0.0/255.255.255.0', '10.0.0.0/24'],
    ['10.0.0.0/0.0.0.255', '10.0.0.0/24'],
    ['10.0.0.0/0.0.0.0', '0.0.0.0/0'],
    ['10.0.0.5', '10.0.0.5/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['fd00:196::/80', 'fd00:196::/80'],
    ['FD00:0:0::5/64', 'fd00::/64'],
    ['::/0', '::/0'],
    ['::ffff:1.2.3.4/120', '::ffff:1.2.3.0/120'],
    ['fd00::/ffff:ffff::', 'fd00::/32'],
    ['fd00::1', 'fd00::1/128'],
  ];
  for (const [input, want] of cases) assert.equal(formatCidr(c(input)), want, input);
  for (const bad of ['10.196.0.0/33', 'foo', '', '/24', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/24/1', '300.0.0.0/8',
    '1.2.3.4.5/32', '10.0.0.0/255.0.255.0', 'fe80::1%eth0/64', 'fd00::/129', '0x0a.0.0.0/8', '10..0.0/16', ' ::/64']) {
    assert.equal(parseCidr(bad), null, bad);
  }
  assert.deepEqual(parseNetaddrNetwork('10.196.0.5/24'), { version: 4, ip: 0x0ac40005n, prefixlen: 24 });
});

test('convertCidrToCanonical is the subnet cidr converter (rows 45-47)', () => {
  const fail = (v: unknown, msg: string) =>
    assert.throws(() => convertCidrToCanonical(v), (e) => isNeutronError(e) && e.status === 400 &&
      e.type === 'InvalidInput' && e.message === msg);
  fail('10.196.0.0/33', 'Invalid input for operation: 10.196.0.0/33 is not in a CIDR format.');
  fail('foo', 'Invalid input for operation: foo is not in a CIDR format.');
  fail(5, 'Invalid input for operation: 5 is not in a CIDR format.');
  assert.equal(convertCidrToCanonical('10.196.0.5/24'), '10.196.0.5/24');
  assert.equal(convertCidrToCanonical('FD00:0::1/64'), 'fd00::1/64');
  assert.equal(convertCidrToCanonical('10/8'), '10.0.0.0/8');
  assert.equal(formatCidr(subnetCidrFromRequest('10.196.0.5/24')), '10.196.0.0/24');
});

test('first, last, size, containment and overlap', () => {
  const n24 = c('10.0.0.0/24');
  assert.equal(cidrFirst(n24), 0x0a000000n);
  assert.equal(cidrLast(n24), 0x0a0000ffn);
  assert.equal(cidrSize(n24), 256n);
  assert.equal(cidrSize(c('10.0.0.0/31')), 2n);
  assert.equal(cidrSize(c('10.0.0.7/32')), 1n);
  assert.equal(cidrLast(c('10.0.0.7/32')), 0x0a000007n);
  assert.equal(cidrSize(c('::/0')), 1n << 128n);
  assert.equal(cidrSize(c('fd00::/64')), 1n << 64n);
  assert.equal(cidrSize(c('fd00::1/128')), 1n);
  assert.ok(contains(n24, { version: 4, value: 0x0a0000ffn }));
  assert.ok(!contains(n24, { version: 4, value: 0x0a000100n }));
  assert.ok(!contains(n24, { version: 6, value: 0x0a000001n }));
  assert.ok(contains(n24, 0x0a000000n));
  assert.ok(overlaps(c('10.192.0.0/16'), c('10.192.0.0/25')));
  assert.ok(overlaps(c('10.192.0.128/25'), c('10.192.0.0/16')));
  assert.ok(!overlaps(c('10.192.0.0/25'), c('10.192.0.128/25')));
  assert.ok(!overlaps(c('0.0.0.0/0'), c('::/0')));
  assert.ok(containsCidr(c('10.0.0.0/8'), c('10.1.0.0/16')));
  assert.ok(!containsCidr(c('10.1.0.0/16'), c('10.0.0.0/8')));
  assert.ok(isValidPrefix(4, 32) && isValidPrefix(6, 128) && isValidPrefix(4, 0));
  assert.ok(!isValidPrefix(4, 33) && !isValidPrefix(6, 129) && !isValidPrefix(4, -1) && !isValidPrefix(4, 1.5));
  assert.throws(() => makeCidr(4, 0n, 33));
  assert.equal(formatNetmaskV4(20), '255.255.240.0');
});

test('loopback and multicast networks', () => {
  assert.ok(isLoopback(c('127.0.0.0/8')));
  assert.ok(isLoopback(c('127.1.0.0/16')));
  assert.ok(!isLoopback(c('126.0.0.0/7')));
  assert.ok(isLoopback(c('::1/128')));
  assert.ok(!isLoopback(c('::/127')));
  assert.ok(isMulticast(c('224.0.0.0/4')));
  assert.ok(isMulticast(c('239.1.0.0/16')));
  assert.ok(!isMulticast(c('192.0.0.0/2')));
  assert.ok(isMulticast(c('ff02::/16')));
  assert.ok(!isMulticast(c('fd00::/8')));
});

test('validateRouteCidr (host_routes destination, row 64)', () => {
  assert.equal(validateRouteCidr('10.50.0.0/24'), null);
  assert.equal(validateRouteCidr('192.168.1.1/32'), null);
  assert.equal(validateRouteCidr('0.0.0.0/0'), null);
  assert.equal(validateRouteCidr('fd00:50::/64'), null);
  assert.equal(validateRouteCidr('foo'), "'foo' is not a valid CIDR");
  assert.equal(validateRouteCidr('10.0.0.0/24 '), "'10.0.0.0/24 ' is not a valid CIDR");
  assert.equal(validateRouteCidr(7), "'7' is not a valid CIDR");
  assert.equal(validateRouteCidr('192.168.1.1/8'), "'192.168.1.1/8' is not a recognized CIDR, '192.0.0.0/8' is recommended");
  assert.equal(validateRouteCidr('10.0.0.1'), "'10.0.0.1' is not a recognized CIDR, '10.0.0.1/32' is recommended");
  assert.equal(validateRouteCidr('127.0.0.0/8'), "'127.0.0.0/8' is not a routable CIDR");
});

test('validateSubnetCidr (type:subnet attributes)', () => {
  assert.equal(validateSubnetCidr('10.0.0.0/24'), null);
  assert.equal(validateSubnetCidr('10.0.0.5/24'), null);
  assert.equal(validateSubnetCidr('FD00::/64'), null);
  assert.equal(validateSubnetCidr('foo'), "'foo' is not a valid IP subnet");
  assert.equal(validateSubnetCidr('10.0.2.0/24\r'), "'10.0.2.0/24\r' is not a valid IP subnet");
  assert.equal(validateSubnetCidr('10.0.0.0'), "'10.0.0.0' isn't a recognized IP subnet cidr, '10.0.0.0/32' is recommended");
  assert.equal(validateSubnetCidr('010.0.0.0/8'), "'010.0.0.0/8' isn't a recognized IP subnet cidr, '10.0.0.0/8' is recommended");
});
