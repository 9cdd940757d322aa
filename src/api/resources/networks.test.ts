// Networks API: ML2 segments, policy, conventions (filters, fields, sorting,
// pagination, tags, If-Match) — answers checked against what Zed returned.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from '../../../test/support/api.ts';

const ML2 = `
[ml2]
type_drivers = flat,vlan,vxlan
tenant_network_types = vxlan
[ml2_type_flat]
flat_networks = public
[ml2_type_vlan]
network_vlan_ranges = physnet1:100:101
[ml2_type_vxlan]
vni_ranges = 1:1000
`;

const err = (r: { status: number; body: any }, status: number, type: string, message: string | RegExp) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.NeutronError.type, type);
  if (typeof message === 'string') assert.equal(r.body.NeutronError.message, message);
  else assert.match(r.body.NeutronError.message, message);
  assert.equal(r.body.NeutronError.detail, '');
};

describe('networks API', () => {
  let api: Api;
  const demo = () => api.as('demo-project');
  const other = () => api.as('other-project');
  before(async () => { api = await startApi(ML2); });
  after(async () => { await api.close(); });

  it('creates the seed public network (flat, shared, external) as Zed shows it', async () => {
    const r = await api.req('POST', '/v2.0/networks', { network: { name: 'public', shared: true, 'router:external': true, 'provider:physical_network': 'public', 'provider:network_type': 'flat' } });
    assert.equal(r.status, 201);
    const n = r.body.network;
    assert.equal(n.mtu, 1500);
    assert.equal(n['provider:network_type'], 'flat');
    assert.equal(n['provider:physical_network'], 'public');
    assert.equal(n['provider:segmentation_id'], null);
    assert.equal(n.shared, true);
    assert.equal(n['router:external'], true);
    assert.equal(n.status, 'ACTIVE');
    assert.equal(n.revision_number, 1);
    assert.equal(n.tenant_id, n.project_id);
    assert.match(n.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const f of ['admin_state_up', 'availability_zone_hints', 'availability_zones', 'description', 'id', 'ipv4_address_scope', 'ipv6_address_scope', 'port_security_enabled', 'subnets', 'tags', 'updated_at']) {
      assert.ok(f in n, `missing ${f}`);
    }
    err(await api.req('POST', '/v2.0/networks', { network: { name: 'x', 'provider:physical_network': 'public', 'provider:network_type': 'flat' } }),
      409, 'FlatNetworkInUse', 'Unable to create the flat network. Physical network public is in use.');
  });

  it('gives tenant networks a VNI and MTU 1450, hides provider attributes from members', async () => {
    const r = await demo()('POST', '/v2.0/networks', { network: { name: 'private' } });
    assert.equal(r.status, 201);
    assert.equal(r.body.network.mtu, 1450);
    assert.equal(r.body.network.project_id, 'demo-project');
    assert.ok(!('provider:network_type' in r.body.network));
    const admin = await api.req('GET', `/v2.0/networks/${r.body.network.id}`);
    assert.equal(admin.body.network['provider:network_type'], 'vxlan');
    const vni = admin.body.network['provider:segmentation_id'];
    assert.ok(vni >= 1 && vni <= 1000);
    // the VNI is released on delete and reused
    assert.equal((await demo()('DELETE', `/v2.0/networks/${r.body.network.id}`)).status, 204);
    const again = await api.req('POST', '/v2.0/networks', { network: { name: 'again' } });
    assert.equal(again.body.network['provider:segmentation_id'], vni);
    await api.req('DELETE', `/v2.0/networks/${again.body.network.id}`);
  });

  it('validates provider segments with Zed messages', async () => {
    const post = (n: object) => api.req('POST', '/v2.0/networks', { network: { name: 'x', ...n } });
    err(await post({ 'provider:network_type': 'flat' }), 400, 'InvalidInput', 'Invalid input for operation: physical_network required for flat provider network.');
    err(await post({ 'provider:network_type': 'flat', 'provider:physical_network': 'physnet9' }), 400, 'InvalidInput', "Invalid input for operation: physical_network 'physnet9' unknown for flat provider network.");
    err(await post({ 'provider:network_type': 'flat', 'provider:physical_network': 'public', 'provider:segmentation_id': 5 }), 400, 'InvalidInput', 'Invalid input for operation: segmentation_id prohibited for flat provider network.');
    err(await post({ 'provider:network_type': 'vlan', 'provider:physical_network': 'public' }), 400, 'InvalidInput', "Invalid input for operation: physical_network 'public' unknown for VLAN provider network.");
    err(await post({ 'provider:network_type': 'vlan', 'provider:segmentation_id': 5 }), 400, 'InvalidInput', 'Invalid input for operation: segmentation_id requires physical_network for VLAN provider network.');
    err(await post({ 'provider:network_type': 'vxlan', 'provider:physical_network': 'public' }), 400, 'InvalidInput', 'Invalid input for operation: provider:physical_network specified for vxlan network.');
    err(await post({ 'provider:network_type': 'vxlan', 'provider:segmentation_id': 'abc' }), 400, 'InvalidInput', "Invalid input for operation: 'abc' is not an integer.");
    // Zed accepts these (rows 10, 11, 38); a VNI the kernel cannot use or an MTU below IPv4's minimum is refused instead.
    err(await post({ 'provider:network_type': 'vxlan', 'provider:segmentation_id': 16777216 }), 400, 'InvalidInput', 'Invalid input for operation: segmentation_id out of range (1 through 16777215).');
    err(await post({ 'provider:network_type': 'vxlan', 'provider:segmentation_id': -1 }), 400, 'InvalidInput', 'Invalid input for operation: segmentation_id out of range (1 through 16777215).');
    err(await post({ mtu: 10 }), 400, 'InvalidInput', 'Invalid input for operation: Requested MTU is too small, minimum is 68.');
    err(await post({ 'provider:network_type': 'gre' }), 400, 'InvalidInput', "Invalid input for operation: network_type value 'gre' not supported.");
    const v = await post({ 'provider:network_type': 'vxlan', 'provider:segmentation_id': 830 });
    assert.equal(v.status, 201);
    err(await post({ 'provider:network_type': 'vxlan', 'provider:segmentation_id': 830 }), 409, 'TunnelIdInUse', 'Unable to create the network. The tunnel ID 830 is in use.');
    const vl = await post({ 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100 });
    assert.equal(vl.status, 201);
    err(await post({ 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100 }), 409, 'VlanIdInUse', 'Unable to create the network. The VLAN 100 on physical network physnet1 is in use.');
    // tenant-style vlan allocation from physnet1:100:101 — 101 left, then exhausted
    const a = await post({ 'provider:network_type': 'vlan' });
    assert.equal(a.body.network['provider:segmentation_id'], 101);
    err(await post({ 'provider:network_type': 'vlan' }), 503, 'NoNetworkAvailable', 'Unable to create the network. No tenant network is available for allocation.');
    err(await demo()('POST', '/v2.0/networks', { network: { name: 'x', mtu: 9000 } }), 400, 'InvalidInput', 'Invalid input for operation: Requested MTU is too big, maximum is 1450.');
    for (const id of [v.body.network.id, vl.body.network.id, a.body.network.id]) assert.equal((await api.req('DELETE', `/v2.0/networks/${id}`)).status, 204);
  });

  it('enforces admin-only attributes and project boundaries (404 vs 403)', async () => {
    err(await demo()('POST', '/v2.0/networks', { network: { name: 'x', 'provider:network_type': 'vxlan' } }), 403, 'PolicyNotAuthorized', '(rule:create_network and rule:create_network:provider:network_type) is disallowed by policy');
    err(await demo()('POST', '/v2.0/networks', { network: { name: 'x', shared: true } }), 403, 'PolicyNotAuthorized', '(rule:create_network and rule:create_network:shared) is disallowed by policy');
    err(await demo()('POST', '/v2.0/networks', { network: { name: 'x', 'router:external': true } }), 403, 'PolicyNotAuthorized', '(rule:create_network and rule:create_network:router:external) is disallowed by policy');
    err(await demo()('POST', '/v2.0/networks', { network: { name: 'x', project_id: 'someone-else' } }), 400, 'HTTPBadRequest', "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin or advsvc privileges");
    const mine = (await demo()('POST', '/v2.0/networks', { network: { name: 'mine' } })).body.network;
    err(await demo()('PUT', `/v2.0/networks/${mine.id}`, { network: { shared: true } }), 403, 'PolicyNotAuthorized', '(rule:update_network and rule:update_network:shared) is disallowed by policy');
    err(await other()('GET', `/v2.0/networks/${mine.id}`), 404, 'NetworkNotFound', `Network ${mine.id} could not be found.`);
    err(await other()('PUT', `/v2.0/networks/${mine.id}`, { network: { name: 'y' } }), 404, 'NetworkNotFound', `Network ${mine.id} could not be found.`);
    err(await other()('DELETE', `/v2.0/networks/${mine.id}`), 404, 'NetworkNotFound', `Network ${mine.id} could not be found.`);
    const pub = (await api.req('GET', '/v2.0/networks?name=public')).body.networks[0];
    err(await other()('PUT', `/v2.0/networks/${pub.id}`, { network: { name: 'y' } }), 403, 'PolicyNotAuthorized', 'rule:update_network is disallowed by policy');
    err(await other()('DELETE', `/v2.0/networks/${pub.id}`), 403, 'PolicyNotAuthorized', 'rule:delete_network is disallowed by policy');
    const seen = (await other()('GET', '/v2.0/networks')).body.networks.map((n: any) => n.name);
    assert.ok(seen.includes('public') && !seen.includes('mine'));
    await demo()('DELETE', `/v2.0/networks/${mine.id}`);
  });

  it('rejects malformed bodies and read-only attributes as Zed does', async () => {
    const net = (await demo()('POST', '/v2.0/networks', { network: { name: 'ro' } })).body.network;
    for (const a of ['id', 'status', 'subnets', 'created_at']) {
      err(await demo()('PUT', `/v2.0/networks/${net.id}`, { network: { [a]: 'x' } }), 400, 'HTTPBadRequest', `Cannot update read-only attribute ${a}`);
    }
    err(await demo()('POST', '/v2.0/networks', { network: { admin_state_up: 'maybe' } }), 400, 'InvalidInput', "Invalid input for operation: 'maybe' cannot be converted to boolean.");
    err(await demo()('POST', '/v2.0/networks', { network: { port_security_enabled: 'nope' } }), 400, 'InvalidInput', "Invalid input for operation: 'nope' cannot be converted to boolean.");
    const adminNet = (await api.req('POST', '/v2.0/networks', { network: { name: 'vx' } })).body.network;
    err(await api.req('PUT', `/v2.0/networks/${adminNet.id}`, { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'public' } }), 400, 'InvalidInput',
      'Invalid input for operation: Plugin does not support updating the following provider network attributes: provider:network_type, provider:physical_network.');
    await api.req('DELETE', `/v2.0/networks/${adminNet.id}`);
    err(await demo()('POST', '/v2.0/networks', { network: { bogus: 1 } }), 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'bogus'");
    err(await demo()('POST', '/v2.0/networks', { netwrk: {} }), 400, 'HTTPBadRequest', "Unable to find 'network' in request body");
    err(await demo()('POST', '/v2.0/networks', ''), 400, 'HTTPBadRequest', "Unable to find 'network' in request body");
    err(await demo()('POST', '/v2.0/networks', '[]'), 400, 'HTTPBadRequest', 'Body contains invalid data');
    err(await demo()('POST', '/v2.0/networks', '{"network": {"name": "x"'), 400, 'HTTPBadRequest', 'Body contains invalid data');
    err(await demo()('POST', '/v2.0/networks', { network: 'x' }), 400, 'HTTPBadRequest', "Object 'network' contains invalid data");
    err(await demo()('POST', '/v2.0/networks', { network: { name: 'e'.repeat(256) } }), 400, 'HTTPBadRequest', `Invalid input for name. Reason: '${'e'.repeat(256)}' exceeds maximum length of 255.`);
    err(await demo()('POST', '/v2.0/networks', { networks: [{ name: 'ok' }, { bogus: 1 }] }), 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'bogus'");
    assert.equal((await demo()('GET', '/v2.0/networks?name=ok')).body.networks.length, 0);
    err(await demo()('GET', '/v2.0/networks/not-a-uuid'), 404, 'NetworkNotFound', 'Network not-a-uuid could not be found.');
    err(await demo()('PUT', '/v2.0/networks', { network: { name: 'x' } }), 404, 'NetworkNotFound', 'Network None could not be found.');
    err(await demo()('PATCH', `/v2.0/networks/${net.id}`, { network: {} }), 405, 'HTTPMethodNotAllowed', /could not comply/);
    err(await demo()('POST', `/v2.0/networks/${net.id}`, { network: {} }), 405, 'HTTPMethodNotAllowed', /could not comply/);
    err(await demo()('GET', '/v2.0/bogus'), 404, 'HTTPNotFound', 'The resource could not be found.');
    err(await demo()('GET', `/v2.0/networks/${net.id}/bogus`), 404, 'HTTPNotFound', 'The resource could not be found.');
    err(await demo()('GET', `/v2.0/networks/${net.id}`, undefined, { Accept: 'application/xml' }), 406, 'HTTPNotAcceptable', /could not comply/);
    const bad = await api.req('GET', '/v3.0/networks');
    assert.deepEqual(bad.body, { code: 404, title: 'Not Found', description: null });
    await demo()('DELETE', `/v2.0/networks/${net.id}`);
  });

  it('bulk-creates atomically, filters, selects fields, sorts and paginates with links', async () => {
    const r = await demo()('POST', '/v2.0/networks', { networks: ['p-c', 'p-a', 'p-b', 'p-d'].map((name) => ({ name })) });
    assert.equal(r.status, 201);
    assert.equal(r.body.networks.length, 4);
    const ids = r.body.networks.map((n: any) => n.id);
    const list = await demo()('GET', '/v2.0/networks.json?name=p-a&name=p-b&fields=name&fields=id');
    assert.deepEqual(list.body.networks.map((n: any) => n.name).sort(), ['p-a', 'p-b']);
    assert.deepEqual(Object.keys(list.body.networks[0]).sort(), ['id', 'name']);
    assert.equal((await demo()(`GET`, `/v2.0/networks?id=${ids[0]}&id=${ids[1]}`)).body.networks.length, 2);
    assert.deepEqual((await demo()('GET', '/v2.0/networks?fields=bogus&name=p-a')).body, { networks: [{}] });
    err(await demo()('GET', '/v2.0/networks?bogus=1'), 400, 'HTTPBadRequest', "['bogus'] is invalid attribute for filtering");
    err(await demo()('GET', '/v2.0/networks?admin_state_up=maybe'), 400, 'InvalidInput', "Invalid input for operation: 'maybe' cannot be converted to boolean.");
    err(await demo()('GET', '/v2.0/networks?sort_key=bogus&sort_dir=asc'), 400, 'HTTPBadRequest', "['bogus'] is invalid attribute for sort_keys");
    err(await demo()('GET', '/v2.0/networks?sort_key=name&sort_dir=up'), 400, 'HTTPBadRequest', "['up'] is invalid value for sort_dirs, valid value is 'asc' and 'desc'");
    err(await demo()('GET', '/v2.0/networks?sort_key=name&sort_key=id&sort_dir=asc'), 400, 'HTTPBadRequest', 'The number of sort_keys and sort_dirs must be same');
    err(await demo()('GET', '/v2.0/networks?limit=abc'), 400, 'BadRequest', "Bad limit request: Limit must be an integer 0 or greater and not 'abc'.");
    err(await demo()('GET', '/v2.0/networks?limit=-1'), 400, 'BadRequest', "Bad limit request: Limit must be an integer 0 or greater and not '-1'.");
    err(await demo()('GET', '/v2.0/networks?limit=1&marker=00000000-0000-0000-0000-000000000000'), 404, 'NetworkNotFound', 'Network 00000000-0000-0000-0000-000000000000 could not be found.');
    err(await demo()('GET', '/v2.0/networks?limit=1&marker=abc'), 404, 'NetworkNotFound', 'Network abc could not be found.');
    const sorted = await demo()('GET', '/v2.0/networks?sort_key=name&sort_dir=desc&name=p-a&name=p-b&name=p-c&name=p-d');
    assert.deepEqual(sorted.body.networks.map((n: any) => n.name), ['p-d', 'p-c', 'p-b', 'p-a']);
    const base = '/v2.0/networks?sort_key=name&sort_dir=asc&name=p-a&name=p-b&name=p-c&name=p-d';
    const p1 = await demo()('GET', `${base}&limit=3`);
    assert.deepEqual(p1.body.networks.map((n: any) => n.name), ['p-a', 'p-b', 'p-c']);
    const next = p1.body.networks_links.find((l: any) => l.rel === 'next').href;
    assert.ok(p1.body.networks_links.some((l: any) => l.rel === 'previous'));
    const p2 = await demo()('GET', new URL(next).pathname + new URL(next).search);
    assert.deepEqual(p2.body.networks.map((n: any) => n.name), ['p-d']);
    assert.ok(!p2.body.networks_links.some((l: any) => l.rel === 'next'));
    const prev = p2.body.networks_links.find((l: any) => l.rel === 'previous').href;
    const p0 = await demo()('GET', new URL(prev).pathname + new URL(prev).search);
    assert.deepEqual(p0.body.networks.map((n: any) => n.name), ['p-a', 'p-b', 'p-c']);
    for (const id of ids) await demo()('DELETE', `/v2.0/networks/${id}`);
  });

  it('keeps tags, revision numbers and If-Match as Neutron does', async () => {
    const n = (await demo()('POST', '/v2.0/networks', { network: { name: 'tagged', tags: ['a', 'b'] } })).body.network;
    assert.deepEqual(n.tags, ['a', 'b']);
    assert.equal((await demo()('PUT', `/v2.0/networks/${n.id}/tags/c`)).status, 201);
    assert.equal((await demo()('GET', `/v2.0/networks/${n.id}/tags/c`)).status, 204);
    assert.equal((await demo()('GET', `/v2.0/networks/${n.id}/tags/zz`)).status, 404);
    assert.deepEqual((await demo()('GET', `/v2.0/networks/${n.id}/tags`)).body, { tags: ['a', 'b', 'c'] });
    assert.deepEqual((await demo()('GET', '/v2.0/networks?tags=a,c')).body.networks.map((x: any) => x.id), [n.id]);
    assert.deepEqual((await demo()('GET', '/v2.0/networks?tags-any=zz,c')).body.networks.map((x: any) => x.id), [n.id]);
    assert.ok(!(await demo()('GET', '/v2.0/networks?not-tags-any=c')).body.networks.some((x: any) => x.id === n.id));
    assert.deepEqual((await demo()('PUT', `/v2.0/networks/${n.id}/tags`, { tags: ['x'] })).body, { tags: ['x'] });
    const cur = (await demo()('GET', `/v2.0/networks/${n.id}`)).body.network;
    assert.equal(cur.revision_number, 3); // created at 1, two tag changes
    err(await demo()('PUT', `/v2.0/networks/${n.id}`, { network: { name: 'z' } }, { 'If-Match': 'revision_number=999' }), 412, 'RevisionNumberConstraintFailed', 'Constrained to 999, but current revision is 3');
    err(await demo()('PUT', `/v2.0/networks/${n.id}`, { network: { name: 'z' } }, { 'If-Match': 'revision_number=abc' }), 400, 'BadRequest', 'Bad if-match request: Revision number etag must be in the format of revision_number=<int>.');
    const ok = await demo()('PUT', `/v2.0/networks/${n.id}`, { network: { name: 'z' } }, { 'If-Match': 'revision_number=3' });
    assert.equal(ok.body.network.revision_number, 4);
    const same = await demo()('PUT', `/v2.0/networks/${n.id}`, { network: { name: 'z' } });
    assert.equal(same.body.network.revision_number, 4, 'an update that changes nothing keeps the revision');
    assert.equal((await demo()('DELETE', `/v2.0/networks/${n.id}`, undefined, { 'If-Match': 'revision_number=4' })).status, 204);
  });

  it('serves version discovery, extensions, health and request ids', async () => {
    const v = await api.req('GET', '/');
    assert.equal(v.body.versions[0].id, 'v2.0');
    assert.match(v.body.versions[0].links[0].href, /\/v2\.0\/$/);
    const ext = await api.req('GET', '/v2.0/extensions');
    const aliases = ext.body.extensions.map((e: any) => e.alias);
    for (const a of ['provider', 'external-net', 'net-mtu', 'pagination', 'sorting', 'standard-attr-tag', 'project-id']) assert.ok(aliases.includes(a), a);
    // l3-ha and dvr: stored flags only, no behaviour yet, so not advertised.
    for (const a of ['l3-ha', 'dvr']) assert.ok(!aliases.includes(a), a);
    assert.equal((await api.req('GET', '/v2.0/extensions/provider')).body.extension.name, 'Provider Network');
    err(await api.req('GET', '/v2.0/extensions/bogus'), 404, 'ExtensionNotFound', 'Extension with alias bogus does not exist');
    const h = await api.req('GET', '/healthcheck');
    assert.equal(h.status, 200);
    assert.match(h.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
  });
});
