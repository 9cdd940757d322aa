// Router gateways as l3_db sets them: an external network without subnets still
// takes a gateway (a port without addresses), and external_fixed_ips change only
// when the sets of subnets or of explicit addresses change (_check_for_external_ip_change).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../../test/support/test-db.ts';
import { startApi, type Api } from '../../../test/support/api.ts';

for (const kind of TEST_DB_KINDS) {
  describe(`router gateways on ${kind}`, { skip: dbSkipReason(kind) }, () => {
    let db: TestDatabase;
    let api: Api;
    before(async () => {
      db = await freshDatabase(kind, 'rgw');
      api = await startApi('', db.url);
    });
    after(async () => {
      await api?.close();
      await db?.drop();
    });

    it('sets a gateway on an external network that has no subnet', async () => {
      const bare = (await api.req('POST', '/v2.0/networks', { network: { name: 'bare-ext', 'router:external': true } })).body.network.id;
      const r = await api.req('POST', '/v2.0/routers', { router: { name: 'r1', external_gateway_info: { network_id: bare } } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(r.body.router.external_gateway_info, { network_id: bare, enable_snat: true, external_fixed_ips: [] });
      const other = (await api.req('POST', '/v2.0/routers', { router: { name: 'r2' } })).body.router.id;
      const u = await api.req('PUT', `/v2.0/routers/${other}`, { router: { external_gateway_info: { network_id: bare } } });
      assert.equal(u.status, 200, JSON.stringify(u.body));
      assert.deepEqual(u.body.router.external_gateway_info.external_fixed_ips, []);
      const ports = await api.req('GET', `/v2.0/ports?device_id=${other}&device_owner=network:router_gateway`);
      assert.equal(ports.body.ports.length, 1);
      assert.deepEqual(ports.body.ports[0].fixed_ips, []);
    });

    it('keeps the gateway address when the request adds an entry naming only a subnet it is on', async () => {
      const ext = (await api.req('POST', '/v2.0/networks', { network: { name: 'ext', 'router:external': true } })).body.network.id;
      const sub = (await api.req('POST', '/v2.0/subnets', { subnet: { network_id: ext, ip_version: 4, cidr: '198.51.100.0/24' } })).body.subnet.id;
      const r = (await api.req('POST', '/v2.0/routers', { router: { name: 'r3', external_gateway_info: { network_id: ext } } })).body.router;
      const current = r.external_gateway_info.external_fixed_ips;
      assert.equal(current.length, 1);
      const portBefore = (await api.req('GET', `/v2.0/ports?device_id=${r.id}`)).body.ports[0];
      const u = await api.req('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: ext, external_fixed_ips: [...current, { subnet_id: sub }] } } });
      assert.equal(u.status, 200, JSON.stringify(u.body));
      assert.deepEqual(u.body.router.external_gateway_info.external_fixed_ips, current);
      assert.equal(u.body.router.revision_number, r.revision_number);
      const portsAfter = (await api.req('GET', `/v2.0/ports?device_id=${r.id}`)).body.ports;
      assert.deepEqual(portsAfter.map((p: any) => [p.id, p.fixed_ips]), [[portBefore.id, portBefore.fixed_ips]]);
      // an empty list changes nothing either
      const e = await api.req('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: ext, external_fixed_ips: [] } } });
      assert.deepEqual(e.body.router.external_gateway_info.external_fixed_ips, current);
      // a different address does
      const moved = await api.req('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: ext, external_fixed_ips: [{ subnet_id: sub, ip_address: '198.51.100.77' }] } } });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.deepEqual(moved.body.router.external_gateway_info.external_fixed_ips, [{ subnet_id: sub, ip_address: '198.51.100.77' }]);
    });
  });
}
