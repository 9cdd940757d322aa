import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../db/connect.ts';
import { upgrade } from '../db/migrate.ts';
import { currentRevision, pruneChanges } from './revision.ts';

test('pruning the outbox keeps its newest rows, so the feed revision never moves back', async () => {
  const conn = connect('sqlite://');
  try {
    await upgrade(conn);
    const row = (i: number) => ({ resource_type: 'port', resource_id: `p${i}`, revision_number: 1, op: 'update', created_at: '2026-11-25T00:00:00Z' });
    await conn.db.insertInto('changes').values(Array.from({ length: 50 }, (_, i) => row(i))).execute();
    const top = await currentRevision(conn.db);
    assert.equal(await pruneChanges(conn.db, 100), 0);
    assert.equal(await pruneChanges(conn.db, 10), top - 10);
    assert.equal(await currentRevision(conn.db), top);
    const left = await conn.db.selectFrom('changes').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(left.n), 10);
    await conn.db.insertInto('changes').values(row(99)).execute();
    assert.equal(await currentRevision(conn.db), top + 1, 'new rows continue after the pruned ones');
  } finally {
    await conn.close();
  }
});
