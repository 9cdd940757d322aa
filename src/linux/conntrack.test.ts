import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { exec, start, tryExec } from './exec.ts';
import { batch } from './ip.ts';
import { deleteArgv, deletedCount, deleteEntries, flushAddress } from './conntrack.ts';
import { rootSkip, scratchHost, type ScratchHost } from './testing.ts';

test('argv and counts', () => {
  assert.deepEqual(deleteArgv({ dst: '10.0.0.1' }), ['conntrack', '-D', '-d', '10.0.0.1']);
  assert.deepEqual(deleteArgv({ src: '2001:db8::1', family: 6 }), ['conntrack', '-D', '-f', 'ipv6', '-s', '2001:db8::1']);
  assert.throws(() => deleteArgv({ family: 6 }), /every entry/);
  assert.equal(deletedCount('conntrack v1.4.7 (conntrack-tools): 3 flow entries have been deleted.'), 3);
  assert.equal(deletedCount('nothing'), undefined);
});

describe('conntrack in a namespace', { skip: rootSkip }, () => {
  let h: ScratchHost;
  before(async () => {
    h = await scratchHost();
    await batch(h.place, [['addr', 'add', '10.7.0.1/8', 'dev', 'lo']]);
    // a ct expression makes the namespace track its flows
    await exec(['nft', '-f', '-'], { place: h.place, input: 'table ip t {\n chain o {\n  type filter hook output priority 0;\n  ct state new counter\n }\n}\n' });
  });
  after(async () => { await h?.teardown(); });

  test('nothing to delete is not an error; a tracked flow is deleted and counted', async () => {
    assert.equal(await deleteEntries(h.place, { dst: '10.7.0.99' }), 0);
    const pid = await start(['ping', '-i', '0.2', '10.7.0.2'], { place: h.place });
    // (10.7.0.2 is on lo through the /8)
    try {
      for (let i = 0; i < 50; i++) {
        const l = await tryExec(['conntrack', '-L', '-d', '10.7.0.2'], { place: h.place });
        if (/dst=10\.7\.0\.2/.test(l.stdout)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok((await flushAddress(h.place, '10.7.0.2')) >= 1);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });
});
