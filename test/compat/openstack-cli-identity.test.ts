// The `openstack` CLI (python3-openstackclient 6.0, Debian 12) against `muon server` with the
// embedded identity, as the admin of the admin-openrc.sh Muon writes:
//  - the seed's identity commands (neutron-liberty-two-node.md, the line copied verbatim in
//    fixtures/seed-identity.txt) run exactly as written: user create, role add, service
//    create, endpoint create ×3; each create's output has every field of the seed's table,
//    with the seed's values (ids aside);
//  - then the reads an operator checks them with: user list, role assignment list --names,
//    service list, endpoint list, catalog list (built from what was registered);
//  - before that, a new project and user made with the CLI work in the Networking API
//    through the CLI, and stop working when their role is removed.
//
// Without the CLI the suite is skipped, unless CI=true, where that is a failure.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startMuonServer, type MuonServer } from '../support/muon-server.ts';

const FIXTURE = new URL('./fixtures/seed-identity.txt', import.meta.url);
const TIMEOUT = 60_000;
const HEX32 = /^[0-9a-f]{32}$/;

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^OS_/i.test(k)) env[k] = v;
  env.PYTHONWARNINGS = 'ignore';
  return env;
}
function missingCli(): string | undefined {
  const r = spawnSync('openstack', ['--version'], { env: baseEnv(), timeout: TIMEOUT, encoding: 'utf8' });
  if (r.error || r.status !== 0) return `openstack cannot be run (install python3-openstackclient): ${r.error?.message ?? r.stderr}`;
  return undefined;
}

interface Run { code: number; stdout: string; stderr: string; line: string }
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile('openstack', args, { env: { ...baseEnv(), ...env }, timeout: TIMEOUT, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr, line: `openstack ${args.join(' ')}` });
    });
  });
}
const describeRun = (r: Run): string => `${r.line} -> exit ${r.code}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`;

/** Splits a shell command line into words (single and double quotes, as the seed uses them). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/** The seed's commands after each shell prompt, with the `| Field | Value |` table each printed. */
function seedCommands(text: string): { words: string[]; fields: Map<string, string> }[] {
  return text.split(/\[\w+@controller [^\]]*\][#$] /).slice(1).map((segment) => {
    const [command, ...table] = segment.split(/ \+-{3,}/);
    const fields = new Map<string, string>();
    for (const m of table.join(' ').matchAll(/\| ([a-z_]+) +\| ([^|]*?) +\|/g)) fields.set(m[1], m[2]);
    return { words: shellWords(command.trim()), fields };
  });
}

/** How OSC's table prints a JSON value. */
const tableValue = (v: unknown): string => v === null || v === undefined ? 'None' : typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);

const missing = missingCli();
const inCi = process.env.CI === 'true';

