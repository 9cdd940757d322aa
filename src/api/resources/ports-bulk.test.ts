// A huge bulk port create: all or nothing (as Neutron's bulk), and other requests go on
// while it runs without seeing any of it before it commits.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from '../../../test/support/api.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../../test/support/test-db.ts';

for (const kind of TEST_DB_KINDS) describe(`bulk port create [${kind}]`, { skip: dbSkipReason(kind), timeout: 300_000 }, () => {
  const N = 10_000; // as in issue 11
  let db: TestDatabase;
  let api: Api;
  let net: string;
  const portCount = async () => (await api.req('GET', `/v2.0/ports?network_id=${net}&fields=id`)).body.ports.length as number;
  before(async () => {
    db = await freshDatabase(kind, 'ports_bulk');
    api = await startApi('[quotas]\nquota_port = -1\n', db.url);
    net = (await api.req('POST', '/v2.0/networks', { network: { name: 'bulk' } })).body.network.id;
    const r = await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.0.0.0/16', enable_dhcp: false } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });
  after(async () => {
    await api?.close();
    await db?.drop();
  });

  it(`an error on the last of ${N} ports creates none of them`, async () => {
    const ports: Record<string, unknown>[] = Array.from({ length: N }, (_, i) => ({ network_id: net, name: `p${i}` }));
    ports[N - 1].fixed_ips = [{ ip_address: '192.0.2.1' }]; // not on the network: fails in the last slice
    const r = await api.req('POST', '/v2.0/ports', { ports });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.NeutronError.type, 'InvalidIpForNetwork');
    assert.equal(await portCount(), 0);
    // the addresses the earlier items took went back: the next port gets the subnet's first one
    const one = await api.req('POST', '/v2.0/ports', { port: { network_id: net } });
    assert.equal(one.status, 201);
    assert.equal(one.body.port.fixed_ips[0].ip_address, '10.0.0.2'); // .1 is the gateway
    assert.equal((await api.req('DELETE', `/v2.0/ports/${one.body.port.id}`)).status, 204);
  });

  it('other requests are served while it runs and see none of its ports before it commits', async () => {
    let done = false;
    const bulk = api.req('POST', '/v2.0/ports', { ports: Array.from({ length: N }, (_, i) => ({ network_id: net, name: `q${i}` })) })
      .finally(() => { done = true; });
    const seen: number[] = [];
    let whileRunning = 0;
    while (!done) {
      const n = await portCount();
      if (done) break;
      whileRunning++;
      seen.push(n);
      // committed, the answer is on its way: reading 10,000 ports over and over only slows it down
      if (n === N) break;
    }
    const r = await bulk;
    assert.equal(r.status, 201, JSON.stringify(r.body).slice(0, 500));
    assert.equal(r.body.ports.length, N);
    assert.equal(new Set(r.body.ports.map((p: { fixed_ips: { ip_address: string }[] }) => p.fixed_ips[0].ip_address)).size, N);
    assert.ok(whileRunning >= 2, `reads answered during the bulk: ${whileRunning}`);
    // before the commit nothing, after it everything: never a part
    assert.ok(seen.every((n) => n === 0 || n === N), `counts seen during the bulk: ${[...new Set(seen)].join(', ')}`);
    assert.equal(await portCount(), N);
  });
});
