// Address scopes API: CRUD, admin-only sharing, never unshared, visibility.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from '../../../test/support/api.ts';

const err = (r: { status: number; body: any }, status: number, type: string, message: string) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.NeutronError.type, type);
  assert.equal(r.body.NeutronError.message, message);
};

describe('address scopes API', () => {
  let api: Api;
  before(async () => { api = await startApi(''); });
  after(async () => { await api?.close(); });
  const demo = () => api.as('demo-project');
  const other = () => api.as('other-project');

  it('creates, shows, lists, updates and deletes', async () => {
    const r = await demo()('POST', '/v2.0/address-scopes', { address_scope: { name: 'scope1', ip_version: 6 } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const s = r.body.address_scope;
    assert.deepEqual(s, { id: s.id, name: 'scope1', tenant_id: 'demo-project', shared: false, ip_version: 6, project_id: 'demo-project' });
    assert.deepEqual((await demo()('GET', '/v2.0/address-scopes?ip_version=6')).body.address_scopes.map((x: any) => x.id), [s.id]);
    err(await other()('GET', `/v2.0/address-scopes/${s.id}`), 404, 'AddressScopeNotFound', `Address scope ${s.id} could not be found.`);
    err(await other()('DELETE', `/v2.0/address-scopes/${s.id}`), 404, 'AddressScopeNotFound', `Address scope ${s.id} could not be found.`);
    const u = await demo()('PUT', `/v2.0/address-scopes/${s.id}`, { address_scope: { name: 'renamed' } });
    assert.equal(u.body.address_scope.name, 'renamed');
    err(await demo()('PUT', `/v2.0/address-scopes/${s.id}`, { address_scope: { ip_version: 4 } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute ip_version');
    assert.equal((await demo()('DELETE', `/v2.0/address-scopes/${s.id}`)).status, 204);
    assert.equal((await demo()('GET', `/v2.0/address-scopes/${s.id}`)).status, 404);
  });

  it('refuses bad input and keeps sharing admin-only and one-way', async () => {
    err(await demo()('POST', '/v2.0/address-scopes', { address_scope: { name: 'x' } }),
      400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'ip_version' not specified");
    err(await demo()('POST', '/v2.0/address-scopes', { address_scope: { name: 'x', ip_version: 5 } }),
      400, 'HTTPBadRequest', 'Invalid input for ip_version. Reason: 5 is not in valid_values.');
    err(await demo()('POST', '/v2.0/address-scopes', { address_scope: { name: 'x', ip_version: 4, shared: true } }),
      403, 'PolicyNotAuthorized', '(rule:create_address_scope and rule:create_address_scope:shared) is disallowed by policy');
    const s = (await api.req('POST', '/v2.0/address-scopes', { address_scope: { name: 'pub', ip_version: 4, shared: true } })).body.address_scope;
    assert.equal((await other()('GET', `/v2.0/address-scopes/${s.id}`)).body.address_scope.shared, true);
    err(await api.req('PUT', `/v2.0/address-scopes/${s.id}`, { address_scope: { shared: false } }),
      400, 'AddressScopeUpdateError', `Unable to update address scope ${s.id} : Shared address scope can't be unshared.`);
    // a shared scope takes other projects' pools
    const p = await other()('POST', '/v2.0/subnetpools', { subnetpool: { name: 'op', prefixes: ['10.90.0.0/16'], address_scope_id: s.id } });
    assert.equal(p.status, 201, JSON.stringify(p.body));
  });
});
