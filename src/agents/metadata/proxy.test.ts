// Metadata proxies: the haproxy config (pure), the restart decision (pure), and for real in a
// scratch host: a client namespace → haproxy in qrouter- on 9697 → the metadata agent on its
// unix socket → the Nova double, and back with the instance id.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { loadConfigSources } from '../../config/load.ts';
import { exec, tryExec } from '../../linux/exec.ts';
import { checkHaproxyConfig, findHaproxy } from '../../linux/haproxy.ts';
import { batch } from '../../linux/ip.ts';
import { isAlive } from '../../linux/proc.ts';
import { rootSkip, scratchHost, type ScratchHost } from '../../linux/testing.ts';
import { metadataAgent, type MetadataAgent } from './agent.ts';
import { fakeChannel, memoryLog, startNovaDouble, type NovaDouble } from './nova-double.ts';
import { ensureProxy, planProxy, proxyFiles, removeProxy, renderProxyConfig, routerMetadataHooks } from './proxy.ts';

const ROUTER = '5e6f7a8b-0000-4c1d-8e2f-000000000abc';
const INSTANCE = '9a8b7c6d-0000-4000-8000-0000000000aa';

test('router proxy config: 0.0.0.0:9697, sets X-Neutron-Router-ID, drops a client-sent network id, forwardfor, unix socket backend', () => {
  const c = renderProxyConfig({ kind: 'router', id: ROUTER, socketPath: '/var/lib/neutron/metadata_proxy', runAs: { user: 'haproxy', group: 'haproxy' } });
  assert.match(c, /^ {4}bind 0\.0\.0\.0:9697$/m);
  assert.match(c, /^ {4}server metadata \/var\/lib\/neutron\/metadata_proxy$/m);
  assert.match(c, /^ {4}http-request del-header X-Neutron-Network-ID$/m);
  assert.match(c, new RegExp(`^ {4}http-request set-header X-Neutron-Router-ID ${ROUTER}$`, 'm'));
  assert.match(c, /^ {4}option forwardfor$/m);
  assert.match(c, /^ {4}user {8}haproxy$/m);
  assert.doesNotMatch(c, /\/dev\/log|daemon/, 'no syslog and no daemon mode in a namespace');
});

test('network proxy config: 169.254.169.254:80, sets X-Neutron-Network-ID, drops a client-sent router id; no user line without an account', () => {
  const c = renderProxyConfig({ kind: 'network', id: 'net-1', socketPath: '/s/metadata_proxy' });
  assert.match(c, /^ {4}bind 169\.254\.169\.254:80$/m);
  assert.match(c, /^ {4}http-request del-header X-Neutron-Router-ID$/m);
  assert.match(c, /^ {4}http-request set-header X-Neutron-Network-ID net-1$/m);
  assert.doesNotMatch(c, /^\s*user /m);
});

test('a socket path haproxy cannot take, or an id that is not a token, is refused with the fix', () => {
  assert.throws(() => renderProxyConfig({ kind: 'router', id: ROUTER, socketPath: '/a b/sock' }), /without spaces/);
  assert.throws(() => renderProxyConfig({ kind: 'router', id: 'x\nserver evil', socketPath: '/s' }), /invalid router id/);
});

test('plan: start when not running, restart on a changed config or a foreign namespace, else nothing', () => {
  const running = { pid: 42, argv: ['haproxy'], netInode: 7 };
  assert.equal(planProxy('A', {}, 7).kind, 'start');
  assert.equal(planProxy('A', { config: 'A' }, 7).kind, 'start');
  assert.deepEqual(planProxy('B', { config: 'A', running }, 7), { kind: 'restart', pid: 42, why: 'its config changed' });
  assert.equal(planProxy('A', { config: 'A', running }, 8).kind, 'restart');
  assert.equal(planProxy('A', { config: 'A', running }, 7).kind, 'none');
});

