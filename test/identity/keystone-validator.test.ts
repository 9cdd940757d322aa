// The Keystone (HTTP) validator and the API's authenticate hook, against a Keystone v3
// over real HTTP — here Muon's embedded identity; test/identity/keystone-real.test.ts
// does the same against Debian's Keystone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { startEmbeddedIdentity, type RunningIdentity } from '../../src/identity/embedded/server.ts';
import { createKeystoneValidator } from '../../src/identity/keystone-validator.ts';
import { keystoneSettings, v3Root, type KeystoneSettings } from '../../src/identity/keystone-settings.ts';
import { createTokenAuthenticator } from '../../src/identity/authenticator.ts';
import { IdentityUnavailable, InvalidToken } from '../../src/identity/validator.ts';
import { HttpReplyError } from '../../src/errors/http-reply.ts';
import { loadConfigSources, embeddedDefaults } from '../../src/config/load.ts';

let dir: string;
let idp: RunningIdentity;
let port: number;
const PW = { admin: 'admin-secret', demo: 'demo-secret' };

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}
const start = () => startEmbeddedIdentity({ stateDir: dir, host: '127.0.0.1', port, networkUrl: 'http://127.0.0.1:9696', initialPasswords: PW });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'muon-ksv-'));
  port = await freePort();
  idp = await start();
});
after(async () => { await idp.close(); rmSync(dir, { recursive: true, force: true }); });

function settings(extra: Partial<KeystoneSettings> = {}): KeystoneSettings {
  return {
    wwwAuthenticateUri: `http://127.0.0.1:${port}`, identityRoots: [`http://127.0.0.1:${port}/v3`],
    username: 'admin', password: PW.admin, userDomain: { id: 'default' }, projectName: 'admin', projectId: null,
    projectDomain: { id: 'default' }, systemScope: null, tokenCacheTime: 300, timeoutMs: 2000, ...extra,
  };
}
async function demoToken(): Promise<string> {
  return (await idp.identity.issue({ auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: PW.demo } } }, scope: { project: { name: 'demo', domain: { id: 'default' } } } } })).token;
}
const fakeReq = (token?: string) => ({ headers: token ? { 'x-auth-token': token } : {} }) as IncomingMessage;

test('[keystone_authtoken] as the seed writes it (Liberty names, :35357, no /v3)', () => {
  const { config } = loadConfigSources([{ file: 'neutron.conf', text: [
    '[DEFAULT]', 'auth_strategy = keystone', '[keystone_authtoken]', 'auth_uri = http://controller:5000', 'auth_url = http://controller:35357',
    'auth_plugin = password', 'project_domain_id = default', 'user_domain_id = default', 'project_name = service', 'username = neutron', 'password = neutron', '',
  ].join('\n') }], { defaults: embeddedDefaults() });
  const s = keystoneSettings(config);
  assert.equal(s.wwwAuthenticateUri, 'http://controller:5000');
  assert.deepEqual(s.identityRoots, ['http://controller:35357/v3', 'http://controller:5000/v3']);
  assert.deepEqual([s.username, s.password, s.projectName], ['neutron', 'neutron', 'service']);
  assert.deepEqual(s.userDomain, { id: 'default' });
  assert.deepEqual(s.projectDomain, { id: 'default' });
  assert.equal(v3Root('http://k:5000/v3/'), 'http://k:5000/v3');
  assert.equal(v3Root('http://k:5000/v2.0'), 'http://k:5000/v3');
  assert.equal(v3Root('http://k/identity'), 'http://k/identity/v3');
});

test('missing service credentials are a start-up error that names the options', () => {
  const { config } = loadConfigSources([{ file: 'n.conf', text: '[DEFAULT]\nauth_strategy = keystone\n' }], { defaults: embeddedDefaults() });
  assert.throws(() => keystoneSettings(config), /\[keystone_authtoken\] auth_url, username, password, project_name/);
});

