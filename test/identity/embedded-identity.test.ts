// The embedded identity over HTTP, as keystoneauth and the CLIs use it: discovery,
// password/token authentication with each kind of scope, validation, revocation,
// catalog, reads; and its state (hashed passwords, key, openrc files) on disk.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedIdentity, type RunningIdentity } from '../../src/identity/embedded/server.ts';

let dir: string;
let idp: RunningIdentity;
const PW = { admin: 'admin-secret', demo: 'demo-secret' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'muon-identity-'));
  idp = await startEmbeddedIdentity({ stateDir: dir, host: '127.0.0.1', port: 0, networkUrl: 'http://127.0.0.1:9696', initialPasswords: PW });
});
after(async () => { await idp.close(); rmSync(dir, { recursive: true, force: true }); });

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(idp.url.replace(/\/v3$/, '') + path, {
    method, headers: { ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const passwordAuth = (user: string, password: string, scope?: unknown) => ({
  auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } }, ...(scope ? { scope } : {}) },
});
const projectScope = (name: string) => ({ project: { name, domain: { id: 'default' } } });

async function token(user: 'admin' | 'demo', scope: unknown = projectScope(user)): Promise<string> {
  const r = await call('POST', '/v3/auth/tokens', passwordAuth(user, PW[user], scope));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.headers.get('x-subject-token')!;
}

test('version discovery: GET / (300, versions.values) and GET /v3', async () => {
  const root = await call('GET', '/');
  assert.equal(root.status, 300);
  assert.equal(root.body.versions.values[0].id, 'v3.14');
  const v3 = await call('GET', '/v3');
  assert.equal(v3.status, 200);
  assert.equal(v3.body.version.status, 'stable');
  assert.equal(v3.body.version.links[0].href, `${idp.url}/`);
});

test('password auth scoped to a project by name: Keystone v3 token body with roles and catalog', async () => {
  const r = await call('POST', '/v3/auth/tokens', passwordAuth('admin', PW.admin, projectScope('admin')));
  assert.equal(r.status, 201);
  assert.match(r.headers.get('x-subject-token') ?? '', /^mu1\./);
  const t = r.body.token;
  assert.deepEqual(t.methods, ['password']);
  assert.equal(t.user.name, 'admin');
  assert.deepEqual(t.user.domain, { id: 'default', name: 'Default' });
  assert.equal(t.project.name, 'admin');
  assert.deepEqual(t.roles.map((x: { name: string }) => x.name).sort(), ['admin', 'member', 'reader']);
  assert.match(t.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  const network = t.catalog.find((s: { type: string }) => s.type === 'network');
  assert.deepEqual(network.endpoints.map((e: { interface: string }) => e.interface).sort(), ['admin', 'internal', 'public']);
  assert.equal(network.endpoints[0].url, 'http://127.0.0.1:9696');
  assert.ok(t.catalog.find((s: { type: string }) => s.type === 'identity'));
});

test('wrong password, unknown user, project without a role → 401 with Keystone\'s body', async () => {
  for (const body of [passwordAuth('admin', 'nope', projectScope('admin')), passwordAuth('ghost', 'x'), passwordAuth('demo', PW.demo, projectScope('admin'))]) {
    const r = await call('POST', '/v3/auth/tokens', body);
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 401);
    assert.equal(r.body.error.title, 'Unauthorized');
  }
  assert.equal((await call('POST', '/v3/auth/tokens', { auth: {} })).status, 400);
});

test('unscoped and system scope; rescoping with the token method keeps the expiry', async () => {
  const unscoped = await call('POST', '/v3/auth/tokens', passwordAuth('demo', PW.demo, 'unscoped'));
  assert.equal(unscoped.status, 201);
  assert.equal(unscoped.body.token.project, undefined);
  assert.equal(unscoped.body.token.catalog, undefined);
  const sys = await call('POST', '/v3/auth/tokens', passwordAuth('admin', PW.admin, { system: { all: true } }));
  assert.deepEqual(sys.body.token.system, { all: true });
  const rescoped = await call('POST', '/v3/auth/tokens', {
    auth: { identity: { methods: ['token'], token: { id: unscoped.headers.get('x-subject-token') } }, scope: projectScope('demo') },
  });
  assert.equal(rescoped.status, 201);
  assert.equal(rescoped.body.token.project.name, 'demo');
  assert.equal(rescoped.body.token.expires_at, unscoped.body.token.expires_at);
  assert.equal(rescoped.body.token.audit_ids[1], unscoped.body.token.audit_ids[0]);
});

