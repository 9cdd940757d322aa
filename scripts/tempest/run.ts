#!/usr/bin/env node
// Runs Debian's tempest (33.0.0, `apt-get install tempest`) `tempest.api.network` against
// a private `muon server` with the embedded identity, and prints pass/skip/fail counts,
// every skip with its reason and every failure with its reason. See docs/tempest.md.
//
//   node scripts/tempest/run.ts [--regex RE] [--concurrency N] [--json FILE] [--keep]
//
// Without --concurrency the tests are scheduled by a worker file: test_dhcp_ipv6 (about 10
// minutes on its own: Debian's tempest sleeps 10 s before every subnet delete) on one worker,
// everything else on four more.
//
// Everything lives in one temp directory (Muon's state, the tempest workspace and its
// workspace registry); the server and tempest are stopped and the directory removed on
// exit, also on failure or SIGINT/SIGTERM (--keep keeps the directory, for debugging).
//
// Exit status: 0 when tempest ran and nothing failed, 1 when tests failed, 2 when the run
// could not happen (tempest missing, Muon did not start, …).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hashPassword } from '../../src/identity/embedded/password.ts';
import { defaultIdentity, writeSecret, type IdentityData } from '../../src/identity/embedded/store.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const PYTHON = '/usr/bin/python3'; // Debian's, with tempest's python3-subunit

export interface TempestTest { id: string; status: string; reason: string }
export interface TempestSummary {
  passed: number; skipped: number; failed: number; total: number; seconds: number;
  tests: TempestTest[];
}

const { values: args } = parseArgs({
  options: {
    regex: { type: 'string', default: '^tempest\\.api\\.network' },
    concurrency: { type: 'string' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

/** Accounts tempest locks (preprovisioned credentials), each in its own project: a test class
 *  holds up to two members (primary, alt) and one admin at a time, per worker. */
const MEMBERS = 16, ADMINS = 8;

class RunError extends Error {}

const work = mkdtempSync(join(tmpdir(), 'muon-tempest-'));
const children = new Set<ChildProcess>();
let cleaned = false;
function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) continue;
    // Each child leads its own process group (detached): stop it and what it started.
    try { process.kill(-c.pid, 'SIGTERM'); } catch { /* gone already */ }
  }
  if (args.keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => { cleanup(); process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1)); });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

function tempestEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^OS_/i.test(k)) env[k] = v;
  // Debian's tempest is a /usr/bin/python3 program: keep pyenv and friends out of its way.
  env.PATH = `/usr/bin:/bin:${process.env.PATH ?? ''}`;
  env.HOME = work; // tempest and stestr write ~/.tempest, ~/.cache: keep them in the temp dir
  env.PYTHONWARNINGS = 'ignore';
  return env;
}

/** The tempest accounts: `tempest-member-N` (member, reader) and `tempest-admin-N` (admin, member, reader). */
async function seedIdentity(file: string, password: string): Promise<{ data: IdentityData; accounts: { username: string; project: string; roles: string[] }[] }> {
  const { data } = await defaultIdentity({ admin: password });
  const role = (n: string) => data.roles.find((r) => r.name === n)!.id;
  const hash = await hashPassword(password);
  const accounts: { username: string; project: string; roles: string[] }[] = [];
  const add = (name: string, roles: string[]) => {
    const project = { id: crypto.randomUUID().replaceAll('-', ''), name, domain_id: 'default', enabled: true, description: 'tempest' };
    const user = { id: crypto.randomUUID().replaceAll('-', ''), name, domain_id: 'default', enabled: true, password_hash: hash, default_project_id: project.id };
    data.projects.push(project);
    data.users.push(user);
    for (const r of roles) data.assignments.push({ user_id: user.id, role_id: role(r), project_id: project.id });
    accounts.push({ username: name, project: name, roles });
  };
  for (let i = 1; i <= MEMBERS; i++) add(`tempest-member-${i}`, ['member', 'reader']);
  for (let i = 1; i <= ADMINS; i++) add(`tempest-admin-${i}`, ['admin', 'member', 'reader']);
  writeSecret(file, JSON.stringify(data, null, 2) + '\n');
  return { data, accounts };
}

