// IPv6 pool sizes are beyond 2^53: the reply carries them as exact integers, as
// Neutron's Python does (a /64's default pool holds 2^64 - 2 addresses).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from '../../../test/support/api.ts';

describe('network IP availabilities: exact counts', () => {
  let api: Api;
  before(async () => { api = await startApi(); });
  after(async () => { await api.close(); });

  it('renders the totals of IPv6 subnets as exact integers', async () => {
    const n = (await api.req('POST', '/v2.0/networks', { network: { name: 'v6' } })).body.network;
    for (const prefix of ['2001:db8:1::', '2001:db8:2::']) {
      const s = await api.req('POST', '/v2.0/subnets', { subnet: { network_id: n.id, ip_version: 6, cidr: `${prefix}/64`, gateway_ip: `${prefix}1` } });
      assert.equal(s.status, 201, JSON.stringify(s.body));
    }
    await api.req('POST', '/v2.0/subnets', { subnet: { network_id: n.id, ip_version: 4, cidr: '10.9.0.0/24' } });
    // The raw text: JSON.parse would round these numbers itself.
    for (const path of [`/v2.0/network-ip-availabilities/${n.id}`, `/v2.0/network-ip-availabilities?network_id=${n.id}`]) {
      const text = await (await fetch(api.url + path)).text();
      const [network, ...subnets] = [...text.matchAll(/"total_ips":(\d+)/g)].map((m) => m[1]);
      // ::2 to ::ffff:ffff:ffff:ffff in each /64
      assert.equal(network, String(2n * (2n ** 64n - 2n) + 253n), text);
      assert.deepEqual(subnets.sort(), ['18446744073709551614', '18446744073709551614', '253'], text);
    }
  });
});
