import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dhcpReleaseArgv, parseLeases } from './dhcp-release.ts';

test('lease file: IPv4 lines with optional hostname and client id; DHCPv6 part and junk skipped', () => {
  const text = [
    '1764806400 fa:16:3e:5a:01:10 172.16.1.10 host-172-16-1-10 01:fa:16:3e:5a:01:10',
    '0 FA:16:3E:6B:01:20 172.16.1.20 * *',
    'garbage',
    'duid 00:01:00:01:2c:aa',
    '1764806400 1234 2001:db8::5 * 00:01:00:01',
  ].join('\n');
  assert.deepEqual(parseLeases(text), [
    { expiry: 1764806400, mac: 'fa:16:3e:5a:01:10', ip: '172.16.1.10', hostname: 'host-172-16-1-10', clientId: '01:fa:16:3e:5a:01:10' },
    { expiry: 0, mac: 'fa:16:3e:6b:01:20', ip: '172.16.1.20' },
  ]);
  assert.deepEqual(parseLeases(''), []);
});

test('dhcp_release argv: interface, address, MAC, then the client id when there is one', () => {
  assert.deepEqual(dhcpReleaseArgv('ns-0d1c2b3a-33', { ip: '172.16.1.10', mac: 'fa:16:3e:5a:01:10', clientId: '01:fa:16:3e:5a:01:10' }),
    ['dhcp_release', 'ns-0d1c2b3a-33', '172.16.1.10', 'fa:16:3e:5a:01:10', '01:fa:16:3e:5a:01:10']);
  assert.deepEqual(dhcpReleaseArgv('ns-x', { ip: '10.0.0.5', mac: 'fa:16:3e:00:00:01' }), ['dhcp_release', 'ns-x', '10.0.0.5', 'fa:16:3e:00:00:01']);
});