if (missing && inCi) {
  it('openstack CLI identity commands against the embedded identity', () => { assert.fail(`CI=true but ${missing}`); });
} else {
  describe('openstack CLI: the seed\'s identity commands against muon server\'s embedded identity', { skip: missing, timeout: 600_000 }, () => {
    let muon: MuonServer;
    let admin: Record<string, string>;

    before(async () => {
      muon = await startMuonServer('muon-osc-identity-');
      admin = muon.admin;
    });
    after(() => muon?.stop());

    async function ok(as: Record<string, string>, args: string[], json = true): Promise<any> {
      const r = await cli(json ? [...args, '-f', 'json'] : args, as);
      assert.equal(r.code, 0, describeRun(r));
      if (!json) return r.stdout;
      try { return JSON.parse(r.stdout); } catch { assert.fail(`not JSON: ${describeRun(r)}`); }
    }

    it('a project and user made with the CLI create a network through the CLI; without the role they cannot', async () => {
      const project = await ok(admin, ['project', 'create', '--domain', 'default', '--description', 'a team', 'team']);
      assert.match(project.id, HEX32);
      const user = await ok(admin, ['user', 'create', '--domain', 'default', '--project', 'team', '--password', 'alice-pw', 'alice']);
      assert.equal(user.default_project_id, project.id);
      assert.equal(await ok(admin, ['role', 'add', '--project', 'team', '--user', 'alice', 'member'], false), '');
      const alice = { ...admin, OS_USERNAME: 'alice', OS_PASSWORD: 'alice-pw', OS_PROJECT_NAME: 'team' };
      const net = await ok(alice, ['network', 'create', 'team-net']);
      assert.equal(net.project_id, project.id);
      assert.deepEqual((await ok(alice, ['network', 'list'])).map((n: { Name: string }) => n.Name), ['team-net']);
      await ok(admin, ['role', 'remove', '--project', 'team', '--user', 'alice', 'member'], false);
      const refused = await cli(['network', 'list'], alice);
      assert.notEqual(refused.code, 0, describeRun(refused));
      assert.match(refused.stderr, /401|has no access to project|authenticat/i, describeRun(refused));
      await ok(admin, ['user', 'delete', 'alice'], false);
      await ok(admin, ['project', 'delete', 'team'], false);
      const gone = await cli(['user', 'show', 'alice'], admin);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /No user with a name or ID of 'alice' exists/, describeRun(gone));
    });

    it('the seed\'s commands, verbatim: user create, role add, service create, endpoint create ×3', async () => {
      const commands = seedCommands(readFileSync(FIXTURE, 'utf8'));
      assert.deepEqual(commands.map((c) => c.words.slice(0, 3).join(' ')), [
        'source admin-openrc.sh', 'openstack user create', 'openstack role add', 'openstack service create',
        'openstack endpoint create', 'openstack endpoint create', 'openstack endpoint create',
      ]);
      // `source admin-openrc.sh`: Muon's admin-openrc.sh is the environment of every command.
      let serviceId = '';
      for (const { words, fields } of commands.slice(1)) {
        const args = words.slice(1);
        if (fields.size === 0) {
          // role add and service create print no table in the seed (-f json would still print one for service create).
          const out = await ok(admin, args, args[1] === 'create');
          if (args[0] === 'service') serviceId = out.id;
          continue;
        }
        const got = await ok(admin, args);
        for (const [k, v] of fields) {
          assert.ok(k in got, `${args.join(' ')}: no ${k} in ${JSON.stringify(got)}`);
          if (k === 'id') assert.match(got.id, HEX32);
          else if (k === 'service_id') assert.equal(got.service_id, serviceId);
          else assert.equal(tableValue(got[k]), v, `${args.join(' ')}: ${k}`);
        }
      }
      assert.match(serviceId, HEX32);
    });

    it('user list, role assignment list --names, service list, endpoint list and catalog list show what the seed registered', async () => {
      const users = await ok(admin, ['user', 'list']);
      assert.deepEqual(users.map((u: { Name: string }) => u.Name).sort(), ['admin', 'demo', 'neutron']);
      const assignments = await ok(admin, ['role', 'assignment', 'list', '--user', 'neutron', '--project', 'service', '--names']);
      assert.deepEqual(assignments, [{ Role: 'admin', User: 'neutron@Default', Group: '', Project: 'service@Default', Domain: '', System: '', Inherited: false }]);
      const services = await ok(admin, ['service', 'list']);
      assert.deepEqual(services.map((s: { Name: string; Type: string }) => `${s.Type} ${s.Name}`).sort(), ['identity keystone', 'network neutron']);
      const endpoints = (await ok(admin, ['endpoint', 'list', '--service', 'network'])) as Record<string, unknown>[];
      assert.deepEqual(endpoints.map((e) => `${e.Region} ${e['Service Name']} ${e['Service Type']} ${e.Enabled} ${e.Interface} ${e.URL}`).sort(), [
        'RegionOne neutron network true admin http://controller:9696',
        'RegionOne neutron network true internal http://controller:9696',
        'RegionOne neutron network true public http://controller:9696',
      ]);
      // -f json prints each service's endpoints as a list of objects (the table: "RegionOne / public: <url>").
      const catalog = await ok(admin, ['catalog', 'list']) as { Name: string; Type: string; Endpoints: { interface: string; region_id: string; url: string }[] }[];
      const network = catalog.find((s) => s.Type === 'network');
      assert.ok(network, JSON.stringify(catalog));
      assert.equal(network.Name, 'neutron');
      assert.deepEqual(network.Endpoints.map((e) => `${e.region_id} ${e.interface} ${e.url}`).sort(),
        ['RegionOne admin http://controller:9696', 'RegionOne internal http://controller:9696', 'RegionOne public http://controller:9696']);
      // The neutron user logs in to the service project, as neutron-server's [keystone_authtoken] does.
      const tok = await ok({ ...admin, OS_USERNAME: 'neutron', OS_PASSWORD: 'neutron', OS_PROJECT_NAME: 'service' }, ['token', 'issue']);
      assert.match(tok.project_id, HEX32);
      // A second `user create` of the same name: Keystone's 409, as the CLI reports it.
      const dup = await cli(['user', 'create', '--domain', 'default', '--password', 'neutron', 'neutron'], admin);
      assert.notEqual(dup.code, 0);
      assert.match(dup.stderr, /Conflict occurred attempting to store user - Duplicate entry found with name neutron at domain ID default\. \(HTTP 409\)/, describeRun(dup));
    });
  });
}
