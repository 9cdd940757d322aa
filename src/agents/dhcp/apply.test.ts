// The file side of apply (no root needed): atomic world-readable writes, the `nobody` reach
// check, and that one network's failure leaves the others alone.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { after, before, test } from 'node:test';
import { applyDhcp, assertNobodyCanReach, writeAtomic } from './apply.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(`${tmpdir()}/muon-dhcp-apply-`);
  await chmod(dir, 0o755);
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('writeAtomic: content replaced whole, mode 0644, no temporary file left', async () => {
  await writeAtomic(`${dir}/host`, 'a\n');
  await writeAtomic(`${dir}/host`, 'b\n');
  assert.equal(await readFile(`${dir}/host`, 'utf8'), 'b\n');
  assert.equal((await stat(`${dir}/host`)).mode & 0o777, 0o644);
  assert.deepEqual(await readdir(dir), ['host']);
});

test('assertNobodyCanReach names the directory dnsmasq could not enter', async () => {
  await assertNobodyCanReach(dir);
  const closed = `${dir}/closed`;
  await applyDhcp(undefined, [{ kind: 'mkdir', network: 'n', path: `${closed}/x` }]);
  await chmod(closed, 0o700);
  await assert.rejects(assertNobodyCanReach(`${closed}/x`), (e: Error) => {
    assert.match(e.message, new RegExp(`${closed} is not searchable by others .*nobody.*chmod o\\+x`));
    return true;
  });
});

test('a failing network stops its own actions only', async () => {
  const out = await applyDhcp(undefined, [
    { kind: 'write', network: 'bad', path: `${dir}/missing/host`, content: 'x' },
    { kind: 'write', network: 'bad', path: `${dir}/never`, content: 'x' },
    { kind: 'mkdir', network: 'good', path: `${dir}/dhcp/good` },
    { kind: 'write', network: 'good', path: `${dir}/dhcp/good/opts`, content: 'o\n' },
  ]);
  assert.deepEqual([...out.failed.keys()], ['bad']);
  assert.match(out.failed.get('bad')!.message, /ENOENT/);
  assert.deepEqual(out.done.map((a) => `${a.network}:${a.kind}`), ['good:mkdir', 'good:write']);
  assert.equal(await readFile(`${dir}/dhcp/good/opts`, 'utf8'), 'o\n');
  await assert.rejects(stat(`${dir}/never`));
  assert.equal((await stat(`${dir}/dhcp/good`)).mode & 0o777, 0o755);
});

test('a lease release or a metadata proxy that fails is a warning: the network\'s other actions go on', async () => {
  const files = { config: `${dir}/nope/metadata-proxy.conf`, pid: `${dir}/nope/metadata-proxy.pid`, log: `${dir}/nope/metadata-proxy.log` };
  const out = await applyDhcp(undefined, [
    // no such interface (and outside a namespace): dhcp_release fails
    { kind: 'release', network: 'n', netns: 'qdhcp-no-such-namespace', interface: 'ns-nope', leases: [{ expiry: 0, mac: 'fa:16:3e:00:00:01', ip: '10.0.0.5' }] },
    { kind: 'proxy-stop', network: 'n', pid: undefined, files },
    { kind: 'mkdir', network: 'n', path: `${dir}/after-warnings` },
  ]);
  assert.deepEqual([...out.failed.keys()], []);
  assert.equal(out.warnings.get('n')?.length, 1);
  assert.match(out.warnings.get('n')![0].message, /10\.0\.0\.5/);
  assert.deepEqual(out.done.map((a) => a.kind), ['proxy-stop', 'mkdir']);
});
