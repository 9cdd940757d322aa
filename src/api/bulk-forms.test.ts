// Bulk create bodies in every form neutron.api.v2.base.prepare_request_body takes
// (bare or wrapped items, the collection winning over the singular) and its
// answers for the forms it refuses.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from '../../test/support/api.ts';

describe('bulk create bodies', () => {
  let api: Api;
  before(async () => { api = await startApi(); });
  after(async () => { await api.close(); });

  const bad = async (body: unknown, message: string) => {
    const r = await api.req('POST', '/v2.0/networks', body);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.NeutronError.type, 'HTTPBadRequest');
    assert.equal(r.body.NeutronError.message, message);
  };

  it('accepts items wrapped as {"network": {...}} beside bare ones', async () => {
    const r = await api.req('POST', '/v2.0/networks', { networks: [{ network: { name: 'wrapped' } }, { name: 'bare' }] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.networks.map((n: any) => n.name), ['wrapped', 'bare']);
  });

  it('takes the collection when the body names both it and the singular', async () => {
    const r = await api.req('POST', '/v2.0/networks', { networks: [{ name: 'from-bulk' }], network: { name: 'ignored' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.networks.map((n: any) => n.name), ['from-bulk']);
    assert.equal(r.body.network, undefined);
  });

  it('answers the other forms as Neutron does', async () => {
    await bad({ networks: [] }, 'Resources required');
    await bad({ networks: {} }, 'Resources required');
    await bad({ networks: null }, 'Resources required');
    await bad({ networks: 5 }, 'Body contains invalid data');
    await bad({ networks: ['x'] }, "Object 'network' contains invalid data");
    await bad({ networks: [[1]] }, "Object 'network' contains invalid data");
    await bad({ networks: [7] }, 'Body contains invalid data');
    await bad({ networks: [null] }, 'Body contains invalid data');
    await bad({ networks: [{ network: 'x' }] }, "Object 'network' contains invalid data");
    await bad({ networks: [{ network: null }] }, "Unable to find 'network' in request body");
    await bad({ networks: { a: 1 } }, "Object 'network' contains invalid data");
    // PUT goes through the same preparation with bulk off
    const n = (await api.req('POST', '/v2.0/networks', { network: { name: 'put-target' } })).body.network.id;
    const put = await api.req('PUT', `/v2.0/networks/${n}`, { networks: [{ name: 'y' }], network: { name: 'y' } });
    assert.equal(put.status, 400, JSON.stringify(put.body));
    assert.equal(put.body.NeutronError.message, 'Bulk operation not supported');
    const none = await api.req('GET', '/v2.0/networks?name=x');
    assert.deepEqual(none.body.networks, []);
  });
});
