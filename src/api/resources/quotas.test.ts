// Quotas API (quotas, quota_details, quota-check-limit) and availability zones:
// views and errors as Zed answered (error-samples rows 176-186, 'quota (demo)').
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from '../../../test/support/api.ts';

const err = (r: { status: number; body: any }, status: number, type: string, message: string) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.NeutronError.type, type);
  assert.equal(r.body.NeutronError.message, message);
};

describe('quotas API', () => {
  let api: Api;
  const demo = () => api.as('demo');
  before(async () => { api = await startApi(); });
  after(async () => { await api?.close(); });

  it('shows defaults for a project, sorted, as Zed (quota (demo))', async () => {
    const r = await demo()('GET', '/v2.0/quotas/demo');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { quota: {
      floatingip: 50, network: 100, port: 500, rbac_policy: 10, router: 10, security_group: 10, security_group_rule: 100, subnet: 100, subnetpool: -1,
    } });
    assert.deepEqual(Object.keys(r.body.quota), Object.keys(r.body.quota).sort());
    assert.deepEqual((await demo()('GET', '/v2.0/quotas/demo/default')).body, r.body);
  });

  it('refuses members what Zed refused (rows 176-179)', async () => {
    err(await demo()('PUT', '/v2.0/quotas/demo', { quota: { network: 5 } }), 403, 'PolicyNotAuthorized', 'rule:update_quota is disallowed by policy');
    err(await demo()('GET', '/v2.0/quotas/demo2'), 403, 'PolicyNotAuthorized', 'rule:get_quota is disallowed by policy');
    err(await demo()('GET', '/v2.0/quotas/demo2/details'), 403, 'PolicyNotAuthorized', 'rule:get_quota is disallowed by policy');
    err(await demo()('GET', '/v2.0/quotas'), 403, 'PolicyNotAuthorized', 'rule:get_quota is disallowed by policy');
    err(await demo()('DELETE', '/v2.0/quotas/demo'), 403, 'PolicyNotAuthorized', 'rule:delete_quota is disallowed by policy');
  });

  it('validates PUT bodies (rows 180-182)', async () => {
    err(await api.req('PUT', '/v2.0/quotas/demo2', { quota: { network: 'abc' } }), 400, 'InvalidInput', "Invalid input for operation: 'abc' is not an integer.");
    err(await api.req('PUT', '/v2.0/quotas/demo2', { quota: { network: -5 } }), 400, 'HTTPBadRequest', "Invalid input for network. Reason: '-5' is too small - must be at least '-1'.");
    err(await api.req('PUT', '/v2.0/quotas/demo2', { quota: { bogus: 1 } }), 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'bogus'");
    err(await api.req('POST', '/v2.0/quotas', { quota: {} }), 501, 'HTTPNotImplemented', 'POST requests are not supported on this resource.');
  });

  it('sets, lists, details, check_limit and resets', async () => {
    const net = await api.as('qp')('POST', '/v2.0/networks', { network: { name: 'n' } });
    assert.equal(net.status, 201);
    const put = await api.req('PUT', '/v2.0/quotas/qp', { quota: { network: 1, port: '7' } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.quota.network, 1);
    assert.equal(put.body.quota.port, 7);
    err(await api.as('qp')('POST', '/v2.0/networks', { network: { name: 'n2' } }), 409, 'OverQuota', "Quota exceeded for resources: ['network'].");
    // Row 186: check_limit refuses a limit below usage.
    err(await api.req('PUT', '/v2.0/quotas/qp', { quota: { network: 0, check_limit: true } }), 400, 'HTTPBadRequest',
      'Quota limit 0 for network must be greater than or equal to already used 1');
    assert.equal((await api.req('PUT', '/v2.0/quotas/qp', { quota: { network: -1, check_limit: true } })).status, 200);
    const details = await api.as('qp')('GET', '/v2.0/quotas/qp/details.json');
    assert.equal(details.status, 200);
    assert.deepEqual(details.body.quota.network, { limit: -1, used: 1, reserved: 0 });
    assert.deepEqual(details.body.quota.rbac_policy, { limit: 10, used: 0, reserved: 0 });
    const list = await api.req('GET', '/v2.0/quotas');
    const entry = list.body.quotas.find((q: any) => q.project_id === 'qp');
    assert.equal(entry.tenant_id, 'qp');
    assert.equal(entry.port, 7);
    assert.equal(entry.subnet, 100);
    assert.deepEqual((await api.as('qp')('GET', '/v2.0/quotas/project')).body, { project: { project_id: 'qp' } });
    assert.equal((await api.req('DELETE', '/v2.0/quotas/qp')).status, 204);
    assert.equal((await api.req('GET', '/v2.0/quotas/qp')).body.quota.network, 100);
    err(await api.req('DELETE', '/v2.0/quotas/qp'), 404, 'TenantQuotaNotFound', 'Quota for tenant qp could not be found.');
  });

  it('lifts the limits of the admin project for the bench', async () => {
    const r = await api.req('PUT', '/v2.0/quotas/admin', { quota: { network: -1, subnet: -1, port: -1 } });
    assert.equal(r.status, 200);
    assert.equal(r.body.quota.port, -1);
  });
});

describe('availability zones', () => {
  let api: Api;
  before(async () => { api = await startApi(); });
  after(async () => { await api?.close(); });

  it('lists nova for networks and routers, with filters and fields', async () => {
    const r = await api.as('demo')('GET', '/v2.0/availability_zones');
    assert.deepEqual(r.body, { availability_zones: [
      { name: 'nova', resource: 'network', state: 'available' }, { name: 'nova', resource: 'router', state: 'available' },
    ] });
    assert.deepEqual((await api.req('GET', '/v2.0/availability_zones?resource=router&fields=name')).body, { availability_zones: [{ name: 'nova' }] });
    err(await api.req('GET', '/v2.0/availability_zones?bogus=1'), 400, 'HTTPBadRequest', "['bogus'] is invalid attribute for filtering");
  });

  it('validates network availability_zone_hints', async () => {
    const ok = await api.req('POST', '/v2.0/networks', { network: { name: 'az', availability_zone_hints: ['nova'] } });
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.body.network.availability_zone_hints, ['nova']);
    err(await api.req('POST', '/v2.0/networks', { network: { availability_zone_hints: ['zone9'] } }), 404, 'AvailabilityZoneNotFound',
      'AvailabilityZone zone9 could not be found.');
    err(await api.req('POST', '/v2.0/networks', { network: { availability_zone_hints: ['nova', 'nova'] } }), 400, 'HTTPBadRequest',
      "Invalid input for availability_zone_hints. Reason: Duplicate items in the list: 'nova'.");
  });
});
