import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp } from './address.ts';
import { parseCidr } from './cidr.ts';
import { eui64, eui64InterfaceId, formatMac, normalizeMac, parseMac, randomMac, validateMacAddress } from './mac.ts';

test('parseMac accepts netaddr EUI-48 spellings', () => {
  const want = 0xfa163e45bd0dn;
  for (const s of ['fa:16:3e:45:bd:0d', 'FA:16:3E:45:BD:0D', 'fa-16-3e-45-bd-0d', 'fa16:3e45:bd0d', 'fa16-3e45-bd0d',
    'fa16.3e45.bd0d', 'fa163e-45bd0d', 'fa163e:45bd0d', 'fa163e45bd0d']) {
    assert.equal(parseMac(s), want, s);
  }
  assert.equal(parseMac('f:1:3:4:b:d'), 0x0f0103040b0dn);
  assert.equal(parseMac('a163e45bd0d'), 0x0a163e45bd0dn);
  assert.equal(parseMac('fa16.3e45.bd0'), 0xfa163e450bd0n);
  for (const bad of ['zz:11:22:33:44:55', 'fa:16:3e:45:bd', 'fa:16:3e:45:bd:0d:00', 'fa:16:3e:45:bd:0d ', '',
    'fa:16:3e-45:bd:0d', 'fa163e45bd0d1', 'fa:16:3e:45:bd:100']) {
    assert.equal(parseMac(bad), null, bad);
  }
});

test('validateMacAddress (rows 85-86)', () => {
  assert.equal(validateMacAddress('fa:16:3e:19:47:9f'), null);
  assert.equal(validateMacAddress('01:00:5e:00:00:01'), null); // multicast is allowed
  assert.equal(validateMacAddress('zz:11:22:33:44:55'), "'zz:11:22:33:44:55' is not a valid MAC address");
  assert.equal(validateMacAddress('00:00:00:00:00:00'), "'00:00:00:00:00:00' is not a valid MAC address");
  assert.equal(validateMacAddress('000000000000'), "'000000000000' is not a valid MAC address");
  assert.equal(validateMacAddress('FF:FF:FF:FF:FF:FF'), "'FF:FF:FF:FF:FF:FF' is not a valid MAC address");
  assert.equal(validateMacAddress(12), "'12' is not a valid MAC address");
  assert.equal(validateMacAddress(null), "'None' is not a valid MAC address");
});

test('formatMac / normalizeMac give the lowercase colon form', () => {
  assert.equal(formatMac(0xfa163e45bd0dn), 'fa:16:3e:45:bd:0d');
  assert.equal(formatMac(1n), '00:00:00:00:00:01');
  assert.equal(normalizeMac('FA-16-3E-45-BD-0D'), 'fa:16:3e:45:bd:0d');
  assert.equal(normalizeMac('nope'), null);
  assert.throws(() => formatMac(1n << 48n));
});

test('randomMac keeps the base prefix as get_random_mac does', () => {
  const seq = (vals: number[]) => { let i = 0; return () => vals[i++ % vals.length]; };
  assert.equal(randomMac('fa:16:3e:00:00:00', seq([0, 0.5, 0.999])), 'fa:16:3e:00:80:ff');
  let calls = 0;
  const counting = () => { calls++; return 0.25; };
  assert.equal(randomMac('fa:16:3e:4f:00:00', counting), 'fa:16:3e:4f:40:40');
  assert.equal(calls, 3);
  for (let i = 0; i < 50; i++) {
    const m = randomMac('fa:16:3e:00:00:00', Math.random);
    assert.match(m, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.equal(validateMacAddress(m), null);
  }
  assert.throws(() => randomMac('fa:16:3e', Math.random));
});

test('eui64 gives the SLAAC addresses Zed gave', () => {
  const net = parseCidr('fd00:10::/64')!;
  assert.equal(formatIp({ version: 6, value: eui64(net, 'fa:16:3e:45:bd:0d') }), 'fd00:10::f816:3eff:fe45:bd0d');
  assert.equal(formatIp({ version: 6, value: eui64(net, 'fa:16:3e:83:fe:6d') }), 'fd00:10::f816:3eff:fe83:fe6d');
  assert.equal(formatIp({ version: 6, value: eui64(net, 0x001122334455n) }), 'fd00:10::211:22ff:fe33:4455');
  assert.equal(eui64InterfaceId(0xfa163e45bd0dn), 0xf8163efffe45bd0dn);
  assert.throws(() => eui64(parseCidr('10.0.0.0/24')!, 'fa:16:3e:45:bd:0d'));
  assert.throws(() => eui64(net, 'bogus'));
});
