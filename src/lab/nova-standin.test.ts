// The lab's stand-in Nova: metadata answers behind the HMAC check, external events recorded
// and answered as Nova does, the hidden CLI, and Muon's notifier delivering to it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { signInstanceId, startNovaStandin, type RunningStandin } from './nova-standin.ts';
import { loadConfigSources, embeddedDefaults } from '../config/load.ts';
import { startNovaNotifier } from '../services/nova-notifier.ts';
import { silentLogger } from '../services/log.ts';

const SECRET = 'METADATA_SECRET';
const recordedEvents = async (base: string): Promise<any[]> => ((await (await fetch(`${base}/muon/events`)).json()) as any).events;
const VM1 = randomUUID();
const PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

describe('stand-in Nova', () => {
  let dir: string;
  let nova: RunningStandin;
  let instances: string;
  let events: string;

  const meta = (path: string, headers: Record<string, string>) => fetch(nova.metadataUrl + path, { headers });
  const signed = (id: string, extra: Record<string, string> = {}) => ({
    'X-Instance-ID': id, 'X-Instance-ID-Signature': signInstanceId(SECRET, id), 'X-Tenant-ID': PROJECT, 'X-Forwarded-For': '172.16.1.9', ...extra,
  });
  const post = (body: unknown, headers: Record<string, string> = { 'X-Auth-Token': 'any' }) => fetch(`${nova.apiUrl}/os-server-external-events`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
  });

  before(async () => {
    dir = await mkdtemp(`${tmpdir()}/muon-nova-standin-`);
    instances = `${dir}/instances.json`;
    events = `${dir}/events.jsonl`;
    await writeFile(instances, JSON.stringify({ [VM1]: { name: 'vm1', hostname: 'vm1', project_id: PROJECT, local_ipv4: '172.16.1.4' } }));
    nova = await startNovaStandin({
      metadataListen: { host: '127.0.0.1', port: 0 }, apiListen: { host: '127.0.0.1', port: 0 }, secret: SECRET, instancesFile: instances, eventsFile: events,
    });
  });
  after(async () => {
    await nova?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers the metadata of a registered instance', async () => {
    assert.equal(await (await meta('/latest/meta-data/instance-id', signed(VM1))).text(), VM1);
    assert.equal(await (await meta('/latest/meta-data/local-ipv4', signed(VM1))).text(), '172.16.1.4');
    assert.equal(await (await meta('/2009-04-04/meta-data/hostname', signed(VM1))).text(), 'vm1');
    const r = await meta('/openstack/latest/meta_data.json', signed(VM1));
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { uuid: VM1, name: 'vm1', hostname: 'vm1', project_id: PROJECT, availability_zone: 'nova', launch_index: 0, meta: {}, devices: [] });
  });

  it('answers an unknown instance with its id (and the address it asked from)', async () => {
    const id = randomUUID();
    assert.equal(await (await meta('/latest/meta-data/instance-id', signed(id))).text(), id);
    assert.equal(await (await meta('/latest/meta-data/hostname', signed(id))).text(), id);
    assert.equal(await (await meta('/latest/meta-data/local-ipv4', signed(id))).text(), '172.16.1.9');
  });

  it('refuses a wrong signature (403) and missing headers (400) as Nova does', async () => {
    const bad = await meta('/latest/meta-data/instance-id', { ...signed(VM1), 'X-Instance-ID-Signature': signInstanceId('other secret', VM1) });
    assert.equal(bad.status, 403);
    assert.match(await bad.text(), /Invalid proxy request signature\./);
    const none = await meta('/latest/meta-data/instance-id', {});
    assert.equal(none.status, 400);
    assert.match(await none.text(), /X-Instance-ID header is missing from request\./);
    const { 'X-Instance-ID-Signature': _, ...unsigned } = signed(VM1);
    assert.match(await (await meta('/latest/meta-data/instance-id', unsigned)).text(), /X-Instance-ID-Signature header is missing/);
    // the instance belongs to another project than the one the proxy names
    assert.equal((await meta('/latest/meta-data/instance-id', signed(VM1, { 'X-Tenant-ID': 'someone-else' }))).status, 404);
  });

  it('records external events and answers each with its code', async () => {
    assert.equal((await post({ events: [{ name: 'network-vif-plugged', server_uuid: VM1, tag: 'p1' }] }, {})).status, 401);
    const ok = await post({ events: [{ name: 'network-vif-plugged', server_uuid: VM1, tag: 'p1', status: 'completed' }] });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { events: [{ name: 'network-vif-plugged', server_uuid: VM1, tag: 'p1', status: 'completed', code: 200 }] });
    const unknown = randomUUID();
    const some = await post({ events: [{ name: 'network-changed', server_uuid: VM1, tag: 'p1' }, { name: 'network-vif-deleted', server_uuid: unknown, tag: 'p2' }] });
    assert.equal(some.status, 207);
    assert.deepEqual(((await some.json()) as any).events.map((e: any) => [e.server_uuid, e.code, e.status]), [[VM1, 200, 'completed'], [unknown, 404, 'failed']]);
    const none = await post({ events: [{ name: 'network-vif-deleted', server_uuid: unknown, tag: 'p2' }] });
    assert.equal(none.status, 404);
    assert.equal((await post({ events: [{ name: 'network-vif-exploded', server_uuid: VM1 }] })).status, 400);
    const recorded = await recordedEvents(nova.apiUrl!.replace(/\/v2\.1$/, ''));
    assert.deepEqual(recorded.map((e: any) => [e.name, e.code]), [
      ['network-vif-plugged', 200], ['network-changed', 200], ['network-vif-deleted', 404], ['network-vif-deleted', 404],
    ]);
    assert.equal((await readFile(events, 'utf8')).trim().split('\n').length, 4);
  });

  it('receives what Muon\'s notifier sends (the lab\'s [nova] settings)', async () => {
    const before = (await recordedEvents(nova.metadataUrl!)).length;
    const { config } = loadConfigSources([{
      file: '<lab>', text: `[nova]\nauth_type = admin_token\nendpoint = ${nova.apiUrl}\ntoken = lab\n`,
    }], { defaults: embeddedDefaults() });
    const notifier = startNovaNotifier(config, silentLogger, { intervalMs: 10 })!;
    notifier.portEvents([{ name: 'network-vif-plugged', server_uuid: VM1, tag: 'p9', status: 'completed' }]);
    const until = Date.now() + 5000;
    let got: any[] = [];
    while (Date.now() < until && got.length <= before) {
      await new Promise((r) => setTimeout(r, 20));
      got = await recordedEvents(nova.metadataUrl!);
    }
    await notifier.close();
    assert.deepEqual(got.slice(before).map((e: any) => [e.name, e.server_uuid, e.tag, e.code]), [['network-vif-plugged', VM1, 'p9', 200]]);
  });
});

