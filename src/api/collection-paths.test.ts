// Neutron's router takes '_' and '-' in a collection's path segment as the same
// character (neutron.manager.get_controller_for_resource), with or without ".json".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from '../../test/support/api.ts';

describe('collection path spellings', () => {
  let api: Api;
  before(async () => { api = await startApi(); });
  after(async () => { await api.close(); });

  it('serves floating IP pools on every spelling', async () => {
    const ext = await api.req('POST', '/v2.0/networks', { network: { name: 'ext', 'router:external': true } });
    const sub = await api.req('POST', '/v2.0/subnets', { subnet: { network_id: ext.body.network.id, ip_version: 4, cidr: '203.0.113.0/24' } });
    for (const p of ['/v2.0/floatingip_pools', '/v2.0/floatingip-pools', '/v2.0/floatingip_pools.json', '/v2.0/floatingip-pools.json']) {
      const r = await api.req('GET', p);
      assert.equal(r.status, 200, `${p}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body.floatingip_pools.map((x: any) => x.subnet_id), [sub.body.subnet.id], p);
    }
  });

  it('serves resources and custom routes with either character', async () => {
    for (const p of ['/v2.0/security_groups', '/v2.0/security-groups', '/v2.0/network_ip_availabilities', '/v2.0/availability-zones']) {
      const r = await api.req('GET', p);
      assert.equal(r.status, 200, `${p}: ${JSON.stringify(r.body)}`);
    }
    assert.equal((await api.req('GET', '/v2.0/floatingip__pools')).status, 404);
  });
});