async function startMuon(dir: string, apiPort: number, idPort: number): Promise<ChildProcess> {
  writeFileSync(join(dir, 'neutron.conf'), [
    '[DEFAULT]', 'bind_host = 127.0.0.1', `bind_port = ${apiPort}`, 'auth_strategy = keystone', 'core_plugin = ml2',
    'service_plugins = router', 'allow_overlapping_ips = True', `state_path = ${dir}/state`,
    '[muon]', 'identity = embedded', `identity_port = ${idPort}`, 'identity_bind_host = 127.0.0.1', '',
  ].join('\n'));
  writeFileSync(join(dir, 'ml2_conf.ini'), [
    '[ml2]', 'type_drivers = flat,vlan,vxlan', 'tenant_network_types = vxlan', 'mechanism_drivers = linuxbridge,l2population',
    'extension_drivers = port_security', '[ml2_type_flat]', 'flat_networks = public', '[ml2_type_vlan]', 'network_vlan_ranges = public',
    '[ml2_type_vxlan]', 'vni_ranges = 1:1000', '[securitygroup]', 'enable_ipset = True', '',
  ].join('\n'));
  const logFile = join(dir, 'muon.log');
  const log = createWriteStream(logFile);
  const server = spawn(join(ROOT, 'bin/muon'), ['server', '--config-file', join(dir, 'neutron.conf'), '--config-file', join(dir, 'ml2_conf.ini')],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  children.add(server);
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new RunError(`muon server did not start in 60 s:\n${text.slice(-4000)}`)), 60_000);
    server.stderr!.on('data', (c: Buffer) => {
      log.write(c);
      if (text.length < 100_000) text += c;
      if (text.includes('"listening"')) { clearTimeout(t); resolve(); }
    });
    server.once('exit', (code) => { clearTimeout(t); reject(new RunError(`muon server exited ${code}:\n${text.slice(-4000)}`)); });
  });
  return server;
}

