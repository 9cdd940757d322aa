// ping and TCP reachability in a scratch host's own network namespace: its loopback answers
// (and a closed port refuses, which counts as reached), an address with no route does not.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rootSkip, scratchHost, type ScratchHost } from './testing.ts';
import { batch } from './ip.ts';
import { start } from './exec.ts';
import { apply } from './nft.ts';
import { firstEchoReply, ping, tcpConnect } from './reach.ts';
import { terminate } from './proc.ts';

describe('reach', { skip: rootSkip }, () => {
  let h: ScratchHost;
  before(async () => {
    h = await scratchHost();
    await batch(h.place, [['link', 'set', 'lo', 'up']]);
  });
  after(async () => { await h?.teardown(); });

  test('ping: loopback answers, an unrouted address does not', async () => {
    const ok = await ping(h.place, '127.0.0.1', { tries: 1 });
    assert.equal(ok.reached, true, ok.detail);
    assert.match(ok.detail, /1 echo reply of 1/);
    const no = await ping(h.place, '192.0.2.1', { tries: 1 });
    assert.equal(no.reached, false);
    assert.match(no.detail, /no echo reply in 1 tries/);
  });

  test('firstEchoReply: the moment an address starts answering, not before; silence rejects', async () => {
    // loopback's echo requests dropped by a table of this scratch namespace, then let through
    await apply(h.place, 'table inet reach-test { chain in { type filter hook input priority 0; icmp type echo-request drop; }; }');
    const waiting = firstEchoReply(h.place, '127.0.0.1', { limitMs: 5000 });
    await new Promise((r) => setTimeout(r, 300));
    const opened = performance.now();
    await apply(h.place, 'delete table inet reach-test');
    const at = await waiting;
    assert.ok(at >= opened, `a reply before the drop went (${Math.round(opened - at)} ms early)`);
    assert.ok(at - opened < 500, `the first reply came ${Math.round(at - opened)} ms after the drop went`);
    await assert.rejects(firstEchoReply(h.place, '192.0.2.1', { limitMs: 400 }), /no echo reply from 192.0.2.1 within 400 ms|without an echo reply/);
  });

  test('tcp: a listener connects, a closed port refuses (reached), an unrouted address is silent', async () => {
    const pid = await start(['socat', 'TCP-LISTEN:7777,bind=127.0.0.1,reuseaddr', 'EXEC:echo hello'], { place: h.place, settleMs: 100 });
    try {
      const ok = await tcpConnect(h.place, '127.0.0.1', 7777, { tries: 1 });
      assert.equal(ok.reached, true, ok.detail);
      assert.match(ok.detail, /connected; it said 'hello'/);
    } finally {
      await terminate([pid]);
    }
    const refused = await tcpConnect(h.place, '127.0.0.1', 7778, { tries: 1 });
    assert.deepEqual([refused.reached, refused.detail], [true, 'connection refused (the host answered)']);
    const silent = await tcpConnect(h.place, '192.0.2.1', 22, { tries: 1, timeoutS: 1 });
    assert.equal(silent.reached, false);
  });
});