describe('muon nova-standin', () => {
  it('serves both APIs from the command line and stops on SIGTERM', async () => {
    const dir = await mkdtemp(`${tmpdir()}/muon-nova-cli-`);
    const child = spawn(process.execPath, ['src/cli/main.ts', 'nova-standin', '--metadata-listen', '127.0.0.1:0', '--api-listen', '127.0.0.1:0',
      '--secret', SECRET, '--events', `${dir}/events.jsonl`], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      let err = '';
      child.stderr.setEncoding('utf8');
      const line = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (d: string) => { err += d; if (err.includes('\n')) resolve(err.split('\n')[0]); });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      const { metadata, api } = JSON.parse(line) as { metadata: string; api: string };
      const id = randomUUID();
      const r = await fetch(`${metadata}/latest/meta-data/instance-id`, { headers: { 'X-Instance-ID': id, 'X-Instance-ID-Signature': signInstanceId(SECRET, id), 'X-Tenant-ID': 'p' } });
      assert.equal(await r.text(), id);
      const e = await fetch(`${api}/os-server-external-events`, {
        method: 'POST', headers: { 'X-Auth-Token': 't', 'Content-Type': 'application/json' }, body: JSON.stringify({ events: [{ name: 'network-changed', server_uuid: id }] }),
      });
      assert.equal(e.status, 200, 'without --instances every instance is known');
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says what it needs', async () => {
    const child = spawn(process.execPath, ['src/cli/main.ts', 'nova-standin', '--events', '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(err, /needs --metadata-listen HOST:PORT, --api-listen HOST:PORT, or both/);
  });
});
