import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNeutronError } from '../../errors/neutron-error.ts';
import { parseCidr } from '../ip/cidr.ts';
import {
  convertNoneToEmptyList, isAutoAddressSubnet, validateCidrPlacement, validateHostRoutes, validateIpPools,
  validateIpv6Mode, validateNameservers, validateSubnetSpec, verifyDictKeys, type SubnetSpec,
} from './subnet-validators.ts';

const limits = { maxDnsNameservers: 5, maxHostRoutes: 20 };
const c = (s: string) => parseCidr(s)!;

function throwsNeutron(fn: () => unknown, status: number, type: string, message: string) {
  assert.throws(fn, (e) => {
    assert.ok(isNeutronError(e), String(e));
    assert.deepEqual({ status: e.status, type: e.type, message: e.message }, { status, type, message });
    return true;
  });
}
const invalidInput = (fn: () => unknown, msg: string) => throwsNeutron(fn, 400, 'InvalidInput', `Invalid input for operation: ${msg}.`);

const v4spec = (extra: Partial<SubnetSpec> = {}): SubnetSpec => ({ ipVersion: 4, cidr: '10.196.0.0/24', enableDhcp: false, ...extra });
const v6spec = (extra: Partial<SubnetSpec> = {}): SubnetSpec => ({ ipVersion: 6, cidr: 'fd00:196::/64', enableDhcp: true, ...extra });

test('validateNameservers (rows 67-68)', () => {
  assert.equal(validateNameservers([]), null);
  assert.equal(validateNameservers(['8.8.8.8', '2001:4860:4860::8888']), null);
  assert.equal(validateNameservers(['abc']), "'abc' is not a valid nameserver. 'abc' is not a valid IP address");
  assert.equal(validateNameservers(['8.8.8.8', '8.8.8.8']), "Duplicate nameserver '8.8.8.8'");
  assert.equal(validateNameservers(['010.0.0.1']),
    "'010.0.0.1' is not a valid nameserver. '010.0.0.1' is not an accepted IP address, '10.0.0.1' is recommended");
  assert.equal(validateNameservers([5]), "'5' is not a valid nameserver. '5' is not a valid IP address");
  assert.equal(validateNameservers('8.8.8.8'), "'8' is not a valid nameserver. '8' is not a valid IP address");
  assert.equal(validateNameservers(5), "Invalid data format for nameserver: '5'");
  assert.deepEqual(convertNoneToEmptyList(null), []);
  assert.equal(validateNameservers(convertNoneToEmptyList(null)), null);
});

test('validateHostRoutes (rows 64-65)', () => {
  const hop = '10.196.0.5';
  assert.equal(validateHostRoutes([{ destination: '10.50.0.0/24', nexthop: hop }]), null);
  assert.equal(validateHostRoutes([{ destination: 'foo', nexthop: hop }]), "'foo' is not a valid CIDR");
  assert.equal(validateHostRoutes([{ destination: '10.50.0.0/24' }]),
    "Validation of dictionary's keys failed. Expected keys: {'destination', 'nexthop'} Provided keys: {'destination'}");
  assert.equal(validateHostRoutes([{ destination: '10.50.0.0/24', nexthop: hop, foo: 1 }]),
    "Validation of dictionary's keys failed. Expected keys: {'destination', 'nexthop'} Provided keys: {'destination', 'nexthop', 'foo'}");
  assert.equal(validateHostRoutes([{}]),
    "Validation of dictionary's keys failed. Expected keys: {'destination', 'nexthop'} Provided keys: set()");
  assert.equal(validateHostRoutes(['abc']), "Invalid input. 'abc' must be a dictionary with keys: ['destination', 'nexthop']");
  assert.equal(validateHostRoutes([{ destination: '10.50.0.0/24', nexthop: 'x' }]), "'x' is not a valid IP address");
  assert.equal(validateHostRoutes([{ destination: '10.50.0.1/24', nexthop: hop }]),
    "'10.50.0.1/24' is not a recognized CIDR, '10.50.0.0/24' is recommended");
  assert.equal(validateHostRoutes([{ destination: '10.50.0.0/24', nexthop: hop }, { nexthop: hop, destination: '10.50.0.0/24' }]),
    `Duplicate hostroute '{'nexthop': '10.196.0.5', 'destination': '10.50.0.0/24'}'`);
  assert.equal(validateHostRoutes('x'), "Invalid data format for hostroute: 'x'");
});

