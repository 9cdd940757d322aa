// Muon behind Debian's real Keystone (package `keystone`, SQLite, Fernet tokens, on
// 127.0.0.1, served by keystone-wsgi-public — no Apache needed), configured as the seed
// configures neutron-server: auth_strategy = keystone and its [keystone_authtoken]
// section, with the `neutron` service user created by the seed's own commands.
// Keystone's tokens here live 30 s ([token] expiration), so expiry and the re-issue of
// Muon's service token happen within the test.
//
// Without keystone-manage the suite is skipped, unless CI=true, where that is a failure.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigSources, embeddedDefaults } from '../../src/config/load.ts';
import { connect, type Db } from '../../src/db/connect.ts';
import { upgrade } from '../../src/db/migrate.ts';
import { startServer, type RunningServer } from '../../src/api/server.ts';
import { setupAuth } from '../../src/identity/setup.ts';

// Long enough that a token issued before Keystone is stopped still lives when it is back on a
// loaded machine (restarting Keystone there took 18 s), short enough to wait out once.
const TOKEN_LIFETIME = 30;
const inCi = process.env.CI === 'true';
const missing = (() => {
  for (const [cmd, args] of [['keystone-manage', ['--version']], ['keystone-wsgi-public', ['--help']], ['openstack', ['--version']]] as const) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
    if (r.error || r.status !== 0) return `${cmd} cannot be run (apt-get install keystone python3-openstackclient): ${r.error?.message ?? r.stderr}`;
  }
  return undefined;
})();

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^OS_/.test(k)) base[k] = v;
  return new Promise((resolve, reject) => execFile(cmd, args, { env: { ...base, PYTHONWARNINGS: 'ignore', ...env }, timeout: 120_000, encoding: 'utf8' },
    (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout))));
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (missing && inCi) {
  it('Muon behind Debian\'s Keystone', () => { assert.fail(`CI=true but ${missing}`); });
} else {
  describe('Muon behind Debian\'s Keystone (auth_strategy = keystone, the seed\'s [keystone_authtoken])', { skip: missing, timeout: 240_000 }, () => {
    let dir: string;
    let ksPort: number;
    let ksUrl: string;
    let keystone: ChildProcess | null = null;
    let conn: Db;
    let muon: RunningServer;
    const conf = () => join(dir, 'keystone.conf');

    async function startKeystone(): Promise<void> {
      keystone = spawn('keystone-wsgi-public', ['--host', '127.0.0.1', '--port', String(ksPort), '--', '--config-file', conf()], { stdio: 'ignore' });
      for (let i = 0; i < 200; i++) {
        try { if ((await fetch(`${ksUrl}/v3`)).ok) return; } catch { /* not yet */ }
        await sleep(100);
      }
      throw new Error('keystone-wsgi-public did not answer on /v3 within 20 s');
    }
    async function stopKeystone(): Promise<void> {
      const k = keystone;
      keystone = null;
      if (!k || k.exitCode !== null) return;
      await new Promise<void>((r) => { k.once('exit', () => r()); k.kill('SIGTERM'); });
    }
    async function token(user: string, password: string, project: string): Promise<string> {
      const res = await fetch(`${ksUrl}/v3/auth/tokens?nocatalog`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } }, scope: { project: { name: project, domain: { id: 'default' } } } } }),
      });
      assert.equal(res.status, 201, await res.text());
      return res.headers.get('x-subject-token')!;
    }
    async function api(tok: string | null, method: string, path: string, body?: unknown) {
      const res = await fetch(muon.url + path, {
        method, headers: { ...(tok ? { 'X-Auth-Token': tok } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
    }

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'muon-keystone-'));
      ksPort = await freePort();
      ksUrl = `http://127.0.0.1:${ksPort}`;
      writeFileSync(conf(), [
        '[DEFAULT]', `log_file = ${dir}/keystone.log`,
        '[database]', `connection = sqlite:///${dir}/keystone.db`,
        // bcrypt's cheapest cost: this Keystone only serves a test (the default 12 costs ~1 s per login here).
        '[identity]', 'password_hash_rounds = 4',
        '[token]', 'provider = fernet', `expiration = ${TOKEN_LIFETIME}`,
        '[fernet_tokens]', `key_repository = ${dir}/fernet-keys`,
        '[fernet_receipts]', `key_repository = ${dir}/fernet-receipts`,
        '[credential]', `key_repository = ${dir}/credential-keys`, '',
      ].join('\n'));
      const t0 = Date.now();
      const step = (what: string) => { if (process.env.MUON_TEST_VERBOSE) process.stderr.write(`keystone test: ${what} at ${Date.now() - t0} ms\n`); };
      const manage = (...a: string[]) => run('keystone-manage', ['--config-file', conf(), ...a]).then((o) => { step(a[0]); return o; });
      await manage('db_sync');
      await manage('fernet_setup', '--keystone-user', 'root', '--keystone-group', 'root');
      await manage('credential_setup', '--keystone-user', 'root', '--keystone-group', 'root');
      await manage('bootstrap', '--bootstrap-password', 'ADMIN_PASS', '--bootstrap-admin-url', `${ksUrl}/v3/`, '--bootstrap-internal-url', `${ksUrl}/v3/`,
        '--bootstrap-public-url', `${ksUrl}/v3/`, '--bootstrap-region-id', 'RegionOne');
      await startKeystone();
      step('keystone started');
      // admin-openrc.sh, then the seed's commands (plus the install guide's demo project and user).
      const admin = { OS_AUTH_URL: `${ksUrl}/v3`, OS_USERNAME: 'admin', OS_PASSWORD: 'ADMIN_PASS', OS_PROJECT_NAME: 'admin', OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_IDENTITY_API_VERSION: '3' };
      const osc = (line: string) => run('openstack', line.split(' '), admin);
      await osc('project create --domain default --description Service service');
      await osc('user create --domain default --password neutron neutron');
      await osc('role add --project service --user neutron admin');
      await osc('project create --domain default demo');
      await osc('user create --domain default --password DEMO_PASS demo');
      await osc('role add --project demo --user demo member');
      step('seed commands');

      // Muon with the seed's neutron.conf sections (controller:5000 / controller:35357 → this Keystone).
      const { config } = loadConfigSources([{ file: 'neutron.conf', text: [
        '[DEFAULT]', 'auth_strategy = keystone', 'core_plugin = ml2', 'service_plugins = router', '[muon]', 'identity = keystone',
        '[keystone_authtoken]', `auth_uri = ${ksUrl}`, `auth_url = ${ksUrl}`, 'auth_plugin = password',
        'project_domain_id = default', 'user_domain_id = default', 'project_name = service', 'username = neutron', 'password = neutron', '',
      ].join('\n') }], { defaults: embeddedDefaults() });
      conn = connect('sqlite://');
      await upgrade(conn);
      const auth = await setupAuth(config);
      muon = await startServer({ config, conn, host: '127.0.0.1', port: 0, authenticate: auth.authenticate, login: auth.login });
    });
    after(async () => {
      await muon?.close();
      await conn?.close();
      await stopKeystone();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('admin creates the seed\'s provider network; demo sees it shared, without provider attributes', async () => {
      const admin = await token('admin', 'ADMIN_PASS', 'admin');
      const pub = await api(admin, 'POST', '/v2.0/networks', { network: { name: 'public', shared: true, 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'public' } });
      assert.equal(pub.status, 201, JSON.stringify(pub.body));
      assert.equal(pub.body.network['provider:network_type'], 'flat');
      const demo = await token('demo', 'DEMO_PASS', 'demo');
      const seen = await api(demo, 'GET', `/v2.0/networks/${pub.body.network.id}`);
      assert.equal(seen.status, 200);
      assert.equal(seen.body.network.shared, true);
      assert.equal(seen.body.network['provider:network_type'], undefined);
    });

    it('demo creates its own network in its project and cannot do what only admin may', async () => {
      const demo = await token('demo', 'DEMO_PASS', 'demo');
      const net = await api(demo, 'POST', '/v2.0/networks', { network: { name: 'private' } });
      assert.equal(net.status, 201);
      const demoProject = ((await (await fetch(`${ksUrl}/v3/auth/tokens`, { headers: { 'X-Auth-Token': demo, 'X-Subject-Token': demo } })).json()) as { token: { project: { id: string } } }).token.project.id;
      assert.equal(net.body.network.project_id, demoProject);
      const shared = await api(demo, 'POST', '/v2.0/networks', { network: { name: 'x', shared: true } });
      assert.equal(shared.status, 403);
      assert.equal(shared.body.NeutronError.message, '(rule:create_network and rule:create_network:shared) is disallowed by policy');
      const provider = await api(demo, 'POST', '/v2.0/networks', { network: { name: 'y', 'provider:network_type': 'vxlan' } });
      assert.equal(provider.status, 403);
      // Admin sees demo's network (and its segment); demo does not see admin-only attributes.
      const admin = await token('admin', 'ADMIN_PASS', 'admin');
      const asAdmin = await api(admin, 'GET', `/v2.0/networks/${net.body.network.id}`);
      assert.equal(asAdmin.body.network['provider:network_type'], 'vxlan');
    });

    it('missing and bad tokens → 401 with WWW-Authenticate: Keystone uri="<auth_uri>"', async () => {
      for (const tok of [null, 'gAAAAABbogus-token', 'x'.repeat(300)]) {
        const r = await api(tok, 'GET', '/v2.0/networks');
        assert.equal(r.status, 401);
        assert.deepEqual(r.body, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
        assert.equal(r.headers.get('www-authenticate'), `Keystone uri="${ksUrl}"`);
      }
    });

    it('the topology page signs in at Keystone: an admin gets a token that works, demo 403, a wrong password 401', async () => {
      const login = (username: string, password: string, project: string) => fetch(`${muon.url}/muon/login`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password, project_name: project }),
      }).then(async (r) => ({ status: r.status, body: await r.json() as any }));
      const ok = await login('admin', 'ADMIN_PASS', 'admin');
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.ok(ok.body.roles.includes('admin'));
      assert.equal((await api(ok.body.token, 'GET', '/v2.0/muon/doctor')).status, 200);
      const demo = await login('demo', 'DEMO_PASS', 'demo');
      assert.equal(demo.status, 403);
      assert.equal(demo.body.NeutronError.type, 'PolicyNotAuthorized');
      const wrong = await login('admin', 'nope', 'admin');
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.NeutronError.type, 'Unauthorized');
    });

    it('an expired token → 401 (and Muon\'s own service token is re-issued as it expires)', async () => {
      const demo = await token('demo', 'DEMO_PASS', 'demo');
      assert.equal((await api(demo, 'GET', '/v2.0/networks')).status, 200);
      await sleep((TOKEN_LIFETIME + 1) * 1000);
      assert.equal((await api(demo, 'GET', '/v2.0/networks')).status, 401);
      // A fresh token works: Muon re-authenticated its own (also expired) service token.
      assert.equal((await api(await token('demo', 'DEMO_PASS', 'demo'), 'GET', '/v2.0/networks')).status, 200);
    });

    it('Keystone stopped → 503; it comes back → requests succeed again', async () => {
      const pending = await token('demo', 'DEMO_PASS', 'demo'); // not yet seen by Muon, so not cached
      const later = await token('admin', 'ADMIN_PASS', 'admin');
      await stopKeystone();
      const down = await api(pending, 'GET', '/v2.0/networks');
      assert.equal(down.status, 503);
      assert.equal(down.body.title, 'Service Unavailable');
      await startKeystone();
      assert.equal((await api(pending, 'GET', '/v2.0/networks')).status, 200);
      assert.equal((await api(later, 'GET', '/v2.0/networks')).status, 200);
    });
  });
}
