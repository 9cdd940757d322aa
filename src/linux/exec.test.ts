import assert from 'node:assert/strict';
import { readlink } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { exec, ExecError, formatArgv, placeArgv, start, tryExec } from './exec.ts';
import { isAlive, terminate } from './proc.ts';
import { rootSkip, scratchHost, type ScratchHost } from './testing.ts';

test('placeArgv builds nsenter and ip netns exec prefixes', () => {
  assert.deepEqual(placeArgv(undefined, ['ip', 'link']), ['ip', 'link']);
  assert.deepEqual(placeArgv({ nsenter: { mount: '/r/ns/c.mnt', net: '/r/ns/c.net' } }, ['ip', 'link']),
    ['nsenter', '--mount=/r/ns/c.mnt', '--net=/r/ns/c.net', '--', 'ip', 'link']);
  assert.deepEqual(placeArgv({ nsenter: { net: '/x.net' }, netns: 'qdhcp-1' }, ['true']),
    ['nsenter', '--net=/x.net', '--', 'ip', 'netns', 'exec', 'qdhcp-1', 'true']);
  assert.throws(() => placeArgv({ netns: 'a b' }, ['true']), /invalid netns name/);
  assert.throws(() => placeArgv(undefined, []), /empty argv/);
});

test('formatArgv quotes what a shell would split', () => {
  assert.equal(formatArgv(['echo', 'a b', "it's", 'x=1']), `echo 'a b' 'it'\\''s' x=1`);
});

test('exec captures stdout, stderr, exit code; input goes to stdin', async () => {
  const r = await exec(['cat'], { input: 'hello\n' });
  assert.equal(r.stdout, 'hello\n');
  assert.equal(r.code, 0);
  const f = await tryExec(['ls', '/nonexistent-muon-path']);
  assert.notEqual(f.code, 0);
  assert.match(f.stderr, /nonexistent-muon-path/);
});

test('a failure names the exact command and its stderr', async () => {
  await assert.rejects(exec(['ls', '-l', '/nonexistent muon path']), (e: unknown) => {
    assert.ok(e instanceof ExecError);
    assert.match(e.message, /exit code 2/);
    assert.match(e.message, /ls -l '\/nonexistent muon path'/);
    assert.match(e.message, /No such file or directory/);
    return true;
  });
  await assert.rejects(exec(['/no/such/tool']), /cannot run \/no\/such\/tool/);
});

test('timeout kills the command and says so', async () => {
  await assert.rejects(exec(['sleep', '5'], { timeoutMs: 100 }), /command failed \(timed out after \d+ ms\): sleep 5/);
});

describe('in a namespace', { skip: rootSkip }, () => {
  let h: ScratchHost;
  before(async () => { h = await scratchHost(); });
  after(async () => { await h?.teardown(); });

  test('nsenter runs in the host network namespace; ip netns exec in a nested one', async () => {
    const own = await readlink('/proc/self/ns/net');
    const inHost = (await exec(['readlink', '/proc/self/ns/net'], { place: h.place })).stdout.trim();
    assert.notEqual(inHost, own);
    await exec(['ip', 'netns', 'add', 'inner'], { place: h.place });
    const inNested = (await exec(['readlink', '/proc/self/ns/net'], { place: h.nested('inner') })).stdout.trim();
    assert.notEqual(inNested, own);
    assert.notEqual(inNested, inHost);
  });

  test('start returns the pid of the command itself, living in the namespace', async () => {
    const pid = await start(['sleep', '60'], { place: h.nested('inner'), settleMs: 50 });
    const comm = (await exec(['cat', `/proc/${pid}/comm`])).stdout.trim();
    assert.equal(comm, 'sleep');
    const netOfPid = await readlink(`/proc/${pid}/ns/net`);
    const nested = (await exec(['readlink', '/proc/self/ns/net'], { place: h.nested('inner') })).stdout.trim();
    assert.equal(netOfPid, nested);
    await terminate([pid]);
    assert.equal(await isAlive(pid), false);
  });

  test('start rejects a command that exits at once', async () => {
    await assert.rejects(start(['false'], { place: h.place, settleMs: 300 }), /exited at once/);
  });
});
