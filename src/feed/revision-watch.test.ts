// The long-poll's revision watch: parked watches are woken by a write's announcement, a
// watch that arrives while nothing was announced since the last read parks without asking
// the database (one change answers ~1,000 watches, each of which comes straight back), and
// a write announced while a read is under way is never missed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import { connect } from '../db/connect.ts';
import { upgrade } from '../db/migrate.ts';
import { currentRevision } from './revision.ts';
import { RevisionWatch } from './revision-watch.ts';

const row = (i: number) => ({ resource_type: 'port', resource_id: `p${i}`, revision_number: 1, op: 'update', created_at: '2026-12-03T00:00:00Z' });

test('a revision watch reads the outbox once per announced write, however many watches wait', async () => {
  const conn = connect('sqlite://');
  try {
    await upgrade(conn);
    let queries = 0;
    const counting: KyselyPlugin = { transformQuery: (a) => { queries++; return a.node; }, transformResult: async (a) => a.result };
    const db = conn.db.withPlugin(counting);
    // no fallback check within the test: only announcements wake the watches
    const watch = new RevisionWatch(db, { fallbackMs: 60_000 });
    await conn.db.insertInto('changes').values(row(0)).execute();
    const r0 = await currentRevision(conn.db);

    queries = 0;
    const first = Array.from({ length: 100 }, () => watch.wait(r0, 5000));
    await new Promise((r) => setImmediate(r));
    assert.equal(watch.waiting, 100);
    assert.equal(queries, 1, 'the first watches share one read');

    await conn.db.insertInto('changes').values(row(1)).execute();
    watch.wake();
    assert.deepEqual(new Set(await Promise.all(first)), new Set([r0 + 1]));
    assert.equal(queries, 2, 'one read for the announced write');

    // every agent comes straight back with the revision it was sent: nothing was announced
    // since, so they park on one shared read (the first one, made because no watch was left
    // parked to be woken by a fallback check meanwhile), not one each
    const again = Array.from({ length: 100 }, () => watch.wait(r0 + 1, 5000));
    await new Promise((r) => setImmediate(r));
    assert.equal(watch.waiting, 100);
    assert.equal(queries, 3, 'the returning watches share one read');
    // with watches parked, one more parks with no read; one that is behind is answered at once
    const more = watch.wait(r0 + 1, 5000);
    assert.equal(await watch.wait(r0, 5000), r0 + 1);
    assert.equal(queries, 3);

    await conn.db.insertInto('changes').values(row(2)).execute();
    watch.wake();
    assert.deepEqual(new Set(await Promise.all([...again, more])), new Set([r0 + 2]));
    watch.close();
  } finally {
    await conn.close();
  }
});

test('a write announced while a watch reads the outbox is not missed', async () => {
  const conn = connect('sqlite://');
  try {
    await upgrade(conn);
    const watch = new RevisionWatch(conn.db, { fallbackMs: 60_000 });
    await conn.db.insertInto('changes').values(row(0)).execute();
    const r0 = await currentRevision(conn.db);
    for (let i = 1; i <= 20; i++) {
      // the watch's read and the write race: whichever lands first, the watch must see the write
      // at once (with no fallback check, a stale read would leave it parked for its whole wait)
      const waiting = watch.wait(r0 + i - 1, 3000);
      await conn.db.insertInto('changes').values(row(i)).execute();
      watch.wake();
      assert.equal(await waiting, r0 + i, `round ${i}`);
    }
    // nobody waits: nothing checks the outbox, so a write nobody announced is read by the next watch
    await conn.db.insertInto('changes').values(row(99)).execute();
    assert.equal(await watch.wait(r0 + 20, 3000), r0 + 21);
    watch.close();
  } finally {
    await conn.close();
  }
});

test('a revision watch says when the first watch starts waiting and the last one stops', async () => {
  const conn = connect('sqlite://');
  try {
    await upgrade(conn);
    const told: boolean[] = [];
    const watch = new RevisionWatch(conn.db, { fallbackMs: 60_000, interest: (l) => told.push(l) });
    const r0 = await currentRevision(conn.db);
    const waits = [watch.wait(r0, 5000), watch.wait(r0, 5000)];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(told, [true], 'once for the first of two');
    await conn.db.insertInto('changes').values(row(9)).execute();
    watch.wake();
    await Promise.all(waits);
    assert.deepEqual(told, [true, false]);
    watch.close();
  } finally {
    await conn.close();
  }
});