test('a valid token → TokenInfo; cached, so it validates even while Keystone is down', async () => {
  const v = createKeystoneValidator(settings());
  const t = await demoToken();
  const info = await v.validate(t);
  assert.equal(info.user.name, 'demo');
  assert.equal(info.project?.name, 'demo');
  assert.deepEqual(info.roles.sort(), ['member', 'reader']);
  assert.equal(v.cacheSize, 1);
  await idp.close();
  try {
    assert.equal((await v.validate(t)).user.name, 'demo');
    await assert.rejects(v.validate('mu1.other.token'), IdentityUnavailable);
  } finally {
    idp = await start();
  }
  // Recovery: the same validator works again once Keystone is back.
  assert.equal((await v.validate(await demoToken())).project?.name, 'demo');
});

test('invalid tokens → InvalidToken (and remembered); expiry bounds the cache', async () => {
  let clock = Date.now();
  const v = createKeystoneValidator(settings(), { now: () => clock });
  await assert.rejects(v.validate('garbage'), InvalidToken);
  await assert.rejects(v.validate('garbage'), InvalidToken);
  const t = await demoToken();
  await v.validate(t);
  clock += 3601_000; // past the token's expiry: refused without asking
  await assert.rejects(v.validate(t), InvalidToken);
});

test('token_cache_time bounds how long a revoked token stays usable; -1 turns the cache off', async () => {
  const t = await demoToken();
  const noCache = createKeystoneValidator(settings({ tokenCacheTime: -1 }));
  await noCache.validate(t);
  idp.identity.revoke(t);
  await assert.rejects(noCache.validate(t), InvalidToken);
});

test('the service token is re-issued when Keystone rejects it (401), e.g. after a key rotation', async () => {
  const v = createKeystoneValidator(settings());
  await v.validate(await demoToken());
  await idp.close();
  rmSync(join(dir, 'identity-token.key')); // every token issued so far becomes invalid
  idp = await start();
  assert.equal((await v.validate(await demoToken())).user.name, 'demo');
});

test('auth_url where nothing listens (the seed\'s :35357): falls back to www_authenticate_uri', async () => {
  const dead = await freePort();
  const events: string[] = [];
  const v = createKeystoneValidator(settings({ identityRoots: [`http://127.0.0.1:${dead}/v3`, `http://127.0.0.1:${port}/v3`] }), { onEvent: (e) => events.push(e) });
  assert.equal((await v.validate(await demoToken())).user.name, 'demo');
  assert.deepEqual(events, ['identity root changed']);
});

test('wrong service password: 503, and the log says which credentials Keystone refused', async () => {
  const events: Record<string, unknown>[] = [];
  const v = createKeystoneValidator(settings({ password: 'wrong' }), { onEvent: (_, d) => events.push(d) });
  await assert.rejects(v.validate(await demoToken()), /refused Muon's service credentials \(\[keystone_authtoken\] username = admin/);
  assert.match(String(events[0].error), /refused Muon's service credentials/);
});

test('authenticate hook: context from the token; 401 with WWW-Authenticate; 503 when Keystone is down', async () => {
  const auth = createTokenAuthenticator({ validator: createKeystoneValidator(settings()), wwwAuthenticateUri: 'http://controller:5000' });
  const ctx = await auth(fakeReq(await demoToken()), 'req-1');
  assert.equal(ctx.isAdmin, false);
  assert.deepEqual(ctx.roles.sort(), ['member', 'reader']);
  assert.equal(ctx.projectId, idp.identity.data.projects.find((p) => p.name === 'demo')!.id);
  for (const token of [undefined, 'garbage']) {
    const e = await auth(fakeReq(token), 'r').then(() => null, (x: unknown) => x);
    assert.ok(e instanceof HttpReplyError);
    assert.equal(e.status, 401);
    assert.deepEqual(e.body, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    assert.equal(e.headers['WWW-Authenticate'], 'Keystone uri="http://controller:5000"');
  }
  await idp.close();
  try {
    const e = await auth(fakeReq('never-seen'), 'r').then(() => null, (x: unknown) => x);
    assert.ok(e instanceof HttpReplyError);
    assert.equal(e.status, 503);
    assert.equal((e.body as { title: string }).title, 'Service Unavailable');
  } finally {
    idp = await start();
  }
});
