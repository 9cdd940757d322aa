import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLease } from './udhcpc.ts';

test('parseLease reads the script line, keeping values of several words whole', () => {
  const out = 'udhcpc: started\nlease ip=172.16.1.10 mask=24 router=172.16.1.1 dns=8.8.8.8 8.8.4.4 mtu=1450 staticroutes=169.254.169.254/32 172.16.1.2 0.0.0.0/0 172.16.1.1\n';
  assert.deepEqual(parseLease(out), {
    ip: '172.16.1.10', mask: '24', router: '172.16.1.1', dns: '8.8.8.8 8.8.4.4', mtu: '1450',
    staticroutes: '169.254.169.254/32 172.16.1.2 0.0.0.0/0 172.16.1.1',
  });
  assert.equal(parseLease('lease ip=10.0.0.5 mask=24 router= dns= mtu= staticroutes=')?.router, '');
  assert.equal(parseLease('udhcpc: no lease, failing\n'), undefined);
});
