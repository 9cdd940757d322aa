// The default external network and the access_as_external entries, as Zed's
// auto_allocate and external_net_db rules answer: is_default is stored and shown,
// one default at a time, its wildcard entry cannot go, and removing the last
// access_as_external entry makes the network internal again. On every backend.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../../test/support/test-db.ts';
import { startApi, type Api } from '../../../test/support/api.ts';

const err = (r: { status: number; body: any }, status: number, type: string, message: string) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.NeutronError.type, type);
  assert.equal(r.body.NeutronError.message, message);
};

for (const kind of TEST_DB_KINDS) {
  describe(`default external network on ${kind}`, { skip: dbSkipReason(kind) }, () => {
    let db: TestDatabase;
    let api: Api;
    before(async () => {
      db = await freshDatabase(kind, 'defext');
      api = await startApi('', db.url);
    });
    after(async () => {
      await api?.close();
      await db?.drop();
    });
    const ext = async (name: string, extra: Record<string, unknown> = {}) => api.req('POST', '/v2.0/networks', { network: { name, 'router:external': true, ...extra } });
    const externalEntries = async (net: string) =>
      (await api.req('GET', `/v2.0/rbac-policies?object_id=${net}&action=access_as_external`)).body.rbac_policies as any[];

    let a: string;
    it('stores and shows is_default, one default network at a time', async () => {
      a = (await ext('a')).body.network.id;
      const u = await api.req('PUT', `/v2.0/networks/${a}`, { network: { is_default: true } });
      assert.equal(u.status, 200, JSON.stringify(u.body));
      assert.equal(u.body.network.is_default, true);
      assert.equal((await api.req('GET', `/v2.0/networks/${a}`)).body.network.is_default, true);
      err(await ext('b', { is_default: true }), 409, 'DefaultExternalNetworkExists', `A default external network already exists: ${a}.`);
      const b = (await ext('b')).body.network;
      assert.equal(b.is_default, false);
      err(await api.req('PUT', `/v2.0/networks/${b.id}`, { network: { is_default: true } }), 409, 'DefaultExternalNetworkExists', `A default external network already exists: ${a}.`);
      assert.equal((await api.req('PUT', `/v2.0/networks/${a}`, { network: { is_default: true } })).status, 200);
    });

    it("refuses to delete the default network's wildcard access_as_external entry", async () => {
      const [wild] = (await externalEntries(a)).filter((p) => p.target_tenant === '*');
      err(await api.req('DELETE', `/v2.0/rbac-policies/${wild.id}`), 409, 'RbacPolicyInUse',
        `RBAC policy on object ${a} cannot be removed because other objects depend on it.\nDetails: Default external networks must be shared to everyone.`);
      err(await api.req('PUT', `/v2.0/rbac-policies/${wild.id}`, { rbac_policy: { target_tenant: 'some-project' } }), 409, 'RbacPolicyInUse',
        `RBAC policy on object ${a} cannot be removed because other objects depend on it.\nDetails: Default external networks must be shared to everyone.`);
      assert.equal((await api.req('GET', `/v2.0/networks/${a}`)).body.network['router:external'], true);
    });

    it('makes the network internal when its last access_as_external entry goes', async () => {
      assert.equal((await api.req('PUT', `/v2.0/networks/${a}`, { network: { is_default: false } })).body.network.is_default, false);
      const extra = await api.req('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: a, action: 'access_as_external', target_tenant: 'proj-x' } });
      assert.equal(extra.status, 201, JSON.stringify(extra.body));
      const [wild] = (await externalEntries(a)).filter((p) => p.target_tenant === '*');
      assert.equal((await api.req('DELETE', `/v2.0/rbac-policies/${wild.id}`)).status, 204);
      assert.equal((await api.req('GET', `/v2.0/networks/${a}`)).body.network['router:external'], true);
      assert.equal((await api.req('DELETE', `/v2.0/rbac-policies/${extra.body.rbac_policy.id}`)).status, 204);
      const n = (await api.req('GET', `/v2.0/networks/${a}`)).body.network;
      assert.equal(n['router:external'], false);
      assert.equal('is_default' in n, false);
      assert.deepEqual((await api.req('GET', `/v2.0/networks?router:external=false&id=${a}`)).body.networks.map((x: any) => x.id), [a]);
    });

    it('drops is_default with router:external and does not bring it back', async () => {
      const c = (await ext('c', { is_default: true })).body.network;
      assert.equal(c.is_default, true);
      assert.equal((await api.req('PUT', `/v2.0/networks/${c.id}`, { network: { 'router:external': false } })).status, 200);
      const back = await api.req('PUT', `/v2.0/networks/${c.id}`, { network: { 'router:external': true } });
      assert.equal(back.body.network.is_default, false);
      // no default left: another network may take it
      assert.equal((await ext('d', { is_default: true })).status, 201);
    });
  });
}
