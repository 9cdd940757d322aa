// Subnet pools API: CRUD with Neutron's messages, subnets from pools (by prefixlen,
// by cidr, default pool), exhaustion, "in use", prefix ops, and 20 clients carving
// /24s out of a /20 at once on every backend.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from '../../../test/support/api.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../../test/support/test-db.ts';

const err = (r: { status: number; body: any }, status: number, type: string, message: string) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.NeutronError.type, type);
  assert.equal(r.body.NeutronError.message, message);
};

for (const kind of TEST_DB_KINDS) describe(`subnet pools API [${kind}]`, { skip: dbSkipReason(kind) }, () => {
  let api: Api;
  let db: TestDatabase;
  const demo = () => api.as('demo-project');
  const other = () => api.as('other-project');
  const net = async (name: string, as = demo()) => {
    const r = await as('POST', '/v2.0/networks', { network: { name } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.network.id as string;
  };
  const pool = (body: Record<string, unknown>, as = demo()) => as('POST', '/v2.0/subnetpools', { subnetpool: { name: 'p', ...body } });

  before(async () => {
    db = await freshDatabase(kind, 'subnetpools');
    api = await startApi('', db.url);
  });
  after(async () => { await api?.close(); await db?.drop(); });

  it('20 concurrent clients get 16 distinct /24s from a /20, the rest SubnetAllocationError', async () => {
    const created = await pool({ prefixes: ['10.200.0.0/20'], default_prefixlen: 24 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const p = created.body.subnetpool;
    const nets: string[] = [];
    for (let i = 0; i < 20; i++) nets.push(await net(`conc-${i}`));
    const results = await Promise.all(nets.map((n) =>
      demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4, subnetpool_id: p.id } })));
    const ok = results.filter((r) => r.status === 201).map((r) => r.body.subnet.cidr as string);
    assert.equal(ok.length, 16, JSON.stringify(results.filter((r) => r.status !== 201).map((r) => r.body)));
    assert.equal(new Set(ok).size, 16);
    for (const cidr of ok) assert.match(cidr, /^10\.200\.([0-9]|1[0-5])\.0\/24$/);
    for (const r of results.filter((x) => x.status !== 201)) {
      err(r, 500, 'SubnetAllocationError', 'Failed to allocate subnet: Insufficient prefix space to allocate subnet size /24.');
    }
  });

  it('creates, shows, lists, updates and deletes a pool as Zed does', async () => {
    const r = await pool({ name: 'pool1', prefixes: ['10.10.1.0/24', '10.10.0.0/24', '10.10.0.128/25'], min_prefixlen: 24, max_prefixlen: 28, tags: ['a'] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const sp = r.body.subnetpool;
    assert.deepEqual(Object.keys(sp).sort(), [
      'address_scope_id', 'created_at', 'default_prefixlen', 'default_quota', 'description', 'id', 'ip_version', 'is_default', 'max_prefixlen',
      'min_prefixlen', 'name', 'prefixes', 'project_id', 'revision_number', 'shared', 'tags', 'tenant_id', 'updated_at',
    ]);
    assert.deepEqual(sp.prefixes, ['10.10.0.0/23']);
    assert.equal(sp.ip_version, 4);
    assert.equal(sp.default_prefixlen, '24');
    assert.equal(sp.min_prefixlen, '24');
    assert.equal(sp.max_prefixlen, '28');
    assert.equal(sp.default_quota, null);
    assert.equal(sp.shared, false);
    assert.equal(sp.is_default, false);
    assert.deepEqual(sp.tags, ['a']);
    assert.equal((await demo()('GET', `/v2.0/subnetpools/${sp.id}`)).body.subnetpool.name, 'pool1');
    assert.deepEqual((await demo()('GET', '/v2.0/subnetpools?name=pool1')).body.subnetpools.map((x: any) => x.id), [sp.id]);
    assert.equal((await other()('GET', `/v2.0/subnetpools/${sp.id}`)).status, 404);
    assert.deepEqual((await other()('GET', '/v2.0/subnetpools?name=pool1')).body.subnetpools, []);

    const u = await demo()('PUT', `/v2.0/subnetpools/${sp.id}`, { subnetpool: { prefixes: ['10.10.0.0/23', '10.10.4.0/24'], default_prefixlen: 26 } });
    assert.equal(u.status, 200, JSON.stringify(u.body));
    assert.deepEqual(u.body.subnetpool.prefixes, ['10.10.0.0/23', '10.10.4.0/24']);
    assert.equal(u.body.subnetpool.default_prefixlen, 26);
    assert.equal(u.body.subnetpool.revision_number, sp.revision_number + 1);
    err(await demo()('PUT', `/v2.0/subnetpools/${sp.id}`, { subnetpool: { prefixes: ['10.10.0.0/24'] } }),
      400, 'IllegalSubnetPoolPrefixUpdate', 'Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.');
    err(await other()('PUT', `/v2.0/subnetpools/${sp.id}`, { subnetpool: { name: 'x' } }), 404, 'SubnetPoolNotFound', `Subnet pool ${sp.id} could not be found.`);
    assert.equal((await demo()('DELETE', `/v2.0/subnetpools/${sp.id}`)).status, 204);
    assert.equal((await demo()('GET', `/v2.0/subnetpools/${sp.id}`)).status, 404);
  });

  it('refuses bad pools with Neutron errors', async () => {
    err(await demo()('POST', '/v2.0/subnetpools', { subnetpool: { prefixes: ['10.0.0.0/8'] } }),
      400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'name' not specified");
    err(await pool({ prefixes: [] }), 400, 'EmptySubnetPoolPrefixList', 'Empty subnet pool prefix list.');
    err(await pool({ prefixes: ['10.0.0.0/8', 'fd00::/48'] }), 400, 'PrefixVersionMismatch', 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.');
    err(await pool({ prefixes: ['10.0.0.0/8'], min_prefixlen: 30, max_prefixlen: 24 }),
      400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: min_prefixlen=30, max_prefixlen=24.');
    err(await pool({ prefixes: ['10.0.0.0/8'], max_prefixlen: 33 }),
      400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: max_prefixlen=33, ip_version_max=32.');
    err(await pool({ prefixes: ['10.0.0.0/8'], default_prefixlen: -1 }),
      400, 'HTTPBadRequest', "Invalid input for default_prefixlen. Reason: '-1' should be non-negative.");
    err(await pool({ prefixes: ['10.0.0.0'] }),
      400, 'HTTPBadRequest', "Invalid input for prefixes. Reason: '10.0.0.0' isn't a recognized IP subnet cidr, '10.0.0.0/32' is recommended.");
    err(await pool({ prefixes: ['10.0.0.0/8', '10.0.0.0/8'] }),
      400, 'HTTPBadRequest', "Invalid input for prefixes. Reason: Duplicate items in the list: '10.0.0.0/8, 10.0.0.0/8'.");
    err(await pool({ prefixes: ['10.0.0.0/8'], shared: true }), 403, 'PolicyNotAuthorized', '(rule:create_subnetpool and rule:create_subnetpool:shared) is disallowed by policy');
    err(await pool({ prefixes: ['10.0.0.0/8'], is_default: true }), 403, 'PolicyNotAuthorized', '(rule:create_subnetpool and rule:create_subnetpool:is_default) is disallowed by policy');
  });

  it('allocates subnets by prefixlen, by default prefixlen and by cidr, within the bounds', async () => {
    const p = (await pool({ prefixes: ['10.30.0.0/16'], default_prefixlen: 24, min_prefixlen: 20, max_prefixlen: 28 })).body.subnetpool;
    const n = await net('alloc');
    const a = await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4, subnetpool_id: p.id } });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(a.body.subnet.cidr, '10.30.0.0/24');
    assert.equal(a.body.subnet.subnetpool_id, p.id);
    assert.equal(a.body.subnet.gateway_ip, '10.30.0.1');
    assert.deepEqual(a.body.subnet.allocation_pools, [{ start: '10.30.0.2', end: '10.30.0.254' }]);
    const b = await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4, subnetpool_id: p.id, prefixlen: 28 } });
    assert.equal(b.body.subnet.cidr, '10.30.1.0/28');
    const c = await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4, subnetpool_id: p.id, cidr: '10.30.8.0/24' } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal(c.body.subnet.cidr, '10.30.8.0/24');
    err(await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4, subnetpool_id: p.id, cidr: '10.30.0.128/25' } }),
      500, 'SubnetAllocationError', 'Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.');
    err(await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4, subnetpool_id: p.id, cidr: '192.168.0.0/24' } }),
      500, 'SubnetAllocationError', 'Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.');
    err(await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4, subnetpool_id: p.id, prefixlen: 29 } }),
      400, 'MaxPrefixSubnetAllocationError', 'Unable to allocate subnet with prefix length 29, maximum allowed prefix is 28.');
    err(await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4, subnetpool_id: p.id, prefixlen: 16 } }),
      400, 'MinPrefixSubnetAllocationError', 'Unable to allocate subnet with prefix length 16, minimum allowed prefix is 20.');
    err(await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 6, subnetpool_id: p.id } }),
      400, 'BadRequest', 'Bad subnets request: Cannot allocate IPv6 subnet from IPv4 subnet pool.');
    err(await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4, subnetpool_id: p.id, allocation_pools: [{ start: '10.30.9.2', end: '10.30.9.9' }] } }),
      400, 'BadRequest', 'Bad subnets request: allocation_pools allowed only for specific subnet requests.');
    err(await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4, subnetpool_id: p.id, use_default_subnetpool: true } }),
      400, 'BadRequest', 'Bad subnets request: subnetpool_id and use_default_subnetpool cannot both be specified.');
    err(await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4 } }),
      400, 'BadRequest', 'Bad subnets request: a subnetpool must be specified in the absence of a cidr.');
    const missing = '11111111-2222-3333-4444-555555555555';
    err(await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4, subnetpool_id: missing } }),
      404, 'SubnetPoolNotFound', `Subnet pool ${missing} could not be found.`);
    err(await other()('POST', '/v2.0/subnets', { subnet: { network_id: await net('o', other()), ip_version: 4, subnetpool_id: p.id } }),
      404, 'SubnetPoolNotFound', `Subnet pool ${p.id} could not be found.`);
    // one network, one pool per IP version
    err(await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4, cidr: '172.31.0.0/24' } }),
      400, 'NetworkSubnetPoolAffinityError', 'Subnets hosted on the same network must be allocated from the same subnet pool.');

    err(await demo()('DELETE', `/v2.0/subnetpools/${p.id}`), 400, 'SubnetPoolDeleteError', 'Unable to delete subnet pool: Subnet pool has existing allocations.');
    err(await demo()('POST', `/v2.0/subnetpools/${p.id}/remove_prefixes`, { prefixes: ['10.30.0.0/24'] }), 405, 'HTTPMethodNotAllowed',
      'The server could not comply with the request since it is either malformed or otherwise incorrect.');
    err(await demo()('PUT', `/v2.0/subnetpools/${p.id}/remove_prefixes`, { prefixes: ['10.30.0.0/24'] }),
      400, 'IllegalSubnetPoolPrefixUpdate', 'Illegal update to prefixes: One or more the prefixes to be removed is in use by a subnet..');
    const rm = await demo()('PUT', `/v2.0/subnetpools/${p.id}/remove_prefixes`, { prefixes: ['10.30.128.0/17'] });
    assert.equal(rm.status, 200, JSON.stringify(rm.body));
    assert.deepEqual(rm.body, { prefixes: ['10.30.0.0/17'] });
    const add = await demo()('PUT', `/v2.0/subnetpools/${p.id}/add_prefixes`, { prefixes: ['10.30.128.0/17', '10.31.0.0/24'] });
    assert.deepEqual(add.body, { prefixes: ['10.30.0.0/16', '10.31.0.0/24'] });
    err(await demo()('PUT', `/v2.0/subnetpools/${p.id}/add_prefixes`, { prefixes: [] }), 400, 'HTTPBadRequest', 'Request body contains invalid data');
    err(await other()('PUT', `/v2.0/subnetpools/${p.id}/add_prefixes`, { prefixes: ['10.40.0.0/24'] }), 404, 'SubnetPoolNotFound', `Subnet pool ${p.id} could not be found.`);
    const shown = (await demo()('GET', `/v2.0/subnetpools/${p.id}`)).body.subnetpool;
    assert.equal(shown.revision_number, p.revision_number + 2);

    for (const s of [a, b, c]) assert.equal((await demo()('DELETE', `/v2.0/subnets/${s.body.subnet.id}`)).status, 204);
    assert.equal((await demo()('DELETE', `/v2.0/subnetpools/${p.id}`)).status, 204);
  });

  it('exhausts a small pool with Neutron\'s message', async () => {
    const p = (await pool({ prefixes: ['10.50.0.0/23'], default_prefixlen: 24 })).body.subnetpool;
    for (const cidr of ['10.50.0.0/24', '10.50.1.0/24']) {
      const r = await demo()('POST', '/v2.0/subnets', { subnet: { network_id: await net('ex'), ip_version: 4, subnetpool_id: p.id } });
      assert.equal(r.body.subnet.cidr, cidr);
    }
    err(await demo()('POST', '/v2.0/subnets', { subnet: { network_id: await net('ex'), ip_version: 4, subnetpool_id: p.id } }),
      500, 'SubnetAllocationError', 'Failed to allocate subnet: Insufficient prefix space to allocate subnet size /24.');
  });

  it('uses the default pool of the IP version and keeps one default per version', async () => {
    const n = await net('dflt');
    err(await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 6, use_default_subnetpool: true } }),
      400, 'BadRequest', 'Bad subnets request: No default subnetpool found for IPv6.');
    const d = await api.req('POST', '/v2.0/subnetpools', { subnetpool: { name: 'v6', prefixes: ['fd00:1::/48'], is_default: true, shared: true } });
    assert.equal(d.status, 201, JSON.stringify(d.body));
    assert.equal(d.body.subnetpool.default_prefixlen, '64');
    err(await api.req('POST', '/v2.0/subnetpools', { subnetpool: { name: 'v6b', prefixes: ['fd00:2::/48'], is_default: true } }),
      400, 'InvalidInput', 'Invalid input for operation: A default subnetpool for this IP family has already been set. Only one default may exist per IP family.');
    const s = await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 6, use_default_subnetpool: true } });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    assert.equal(s.body.subnet.cidr, 'fd00:1::/64');
    assert.equal(s.body.subnet.subnetpool_id, d.body.subnetpool.id);
    assert.deepEqual((await api.req('GET', '/v2.0/subnetpools?is_default=true')).body.subnetpools.map((x: any) => x.id), [d.body.subnetpool.id]);
  });

  it('associates pools with address scopes and shows the scope on the network', async () => {
    const scope = await demo()('POST', '/v2.0/address-scopes', { address_scope: { name: 's4', ip_version: 4 } });
    assert.equal(scope.status, 201, JSON.stringify(scope.body));
    const sid = scope.body.address_scope.id;
    const p1 = await pool({ prefixes: ['10.60.0.0/16'], default_prefixlen: 24, address_scope_id: sid });
    assert.equal(p1.status, 201, JSON.stringify(p1.body));
    assert.equal(p1.body.subnetpool.address_scope_id, sid);
    err(await pool({ prefixes: ['10.60.128.0/17'], address_scope_id: sid }),
      409, 'AddressScopePrefixConflict', 'Failed to associate address scope: subnetpools within an address scope must have unique prefixes.');
    const v6 = await pool({ prefixes: ['fd00:60::/48'] });
    err(await demo()('PUT', `/v2.0/subnetpools/${v6.body.subnetpool.id}`, { subnetpool: { address_scope_id: sid } }), 400,
      'IllegalSubnetPoolIpVersionAssociationToAddressScope',
      `Illegal subnetpool association: subnetpool ${v6.body.subnetpool.id} cannot associate with address scope ${sid} because subnetpool ip_version is not 4.`);
    err(await other()('POST', '/v2.0/subnetpools', { subnetpool: { name: 'x', prefixes: ['10.70.0.0/16'], address_scope_id: sid } }),
      404, 'AddressScopeNotFound', `Address scope ${sid} could not be found.`);

    const n = await net('scoped');
    const s = await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4, subnetpool_id: p1.body.subnetpool.id } });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    const shown = (await demo()('GET', `/v2.0/networks/${n}`)).body.network;
    assert.equal(shown.ipv4_address_scope, sid);
    assert.equal(shown.ipv6_address_scope, null);
    const listed = (await demo()('GET', '/v2.0/networks?name=scoped')).body.networks[0];
    assert.equal(listed.ipv4_address_scope, sid);
    // a pool outside the network's scope cannot add to it
    const unscoped = await pool({ prefixes: ['10.80.0.0/16'], default_prefixlen: 24 });
    err(await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n, ip_version: 4, subnetpool_id: unscoped.body.subnetpool.id } }),
      400, 'NetworkAddressScopeAffinityError', 'Subnets of the same address family hosted on the same network must all participate in the same address scope.');
    err(await demo()('DELETE', `/v2.0/address-scopes/${sid}`), 409, 'AddressScopeInUse',
      `Unable to complete operation on address scope ${sid}. There are one or more subnet pools in use on the address scope.`);
  });

  it('counts pools against the subnetpool quota (unlimited by default)', async () => {
    const q = await api.req('GET', '/v2.0/quotas/demo-project');
    if (q.status === 200) assert.equal(q.body.quota.subnetpool, -1);
  });
});
