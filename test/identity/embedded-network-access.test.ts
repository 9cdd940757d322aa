// Users and grants made through the embedded identity's API, seen by Muon's Networking
// API (in-process, as `muon server` runs them): a new user given `member` on a new
// project creates a network there; taking the role away, disabling or deleting the user
// shuts them out at once (tokens are validated in-process, without a cache).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedDefaults, loadConfigSources } from '../../src/config/load.ts';
import { connect } from '../../src/db/connect.ts';
import { upgrade } from '../../src/db/migrate.ts';
import { startServer, type RunningServer } from '../../src/api/server.ts';
import { setupAuth, type AuthSetup } from '../../src/identity/setup.ts';
import { freePort } from '../support/muon-server.ts';

let dir: string;
let conn: ReturnType<typeof connect>;
let auth: AuthSetup;
let muon: RunningServer;
let idUrl: string;

async function http(base: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(base + path, {
    method, headers: { ...(token ? { 'X-Auth-Token': token } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const identity = (method: string, path: string, token?: string, body?: unknown) => http(idUrl, method, path, token, body);
const network = (method: string, path: string, token?: string, body?: unknown) => http(muon.url, method, path, token, body);

async function login(user: string, password: string, project: string): Promise<string> {
  const res = await fetch(`${idUrl}/v3/auth/tokens`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } }, scope: { project: { name: project, domain: { id: 'default' } } } } }),
  });
  assert.equal(res.status, 201, await res.text());
  return res.headers.get('x-subject-token')!;
}

/** The admin's password is generated on first start: read it where `source admin-openrc.sh` would. */
const adminPassword = () => /OS_PASSWORD=(.*)/.exec(readFileSync(join(dir, 'admin-openrc.sh'), 'utf8'))![1];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'muon-identity-net-'));
  const { config } = loadConfigSources([{ file: 'neutron.conf', text: `[DEFAULT]\nstate_path = ${dir}\n[muon]\nidentity_port = ${await freePort()}\n` }], { defaults: embeddedDefaults() });
  conn = connect('sqlite://');
  await upgrade(conn);
  auth = await setupAuth(config);
  muon = await startServer({ config, conn, host: '127.0.0.1', port: 0, authenticate: auth.authenticate });
  idUrl = auth.identity!.url.replace(/\/v3$/, '');
});
after(async () => {
  await muon?.close();
  await auth?.close();
  await conn?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a user created through the identity API works in the Networking API with their roles, until the role goes, the user is disabled or deleted', async () => {
  const admin = await login('admin', adminPassword(), 'admin');
  const project = (await identity('POST', '/v3/projects', admin, { project: { name: 'team' } })).body.project;
  const user = (await identity('POST', '/v3/users', admin, { user: { name: 'alice', password: 'alice-pw', default_project_id: project.id } })).body.user;
  const member = (await identity('GET', '/v3/roles?name=member', admin)).body.roles[0];
  // No role yet: no project token.
  const refused = await fetch(`${idUrl}/v3/auth/tokens`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { id: user.id, password: 'alice-pw' } } }, scope: { project: { id: project.id } } } }),
  });
  assert.equal(refused.status, 401);
  assert.equal((await identity('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${member.id}`, admin)).status, 204);

  const alice = await login('alice', 'alice-pw', 'team');
  const net = await network('POST', '/v2.0/networks', alice, { network: { name: 'team-net' } });
  assert.equal(net.status, 201, JSON.stringify(net.body));
  assert.equal(net.body.network.project_id, project.id);
  // A member, not an admin: admin-only attributes are refused.
  assert.equal((await network('POST', '/v2.0/networks', alice, { network: { name: 'x', shared: true } })).status, 403);
  assert.deepEqual((await network('GET', '/v2.0/networks', alice)).body.networks.map((n: { name: string }) => n.name), ['team-net']);

  // Role taken away: the token no longer passes.
  assert.equal((await identity('DELETE', `/v3/projects/${project.id}/users/${user.id}/roles/${member.id}`, admin)).status, 204);
  assert.equal((await network('GET', '/v2.0/networks', alice)).status, 401);
  // Given back, then the user disabled, then deleted.
  assert.equal((await identity('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${member.id}`, admin)).status, 204);
  const again = await login('alice', 'alice-pw', 'team');
  assert.equal((await network('GET', '/v2.0/networks', again)).status, 200);
  assert.equal((await identity('PATCH', `/v3/users/${user.id}`, admin, { user: { enabled: false } })).status, 200);
  assert.equal((await network('GET', '/v2.0/networks', again)).status, 401);
  // Re-enabled: a new login works; the token from before stays revoked, as Keystone's.
  assert.equal((await identity('PATCH', `/v3/users/${user.id}`, admin, { user: { enabled: true } })).status, 200);
  assert.equal((await network('GET', '/v2.0/networks', again)).status, 401);
  const third = await login('alice', 'alice-pw', 'team');
  assert.equal((await network('GET', '/v2.0/networks', third)).status, 200);
  assert.equal((await identity('DELETE', `/v3/users/${user.id}`, admin)).status, 204);
  assert.equal((await network('GET', '/v2.0/networks', third)).status, 401);
});

test('a user given admin on the service project (the seed\'s neutron user) is an admin in the Networking API', async () => {
  const admin = await login('admin', adminPassword(), 'admin');
  const user = (await identity('POST', '/v3/users', admin, { user: { name: 'neutron', domain_id: 'default', password: 'neutron' } })).body.user;
  const service = (await identity('GET', '/v3/projects?name=service', admin)).body.projects[0];
  const adminRole = (await identity('GET', '/v3/roles?name=admin', admin)).body.roles[0];
  assert.equal((await identity('PUT', `/v3/projects/${service.id}/users/${user.id}/roles/${adminRole.id}`, admin)).status, 204);
  const neutron = await login('neutron', 'neutron', 'service');
  const pub = await network('POST', '/v2.0/networks', neutron, { network: { name: 'public', 'provider:network_type': 'flat', 'provider:physical_network': 'public', 'router:external': true } });
  assert.equal(pub.status, 201, JSON.stringify(pub.body));
  assert.equal(pub.body.network['provider:network_type'], 'flat');
});