async function call(method: string, url: string, token: string | null, body?: unknown): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(url, {
    method, headers: { 'Content-Type': 'application/json', ...(token ? { 'X-Auth-Token': token } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
}
async function ok(method: string, url: string, token: string | null, body?: unknown): Promise<any> {
  const r = await call(method, url, token, body);
  if (r.status >= 300) throw new RunError(`${method} ${url} -> ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

function run(cmd: string, argv: string[], cwd: string, input?: Buffer): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(cmd, argv, { cwd, env: tempestEnv(), input, maxBuffer: 1 << 30 });
  if (r.error) throw new RunError(`${cmd}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

function iniText(sections: Record<string, Record<string, string | number | boolean>>): string {
  return Object.entries(sections).map(([s, kv]) => `[${s}]\n${Object.entries(kv).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`).join('\n');
}

/** Test id without tempest's `[id-…,smoke]` attributes. */
export function baseId(id: string): string { return id.replace(/\[.*\]$/, ''); }

/** A one-paragraph reason from a traceback: its last exception line(s) and any `Details:` line. */
export function shortReason(t: TempestTest): string {
  const text = t.reason.trim();
  if (t.status === 'skip') return text;
  const lines = text.split('\n');
  // The exception line: a dotted class name (`tempest.lib.exceptions.Conflict: …`), not `Details:`.
  const start = lines.findLastIndex((l) => /^([a-z_]\w*\.)*[A-Z]\w*(:|$)/.test(l) && !l.startsWith('Details'));
  const tail = (start >= 0 ? lines.slice(start) : lines.slice(-3)).join(' ').replace(/\s+/g, ' ');
  return tail.length > 600 ? `${tail.slice(0, 600)}…` : tail;
}

async function main(): Promise<number> {
  const started = Date.now();
  const version = spawnSync('tempest', ['--version'], { env: tempestEnv(), encoding: 'utf8' });
  if (version.error || version.status !== 0) throw new RunError(`tempest cannot be run (apt-get install tempest): ${version.error?.message ?? version.stderr}`);
  console.log(`tempest ${(version.stdout || version.stderr).trim()}; work dir ${work}`);

  const [apiPort, idPort] = [await freePort(), await freePort()];
  const apiUrl = `http://127.0.0.1:${apiPort}`, idUrl = `http://127.0.0.1:${idPort}/v3`;
  const password = crypto.randomUUID().replaceAll('-', '');
  mkdirSync(join(work, 'state'), { recursive: true });
  const { accounts } = await seedIdentity(join(work, 'state/identity.json'), password);
  await startMuon(work, apiPort, idPort);
  console.log(`muon server: API ${apiUrl}, identity ${idUrl} (log ${join(work, 'muon.log')})`);

  // What tempest needs that it does not create: the external network for floating IPs and gateways.
  const auth = await call('POST', `${idUrl}/auth/tokens`, null, { auth: {
    identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password } } },
    scope: { project: { name: 'admin', domain: { name: 'Default' } } },
  } });
  const token = auth.headers.get('x-subject-token');
  if (auth.status !== 201 || !token) throw new RunError(`admin token: ${auth.status} ${JSON.stringify(auth.json)}`);
  const publicNet = (await ok('POST', `${apiUrl}/v2.0/networks`, token, { network: {
    name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'public',
  } })).network;
  await ok('POST', `${apiUrl}/v2.0/subnets`, token, { subnet: {
    name: 'public-subnet', network_id: publicNet.id, ip_version: 4, cidr: '172.24.4.0/24', gateway_ip: '172.24.4.1',
    allocation_pools: [{ start: '172.24.4.2', end: '172.24.4.254' }], enable_dhcp: false,
  } });
  // As an operator lists what the deployment has: the agent APIs are there, but this private
  // server runs no agents, and tempest's agent tests need live ones for the whole run.
  const NEEDS_AGENTS = new Set(['agent', 'dhcp_agent_scheduler', 'l3_agent_scheduler']);
  const extensions = ((await ok('GET', `${apiUrl}/v2.0/extensions`, token)).extensions as { alias: string }[])
    .map((e) => e.alias).filter((a) => !NEEDS_AGENTS.has(a)).sort();

  // The tempest workspace, registered in a workspace file of its own (not ~/.tempest).
  const ws = join(work, 'ws');
  const init = run('tempest', ['init', '--workspace-path', join(work, 'workspace.yaml'), ws], work);
  if (init.status !== 0) throw new RunError(`tempest init failed: ${init.stderr}`);
  const accountsFile = join(ws, 'etc/accounts.yaml');
  writeFileSync(accountsFile, accounts.map((a) => [
    `- username: '${a.username}'`, `  project_name: '${a.project}'`, `  password: '${password}'`,
    `  user_domain_name: 'Default'`, `  project_domain_name: 'Default'`, `  roles: [${a.roles.map((r) => `'${r}'`).join(', ')}]`,
  ].join('\n')).join('\n') + '\n');
  writeFileSync(join(ws, 'etc/tempest.conf'), `# Written by scripts/tempest/run.ts for a private muon server\n${iniText({
    DEFAULT: { log_file: join(ws, 'tempest.log'), debug: false },
    oslo_concurrency: { lock_path: join(ws, 'lock') },
    auth: {
      use_dynamic_credentials: false, test_accounts_file: accountsFile, create_isolated_networks: false,
      default_credentials_domain_name: 'Default', admin_domain_scope: false,
    },
    identity: { uri_v3: idUrl, auth_version: 'v3', region: 'RegionOne', v3_endpoint_type: 'public', disable_ssl_certificate_validation: true },
    'identity-feature-enabled': { api_v2: false, api_v3: true },
    service_available: { nova: false, glance: false, cinder: false, swift: false, neutron: true, placement: false },
    network: {
      catalog_type: 'network', region: 'RegionOne', endpoint_type: 'public', public_network_id: publicNet.id,
      floating_network_name: 'public', project_network_cidr: '10.200.0.0/16', project_network_mask_bits: 28,
      project_networks_reachable: false, shared_physical_network: false,
    },
    'network-feature-enabled': {
      api_extensions: extensions.join(','), ipv6: true, ipv6_subnet_attributes: true, port_security: true,
      floating_ips: true, port_admin_state_change: true,
    },
    neutron_plugin_options: { available_type_drivers: 'flat,vlan,vxlan', specify_floating_ip_address_available: true, is_igmp_snooping_enabled: false },
    validation: { run_validation: false },
    enforce_scope: { neutron: false },
  })}`);

  let schedule = ['--concurrency', args.concurrency ?? ''];
  if (args.concurrency === undefined) {
    const workers = join(ws, 'etc/workers.yaml');
    writeFileSync(workers, [
      '- worker:', "  - '^tempest\\.api\\.network\\.test_dhcp_ipv6\\.'",
      '- worker:', "  - '^tempest\\.(?!api\\.network\\.test_dhcp_ipv6\\.)'", '  concurrency: 4', '',
    ].join('\n'));
    schedule = ['--worker-file', workers];
  }
  console.log(`$ tempest run --regex '${args.regex}' ${schedule.join(' ')}   (in ${ws})`);
  const tempest = spawn('tempest', ['run', '--regex', args.regex!, ...schedule], { cwd: ws, env: tempestEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(tempest);
  const runLog = createWriteStream(join(work, 'tempest-run.log'));
  tempest.stdout!.on('data', (c: Buffer) => { runLog.write(c); process.stdout.write(c); });
  tempest.stderr!.on('data', (c: Buffer) => { runLog.write(c); process.stderr.write(c); });
  const code = await new Promise<number | null>((r) => tempest.once('exit', (c) => r(c)));
  console.log(`tempest run exited ${code}`);

  const subunit = run('stestr', ['last', '--subunit'], ws);
  if (subunit.status !== 0 || subunit.stdout.length === 0) throw new RunError(`no results (stestr last --subunit: ${subunit.stderr})`);
  const parsed = run(PYTHON, [join(ROOT, 'scripts/tempest/subunit-summary.py')], ws, subunit.stdout);
  if (parsed.status !== 0) throw new RunError(`reading the results failed: ${parsed.stderr}`);
  const tests = (JSON.parse(parsed.stdout.toString()) as { tests: TempestTest[] }).tests.map((t) => ({ ...t, id: baseId(t.id) }));
  const count = (...s: string[]) => tests.filter((t) => s.includes(t.status)).length;
  const summary: TempestSummary = {
    passed: count('success', 'xfail'), skipped: count('skip'), failed: count('fail', 'uxsuccess'), total: tests.length,
    seconds: Math.round((Date.now() - started) / 1000),
    tests: tests.map((t) => ({ ...t, reason: t.status === 'success' ? '' : shortReason(t) })),
  };

  console.log(`\n==> tempest.api.network against Muon: ${summary.total} tests in ${summary.seconds} s: ` +
    `${summary.passed} passed, ${summary.skipped} skipped, ${summary.failed} failed`);
  const skips = summary.tests.filter((t) => t.status === 'skip');
  if (skips.length) console.log(`\nSkipped (${skips.length}):\n${skips.map((t) => `  ${t.id}\n      ${t.reason}`).join('\n')}`);
  const fails = summary.tests.filter((t) => t.status === 'fail' || t.status === 'uxsuccess');
  if (fails.length) console.log(`\nFailed (${fails.length}):\n${fails.map((t) => `  ${t.id}\n      ${t.reason}`).join('\n')}`);
  if (args.json) writeFileSync(args.json, JSON.stringify(summary, null, 1) + '\n');
  return summary.failed ? 1 : 0;
}

main().then((code) => { cleanup(); process.exit(code); }, (e: unknown) => {
  console.error(e instanceof RunError ? `tempest run: ${e.message}` : e);
  cleanup();
  process.exit(2);
});
