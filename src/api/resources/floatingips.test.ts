// Floating IP updates as l3_db._check_and_get_fip_assoc reads the body: `{}`
// dissociates, a body without port_id keeps the port, and fixed_ip_address alone
// is refused. Run on every backend: the association is persisted state.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../../test/support/test-db.ts';
import { startApi, type Api } from '../../../test/support/api.ts';

for (const kind of TEST_DB_KINDS) {
  describe(`floating IP updates on ${kind}`, { skip: dbSkipReason(kind) }, () => {
    let db: TestDatabase;
    let api: Api;
    let fip: string, port: string, pub: string, router: string, net: string;
    before(async () => {
      db = await freshDatabase(kind, 'fipupd');
      api = await startApi('', db.url);
      pub = (await api.req('POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } })).body.network.id;
      await api.req('POST', '/v2.0/subnets', { subnet: { network_id: pub, ip_version: 4, cidr: '198.51.100.0/24' } });
      net = (await api.req('POST', '/v2.0/networks', { network: { name: 'inside' } })).body.network.id;
      const sub = (await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.77.0.0/24' } })).body.subnet.id;
      router = (await api.req('POST', '/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: pub } } })).body.router.id;
      assert.equal((await api.req('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: sub })).status, 200);
      port = (await api.req('POST', '/v2.0/ports', { port: { network_id: net } })).body.port.id;
      const f = await api.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub, port_id: port } });
      assert.equal(f.status, 201, JSON.stringify(f.body));
      fip = f.body.floatingip.id;
    });
    after(async () => {
      await api?.close();
      await db?.drop();
    });

    it('keeps the association when the body changes something else', async () => {
      const r = await api.req('PUT', `/v2.0/floatingips/${fip}`, { floatingip: { description: 'kept' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.floatingip.port_id, port);
    });

    it('refuses fixed_ip_address without port_id', async () => {
      const r = await api.req('PUT', `/v2.0/floatingips/${fip}`, { floatingip: { fixed_ip_address: '10.77.0.9' } });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.NeutronError.type, 'BadRequest');
      assert.equal(r.body.NeutronError.message, 'Bad floatingip request: fixed_ip_address cannot be specified without a port_id.');
    });

    it('keeps the router of a floating IP held by a port forwarding', async () => {
      const f = (await api.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub } })).body.floatingip.id;
      const vm = (await api.req('POST', '/v2.0/ports', { port: { network_id: net } })).body.port;
      const pf = await api.req('POST', `/v2.0/floatingips/${f}/port_forwardings`, { port_forwarding: {
        protocol: 'tcp', internal_port_id: vm.id, internal_ip_address: vm.fixed_ips[0].ip_address, internal_port: 22, external_port: 2222 } });
      assert.equal(pf.status, 201, JSON.stringify(pf.body));
      for (const body of [{}, { port_id: null }]) {
        const r = await api.req('PUT', `/v2.0/floatingips/${f}`, { floatingip: body });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.floatingip.router_id, router, JSON.stringify(body));
      }
    });

    it('dissociates on an empty body', async () => {
      const r = await api.req('PUT', `/v2.0/floatingips/${fip}`, { floatingip: {} });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.floatingip.port_id, null);
      assert.equal(r.body.floatingip.fixed_ip_address, null);
      assert.equal(r.body.floatingip.router_id, null);
      assert.equal((await api.req('GET', `/v2.0/floatingips/${fip}`)).body.floatingip.port_id, null);
    });
  });
}
