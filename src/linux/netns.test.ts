import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { exec, start } from './exec.ts';
import { mounts, mountsUnder } from './mount.ts';
import { add, del, hasPrivateRunNetns, inodes, list, pairExists } from './netns.ts';
import { isAlive, processesIn } from './proc.ts';
import { rootSkip, scratchHost } from './testing.ts';

async function realRunNetns(): Promise<string[]> {
  try { return (await readdir('/run/netns')).sort(); } catch { return []; }
}

test('nested namespaces live in the host\'s private /run/netns; teardown removes everything', { skip: rootSkip }, async () => {
  const real = await realRunNetns();
  const h = await scratchHost();
  let done = false;
  try {
    assert.ok(await pairExists(h.pair));
    assert.ok(await hasPrivateRunNetns(h.pair, `muon-test-netns-${process.pid}`));
    assert.deepEqual(await list(h.place), []);
    await add(h.place, 'qdhcp-x');
    await add(h.place, 'qrouter-y');
    assert.deepEqual(await list(h.place), ['qdhcp-x', 'qrouter-y']);
    assert.deepEqual(await realRunNetns(), real, 'the real /run/netns does not see them');
    const ino = await inodes(h.place);
    assert.equal(ino.size, 2);
    // an agent inside the host reads its /run/netns itself (no `ip netns list`, no `stat`): the same answer
    const here = await exec([process.execPath, '-e', `import(${JSON.stringify(new URL('./netns.ts', import.meta.url).href)}).then(async (m) => console.log(JSON.stringify([...await m.inodes()])))`], { place: h.place });
    assert.deepEqual(new Map(JSON.parse(here.stdout) as [string, number][]), ino);
    // the host's own /sys shows its own devices only
    const sys = (await exec(['ls', '/sys/class/net'], { place: h.place })).stdout.split('\n').filter(Boolean);
    assert.deepEqual(sys, ['lo']);
    await del(h.place, 'qrouter-y');
    assert.deepEqual(await list(h.place), ['qdhcp-x']);
    // processes in the host and in the nested namespace are ended by teardown
    const p1 = await start(['sleep', '300'], { place: h.place, settleMs: 30 });
    const p2 = await start(['sleep', '300'], { place: h.nested('qdhcp-x'), settleMs: 30 });
    const found = await processesIn({ net: new Set(ino.values()) });
    assert.deepEqual(found.map((p) => p.pid), [p2]);
    const report = await h.teardown();
    done = true;
    assert.deepEqual(report.killed.map((p) => p.pid).sort(), [p1, p2].sort());
    assert.deepEqual(report.nestedDeleted, ['qdhcp-x']);
    assert.equal(await isAlive(p1), false);
    assert.equal(await isAlive(p2), false);
    assert.deepEqual(mountsUnder(await mounts(), h.root), []);
    assert.equal(report.removedDir, true);
    assert.deepEqual(await realRunNetns(), real);
  } finally {
    if (!done) await h.teardown();
  }
});
