// The worker's side of the api_workers relay, over a stand-in for its IPC channel: writes are
// announced until the primary says no other worker has agents waiting, skipped while none has,
// and a skipped write is announced as soon as one starts waiting.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LISTENERS_MESSAGE, REVISION_MESSAGE, workerRelay } from './worker-relay.ts';

const turn = () => new Promise((r) => setImmediate(r));

describe('workerRelay', () => {
  let sent: unknown[];
  const saved = { send: process.send, connected: Object.getOwnPropertyDescriptor(process, 'connected') };
  beforeEach(() => {
    sent = [];
    process.send = ((m: unknown) => { sent.push(m); return true; }) as typeof process.send;
    Object.defineProperty(process, 'connected', { value: true, configurable: true });
  });
  afterEach(() => {
    process.send = saved.send;
    if (saved.connected) Object.defineProperty(process, 'connected', saved.connected);
    else delete (process as { connected?: boolean }).connected;
  });
  const fromPrimary = (m: unknown) => process.emit('message', m, undefined);
  const revisions = () => sent.filter((m) => (m as { muon: string }).muon === REVISION_MESSAGE).length;

  it('announces every write until told how many others listen, once per turn', async () => {
    const relay = workerRelay();
    relay.publish();
    relay.publish();
    await turn();
    assert.equal(revisions(), 1);
    relay.publish();
    await turn();
    assert.equal(revisions(), 2);
    await relay.close();
  });

  it('skips writes while no other worker has agents waiting, and sends one when one starts', async () => {
    const relay = workerRelay();
    fromPrimary({ muon: LISTENERS_MESSAGE, others: 0 });
    relay.publish();
    await turn();
    relay.publish();
    await turn();
    assert.equal(revisions(), 0);
    // another worker started waiting: its first look may have come before those writes
    fromPrimary({ muon: LISTENERS_MESSAGE, others: 1 });
    assert.equal(revisions(), 1);
    fromPrimary({ muon: LISTENERS_MESSAGE, others: 2 });
    assert.equal(revisions(), 1, 'nothing skipped since');
    relay.publish();
    await turn();
    assert.equal(revisions(), 2);
    await relay.close();
  });

  it('says when its own agents start and stop waiting, and wakes on a relayed write', async () => {
    const relay = workerRelay();
    let woken = 0;
    relay.listen(() => { woken++; });
    relay.interest!(true);
    relay.interest!(false);
    assert.deepEqual(sent, [{ muon: 'muon.revision-interest', listening: true }, { muon: 'muon.revision-interest', listening: false }]);
    fromPrimary({ muon: REVISION_MESSAGE });
    assert.equal(woken, 1);
    await relay.close();
    fromPrimary({ muon: REVISION_MESSAGE });
    assert.equal(woken, 1, 'closed: no longer listening');
  });
});
