// The embedded identity's Keystone v3 resource API over HTTP: users, projects, roles,
// grants, role assignments, services, endpoints and regions — Keystone's shapes, filters,
// errors and admin-only policy; the catalog built from what is registered; everything
// kept across a restart; tempest's dynamic-credentials flow.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedIdentity, type RunningIdentity } from '../../src/identity/embedded/server.ts';

let dir: string;
let idp: RunningIdentity;
let admin: string;
let demo: string;
const PW = { admin: 'admin-secret', demo: 'demo-secret' };

async function call(method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}) {
  const res = await fetch(idp.url.replace(/\/v3$/, '') + path, {
    method,
    headers: { ...(body ? { 'Content-Type': 'application/json' } : {}), ...(token ? { 'X-Auth-Token': token } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function login(user: string, password: string, project?: string): Promise<{ token: string; body: any }> {
  const r = await call('POST', '/v3/auth/tokens', {
    auth: {
      identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
      ...(project ? { scope: { project: { name: project, domain: { id: 'default' } } } } : {}),
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { token: r.headers.get('x-subject-token')!, body: r.body };
}

/** A Keystone error body with this status and message. */
function isError(r: { status: number; body: any }, status: number, message?: string | RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error.code, status);
  assert.equal(typeof r.body.error.title, 'string');
  if (typeof message === 'string') assert.equal(r.body.error.message, message);
  else if (message) assert.match(r.body.error.message, message);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'muon-identity-admin-'));
  idp = await startEmbeddedIdentity({ stateDir: dir, host: '127.0.0.1', port: 0, networkUrl: 'http://127.0.0.1:9696', initialPasswords: PW });
  admin = (await login('admin', PW.admin, 'admin')).token;
  demo = (await login('demo', PW.demo, 'demo')).token;
});
after(async () => { await idp.close(); rmSync(dir, { recursive: true, force: true }); });

test('users: create (Keystone shape, extra attributes kept), ?name= lookup, 409 on a duplicate, 404/400/403', async () => {
  const r = await call('POST', '/v3/users', { user: { name: 'neutron', domain_id: 'default', password: 'neutron', enabled: true, email: 'n@example.com' } }, admin);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const u = r.body.user;
  assert.match(u.id, /^[0-9a-f]{32}$/);
  assert.deepEqual({ ...u, id: 'x' }, {
    id: 'x', name: 'neutron', domain_id: 'default', enabled: true, password_expires_at: null, options: {}, email: 'n@example.com',
    links: { self: `${idp.url}/users/${u.id}` },
  });
  assert.ok(!JSON.stringify(r.body).includes('password_hash'));
  const found = await call('GET', '/v3/users?name=neutron', undefined, admin);
  assert.deepEqual(found.body.users.map((x: { id: string }) => x.id), [u.id]);
  assert.equal(found.body.links.self, `${idp.url}/users?name=neutron`);
  assert.deepEqual((await call('GET', '/v3/users?name=nobody', undefined, admin)).body.users, []);
  isError(await call('POST', '/v3/users', { user: { name: 'neutron', domain_id: 'default' } }, admin), 409,
    'Conflict occurred attempting to store user - Duplicate entry found with name neutron at domain ID default.');
  isError(await call('GET', '/v3/users/neutron', undefined, admin), 404, 'Could not find user: neutron.');
  isError(await call('POST', '/v3/users', { user: { password: 'x' } }, admin), 400, "'name' is a required property");
  isError(await call('POST', '/v3/users', { user: { name: 42 } }, admin), 400, /Invalid input for field 'name'/);
  isError(await call('POST', '/v3/users', { nope: {} }, admin), 400, "'user' is a required property");
  isError(await call('POST', '/v3/users', { user: { name: 'x', domain_id: 'elsewhere' } }, admin), 404, 'Could not find domain: elsewhere.');
  isError(await call('POST', '/v3/users', { user: { name: 'sneaky' } }, demo), 403);
  isError(await call('GET', '/v3/users', undefined, demo), 403);
  isError(await call('GET', `/v3/users/${u.id}`, undefined, demo), 403);
  isError(await call('POST', '/v3/users', { user: { name: 'x' } }), 401);
  // The new user logs in with the password given.
  assert.equal((await login('neutron', 'neutron')).body.token.user.id, u.id);
});

test('users: PATCH renames, disables and sets passwords (revoking their tokens, as Keystone); own password change; DELETE then 404', async () => {
  const u = (await call('POST', '/v3/users', { user: { name: 'u-patch', password: 'p1' } }, admin)).body.user;
  const p = (await call('POST', '/v3/projects', { project: { name: 'p-patch' } }, admin)).body.project;
  const member = (await call('GET', '/v3/roles?name=member', undefined, admin)).body.roles[0];
  assert.equal((await call('PUT', `/v3/projects/${p.id}/users/${u.id}/roles/${member.id}`, undefined, admin)).status, 204);
  const t = (await login('u-patch', 'p1', 'p-patch')).token;
  // Their own user and projects, but no one else's.
  assert.equal((await call('GET', `/v3/users/${u.id}`, undefined, t)).body.user.name, 'u-patch');
  assert.deepEqual((await call('GET', `/v3/users/${u.id}/projects`, undefined, t)).body.projects.map((x: { name: string }) => x.name), ['p-patch']);
  isError(await call('PATCH', `/v3/users/${u.id}`, { user: { enabled: false } }, t), 403);
  // Password change: the user themself, with the current password.
  isError(await call('POST', `/v3/users/${u.id}/password`, { user: { original_password: 'wrong', password: 'p2' } }, t), 401);
  assert.equal((await call('POST', `/v3/users/${u.id}/password`, { user: { original_password: 'p1', password: 'p2' } }, t)).status, 204);
  // As Keystone, a password change revokes the user's tokens, the one that made the change included.
  isError(await call('GET', '/v3/auth/tokens', undefined, admin, { 'X-Subject-Token': t }), 404);
  isError(await call('POST', `/v3/users/${u.id}/password`, { user: { original_password: 'p2', password: 'p3' } }, admin), 403);
  const t2 = (await login('u-patch', 'p2', 'p-patch')).token;
  const renamed = await call('PATCH', `/v3/users/${u.id}`, { user: { name: 'u-renamed', description: 'd' } }, admin);
  assert.equal(renamed.status, 200);
  assert.equal(renamed.body.user.name, 'u-renamed');
  assert.equal(renamed.body.user.description, 'd');
  isError(await call('PATCH', `/v3/users/${u.id}`, { user: { name: 'demo' } }, admin), 409);
  isError(await call('PATCH', `/v3/users/${u.id}`, { user: { enabled: 'no' } }, admin), 400, /Invalid input for field 'enabled'/);
  assert.equal((await call('PATCH', `/v3/users/${u.id}`, { user: { enabled: false } }, admin)).body.user.enabled, false);
  isError(await call('GET', '/v3/auth/tokens', undefined, admin, { 'X-Subject-Token': t2 }), 404);
  // Re-enabled: tokens from before stay revoked (Keystone revokes them on any `enabled` change); new ones work.
  assert.equal((await call('PATCH', `/v3/users/${u.id}`, { user: { enabled: true } }, admin)).status, 200);
  isError(await call('GET', '/v3/auth/tokens', undefined, admin, { 'X-Subject-Token': t2 }), 404);
  const t3 = (await login('u-renamed', 'p2', 'p-patch')).token;
  assert.equal((await call('GET', '/v3/auth/tokens', undefined, admin, { 'X-Subject-Token': t3 })).status, 200);
  // A rename keeps tokens; an admin setting the password revokes them.
  assert.equal((await call('PATCH', `/v3/users/${u.id}`, { user: { name: 'u-patch2' } }, admin)).status, 200);
  assert.equal((await call('GET', '/v3/auth/tokens', undefined, admin, { 'X-Subject-Token': t3 })).status, 200);
  assert.equal((await call('PATCH', `/v3/users/${u.id}`, { user: { password: 'p4' } }, admin)).status, 200);
  isError(await call('GET', '/v3/auth/tokens', undefined, admin, { 'X-Subject-Token': t3 }), 404);
  const t4 = (await login('u-patch2', 'p4', 'p-patch')).token;
  assert.equal((await call('DELETE', `/v3/users/${u.id}`, undefined, demo)).status, 403);
  assert.equal((await call('DELETE', `/v3/users/${u.id}`, undefined, admin)).status, 204);
  isError(await call('DELETE', `/v3/users/${u.id}`, undefined, admin), 404, `Could not find user: ${u.id}.`);
  isError(await call('GET', '/v3/auth/tokens', undefined, admin, { 'X-Subject-Token': t4 }), 404);
  // Its role assignments went with it.
  assert.deepEqual((await call('GET', `/v3/role_assignments?user.id=${u.id}`, undefined, admin)).body.role_assignments, []);
});

test('projects: PATCH (rename, 409, disable), ?name= and ?enabled= filters', async () => {
  const p = (await call('POST', '/v3/projects', { project: { name: 'p-one', description: 'first' } }, admin)).body.project;
  assert.deepEqual({ ...p, id: 'x' }, {
    id: 'x', name: 'p-one', domain_id: 'default', description: 'first', enabled: true, parent_id: 'default', is_domain: false, tags: [], options: {},
    links: { self: `${idp.url}/projects/${p.id}` },
  });
  const r = await call('PATCH', `/v3/projects/${p.id}`, { project: { name: 'p-two', enabled: false } }, admin);
  assert.equal(r.status, 200);
  assert.deepEqual([r.body.project.name, r.body.project.enabled, r.body.project.description], ['p-two', false, 'first']);
  isError(await call('PATCH', `/v3/projects/${p.id}`, { project: { name: 'demo' } }, admin), 409, /two projects with the same name/);
  isError(await call('PATCH', `/v3/projects/${p.id}`, { project: { enabled: true } }, demo), 403);
  isError(await call('GET', '/v3/projects/service', undefined, admin), 404, 'Could not find project: service.');
  const disabled = await call('GET', '/v3/projects?enabled=false', undefined, admin);
  assert.deepEqual(disabled.body.projects.map((x: { name: string }) => x.name), ['p-two']);
  assert.deepEqual((await call('GET', '/v3/projects?name=service', undefined, admin)).body.projects.map((x: { name: string }) => x.name), ['service']);
  assert.equal((await call('DELETE', `/v3/projects/${p.id}`, undefined, admin)).status, 204);
});

test('domains are read only: the Default domain by id and ?name=', async () => {
  assert.equal((await call('GET', '/v3/domains/default', undefined, admin)).body.domain.name, 'Default');
  assert.deepEqual((await call('GET', '/v3/domains?name=Default', undefined, admin)).body.domains.map((x: { id: string }) => x.id), ['default']);
  isError(await call('GET', '/v3/domains/nope', undefined, admin), 404, 'Could not find domain: nope.');
  isError(await call('POST', '/v3/domains', { domain: { name: 'd2' } }, admin), 403, /Only the Default domain/);
  isError(await call('POST', '/v3/domains', { domain: { name: 'd2' } }, demo), 403);
});

test('roles: create (409 on a duplicate name), ?name=, update, delete (with its assignments); admin only', async () => {
  const r = await call('POST', '/v3/roles', { role: { name: 'observer', description: 'looks' } }, admin);
  assert.equal(r.status, 201);
  assert.deepEqual({ ...r.body.role, id: 'x' }, { id: 'x', name: 'observer', domain_id: null, description: 'looks', options: {}, links: { self: `${idp.url}/roles/${r.body.role.id}` } });
  isError(await call('POST', '/v3/roles', { role: { name: 'observer' } }, admin), 409, 'Conflict occurred attempting to store role - Duplicate entry found with name observer.');
  isError(await call('POST', '/v3/roles', { role: { name: 'x' } }, demo), 403);
  isError(await call('GET', '/v3/roles', undefined, demo), 403);
  assert.equal((await call('GET', '/v3/roles?name=observer', undefined, admin)).body.roles[0].id, r.body.role.id);
  isError(await call('GET', '/v3/roles/admin', undefined, admin), 404, 'Could not find role: admin.');
  assert.equal((await call('PATCH', `/v3/roles/${r.body.role.id}`, { role: { description: 'watches' } }, admin)).body.role.description, 'watches');
  const demoUser = (await call('GET', '/v3/users?name=demo', undefined, admin)).body.users[0];
  const demoProject = (await call('GET', '/v3/projects?name=demo', undefined, admin)).body.projects[0];
  assert.equal((await call('PUT', `/v3/projects/${demoProject.id}/users/${demoUser.id}/roles/${r.body.role.id}`, undefined, admin)).status, 204);
  assert.equal((await call('DELETE', `/v3/roles/${r.body.role.id}`, undefined, admin)).status, 204);
  assert.deepEqual((await call('GET', `/v3/role_assignments?role.id=${r.body.role.id}`, undefined, admin)).body.role_assignments, []);
});

test('grants on a project, a domain and the system: PUT/HEAD/GET/DELETE, list, 404s; a grant shows in tokens at once', async () => {
  const u = (await call('POST', '/v3/users', { user: { name: 'u-grant', password: 'pw' } }, admin)).body.user;
  const p = (await call('POST', '/v3/projects', { project: { name: 'p-grant' } }, admin)).body.project;
  const role = async (n: string) => (await call('GET', `/v3/roles?name=${n}`, undefined, admin)).body.roles[0].id as string;
  const [adminRole, member, reader] = [await role('admin'), await role('member'), await role('reader')];
  const path = `/v3/projects/${p.id}/users/${u.id}/roles`;
  assert.equal((await call('HEAD', `${path}/${member}`, undefined, admin)).status, 404);
  isError(await call('GET', `${path}/${member}`, undefined, admin), 404,
    `Could not find role assignment with role: ${member}, user or group: ${u.id}, project, domain, or system: ${p.id}.`);
  isError(await call('PUT', `${path}/${member}`, undefined, demo), 403);
  assert.equal((await call('PUT', `${path}/${member}`, undefined, admin)).status, 204);
  assert.equal((await call('PUT', `${path}/${member}`, undefined, admin)).status, 204, 'granting twice is fine');
  assert.equal((await call('HEAD', `${path}/${member}`, undefined, admin)).status, 204);
  assert.equal((await call('GET', `${path}/${member}`, undefined, admin)).status, 204);
  assert.deepEqual((await call('GET', path, undefined, admin)).body.roles.map((x: { name: string }) => x.name), ['member']);
  isError(await call('PUT', `/v3/projects/nope/users/${u.id}/roles/${member}`, undefined, admin), 404, 'Could not find project: nope.');
  isError(await call('PUT', `/v3/projects/${p.id}/users/nope/roles/${member}`, undefined, admin), 404, 'Could not find user: nope.');
  isError(await call('PUT', `${path}/nope`, undefined, admin), 404, 'Could not find role: nope.');
  // member implies reader in tokens, as after keystone-manage bootstrap.
  const t = await login('u-grant', 'pw', 'p-grant');
  assert.deepEqual(t.body.token.roles.map((x: { name: string }) => x.name).sort(), ['member', 'reader']);
  assert.equal((await call('PUT', `${path}/${adminRole}`, undefined, admin)).status, 204);
  const v = await call('GET', '/v3/auth/tokens', undefined, admin, { 'X-Subject-Token': t.token });
  assert.deepEqual(v.body.token.roles.map((x: { name: string }) => x.name).sort(), ['admin', 'member', 'reader'], 'the new role shows at once');
  // Domain and system grants.
  assert.equal((await call('PUT', `/v3/domains/default/users/${u.id}/roles/${reader}`, undefined, admin)).status, 204);
  assert.deepEqual((await call('GET', `/v3/domains/default/users/${u.id}/roles`, undefined, admin)).body.roles.map((x: { name: string }) => x.name), ['reader']);
  assert.equal((await call('PUT', `/v3/system/users/${u.id}/roles/${reader}`, undefined, admin)).status, 204);
  assert.equal((await call('HEAD', `/v3/system/users/${u.id}/roles/${reader}`, undefined, admin)).status, 204);
  const scopes = (await call('GET', `/v3/role_assignments?user.id=${u.id}`, undefined, admin)).body.role_assignments.map((a: { scope: unknown }) => a.scope);
  assert.deepEqual(scopes, [{ project: { id: p.id } }, { project: { id: p.id } }, { domain: { id: 'default' } }, { system: { all: true } }]);
  // Removing every project role: the project token no longer validates.
  for (const r of [member, adminRole]) assert.equal((await call('DELETE', `${path}/${r}`, undefined, admin)).status, 204);
  isError(await call('DELETE', `${path}/${member}`, undefined, admin), 404);
  isError(await call('GET', '/v3/auth/tokens', undefined, admin, { 'X-Subject-Token': t.token }), 404);
  for (const r of [`/v3/domains/default/users/${u.id}/roles/${reader}`, `/v3/system/users/${u.id}/roles/${reader}`]) {
    assert.equal((await call('DELETE', r, undefined, admin)).status, 204);
  }
});

test('role assignments: the filters and names `openstack role assignment list` asks for', async () => {
  const neutron = (await call('GET', '/v3/users?name=neutron', undefined, admin)).body.users[0];
  const service = (await call('GET', '/v3/projects?name=service', undefined, admin)).body.projects[0];
  const adminRole = (await call('GET', '/v3/roles?name=admin', undefined, admin)).body.roles[0];
  assert.equal((await call('PUT', `/v3/projects/${service.id}/users/${neutron.id}/roles/${adminRole.id}`, undefined, admin)).status, 204);
  const q = `user.id=${neutron.id}&scope.project.id=${service.id}`;
  const plain = await call('GET', `/v3/role_assignments?${q}`, undefined, admin);
  assert.deepEqual(plain.body.role_assignments, [{
    role: { id: adminRole.id }, user: { id: neutron.id }, scope: { project: { id: service.id } },
    links: { assignment: `${idp.url}/projects/${service.id}/users/${neutron.id}/roles/${adminRole.id}` },
  }]);
  const named = await call('GET', `/v3/role_assignments?${q}&include_names=True`, undefined, admin);
  const a = named.body.role_assignments[0];
  assert.deepEqual([a.role, a.user, a.scope], [
    { id: adminRole.id, name: 'admin' },
    { id: neutron.id, name: 'neutron', domain: { id: 'default', name: 'Default' } },
    { project: { id: service.id, name: 'service', domain: { id: 'default', name: 'Default' } } },
  ]);
  // effective: with the roles admin implies, as tokens carry them.
  const eff = await call('GET', `/v3/role_assignments?${q}&effective=True&include_names=True`, undefined, admin);
  assert.deepEqual(eff.body.role_assignments.map((x: { role: { name: string } }) => x.role.name).sort(), ['admin', 'member', 'reader']);
  // As Keystone 22 answered: an implied entry links to the grant it comes from and to the rule.
  const member = eff.body.role_assignments.find((x: { role: { name: string } }) => x.role.name === 'member');
  assert.deepEqual(member.links, {
    assignment: `${idp.url}/projects/${service.id}/users/${neutron.id}/roles/${adminRole.id}`,
    prior_role: `${idp.url}/prior_role/${member.role.id}/implies/${adminRole.id}`,
  });
  assert.equal((await call('GET', `/v3/role_assignments?role.id=${adminRole.id}&scope.project.id=${service.id}`, undefined, admin)).body.role_assignments.length, 1);
  assert.ok((await call('GET', '/v3/role_assignments?scope.system=all', undefined, admin)).body.role_assignments.every((x: { scope: { system?: unknown } }) => x.scope.system));
  isError(await call('GET', '/v3/role_assignments', undefined, demo), 403);
});

test('services and endpoints: built-in entries until one of the type is registered; the seed\'s registration; catalog follows', async () => {
  const services = (await call('GET', '/v3/services', undefined, admin)).body.services;
  assert.deepEqual(services.map((s: { type: string; name: string }) => `${s.type}:${s.name}`).sort(), ['identity:keystone', 'network:neutron']);
  const builtinNetwork = services.find((s: { type: string }) => s.type === 'network');
  isError(await call('DELETE', `/v3/services/${builtinNetwork.id}`, undefined, admin), 403, /built in/);
  isError(await call('GET', '/v3/services', undefined, demo), 403);
  isError(await call('GET', '/v3/endpoints', undefined, demo), 403);
  // The seed: service create --name neutron --description ... network
  const s = await call('POST', '/v3/services', { service: { name: 'neutron', description: 'The Networking Service', type: 'network', enabled: true } }, admin);
  assert.equal(s.status, 201);
  assert.deepEqual({ ...s.body.service, id: 'x' }, { id: 'x', name: 'neutron', description: 'The Networking Service', type: 'network', enabled: true, links: { self: `${idp.url}/services/${s.body.service.id}` } });
  // Only one "neutron" now: the CLI's name lookup finds it.
  assert.deepEqual((await call('GET', '/v3/services?name=neutron', undefined, admin)).body.services.map((x: { id: string }) => x.id), [s.body.service.id]);
  assert.deepEqual((await call('GET', '/v3/services?type=network', undefined, admin)).body.services.length, 1);
  // A registered network service without endpoints: the catalog has no network entry, as Keystone's.
  const cat = async () => (await call('GET', '/v3/auth/catalog', undefined, demo)).body.catalog as { type: string; name: string; endpoints: { url: string; interface: string; region_id: string }[] }[];
  assert.deepEqual((await cat()).map((x) => x.type), ['identity']);
  // endpoint create --region RegionOne neutron public|internal|admin http://controller:9696 (keystoneclient sends `region`)
  for (const iface of ['public', 'internal', 'admin']) {
    const e = await call('POST', '/v3/endpoints', { endpoint: { service_id: s.body.service.id, interface: iface, url: 'http://controller:9696', region: 'RegionOne', enabled: true } }, admin);
    assert.equal(e.status, 201, JSON.stringify(e.body));
    assert.deepEqual({ ...e.body.endpoint, id: 'x' }, {
      id: 'x', interface: iface, region_id: 'RegionOne', region: 'RegionOne', service_id: s.body.service.id, url: 'http://controller:9696', enabled: true,
      links: { self: `${idp.url}/endpoints/${e.body.endpoint.id}` },
    });
  }
  const network = (await cat()).find((x) => x.type === 'network')!;
  assert.equal(network.name, 'neutron');
  assert.deepEqual(network.endpoints.map((e) => `${e.interface} ${e.url} ${e.region_id}`).sort(),
    ['admin http://controller:9696 RegionOne', 'internal http://controller:9696 RegionOne', 'public http://controller:9696 RegionOne']);
  // The token's catalog is the same.
  const token = await login('demo', PW.demo, 'demo');
  assert.equal(token.body.token.catalog.find((x: { type: string }) => x.type === 'network').endpoints[0].url, 'http://controller:9696');
  const list = await call('GET', `/v3/endpoints?service_id=${s.body.service.id}&interface=admin`, undefined, admin);
  assert.equal(list.body.endpoints.length, 1);
  // Bad endpoints: unknown service, unknown region_id, bad interface, missing url.
  const bad = (endpoint: unknown) => call('POST', '/v3/endpoints', { endpoint }, admin);
  isError(await bad({ service_id: 'nope', interface: 'public', url: 'http://x' }), 400, /endpoint service_id in service table/);
  isError(await bad({ service_id: s.body.service.id, interface: 'public', url: 'http://x', region_id: 'Mars' }), 400, /endpoint region_id in region table/);
  isError(await bad({ service_id: s.body.service.id, interface: 'outside', url: 'http://x' }), 400, "Invalid input for field 'interface': 'outside' is not one of ['admin', 'internal', 'public']");
  isError(await bad({ service_id: s.body.service.id, interface: 'public' }), 400, "'url' is a required property");
  isError(await bad({ service_id: s.body.service.id, interface: 'public', url: 'not a url' }), 400, /field 'url'/);
  // PATCH, disable (leaves the catalog), DELETE.
  const e0 = list.body.endpoints[0];
  assert.equal((await call('PATCH', `/v3/endpoints/${e0.id}`, { endpoint: { url: 'http://controller:9797', enabled: false } }, admin)).body.endpoint.url, 'http://controller:9797');
  assert.equal((await cat()).find((x) => x.type === 'network')!.endpoints.length, 2);
  assert.equal((await call('DELETE', `/v3/endpoints/${e0.id}`, undefined, admin)).status, 204);
  isError(await call('GET', `/v3/endpoints/${e0.id}`, undefined, admin), 404, `Could not find endpoint: ${e0.id}.`);
  // The built-in identity endpoints are read only.
  const idEndpoint = (await call('GET', '/v3/endpoints?interface=public', undefined, admin)).body.endpoints.find((e: { url: string }) => e.url === idp.url);
  isError(await call('PATCH', `/v3/endpoints/${idEndpoint.id}`, { endpoint: { url: 'http://x' } }, admin), 403, /built in/);
});

test('an endpoint on the built-in identity service registers that service; deleting a service deletes its endpoints', async () => {
  const identity = (await call('GET', '/v3/services?type=identity', undefined, admin)).body.services[0];
  const e = await call('POST', '/v3/endpoints', { endpoint: { service_id: identity.id, interface: 'public', url: 'http://controller:5000/v3', region_id: 'RegionOne' } }, admin);
  assert.equal(e.status, 201, JSON.stringify(e.body));
  const endpoints = (await call('GET', `/v3/endpoints?service_id=${identity.id}`, undefined, admin)).body.endpoints;
  assert.deepEqual(endpoints.map((x: { url: string }) => x.url), ['http://controller:5000/v3'], 'the operator\'s endpoint replaces the built-in ones');
  assert.equal((await call('DELETE', `/v3/services/${identity.id}`, undefined, admin)).status, 204);
  assert.equal((await call('GET', `/v3/endpoints/${e.body.endpoint.id}`, undefined, admin)).status, 404);
  // Nothing of the type is registered any more: the built-in service is back.
  const back = (await call('GET', '/v3/services?type=identity', undefined, admin)).body.services;
  assert.equal(back[0].id, identity.id);
  assert.deepEqual((await call('GET', `/v3/endpoints?service_id=${identity.id}`, undefined, admin)).body.endpoints.map((x: { url: string }) => x.url), [idp.url, idp.url, idp.url]);
});

test('regions: RegionOne; create (POST, PUT), 409, parents, delete; writes admin only', async () => {
  assert.deepEqual((await call('GET', '/v3/regions/RegionOne', undefined, demo)).body.region, { id: 'RegionOne', description: '', parent_region_id: null, links: { self: `${idp.url}/regions/RegionOne` } });
  isError(await call('POST', '/v3/regions', { region: { id: 'R2' } }, demo), 403);
  assert.equal((await call('POST', '/v3/regions', { region: { id: 'R2', description: 'two' } }, admin)).status, 201);
  isError(await call('POST', '/v3/regions', { region: { id: 'R2' } }, admin), 409, 'Conflict occurred attempting to store region - Duplicate ID, R2..');
  assert.equal((await call('PUT', '/v3/regions/R3', { region: { parent_region_id: 'R2' } }, admin)).status, 201);
  isError(await call('PATCH', '/v3/regions/R2', { region: { parent_region_id: 'R3' } }, admin), 400, /Circular reference/);
  assert.deepEqual((await call('GET', '/v3/regions?parent_region_id=R2', undefined, admin)).body.regions.map((r: { id: string }) => r.id), ['R3']);
  isError(await call('DELETE', '/v3/regions/R2', undefined, admin), 403, /child regions/);
  assert.equal((await call('DELETE', '/v3/regions/R3', undefined, admin)).status, 204);
  assert.equal((await call('DELETE', '/v3/regions/R2', undefined, admin)).status, 204);
  isError(await call('GET', '/v3/regions/R2', undefined, admin), 404, 'Could not find region: R2.');
  isError(await call('DELETE', '/v3/regions/RegionOne', undefined, admin), 403, /associated endpoints/);
});

test('tempest dynamic credentials: domain lookup, project, user, roles, token, then cleanup', async () => {
  // cred_client.V3CredsClient: the credentials domain by name
  const domain = (await call('GET', '/v3/domains?name=Default', undefined, admin)).body.domains[0];
  const project = (await call('POST', '/v3/projects', { project: { name: 'tempest-NetworksTest-1', description: 'tempest-NetworksTest-1-desc', domain_id: domain.id } }, admin)).body.project;
  const user = (await call('POST', '/v3/users', { user: { name: 'tempest-NetworksTest-1-project', password: 'Secret-1', domain_id: domain.id } }, admin)).body.user;
  const adminUser = (await call('POST', '/v3/users', { user: { name: 'tempest-NetworksTest-1-project-admin', password: 'Secret-2', domain_id: domain.id } }, admin)).body.user;
  const roles = (await call('GET', '/v3/roles', undefined, admin)).body.roles as { id: string; name: string }[];
  // create_user_role('member') when it exists: 409, which tempest ignores.
  isError(await call('POST', '/v3/roles', { role: { name: 'member' } }, admin), 409);
  const id = (n: string) => roles.find((r) => r.name === n)!.id;
  assert.equal((await call('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${id('member')}`, undefined, admin)).status, 204);
  assert.equal((await call('PUT', `/v3/projects/${project.id}/users/${adminUser.id}/roles/${id('admin')}`, undefined, admin)).status, 204);
  // tempest's auth: ids for the user and project, as get_credentials fills them.
  const r = await call('POST', '/v3/auth/tokens', {
    auth: {
      identity: { methods: ['password'], password: { user: { id: user.id, password: 'Secret-1' } } },
      scope: { project: { id: project.id } },
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.token.project.id, project.id);
  assert.deepEqual(r.body.token.roles.map((x: { name: string }) => x.name).sort(), ['member', 'reader']);
  const adminToken = (await login('tempest-NetworksTest-1-project-admin', 'Secret-2', 'tempest-NetworksTest-1')).body.token;
  assert.deepEqual(adminToken.roles.map((x: { name: string }) => x.name).sort(), ['admin', 'member', 'reader']);
  // clear_creds: users, then the project; a second delete is a 404 tempest logs and ignores.
  for (const u of [user, adminUser]) assert.equal((await call('DELETE', `/v3/users/${u.id}`, undefined, admin)).status, 204);
  assert.equal((await call('DELETE', `/v3/projects/${project.id}`, undefined, admin)).status, 204);
  isError(await call('DELETE', `/v3/users/${user.id}`, undefined, admin), 404);
  isError(await call('DELETE', `/v3/projects/${project.id}`, undefined, admin), 404);
  isError(await call('GET', '/v3/auth/tokens', undefined, admin, { 'X-Subject-Token': r.headers.get('x-subject-token')! }), 404);
});

test('everything registered is in identity.json and survives a restart', async () => {
  const u = (await call('POST', '/v3/users', { user: { name: 'u-kept', password: 'kept-pw' } }, admin)).body.user;
  const p = (await call('POST', '/v3/projects', { project: { name: 'p-kept' } }, admin)).body.project;
  const member = (await call('GET', '/v3/roles?name=member', undefined, admin)).body.roles[0];
  await call('PUT', `/v3/projects/${p.id}/users/${u.id}/roles/${member.id}`, undefined, admin);
  await call('POST', '/v3/regions', { region: { id: 'RegionKept' } }, admin);
  const state = readFileSync(join(dir, 'identity.json'), 'utf8');
  assert.ok(!state.includes('kept-pw'), 'only the hash is stored');
  await idp.close();
  idp = await startEmbeddedIdentity({ stateDir: dir, host: '127.0.0.1', port: 0, networkUrl: 'http://127.0.0.1:9696' });
  admin = (await login('admin', PW.admin, 'admin')).token;
  const t = await login('u-kept', 'kept-pw', 'p-kept');
  assert.deepEqual(t.body.token.roles.map((x: { name: string }) => x.name).sort(), ['member', 'reader']);
  // The seed's network endpoints (registered by an earlier test) are still the catalog's.
  assert.equal(t.body.token.catalog.find((x: { type: string }) => x.type === 'network').endpoints[0].url, 'http://controller:9696');
  assert.equal((await call('GET', '/v3/regions/RegionKept', undefined, admin)).status, 200);
});

test('an identity.json from before services, endpoints and regions were stored loads with the built-in catalog and RegionOne', async () => {
  const old = mkdtempSync(join(tmpdir(), 'muon-identity-old-'));
  const first = await startEmbeddedIdentity({ stateDir: old, host: '127.0.0.1', port: 0, networkUrl: 'http://127.0.0.1:9696', initialPasswords: PW });
  await first.close();
  const file = join(old, 'identity.json');
  const data = JSON.parse(readFileSync(file, 'utf8'));
  for (const k of ['services', 'endpoints', 'regions']) delete data[k];
  writeFileSync(file, JSON.stringify(data));
  const again = await startEmbeddedIdentity({ stateDir: old, host: '127.0.0.1', port: 0, networkUrl: 'http://127.0.0.1:9696' });
  try {
    const t = await again.identity.issue({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: PW.admin } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } });
    const catalog = t.body.token.catalog as { type: string; endpoints: { url: string }[] }[];
    assert.deepEqual(catalog.map((s) => s.type).sort(), ['identity', 'network']);
    assert.equal(catalog.find((s) => s.type === 'network')!.endpoints[0].url, 'http://127.0.0.1:9696');
    assert.deepEqual(again.identity.data.regions.map((r) => r.id), ['RegionOne']);
  } finally {
    await again.close();
    rmSync(old, { recursive: true, force: true });
  }
});