test('GET /v3/auth/tokens: own token or admin/service caller; 404 for invalid subjects; DELETE revokes', async () => {
  const admin = await token('admin');
  const demo = await token('demo');
  const other = await token('demo');
  assert.equal((await call('GET', '/v3/auth/tokens', undefined, { 'X-Auth-Token': demo, 'X-Subject-Token': demo })).status, 200);
  assert.equal((await call('GET', '/v3/auth/tokens', undefined, { 'X-Auth-Token': demo, 'X-Subject-Token': other })).status, 403);
  const v = await call('GET', '/v3/auth/tokens', undefined, { 'X-Auth-Token': admin, 'X-Subject-Token': demo });
  assert.equal(v.status, 200);
  assert.equal(v.body.token.project.name, 'demo');
  const forged = demo.slice(0, -4) + (demo.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  const bad = await call('GET', '/v3/auth/tokens', undefined, { 'X-Auth-Token': admin, 'X-Subject-Token': forged });
  assert.equal(bad.status, 404);
  assert.equal(bad.body.error.title, 'Not Found');
  assert.equal((await call('GET', '/v3/auth/tokens', undefined, { 'X-Auth-Token': 'nope', 'X-Subject-Token': demo })).status, 401);
  assert.equal((await call('DELETE', '/v3/auth/tokens', undefined, { 'X-Auth-Token': admin, 'X-Subject-Token': demo })).status, 204);
  assert.equal((await call('GET', '/v3/auth/tokens', undefined, { 'X-Auth-Token': admin, 'X-Subject-Token': demo })).status, 404);
  // Revocations are kept on disk: a restart does not bring the token back.
  assert.ok(Object.keys(JSON.parse(readFileSync(join(dir, 'identity-revocations.json'), 'utf8'))).length >= 1);
});

test('expired tokens are refused', async () => {
  const d2 = mkdtempSync(join(tmpdir(), 'muon-identity-'));
  // A clock the test moves: issuing hashes a password (scrypt), which on a loaded machine
  // can take longer than a short real lifetime.
  let clock = Date.now();
  const short = await startEmbeddedIdentity({ stateDir: d2, host: '127.0.0.1', port: 0, networkUrl: 'http://x', initialPasswords: PW, tokenLifetime: 60, now: () => clock });
  try {
    const t = await short.identity.issue(passwordAuth('demo', PW.demo, projectScope('demo')));
    assert.ok(short.identity.validate(t.token));
    clock += 59_000;
    assert.ok(short.identity.validate(t.token), 'still valid just before expiry');
    clock += 2_000;
    assert.throws(() => short.identity.validate(t.token), /Could not find token/);
  } finally {
    await short.close();
    rmSync(d2, { recursive: true, force: true });
  }
});

test('catalog, projects and users reads: admin sees all, demo only its own', async () => {
  const admin = await token('admin');
  const demo = await token('demo');
  const cat = await call('GET', '/v3/auth/catalog', undefined, { 'X-Auth-Token': demo });
  assert.deepEqual(cat.body.catalog.map((s: { type: string }) => s.type).sort(), ['identity', 'network']);
  const all = await call('GET', '/v3/projects', undefined, { 'X-Auth-Token': admin });
  assert.deepEqual(all.body.projects.map((p: { name: string }) => p.name).sort(), ['admin', 'demo', 'service']);
  const byName = await call('GET', '/v3/projects?name=demo', undefined, { 'X-Auth-Token': admin });
  assert.equal(byName.body.projects.length, 1);
  assert.equal((await call('GET', '/v3/projects', undefined, { 'X-Auth-Token': demo })).status, 403);
  const mine = await call('GET', '/v3/auth/projects', undefined, { 'X-Auth-Token': demo });
  assert.deepEqual(mine.body.projects.map((p: { name: string }) => p.name), ['demo']);
  const users = await call('GET', '/v3/users?name=demo', undefined, { 'X-Auth-Token': admin });
  const demoId = users.body.users[0].id;
  assert.equal((await call('GET', `/v3/users/${demoId}`, undefined, { 'X-Auth-Token': demo })).body.user.name, 'demo');
  assert.equal((await call('GET', `/v3/users/${demoId}`, undefined, {})).status, 401);
});

test('state on disk: scrypt hashes only, private files, openrc files for admin and demo', () => {
  const state = readFileSync(join(dir, 'identity.json'), 'utf8');
  assert.ok(!state.includes(PW.admin) && !state.includes(PW.demo));
  assert.match(state, /"password_hash": "scrypt\$16384\$8\$1\$/);
  for (const f of ['identity.json', 'identity-token.key', 'admin-openrc.sh', 'demo-openrc.sh']) {
    assert.equal(statSync(join(dir, f)).mode & 0o077, 0, `${f} is private`);
  }
  const rc = readFileSync(join(dir, 'admin-openrc.sh'), 'utf8');
  for (const line of [`OS_AUTH_URL=${idp.url}`, 'OS_USERNAME=admin', `OS_PASSWORD=${PW.admin}`, 'OS_PROJECT_NAME=admin',
    'OS_USER_DOMAIN_NAME=Default', 'OS_PROJECT_DOMAIN_NAME=Default', 'OS_IDENTITY_API_VERSION=3']) {
    assert.ok(rc.includes(`export ${line}\n`), line);
  }
  assert.match(readFileSync(join(dir, 'demo-openrc.sh'), 'utf8'), /OS_PROJECT_NAME=demo/);
});

test('a second start reuses the accounts and key: earlier tokens stay valid', async () => {
  const t = await token('demo');
  const again = await startEmbeddedIdentity({ stateDir: dir, host: '127.0.0.1', port: 0, networkUrl: 'http://127.0.0.1:9696' });
  try {
    assert.equal((again.identity.validate(t).token.user as { name: string }).name, 'demo');
    // OS_AUTH_URL follows the new port; the password stays.
    const rc = readFileSync(join(dir, 'demo-openrc.sh'), 'utf8');
    assert.ok(rc.includes(`OS_AUTH_URL=${again.url}\n`) && rc.includes(`OS_PASSWORD=${PW.demo}\n`));
  } finally {
    await again.close();
  }
});

test('projects: admin creates (201, 409 on a duplicate name) and deletes them (204, then 404); the state file keeps them; others get 403', async () => {
  const admin = await token('admin');
  const demo = await token('demo');
  const create = (t: string, project: unknown) => call('POST', '/v3/projects', { project }, { 'X-Auth-Token': t });
  assert.equal((await create(demo, { name: 'nope' })).status, 403);
  assert.equal((await call('POST', '/v3/projects', { project: { name: 'nope' } })).status, 401);
  const r = await create(admin, { name: 'tempest-p', description: 'd', domain_id: 'default' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const p = r.body.project;
  assert.match(p.id, /^[0-9a-f]{32}$/);
  assert.deepEqual({ name: p.name, description: p.description, domain_id: p.domain_id, enabled: p.enabled }, { name: 'tempest-p', description: 'd', domain_id: 'default', enabled: true });
  assert.equal((await create(admin, { name: 'tempest-p' })).status, 409);
  assert.equal((await create(admin, { description: 'no name' })).status, 400);
  assert.equal((await call('GET', `/v3/projects/${p.id}`, undefined, { 'X-Auth-Token': admin })).body.project.name, 'tempest-p');
  assert.ok(readFileSync(join(dir, 'identity.json'), 'utf8').includes(p.id), 'saved to identity.json');
  assert.equal((await call('DELETE', `/v3/projects/${p.id}`, undefined, { 'X-Auth-Token': demo })).status, 403);
  assert.equal((await call('DELETE', `/v3/projects/${p.id}`, undefined, { 'X-Auth-Token': admin })).status, 204);
  assert.equal((await call('DELETE', `/v3/projects/${p.id}`, undefined, { 'X-Auth-Token': admin })).status, 404);
  assert.equal((await call('GET', `/v3/projects/${p.id}`, undefined, { 'X-Auth-Token': admin })).status, 404);
  assert.ok(!readFileSync(join(dir, 'identity.json'), 'utf8').includes(p.id), 'removed from identity.json');
});
