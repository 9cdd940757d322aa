// RBAC policies and RBAC-derived network visibility on SQLite, MariaDB and PostgreSQL:
// a project sees a network shared with it (not one shared with another), external
// networks are visible to all, un-sharing in use is refused, wildcard is admin-only.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../support/test-db.ts';
import { startApi, type Api } from '../support/api.ts';

const ML2 = '[ml2]\ntype_drivers = flat,vxlan\ntenant_network_types = vxlan\n[ml2_type_flat]\nflat_networks = public\n[ml2_type_vxlan]\nvni_ranges = 1:1000\n';

const err = (r: { status: number; body: any }, status: number, type: string, message?: string | RegExp) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.NeutronError.type, type);
  if (typeof message === 'string') assert.equal(r.body.NeutronError.message, message);
  else if (message) assert.match(r.body.NeutronError.message, message);
};

for (const kind of TEST_DB_KINDS) {
  describe(`RBAC on ${kind}`, { skip: dbSkipReason(kind) }, () => {
    let db: TestDatabase;
    let api: Api;
    const a = () => api.as('proj-a');
    const b = () => api.as('proj-b');
    const c = () => api.as('proj-c');
    const ids = (r: { body: any }) => r.body.networks.map((n: any) => n.id).sort();
    before(async () => {
      db = await freshDatabase(kind, 'rbac');
      api = await startApi(ML2, db.url);
    });
    after(async () => {
      await api?.close();
      await db?.drop();
    });

    it('shares a network with one project, not another', async () => {
      const net = (await a()('POST', '/v2.0/networks', { network: { name: 'a-net' } })).body.network;
      const rev = net.revision_number;
      const pol = await a()('POST', '/v2.0/rbac-policies', { rbac_policy: {
        object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: 'proj-b',
      } });
      assert.equal(pol.status, 201, JSON.stringify(pol.body));
      assert.deepEqual(pol.body.rbac_policy, {
        id: pol.body.rbac_policy.id, project_id: 'proj-a', tenant_id: 'proj-a', target_tenant: 'proj-b',
        action: 'access_as_shared', object_id: net.id, object_type: 'network',
      });
      // The entry bumps the network's revision; `shared` is per caller.
      const asA = await a()('GET', `/v2.0/networks/${net.id}`);
      assert.equal(asA.body.network.revision_number, rev + 1);
      assert.equal(asA.body.network.shared, false);
      const asB = await b()('GET', `/v2.0/networks/${net.id}`);
      assert.equal(asB.status, 200);
      assert.equal(asB.body.network.shared, true);
      assert.ok(ids(await b()('GET', '/v2.0/networks')).includes(net.id));
      err(await c()('GET', `/v2.0/networks/${net.id}`), 404, 'NetworkNotFound');
      assert.ok(!ids(await c()('GET', '/v2.0/networks')).includes(net.id));
      // B can use it: a subnet and a port; C cannot.
      const sub = await a()('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.5.0.0/24' } });
      assert.equal(sub.status, 201);
      assert.equal((await b()('GET', `/v2.0/subnets/${sub.body.subnet.id}`)).status, 200);
      assert.ok((await b()('GET', '/v2.0/subnets')).body.subnets.some((s: any) => s.id === sub.body.subnet.id));
      err(await c()('GET', `/v2.0/subnets/${sub.body.subnet.id}`), 404, 'SubnetNotFound');
      const port = await b()('POST', '/v2.0/ports', { port: { network_id: net.id } });
      assert.equal(port.status, 201, JSON.stringify(port.body));
      err(await c()('POST', '/v2.0/ports', { port: { network_id: net.id } }), 404, 'NetworkNotFound');
      // B's port depends on the entry.
      err(await a()('DELETE', `/v2.0/rbac-policies/${pol.body.rbac_policy.id}`), 409, 'RbacPolicyInUse',
        `RBAC policy on object ${net.id} cannot be removed because other objects depend on it.\nDetails: Unable to reconfigure sharing settings for network ${net.id}. Multiple tenants are using it.`);
      err(await a()('PUT', `/v2.0/rbac-policies/${pol.body.rbac_policy.id}`, { rbac_policy: { target_tenant: 'proj-c' } }), 409, 'RbacPolicyInUse');
      // Entries are their owner's: others get a 404.
      err(await b()('GET', `/v2.0/rbac-policies/${pol.body.rbac_policy.id}`), 404, 'RbacPolicyNotFound',
        `RBAC policy of type unknown with ID ${pol.body.rbac_policy.id} not found`);
      err(await b()('DELETE', `/v2.0/rbac-policies/${pol.body.rbac_policy.id}`), 404, 'RbacPolicyNotFound');
      assert.deepEqual((await b()('GET', '/v2.0/rbac-policies')).body, { rbac_policies: [] });
      assert.equal((await b()('DELETE', `/v2.0/ports/${port.body.port.id}`)).status, 204);
      assert.equal((await a()('DELETE', `/v2.0/rbac-policies/${pol.body.rbac_policy.id}`)).status, 204);
      err(await b()('GET', `/v2.0/networks/${net.id}`), 404, 'NetworkNotFound');
    });

    it('shared=True is the wildcard entry; un-sharing in use is refused', async () => {
      const net = (await api.req('POST', '/v2.0/networks', { network: { name: 'pub-shared', shared: true } })).body.network;
      const entries = (await api.req('GET', `/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies;
      assert.deepEqual(entries.map((e: any) => [e.action, e.target_tenant, e.project_id]), [['access_as_shared', '*', net.project_id]]);
      assert.equal((await c()('GET', `/v2.0/networks/${net.id}`)).body.network.shared, true);
      assert.ok(ids(await c()('GET', '/v2.0/networks?shared=True')).includes(net.id));
      const port = await c()('POST', '/v2.0/ports', { port: { network_id: net.id } });
      assert.equal(port.status, 201);
      err(await api.req('PUT', `/v2.0/networks/${net.id}`, { network: { shared: false } }), 409, 'InvalidSharedSetting',
        'Unable to reconfigure sharing settings for network pub-shared. Multiple tenants are using it.');
      err(await api.req('DELETE', `/v2.0/rbac-policies/${entries[0].id}`), 409, 'RbacPolicyInUse');
      // With an entry of its own, C keeps access: un-sharing is then allowed.
      assert.equal((await api.req('POST', '/v2.0/rbac-policies', { rbac_policy: {
        object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: 'proj-c',
      } })).status, 201);
      const unshared = await api.req('PUT', `/v2.0/networks/${net.id}`, { network: { shared: false } });
      assert.equal(unshared.status, 200, JSON.stringify(unshared.body));
      assert.equal(unshared.body.network.shared, false);
      assert.equal((await c()('GET', `/v2.0/networks/${net.id}`)).body.network.shared, true);
      err(await b()('GET', `/v2.0/networks/${net.id}`), 404, 'NetworkNotFound');
      assert.ok(!ids(await api.req('GET', '/v2.0/networks?shared=True')).includes(net.id));
      // Deleting the network removes its entries.
      await c()('DELETE', `/v2.0/ports/${port.body.port.id}`);
      assert.equal((await api.req('DELETE', `/v2.0/networks/${net.id}`)).status, 204);
      assert.deepEqual((await api.req('GET', `/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies, []);
    });

    it('external networks are visible to all through their access_as_external entry', async () => {
      const ext = (await api.req('POST', '/v2.0/networks', { network: { name: 'ext', 'router:external': true } })).body.network;
      const asB = await b()('GET', `/v2.0/networks/${ext.id}`);
      assert.equal(asB.status, 200);
      assert.equal(asB.body.network['router:external'], true);
      assert.equal(asB.body.network.shared, false);
      const entries = (await api.req('GET', `/v2.0/rbac-policies?object_id=${ext.id}`)).body.rbac_policies;
      assert.deepEqual(entries.map((e: any) => [e.action, e.target_tenant]), [['access_as_external', '*']]);
      // Made external for one project only: the others lose sight of it.
      assert.equal((await api.req('DELETE', `/v2.0/rbac-policies/${entries[0].id}`)).status, 204);
      assert.equal((await api.req('POST', '/v2.0/rbac-policies', { rbac_policy: {
        object_type: 'network', object_id: ext.id, action: 'access_as_external', target_tenant: 'proj-b',
      } })).status, 201);
      assert.equal((await b()('GET', `/v2.0/networks/${ext.id}`)).status, 200);
      err(await c()('GET', `/v2.0/networks/${ext.id}`), 404, 'NetworkNotFound');
      // router:external=False drops every external entry.
      assert.equal((await api.req('PUT', `/v2.0/networks/${ext.id}`, { network: { 'router:external': false } })).status, 200);
      assert.deepEqual((await api.req('GET', `/v2.0/rbac-policies?object_id=${ext.id}`)).body.rbac_policies, []);
      err(await b()('GET', `/v2.0/networks/${ext.id}`), 404, 'NetworkNotFound');
    });

    it('answers Neutron errors for bad entries', async () => {
      const net = (await a()('POST', '/v2.0/networks', { network: { name: 'a2' } })).body.network;
      const body = (over: Record<string, unknown>) => ({ rbac_policy: { object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: 'proj-b', ...over } });
      err(await a()('POST', '/v2.0/rbac-policies', body({ target_tenant: '*' })), 403, 'PolicyNotAuthorized',
        // object_type / object_id are enforce_policy too (their undefined rules fall back to `default`).
        '(((rule:create_rbac_policy and rule:create_rbac_policy:object_type) and rule:create_rbac_policy:object_id) and rule:create_rbac_policy:target_tenant) is disallowed by policy');
      err(await a()('POST', '/v2.0/rbac-policies', body({ object_type: 'bogus' })), 400, 'InvalidInput',
        "Invalid input for operation: 'bogus' is not a valid RBAC object type.");
      err(await a()('POST', '/v2.0/rbac-policies', body({ action: 'access_as_owner' })), 400, 'InvalidActionForType',
        "Invalid action 'access_as_owner' for object type 'network'. Valid actions: ('access_as_shared', 'access_as_external')");
      // Another project's network: hidden, reported by the BEFORE_CREATE callback as InvalidInput.
      err(await b()('POST', '/v2.0/rbac-policies', body({})), 400, 'InvalidInput', new RegExp(`Network ${net.id} could not be found`));
      const ok = await a()('POST', '/v2.0/rbac-policies', body({}));
      assert.equal(ok.status, 201);
      err(await a()('POST', '/v2.0/rbac-policies', body({})), 409, 'DuplicateRbacPolicy', 'An RBAC policy already exists with those values.');
      err(await a()('PUT', `/v2.0/rbac-policies/${ok.body.rbac_policy.id}`, { rbac_policy: { target_tenant: '*' } }), 403, 'PolicyNotAuthorized',
        '(rule:update_rbac_policy and rule:update_rbac_policy:target_tenant) is disallowed by policy');
      err(await a()('POST', '/v2.0/rbac-policies', body({ object_type: 'security_group', object_id: '00000000-0000-0000-0000-000000000001' })),
        400, 'InvalidInput', /Security group 00000000-0000-0000-0000-000000000001 does not exist/);
      err(await a()('POST', '/v2.0/rbac-policies', body({ object_type: 'subnetpool', object_id: '00000000-0000-0000-0000-000000000001' })),
        400, 'InvalidInput', /Subnet pool 00000000-0000-0000-0000-000000000001 could not be found/);
      const moved = await a()('PUT', `/v2.0/rbac-policies/${ok.body.rbac_policy.id}`, { rbac_policy: { target_tenant: 'proj-c' } });
      assert.equal(moved.status, 200);
      assert.equal(moved.body.rbac_policy.target_tenant, 'proj-c');
      assert.equal((await c()('GET', `/v2.0/networks/${net.id}`)).status, 200);
      err(await b()('GET', `/v2.0/networks/${net.id}`), 404, 'NetworkNotFound');
    });

    it('counts entries against the rbac_policy quota', async () => {
      await api.req('PUT', '/v2.0/quotas/proj-q', { quota: { rbac_policy: 1 } });
      const n1 = (await api.as('proj-q')('POST', '/v2.0/networks', { network: {} })).body.network;
      const mk = (t: string) => api.as('proj-q')('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: n1.id, action: 'access_as_shared', target_tenant: t } });
      assert.equal((await mk('x1')).status, 201);
      err(await mk('x2'), 409, 'OverQuota', "Quota exceeded for resources: ['rbac_policy'].");
      assert.deepEqual((await api.as('proj-q')('GET', '/v2.0/quotas/proj-q/details')).body.quota.rbac_policy, { limit: 1, used: 1, reserved: 0 });
    });
  });
}
