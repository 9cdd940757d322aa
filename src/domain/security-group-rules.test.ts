// Rule converters and validation: protocol spellings, prefixes, legacy IPv6 ICMP,
// the whole port range as none, duplicate keys.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { convertIpPrefix, convertProtocol, normalizedCidr, ruleKey, validateRule, type RuleInput } from './security-group-rules.ts';

const rule = (r: Partial<RuleInput>): RuleInput => ({
  direction: 'ingress', ethertype: 'IPv4', protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null,
  remote_group_id: null, remote_address_group_id: null, security_group_id: 'sg', ...r,
});

describe('security group rules', () => {
  it('converts protocols as Neutron stores them', () => {
    assert.equal(convertProtocol('TCP'), 'tcp');
    assert.equal(convertProtocol(6), '6');
    assert.equal(convertProtocol('17'), '17');
    assert.equal(convertProtocol(null), null);
    assert.equal(convertProtocol('any'), null);
    assert.throws(() => convertProtocol(-1), /protocol -1 not supported/);
  });

  it('keeps host bits in remote_ip_prefix, clears them in normalized_cidr', () => {
    assert.equal(convertIpPrefix('10.0.0.5'), '10.0.0.5/32');
    assert.equal(convertIpPrefix('2001:DB8::1/64'), '2001:db8::1/64');
    assert.equal(normalizedCidr('2001:db8::1/64'), '2001:db8::/64');
    assert.throws(() => convertIpPrefix('nope'), /Invalid CIDR nope given as IP prefix/);
  });

  it('canonicalises legacy IPv6 ICMP and the whole port range', () => {
    const r = rule({ ethertype: 'IPv6', protocol: 'icmp' });
    validateRule(r);
    assert.equal(r.protocol, 'ipv6-icmp');
    const t = rule({ protocol: 'tcp', port_range_min: 1, port_range_max: 65535 });
    validateRule(t);
    assert.equal(t.port_range_min, null);
    assert.throws(() => validateRule(rule({ protocol: 'ipv6-icmp' })), /Invalid ethertype IPv4 for protocol ipv6-icmp/);
    assert.throws(() => validateRule(rule({ protocol: 'gre', port_range_min: 1, port_range_max: 2 })), /Invalid protocol 47 for port range/);
  });

  it('treats tcp/6 and any-address/none alike when comparing', () => {
    assert.equal(ruleKey(rule({ protocol: 'tcp', remote_ip_prefix: '0.0.0.0/0' })), ruleKey(rule({ protocol: '6' })));
    assert.notEqual(ruleKey(rule({ protocol: 'tcp' })), ruleKey(rule({ protocol: 'udp' })));
  });
});