test('validateIpPools (rows 57-58)', () => {
  assert.equal(validateIpPools([{ start: '10.196.0.10', end: '10.196.0.20' }]), null);
  assert.equal(validateIpPools([{ start: 'foo', end: '10.196.0.20' }]), "'foo' is not a valid IP address");
  assert.equal(validateIpPools([{ start: '10.196.0.10' }]),
    "Validation of dictionary's keys failed. Expected keys: {'start', 'end'} Provided keys: {'start'}");
  assert.equal(validateIpPools([{ start: '10.196.0.10', end: 'bar' }]), "'bar' is not a valid IP address");
  assert.equal(validateIpPools(null), "Invalid data format for IP pool: 'None'");
  assert.equal(verifyDictKeys(['start', 'end'], { end: 1, start: 2 }), null);
});

test('validateIpv6Mode (row 74)', () => {
  for (const m of ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless']) assert.equal(validateIpv6Mode(m), null);
  assert.equal(validateIpv6Mode('bogus'), 'bogus is not in valid_values');
  assert.equal(validateIpv6Mode(null), 'None is not in valid_values');
});

test('validateSubnetSpec: the Zed answers (rows 48, 61, 66, 69-73)', () => {
  invalidInput(() => validateSubnetSpec(v4spec({ ipVersion: 6 }), limits), "cidr '10.196.0.0/24' does not match the ip_version '6'");
  invalidInput(() => validateSubnetSpec(v4spec({ gatewayIp: '10.196.0.0' }), limits), 'Gateway is not valid on subnet');
  validateSubnetSpec(v4spec({ gatewayIp: '10.199.0.1' }), limits);
  validateSubnetSpec(v4spec({ gatewayIp: null }), limits);
  const routes = Array.from({ length: 21 }, (_, i) => ({ destination: `10.50.${i}.0/24`, nexthop: '10.196.0.5' }));
  throwsNeutron(() => validateSubnetSpec(v4spec({ hostRoutes: routes }), limits), 400, 'HostRoutesExhausted',
    'Unable to complete operation for new subnet. The number of host routes exceeds the limit 20.');
  validateSubnetSpec(v4spec({ hostRoutes: routes.slice(0, 20) }), limits);
  const dns = ['8.8.8.1', '8.8.8.2', '8.8.8.3', '8.8.8.4', '8.8.8.5', '8.8.8.6'];
  throwsNeutron(() => validateSubnetSpec(v4spec({ dnsNameservers: dns }), limits), 400, 'DNSNameServersExhausted',
    'Unable to complete operation for new subnet. The number of DNS nameservers exceeds the limit 5.');
  throwsNeutron(() => validateSubnetSpec(v4spec({ id: 'abc', dnsNameservers: dns }), limits), 400, 'DNSNameServersExhausted',
    'Unable to complete operation for abc. The number of DNS nameservers exceeds the limit 5.');
  invalidInput(() => validateSubnetSpec(v6spec({ ipv6RaMode: 'slaac', ipv6AddressMode: 'dhcpv6-stateful' }), limits),
    "ipv6_ra_mode set to 'slaac' with ipv6_address_mode set to 'dhcpv6-stateful' is not valid. If both attributes are set, they must be the same value");
  invalidInput(() => validateSubnetSpec(v6spec({ enableDhcp: false, ipv6RaMode: 'slaac', ipv6AddressMode: 'slaac' }), limits),
    'ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False');
  invalidInput(() => validateSubnetSpec(v4spec({ ipv6RaMode: 'slaac', ipv6AddressMode: 'slaac' }), limits),
    'ipv6_ra_mode is not valid when ip_version is 4');
  invalidInput(() => validateSubnetSpec(v4spec({ ipv6AddressMode: 'slaac' }), limits), 'ipv6_address_mode is not valid when ip_version is 4');
  invalidInput(() => validateSubnetSpec(v6spec({ cidr: 'fd00:196::/80', ipv6RaMode: 'slaac', ipv6AddressMode: 'slaac' }), limits),
    'Invalid CIDR fd00:196::/80 for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64');
  validateSubnetSpec(v6spec({ ipv6RaMode: 'slaac', ipv6AddressMode: 'slaac' }), limits);
  validateSubnetSpec(v6spec({ cidr: 'fd00:196::/80', ipv6AddressMode: 'dhcpv6-stateful' }), limits);
});

test('validateSubnetSpec: DHCP-capable CIDRs, address versions, updates', () => {
  invalidInput(() => validateSubnetSpec(v4spec({ cidr: '10.0.0.0/31', enableDhcp: true }), limits),
    'Subnet has a prefix length that is incompatible with DHCP service enabled');
  validateSubnetSpec(v4spec({ cidr: '10.0.0.0/31', enableDhcp: false }), limits);
  validateSubnetSpec(v4spec({ cidr: '10.0.0.0/30', enableDhcp: true }), limits);
  invalidInput(() => validateSubnetSpec(v6spec({ cidr: 'fd00::/127' }), limits),
    'Subnet has a prefix length that is incompatible with DHCP service enabled');
  invalidInput(() => validateSubnetSpec(v4spec({ cidr: '224.0.0.0/24', enableDhcp: true }), limits),
    'Multicast IP subnet is not supported if enable_dhcp is True');
  invalidInput(() => validateSubnetSpec(v4spec({ cidr: '127.0.0.0/24', enableDhcp: true }), limits),
    'Loopback IP subnet is not supported if enable_dhcp is True');
  invalidInput(() => validateSubnetSpec(v4spec({ cidr: '0.0.0.0/24', enableDhcp: true }), limits),
    "First IP '0.0.0.0' of network is not supported if enable_dhcp is True.");
  // DHCP already on: the prefix checks are skipped on update
  validateSubnetSpec(v4spec({ cidr: '10.0.0.0/31', enableDhcp: true, id: 'x' }), limits,
    { enableDhcp: true, ipv6RaMode: null, ipv6AddressMode: null });
  invalidInput(() => validateSubnetSpec(v4spec({ gatewayIp: 'fd00::1' }), limits), "gateway_ip 'fd00::1' does not match the ip_version '4'");
  invalidInput(() => validateSubnetSpec(v4spec({ dnsNameservers: ['2001:4860:4860::8888'] }), limits),
    "dns_nameserver '2001:4860:4860::8888' does not match the ip_version '4'");
  invalidInput(() => validateSubnetSpec(v4spec({ hostRoutes: [{ destination: '10.50.0.0/24', nexthop: 'fd00::1' }] }), limits),
    "nexthop 'fd00::1' does not match the ip_version '4'");
  invalidInput(() => validateSubnetSpec(v4spec({ hostRoutes: [{ destination: 'fd00::/64', nexthop: '10.196.0.5' }] }), limits),
    "destination 'fd00::/64' does not match the ip_version '4'");
  // updates: cannot switch DHCP off while IPv6 modes are set
  const cur = { enableDhcp: true, ipv6RaMode: 'slaac', ipv6AddressMode: 'slaac' };
  invalidInput(() => validateSubnetSpec(v6spec({ id: 's', enableDhcp: false }), limits, cur),
    'Cannot disable enable_dhcp with ipv6 attributes set');
  validateSubnetSpec(v6spec({ id: 's', enableDhcp: false }), limits, { enableDhcp: true, ipv6RaMode: null, ipv6AddressMode: null });
  validateSubnetSpec(v6spec({ id: 's', enableDhcp: undefined }), limits, cur);
  assert.ok(isAutoAddressSubnet({ ipv6AddressMode: 'dhcpv6-stateless' }));
  assert.ok(isAutoAddressSubnet({ ipv6RaMode: 'slaac', ipv6AddressMode: null }));
  assert.ok(!isAutoAddressSubnet({ ipv6RaMode: 'dhcpv6-stateful', ipv6AddressMode: 'dhcpv6-stateful' }));
});

test('validateCidrPlacement (row 63)', () => {
  const net = '08ee7bdf-c34c-4883-b7f9-937cf380bea8';
  invalidInput(() => validateCidrPlacement(c('10.192.0.0/25'), net, [c('10.192.0.0/16')]),
    `Requested subnet with cidr: 10.192.0.0/25 for network: ${net} overlaps with another subnet`);
  validateCidrPlacement(c('10.193.0.0/25'), net, [c('10.192.0.0/16'), c('fd00::/64')]);
  validateCidrPlacement(c('::/64'), net, [c('::/64')]); // the temporary PD prefix never overlaps
  invalidInput(() => validateCidrPlacement(c('0.0.0.0/0'), net, []), '0 is not allowed as CIDR prefix length');
});
