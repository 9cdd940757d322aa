// The list view cache is only correct if every change to what a port shows bumps
// its revision_number. Each case warms the cache with a list, changes one thing,
// and requires the next list to show exactly what GET shows.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from '../../test/support/api.ts';
import { createViewCache } from './view-cache.ts';

describe('view cache', () => {
  it('serves a stored view only for the same revision and variant, and stays bounded', () => {
    const c = createViewCache(2);
    c.set('a', 1, '', Buffer.from('{"a":1}'));
    assert.equal(c.get('a', 1, '')?.toString(), '{"a":1}');
    assert.equal(c.get('a', 2, ''), undefined);
    assert.equal(c.get('a', 1, 'binding:host_id'), undefined);
    c.set('b', 1, '', Buffer.from('b'));
    c.set('c', 1, '', Buffer.from('c'));
    assert.equal(c.size, 2);
    assert.equal(c.get('a', 1, ''), undefined, 'oldest entry evicted');
  });
});

describe('port lists after every kind of change', () => {
  let api: Api;
  let net: any, v4: any, port: any;
  const listed = async (as = api.req) => (await as('GET', '/v2.0/ports')).body.ports.find((p: any) => p.id === port.id);
  const shown = async (as = api.req) => (await as('GET', `/v2.0/ports/${port.id}`)).body.port;
  const same = async (as = api.req) => assert.deepEqual(await listed(as), await shown(as));

  before(async () => {
    api = await startApi();
    net = (await api.req('POST', '/v2.0/networks', { network: { name: 'vc' } })).body.network;
    v4 = (await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.77.0.0/24' } })).body.subnet;
    port = (await api.req('POST', '/v2.0/ports', { port: { network_id: net.id, name: 'p' } })).body.port;
  });
  after(async () => { await api.close(); });

  const changes: [string, () => Promise<unknown>][] = [
    ['name', () => api.req('PUT', `/v2.0/ports/${port.id}`, { port: { name: 'p2' } })],
    ['fixed_ips', () => api.req('PUT', `/v2.0/ports/${port.id}`, { port: { fixed_ips: [{ subnet_id: v4.id, ip_address: '10.77.0.50' }] } })],
    ['allowed_address_pairs', () => api.req('PUT', `/v2.0/ports/${port.id}`, { port: { allowed_address_pairs: [{ ip_address: '10.77.0.99' }] } })],
    ['extra_dhcp_opts', () => api.req('PUT', `/v2.0/ports/${port.id}`, { port: { extra_dhcp_opts: [{ opt_name: 'mtu', opt_value: '1400' }] } })],
    ['security_groups', () => api.req('PUT', `/v2.0/ports/${port.id}`, { port: { security_groups: ['5b1c3a3e-0000-4000-8000-000000000001'] } })],
    ['binding', () => api.req('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': 'compute', 'binding:profile': { a: 1 } } })],
    ['tag added', () => api.req('PUT', `/v2.0/ports/${port.id}/tags/t1`)],
    ['tags replaced', () => api.req('PUT', `/v2.0/ports/${port.id}/tags`, { tags: ['t2', 't3'] })],
    ['SLAAC subnet added to the network', () => api.req('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 6, cidr: 'fd00:77::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' } })],
    ['SLAAC subnet removed', async () => {
      const s = (await api.req('GET', `/v2.0/subnets?network_id=${net.id}&ip_version=6`)).body.subnets[0];
      return api.req('DELETE', `/v2.0/subnets/${s.id}`);
    }],
    ['admin_state_up', () => api.req('PUT', `/v2.0/ports/${port.id}`, { port: { admin_state_up: false } })],
  ];
  for (const [what, change] of changes) {
    it(`shows the change of ${what}`, async () => {
      await listed();
      await listed(api.as('someone', 'member')); // a second variant (hidden attributes)
      await change();
      await same();
    });
  }

  it('shapes cached views per caller: members never see admin-only attributes', async () => {
    await listed(); // admin view cached
    const owner = api.as(port.project_id, 'member');
    const v = await listed(owner);
    assert.ok(v, 'the owner lists its port');
    assert.ok(!('binding:host_id' in v) && !('binding:profile' in v));
  });
});
