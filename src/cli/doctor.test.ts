// `muon doctor` as a command: the seed's files (its mistakes found, exit 2), --format json and
// text, --server against a real in-process server (noauth), a usage error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startApi, type Api } from '../../test/support/api.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const SEED = fileURLToPath(new URL('../config/fixtures/seed/', import.meta.url));
const CONTROLLER = ['neutron.conf', 'ml2_conf.ini', 'linuxbridge_agent.ini', 'dhcp_agent.ini', 'l3_agent.ini', 'metadata_agent.ini'].flatMap((f) => ['--config-file', SEED + f]);
// no OS_* credentials: the command sends noauth admin headers
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));

const run = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
  execFile(process.execPath, [MAIN, 'doctor', ...args], { env: ENV, timeout: 60_000 }, (err, stdout, stderr) =>
    resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr })));

let api: Api;
before(async () => { api = await startApi(); });
after(async () => { await api?.close(); });

test("the seed controller's files: exit 2, the secret mismatch and the typo, in JSON", async () => {
  const r = await run([...CONTROLLER, '--nova-config', `${SEED}nova.conf`, '--no-host', '--format', 'json']);
  assert.equal(r.code, 2, r.stderr);
  const out = JSON.parse(r.stdout);
  const notInfo = out.findings.filter((f: { severity: string }) => f.severity !== 'info').map((f: { area: string; code: string }) => `${f.area} ${f.code}`);
  assert.deepEqual(notInfo.sort(), ['config config-warning', 'config dnsmasq-config-unreadable', 'config metadata-secret-mismatch']);
  assert.equal(out.exit_status, 2);
  assert.equal(out.summary.error, 1);
});

test('text for people: grouped, each finding with its fix', async () => {
  const r = await run([...CONTROLLER, '--nova-config', `${SEED}nova.conf`, '--no-host']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /^== config files \(/m);
  assert.match(r.stdout, /^ERROR   metadata-secret-mismatch: config metadata_proxy_shared_secret\n {3}.*differs from.*\n {3}fix: put the same value in both files/m);
  assert.match(r.stdout, /1 error\(s\), 2 warning\(s\), \d+ info — muon doctor took [\d.]+ s; exit status 2\n$/);
});

test('--server: the deployment part and host names against the agents it knows', async () => {
  const lb = `${SEED}linuxbridge_agent.ini`;
  const r = await run(['--config-file', lb, '--no-host', '--format', 'json', '--server', api.url]);
  const out = JSON.parse(r.stdout);
  // a fresh server: no agents, so this host's Linux bridge agent is unknown to it
  assert.deepEqual(out.findings.filter((f: { area: string; code: string }) => f.area !== 'config' || f.code === 'host-unknown-to-server').map((f: { code: string }) => f.code), ['host-unknown-to-server']);
  const down = await run(['--no-host', '--format', 'json', '--server', 'http://127.0.0.1:1']);
  assert.equal(down.code, 2);
  assert.equal(JSON.parse(down.stdout).findings[0].code, 'server-unreachable');
});

test('a usage error says what is wrong', async () => {
  const r = await run(['--format', 'yaml']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--format is text or json, not 'yaml'/);
  assert.equal(r.stdout, '');
});
