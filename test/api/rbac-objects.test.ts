// RBAC for security groups, subnet pools, address scopes and address groups on SQLite,
// MariaDB and PostgreSQL: a project sees (and uses) what is shared with it, `shared` is
// per caller, another project sees nothing, withdrawing access in use is refused,
// shared=True on create/update is the wildcard entry.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../support/test-db.ts';
import { startApi, type Api } from '../support/api.ts';

const ML2 = '[ml2]\ntype_drivers = flat,vxlan\ntenant_network_types = vxlan\n[ml2_type_vxlan]\nvni_ranges = 1:1000\n';

const err = (r: { status: number; body: any }, status: number, type: string, message?: string | RegExp) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.NeutronError.type, type);
  if (typeof message === 'string') assert.equal(r.body.NeutronError.message, message);
  else if (message) assert.match(r.body.NeutronError.message, message);
};
const inUse = (id: string) => new RegExp(`^RBAC policy on object ${id} cannot be removed because other objects depend on it\\.\\nDetails: `);

for (const kind of TEST_DB_KINDS) {
  describe(`RBAC for security groups, pools, scopes, address groups on ${kind}`, { skip: dbSkipReason(kind) }, () => {
    let db: TestDatabase;
    let api: Api;
    const a = () => api.as('proj-a');
    const b = () => api.as('proj-b');
    const c = () => api.as('proj-c');
    const share = (who: ReturnType<typeof a>, type: string, id: string, target: string) =>
      who('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: type, object_id: id, action: 'access_as_shared', target_tenant: target } });
    before(async () => {
      db = await freshDatabase(kind, 'rbacobj');
      api = await startApi(ML2, db.url);
    });
    after(async () => {
      await api?.close();
      await db?.drop();
    });

    it('security group: seen, shared and usable by the target project only; in use cannot be withdrawn', async () => {
      const g = (await a()('POST', '/v2.0/security-groups', { security_group: { name: 'web' } })).body.security_group;
      assert.equal(g.shared, false);
      err(await b()('GET', `/v2.0/security-groups/${g.id}`), 404, 'SecurityGroupNotFound', `Security group ${g.id} does not exist`);
      const pol = await share(a(), 'security_group', g.id, 'proj-b');
      assert.equal(pol.status, 201, JSON.stringify(pol.body));
      const asB = await b()('GET', `/v2.0/security-groups/${g.id}`);
      assert.equal(asB.status, 200);
      assert.equal(asB.body.security_group.shared, true);
      assert.equal((await a()('GET', `/v2.0/security-groups/${g.id}`)).body.security_group.shared, false);
      assert.ok((await b()('GET', '/v2.0/security-groups')).body.security_groups.some((x: any) => x.id === g.id));
      assert.deepEqual((await b()('GET', '/v2.0/security-groups?shared=True')).body.security_groups.map((x: any) => x.id), [g.id]);
      assert.ok(!(await b()('GET', '/v2.0/security-groups?shared=False')).body.security_groups.some((x: any) => x.id === g.id));
      err(await c()('GET', `/v2.0/security-groups/${g.id}`), 404, 'SecurityGroupNotFound');
      assert.ok(!(await c()('GET', '/v2.0/security-groups')).body.security_groups.some((x: any) => x.id === g.id));
      // The sharee may read, not write.
      err(await b()('PUT', `/v2.0/security-groups/${g.id}`, { security_group: { name: 'x' } }), 403, 'PolicyNotAuthorized', 'rule:update_security_group is disallowed by policy');
      err(await b()('DELETE', `/v2.0/security-groups/${g.id}`), 403, 'PolicyNotAuthorized', 'rule:delete_security_group is disallowed by policy');
      err(await c()('DELETE', `/v2.0/security-groups/${g.id}`), 404, 'SecurityGroupNotFound');
      // B's own network, a port in the shared group; C may not use it.
      const netB = (await b()('POST', '/v2.0/networks', { network: { name: 'nb' } })).body.network.id;
      const portB = await b()('POST', '/v2.0/ports', { port: { network_id: netB, security_groups: [g.id] } });
      assert.equal(portB.status, 201, JSON.stringify(portB.body));
      assert.deepEqual(portB.body.port.security_groups, [g.id]);
      const netC = (await c()('POST', '/v2.0/networks', { network: { name: 'nc' } })).body.network.id;
      err(await c()('POST', '/v2.0/ports', { port: { network_id: netC, security_groups: [g.id] } }), 404, 'SecurityGroupNotFound', `Security group ${g.id} does not exist`);
      // B's port depends on the entry.
      err(await a()('DELETE', `/v2.0/rbac-policies/${pol.body.rbac_policy.id}`), 409, 'RbacPolicyInUse', inUse(g.id));
      assert.equal((await b()('DELETE', `/v2.0/ports/${portB.body.port.id}`)).status, 204);
      assert.equal((await a()('DELETE', `/v2.0/rbac-policies/${pol.body.rbac_policy.id}`)).status, 204);
      err(await b()('GET', `/v2.0/security-groups/${g.id}`), 404, 'SecurityGroupNotFound');
      // Shared with everyone (admin only): everybody sees shared=true; deleting the group removes its entries.
      assert.equal((await share(api.req, 'security_group', g.id, '*')).status, 201);
      assert.equal((await c()('GET', `/v2.0/security-groups/${g.id}`)).body.security_group.shared, true);
      assert.equal((await a()('GET', `/v2.0/security-groups/${g.id}`)).body.security_group.shared, true);
      assert.equal((await a()('DELETE', `/v2.0/security-groups/${g.id}`)).status, 204);
      assert.deepEqual((await api.req('GET', `/v2.0/rbac-policies?object_id=${g.id}`)).body.rbac_policies, []);
    });

    it('subnet pool: shared by entry and by shared=True; subnets from it pin the entry', async () => {
      const pool = (await a()('POST', '/v2.0/subnetpools', { subnetpool: { name: 'pa', prefixes: ['10.80.0.0/16'], default_prefixlen: 24 } })).body.subnetpool;
      err(await b()('GET', `/v2.0/subnetpools/${pool.id}`), 404, 'SubnetPoolNotFound');
      const pol = await share(a(), 'subnetpool', pool.id, 'proj-b');
      assert.equal(pol.status, 201, JSON.stringify(pol.body));
      const asB = await b()('GET', `/v2.0/subnetpools/${pool.id}`);
      assert.equal(asB.status, 200);
      assert.equal(asB.body.subnetpool.shared, true);
      assert.equal((await a()('GET', `/v2.0/subnetpools/${pool.id}`)).body.subnetpool.shared, false);
      assert.ok((await b()('GET', '/v2.0/subnetpools')).body.subnetpools.some((p: any) => p.id === pool.id));
      assert.ok(!(await c()('GET', '/v2.0/subnetpools')).body.subnetpools.some((p: any) => p.id === pool.id));
      const netB = (await b()('POST', '/v2.0/networks', { network: { name: 'nb-pool' } })).body.network.id;
      const sub = await b()('POST', '/v2.0/subnets', { subnet: { network_id: netB, ip_version: 4, subnetpool_id: pool.id } });
      assert.equal(sub.status, 201, JSON.stringify(sub.body));
      assert.equal(sub.body.subnet.cidr, '10.80.0.0/24');
      const netC = (await c()('POST', '/v2.0/networks', { network: { name: 'nc-pool' } })).body.network.id;
      err(await c()('POST', '/v2.0/subnets', { subnet: { network_id: netC, ip_version: 4, subnetpool_id: pool.id } }), 404, 'SubnetPoolNotFound');
      err(await a()('DELETE', `/v2.0/rbac-policies/${pol.body.rbac_policy.id}`), 409, 'RbacPolicyInUse', inUse(pool.id));
      assert.equal((await b()('DELETE', `/v2.0/subnets/${sub.body.subnet.id}`)).status, 204);
      assert.equal((await a()('DELETE', `/v2.0/rbac-policies/${pol.body.rbac_policy.id}`)).status, 204);
      err(await b()('GET', `/v2.0/subnetpools/${pool.id}`), 404, 'SubnetPoolNotFound');

      const pub = (await api.req('POST', '/v2.0/subnetpools', { subnetpool: { name: 'pub', prefixes: ['10.90.0.0/16'], shared: true } })).body.subnetpool;
      assert.equal(pub.shared, true);
      const entries = (await api.req('GET', `/v2.0/rbac-policies?object_id=${pub.id}`)).body.rbac_policies;
      assert.deepEqual(entries.map((e: any) => [e.object_type, e.action, e.target_tenant]), [['subnetpool', 'access_as_shared', '*']]);
      assert.equal((await c()('GET', `/v2.0/subnetpools/${pub.id}`)).body.subnetpool.shared, true);
      assert.equal((await api.req('DELETE', `/v2.0/rbac-policies/${entries[0].id}`)).status, 204);
      const after = await api.req('GET', `/v2.0/subnetpools/${pub.id}`);
      assert.equal(after.body.subnetpool.shared, false);
      err(await c()('GET', `/v2.0/subnetpools/${pub.id}`), 404, 'SubnetPoolNotFound');
    });

    it('address scope: shared by entry and by shared=True on update; pools in it pin the entry', async () => {
      const scope = (await a()('POST', '/v2.0/address-scopes', { address_scope: { name: 'sa', ip_version: 4 } })).body.address_scope;
      err(await b()('GET', `/v2.0/address-scopes/${scope.id}`), 404, 'AddressScopeNotFound');
      const pol = await share(a(), 'address_scope', scope.id, 'proj-b');
      assert.equal(pol.status, 201, JSON.stringify(pol.body));
      const asB = await b()('GET', `/v2.0/address-scopes/${scope.id}`);
      assert.equal(asB.status, 200);
      assert.equal(asB.body.address_scope.shared, true);
      assert.equal((await a()('GET', `/v2.0/address-scopes/${scope.id}`)).body.address_scope.shared, false);
      assert.ok((await b()('GET', '/v2.0/address-scopes')).body.address_scopes.some((s: any) => s.id === scope.id));
      err(await c()('GET', `/v2.0/address-scopes/${scope.id}`), 404, 'AddressScopeNotFound');
      const poolB = await b()('POST', '/v2.0/subnetpools', { subnetpool: { name: 'pb', prefixes: ['10.70.0.0/16'], address_scope_id: scope.id } });
      assert.equal(poolB.status, 201, JSON.stringify(poolB.body));
      err(await c()('POST', '/v2.0/subnetpools', { subnetpool: { name: 'pc', prefixes: ['10.71.0.0/16'], address_scope_id: scope.id } }), 404, 'AddressScopeNotFound');
      err(await a()('DELETE', `/v2.0/rbac-policies/${pol.body.rbac_policy.id}`), 409, 'RbacPolicyInUse', inUse(scope.id));
      assert.equal((await b()('DELETE', `/v2.0/subnetpools/${poolB.body.subnetpool.id}`)).status, 204);
      assert.equal((await a()('DELETE', `/v2.0/rbac-policies/${pol.body.rbac_policy.id}`)).status, 204);
      err(await b()('GET', `/v2.0/address-scopes/${scope.id}`), 404, 'AddressScopeNotFound');
      // Admin shares it with everyone through shared=True.
      const upd = await api.req('PUT', `/v2.0/address-scopes/${scope.id}`, { address_scope: { shared: true } });
      assert.equal(upd.status, 200, JSON.stringify(upd.body));
      assert.equal(upd.body.address_scope.shared, true);
      const entries = (await api.req('GET', `/v2.0/rbac-policies?object_id=${scope.id}`)).body.rbac_policies;
      assert.deepEqual(entries.map((e: any) => [e.object_type, e.target_tenant]), [['address_scope', '*']]);
      assert.equal((await c()('GET', `/v2.0/address-scopes/${scope.id}`)).body.address_scope.shared, true);
      assert.equal((await a()('DELETE', `/v2.0/address-scopes/${scope.id}`)).status, 204);
      assert.deepEqual((await api.req('GET', `/v2.0/rbac-policies?object_id=${scope.id}`)).body.rbac_policies, []);
    });

    it('address group: seen and usable as a remote by the target project only', async () => {
      const ag = (await a()('POST', '/v2.0/address-groups', { address_group: { name: 'ag', addresses: ['10.1.0.0/24'] } })).body.address_group;
      err(await b()('GET', `/v2.0/address-groups/${ag.id}`), 404, 'AddressGroupNotFound');
      const pol = await share(a(), 'address_group', ag.id, 'proj-b');
      assert.equal(pol.status, 201, JSON.stringify(pol.body));
      const asB = await b()('GET', `/v2.0/address-groups/${ag.id}`);
      assert.equal(asB.status, 200);
      assert.equal(asB.body.address_group.shared, true);
      assert.ok((await b()('GET', '/v2.0/address-groups')).body.address_groups.some((x: any) => x.id === ag.id));
      assert.equal((await a()('GET', `/v2.0/address-groups/${ag.id}`)).body.address_group.shared, false);
      err(await c()('GET', `/v2.0/address-groups/${ag.id}`), 404, 'AddressGroupNotFound');
      const gB = (await b()('POST', '/v2.0/security-groups', { security_group: { name: 'gb' } })).body.security_group.id;
      const rule = await b()('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: gB, direction: 'ingress', remote_address_group_id: ag.id } });
      assert.equal(rule.status, 201, JSON.stringify(rule.body));
      const gC = (await c()('POST', '/v2.0/security-groups', { security_group: { name: 'gc' } })).body.security_group.id;
      err(await c()('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: gC, direction: 'ingress', remote_address_group_id: ag.id } }),
        404, 'AddressGroupNotFound');
      err(await a()('DELETE', `/v2.0/rbac-policies/${pol.body.rbac_policy.id}`), 409, 'RbacPolicyInUse', inUse(ag.id));
      assert.equal((await b()('DELETE', `/v2.0/security-group-rules/${rule.body.security_group_rule.id}`)).status, 204);
      assert.equal((await a()('DELETE', `/v2.0/rbac-policies/${pol.body.rbac_policy.id}`)).status, 204);
      err(await b()('GET', `/v2.0/address-groups/${ag.id}`), 404, 'AddressGroupNotFound');
    });
  });
}
