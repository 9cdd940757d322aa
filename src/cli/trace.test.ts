// `muon trace` as a command against a real in-process server (noauth): a port name and an
// address resolved, one line per hop for people, JSON for scripts, exit 0 reachable / 1 blocked /
// 2 could not evaluate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startApi, type Api } from '../../test/support/api.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
// no OS_* credentials: the command sends noauth admin headers
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));

let api: Api;
const run = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
  execFile(process.execPath, [MAIN, 'trace', '--server', api.url, '--lab-root', '/nonexistent-lab', ...args], { env: ENV, timeout: 60_000 }, (err, stdout, stderr) =>
    resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr })));

before(async () => {
  api = await startApi('[ml2_type_flat]\nflat_networks = public\n');
  const post = async (path: string, body: unknown) => Object.values((await api.req('POST', path, body)).body as Record<string, { id: string }>)[0].id;
  const pub = await post('/v2.0/networks', { network: { name: 'public', 'provider:network_type': 'flat', 'provider:physical_network': 'public', 'router:external': true } });
  await post('/v2.0/subnets', { subnet: { ip_version: 4, network_id: pub, cidr: '192.168.81.0/24', gateway_ip: '192.168.81.254', enable_dhcp: false } });
  const prv = await post('/v2.0/networks', { network: { name: 'private' } });
  const sub = await post('/v2.0/subnets', { subnet: { name: 'private', ip_version: 4, network_id: prv, cidr: '172.16.1.0/24' } });
  const router = await post('/v2.0/routers', { router: { name: 'router', external_gateway_info: { network_id: pub } } });
  await api.req('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: sub });
  await post('/v2.0/ports', { port: { name: 'web1', network_id: prv, device_owner: 'compute:nova' } });
});
after(async () => { await api?.close(); });

test('reachable: exit 0, a headline and one line per hop', async () => {
  const r = await run(['--from', 'web1', '--to', '203.0.113.1', '--protocol', 'tcp', '--port', '443']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^web1 \(172\.16\.1\.\d+\) → 203\.0\.113\.1 \(203\.0\.113\.1\), tcp 443: REACHABLE$/);
  assert.deepEqual(lines.slice(1, -1).map((l) => l.split(/\s+/).slice(1, 4).join(' ')),
    ['1 ok source_port', '2 ok security_group_egress', '3 ok network', '4 ok router_interface', '5 ok route', '6 ok snat', '7 ok external_network', '8 - destination_port']);
  assert.match(lines.at(-1)!, /^\(\d+ ms\)$/);
});

test('blocked: exit 1, every blocker with its fix; JSON for scripts', async () => {
  const r = await run(['--from', '203.0.113.1', '--to', 'web1', '--protocol', 'tcp', '--port', '22']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /: BLOCKED\n/);
  assert.match(r.stdout, /blocked by 2 settings:\n {2}- port web1: no floating IP\n {4}fix: openstack floating ip create --port [0-9a-f-]{36} public\n/);
  const j = await run(['--from', '203.0.113.1', '--to', 'web1', '--protocol', 'tcp', '--port', '22', '--format', 'json']);
  assert.equal(j.code, 1);
  const out = JSON.parse(j.stdout);
  assert.equal(out.trace.reachable, false);
  assert.deepEqual(out.trace.blocking.map((b: { object: { type: string } }) => b.object.type).sort(), ['port', 'security_group']);
});

test('could not evaluate: exit 2 with the reason', async () => {
  const r = await run(['--from', 'nothing-named-so', '--to', '203.0.113.1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /'nothing-named-so' is no address, port id, lab VM or port name/);
  const both = await run(['--from', '198.51.100.1', '--to', '203.0.113.1']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /400 HTTPBadRequest: neither 198\.51\.100\.1 nor 203\.0\.113\.1/);
  const usage = await run(['--from', 'web1']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /usage: muon trace --from/);
});
