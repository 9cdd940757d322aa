import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr, formatCidr, type Cidr } from '../ip/cidr.ts';
import {
  allocateAny, availablePrefixes, compactPrefixes, formatCidrs, isAvailable, isSubset, rangeToCidrs, readPrefixBounds, subtractRanges, toRanges,
} from './prefix-allocation.ts';

const c = (s: string): Cidr => parseCidr(s)!;
const cs = (...s: string[]) => s.map(c);

describe('prefix allocation', () => {
  it('merges and normalises prefixes as netaddr.IPSet.compact does', () => {
    assert.deepEqual(formatCidrs(compactPrefixes(4, cs('10.0.1.0/24', '10.0.0.0/24', '10.0.0.128/25', '192.168.0.5/16'))),
      ['10.0.0.0/23', '192.168.0.0/16']);
    assert.deepEqual(formatCidrs(compactPrefixes(6, cs('2001:db8::/64', '2001:db8:0:1::/64', '2001:db8:0:2::/64'))),
      ['2001:db8::/63', '2001:db8:0:2::/64']);
  });

  it('turns ranges into the fewest CIDRs', () => {
    assert.deepEqual(formatCidrs(rangeToCidrs(4, { first: c('10.0.0.1/32').network, last: c('10.0.0.6/32').network })),
      ['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/32']);
    assert.deepEqual(formatCidrs(rangeToCidrs(4, { first: 0n, last: (1n << 32n) - 1n })), ['0.0.0.0/0']);
  });

  it('subtracts and compares prefix sets', () => {
    const left = subtractRanges(toRanges(cs('10.0.0.0/16')), toRanges(cs('10.0.1.0/24', '10.0.3.0/24')));
    assert.deepEqual(left.flatMap((r) => formatCidrs(rangeToCidrs(4, r))),
      ['10.0.0.0/24', '10.0.2.0/24', '10.0.4.0/22', '10.0.8.0/21', '10.0.16.0/20', '10.0.32.0/19', '10.0.64.0/18', '10.0.128.0/17']);
    assert.equal(isSubset(toRanges(cs('10.0.0.0/24')), toRanges(cs('10.0.0.0/16'))), true);
    assert.equal(isSubset(toRanges(cs('10.0.0.0/15')), toRanges(cs('10.0.0.0/16'))), false);
  });

  it('allocates from the smallest free block first, and a specific CIDR only when wholly free', () => {
    const avail = availablePrefixes(4, cs('10.0.0.0/16', '192.168.0.0/24'), cs('10.0.0.0/24'));
    assert.deepEqual(formatCidrs(avail.slice(0, 2)), ['10.0.1.0/24', '192.168.0.0/24']);
    assert.equal(formatCidr(allocateAny(avail, 24)!), '10.0.1.0/24');
    assert.equal(formatCidr(allocateAny(avail, 23)!), '10.0.2.0/23');
    assert.equal(formatCidr(allocateAny(avail, 20)!), '10.0.16.0/20');
    assert.equal(allocateAny(avail, 15), null);
    assert.equal(isAvailable(avail, c('10.0.1.0/24')), true);
    assert.equal(isAvailable(avail, c('10.0.0.128/25')), false);
    assert.equal(isAvailable(avail, c('172.16.0.0/24')), false);
  });

  it('fills in and checks prefix length bounds with Neutron messages', () => {
    assert.deepEqual(readPrefixBounds(4, {}), { min: 8, max: 32, dflt: 8 });
    assert.deepEqual(readPrefixBounds(6, { dflt: 64 }), { min: 64, max: 128, dflt: 64 });
    assert.throws(() => readPrefixBounds(4, { min: 30, max: 24 }), { message: 'Illegal prefix bounds: min_prefixlen=30, max_prefixlen=24.' });
    assert.throws(() => readPrefixBounds(4, { max: 33 }), { message: 'Illegal prefix bounds: max_prefixlen=33, ip_version_max=32.' });
    assert.throws(() => readPrefixBounds(4, { min: 16, dflt: 8 }), { message: 'Illegal prefix bounds: default_prefixlen=8, min_prefixlen=16.' });
    assert.throws(() => readPrefixBounds(4, { max: 24, dflt: 28 }), { message: 'Illegal prefix bounds: default_prefixlen=28, max_prefixlen=24.' });
  });
});
