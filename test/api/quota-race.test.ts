// Quotas hold under concurrency on every backend: 32 clients creating networks in
// one project never get past the limit, and everyone else gets OverQuota.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../support/test-db.ts';
import { startApi, type Api } from '../support/api.ts';

for (const kind of TEST_DB_KINDS) {
  describe(`quota race on ${kind}`, { skip: dbSkipReason(kind) }, () => {
    let db: TestDatabase;
    let api: Api;
    before(async () => {
      db = await freshDatabase(kind, 'quota');
      api = await startApi('[quotas]\nquota_network = 7\nquota_port = 3\n', db.url);
    });
    after(async () => {
      await api?.close();
      await db?.drop();
    });

    it('never lets 32 concurrent creators past the network limit', async () => {
      const demo = api.as('racer');
      const results = await Promise.all(Array.from({ length: 32 }, (_, i) => demo('POST', '/v2.0/networks', { network: { name: `q${i}` } })));
      const ok = results.filter((r) => r.status === 201);
      assert.equal(ok.length, 7);
      for (const r of results.filter((x) => x.status !== 201)) {
        assert.equal(r.status, 409, JSON.stringify(r.body));
        assert.deepEqual(r.body, { NeutronError: { type: 'OverQuota', message: "Quota exceeded for resources: ['network'].", detail: '' } });
      }
      assert.equal((await demo('GET', '/v2.0/networks?fields=id')).body.networks.length, 7);
      // other projects have their own quota
      assert.equal((await api.as('someone-else')('POST', '/v2.0/networks', { network: { name: 'x' } })).status, 201);
    });

    it('counts a bulk request whole (row 185): nothing is created when it would pass the limit', async () => {
      const demo = api.as('bulker');
      const net = (await demo('POST', '/v2.0/networks', { network: { name: 'b' } })).body.network;
      await demo('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.5.0.0/24' } });
      const r = await demo('POST', '/v2.0/ports', { ports: [1, 2, 3, 4].map(() => ({ network_id: net.id })) });
      assert.equal(r.status, 409);
      assert.equal(r.body.NeutronError.message, "Quota exceeded for resources: ['port'].");
      assert.equal((await demo('GET', '/v2.0/ports')).body.ports.length, 0);
      assert.equal((await demo('POST', '/v2.0/ports', { ports: [1, 2, 3].map(() => ({ network_id: net.id })) })).status, 201);
    });

    it("holds a project's own port limit, set and lifted through the API, on ports of another project's shared network", async () => {
      // port create reads the port's project's quota rows with the network (src/db/repos/port-network.ts)
      const owner = api.as('net-owner');
      const net = (await api.req('POST', '/v2.0/networks', { network: { name: 'shared', shared: true, project_id: 'net-owner' } })).body.network;
      await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.6.0.0/24', project_id: 'net-owner' } });
      const user = api.as('limited');
      assert.equal((await api.req('PUT', '/v2.0/quotas/limited', { quota: { port: 1 } })).status, 200);
      assert.equal((await user('POST', '/v2.0/ports', { port: { network_id: net.id } })).status, 201);
      const over = await user('POST', '/v2.0/ports', { port: { network_id: net.id } });
      assert.equal(over.status, 409, JSON.stringify(over.body));
      assert.equal(over.body.NeutronError.type, 'OverQuota');
      // the owner's limit is the configured one (3), not the user's
      assert.equal((await owner('POST', '/v2.0/ports', { ports: [1, 2].map(() => ({ network_id: net.id })) })).status, 201);
      assert.equal((await api.req('PUT', '/v2.0/quotas/limited', { quota: { port: -1 } })).status, 200);
      assert.equal((await user('POST', '/v2.0/ports', { ports: [1, 2, 3, 4].map(() => ({ network_id: net.id })) })).status, 201);
    });
  });
}