test('haproxy -c accepts the rendered configs', { skip: rootSkip }, async () => {
  const dir = await mkdtemp('/tmp/muon-haproxy-cfg-');
  try {
    for (const kind of ['router', 'network'] as const) {
      const f = `${dir}/${kind}.conf`;
      const { writeFile } = await import('node:fs/promises');
      await writeFile(f, renderProxyConfig({ kind, id: ROUTER, socketPath: `${dir}/sock`, runAs: { user: 'haproxy', group: 'haproxy' } }));
      await checkHaproxyConfig(undefined, f);
    }
    const bad = `${dir}/bad.conf`;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(bad, 'global\n    user no-such-user-here\n');
    await assert.rejects(checkHaproxyConfig(undefined, bad), /haproxy rejects .*bad\.conf/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe('router metadata proxy in a scratch host: client → haproxy :9697 → agent socket → Nova double', { skip: rootSkip }, () => {
  let h: ScratchHost;
  let work = '';
  let nova: NovaDouble;
  let agent: MetadataAgent;
  const ns = `qrouter-${ROUTER}`;
  let hooks: ReturnType<typeof routerMetadataHooks>;
  let stateDir = '';
  const log = memoryLog();

  const curl = (path = '/latest/meta-data/instance-id') =>
    tryExec(['curl', '-s', '-m', '5', '-w', '\\n%{http_code}', `http://10.99.0.1:9697${path}`], { place: h.nested('vm') });

  before(async () => {
    h = await scratchHost();
    work = await mkdtemp('/tmp/muon-metadata-proxy-');
    await chmod(work, 0o755); // haproxy (user haproxy) must reach the socket
    nova = await startNovaDouble('s3cret');
    const { config } = loadConfigSources([{ file: 'metadata_agent.ini', text: `[DEFAULT]\nstate_path = ${work}\nnova_metadata_port = ${nova.port}\nmetadata_proxy_shared_secret = s3cret\n` }]);
    agent = metadataAgent(config, fakeChannel({ [`router:${ROUTER}:10.99.0.2`]: { instance_id: INSTANCE, project_id: 'p', port_id: 'port' } }), log);
    await agent.listen();
    hooks = routerMetadataHooks(config, h.place);
    stateDir = `${work}/ns-metadata-proxy`;
    // the router namespace and a VM on a veth (the L3 agent's qr- stand-in)
    await batch(h.place, [
      ['netns', 'add', ns],
      ['netns', 'add', 'vm'],
      ['link', 'add', 'qr-test', 'netns', ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'vm'],
    ]);
    await batch(h.nested(ns), [['link', 'set', 'lo', 'up'], ['link', 'set', 'qr-test', 'up'], ['addr', 'add', '10.99.0.1/24', 'dev', 'qr-test']]);
    await batch(h.nested('vm'), [['link', 'set', 'lo', 'up'], ['link', 'set', 'eth0', 'up'], ['addr', 'add', '10.99.0.2/24', 'dev', 'eth0']]);
  });

  after(async () => {
    await h?.teardown(); // ends haproxy too (it lives in the host's namespaces)
    await agent?.close();
    await nova?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('ensure starts haproxy in qrouter-; the VM gets its instance id', async () => {
    await hooks.ensure(ROUTER, ns);
    const files = proxyFiles(stateDir, ROUTER);
    const running = await findHaproxy(files);
    assert.ok(running, 'haproxy runs and is found through its pid file');
    const r = await curl();
    assert.equal(r.stdout, `${INSTANCE}\n200`, `curl: ${r.stderr}; haproxy log: ${await readFile(files.log, 'utf8').catch(() => '')}`);
    const seen = nova.seen.at(-1)!;
    assert.equal(seen.headers['x-forwarded-for'], '10.99.0.2');
    assert.equal(seen.headers['x-instance-id'], INSTANCE);
    if (process.getuid?.() === 0) {
      const user = (await exec(['ps', '-o', 'user=', '-p', String(running.pid)])).stdout.trim();
      assert.equal(user, 'haproxy', 'haproxy dropped to its own account');
      assert.equal((await stat(`${work}/metadata_proxy`)).mode & 0o777, 0o660);
    }
  });

  test('a header the VM sends cannot choose another router', async () => {
    const r = await tryExec(['curl', '-s', '-m', '5', '-w', '\\n%{http_code}', '-H', 'X-Neutron-Router-ID: other', '-H', 'X-Forwarded-For: 10.99.0.50', 'http://10.99.0.1:9697/x'], { place: h.nested('vm') });
    assert.equal(r.stdout, `${INSTANCE}\n200`);
    assert.equal(nova.seen.at(-1)!.headers['x-forwarded-for'], '10.99.0.2');
  });

  test('ensure again: nothing restarts; a dead haproxy is started again', async () => {
    const files = proxyFiles(stateDir, ROUTER);
    const pid = (await findHaproxy(files))!.pid;
    const again = await ensureProxy({ place: h.place, netns: ns, kind: 'router', id: ROUTER, socketPath: `${work}/metadata_proxy`, stateDir });
    assert.equal(again.action, 'none');
    assert.equal(again.pid, pid);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && (await isAlive(pid)); i++) await new Promise((r) => setTimeout(r, 10));
    const revived = await ensureProxy({ place: h.place, netns: ns, kind: 'router', id: ROUTER, socketPath: `${work}/metadata_proxy`, stateDir });
    assert.equal(revived.action, 'start');
    assert.notEqual(revived.pid, pid);
    assert.equal((await curl()).stdout, `${INSTANCE}\n200`);
  });

  test('the agent gone: the VM gets 503 and haproxy says why in its log', async () => {
    await agent.close();
    try {
      const r = await curl();
      assert.match(r.stdout, /\n503$/);
      const log = await readFile(proxyFiles(stateDir, ROUTER).log, 'utf8');
      assert.match(log, / 503 /);
    } finally {
      await agent.listen();
    }
  });

  test('remove stops haproxy and removes its files', async () => {
    const files = proxyFiles(stateDir, ROUTER);
    const pid = (await findHaproxy(files))!.pid;
    await hooks.remove(ROUTER);
    assert.equal(await isAlive(pid), false);
    await assert.rejects(stat(files.config));
    assert.equal(await removeProxy({ id: ROUTER, stateDir }), false, 'a second remove finds nothing');
  });
});
