// inTransaction against the real engines: a genuine deadlock (MariaDB 1213, PostgreSQL 40P01) is
// rolled back and retried until both transactions commit; on SQLite, two connections to one file
// (as two api_workers processes have) wait for each other without blocking the event loop and
// lose no read-modify-write.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { connect, type Db } from './connect.ts';
import { upgrade } from './migrate.ts';
import { inTransaction, isRetryableDbError, retryDelayMs, type Tx } from './transaction.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../test/support/test-db.ts';

/** resolves when `n` parties have arrived */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((r) => { open = r; });
  return () => { if (++arrived === n) open(); return opened; };
}

const touch = (tx: Tx, name: string) => tx.updateTable('locks').set({ name }).where('name', '=', name).execute();

it('retry pauses are jittered and bounded', () => {
  for (let a = 1; a < 30; a++) {
    const d = retryDelayMs(a);
    assert.ok(d >= 0 && d <= 250, `attempt ${a}: ${d}`);
  }
});

for (const kind of TEST_DB_KINDS.filter((k) => k !== 'sqlite')) {
  describe(`inTransaction on ${kind}: deadlocks are retried`, { skip: dbSkipReason(kind), timeout: 60_000 }, () => {
    let tdb: TestDatabase;
    let a: Db;
    let b: Db;
    before(async () => {
      tdb = await freshDatabase(kind, 'tx_retry');
      a = connect(tdb.url);
      b = connect(tdb.url);
      await upgrade(a);
      await a.db.insertInto('locks').values([{ name: 'x' }, { name: 'y' }]).execute();
    });
    after(async () => { await a?.close(); await b?.close(); await tdb?.drop(); });

    it('two transactions locking rows in opposite order both commit, one after a retry', async () => {
      const met = barrier(2);
      const retried: unknown[] = [];
      const run = (conn: Db, first: string, second: string) => {
        let attempt = 0;
        return inTransaction(conn, async (tx) => {
          attempt++;
          await touch(tx, first);
          if (attempt === 1) await met(); // both hold their first row: each now waits for the other's
          await touch(tx, second);
          return attempt;
        }, (e) => retried.push(e));
      };
      const [ax, bx] = await Promise.all([run(a, 'x', 'y'), run(b, 'y', 'x')]);
      // Usually one victim. On a loaded machine PostgreSQL can deadlock the pair again: the waiter
      // woken by the victim's rollback re-checks the row only when scheduled, and the victim's
      // retry may take that row first. Each deadlock then costs one more retry, never a failure.
      assert.ok(retried.length >= 1, 'one of them was chosen as the deadlock victim');
      for (const r of retried) {
        assert.ok(isRetryableDbError(r));
        const e = r as { errno?: number; code?: string };
        if (kind === 'mysql') assert.equal(e.errno, 1213);
        else assert.equal(e.code, '40P01');
      }
      assert.equal(ax + bx, 2 + retried.length, 'each victim ran again from scratch, and both committed');
      assert.ok(Math.max(ax, bx) >= 2);
    });
  });
}

describe('inTransaction on SQLite: two connections to one file', { skip: dbSkipReason('sqlite'), timeout: 60_000 }, () => {
  let tdb: TestDatabase;
  let a: Db;
  let b: Db;
  before(async () => {
    tdb = await freshDatabase('sqlite', 'tx_retry');
    a = connect(tdb.url);
    await upgrade(a);
    b = connect(tdb.url);
    await a.db.insertInto('locks').values({ name: '0' }).execute();
  });
  after(async () => { await a?.close(); await b?.close(); await tdb?.drop(); });

  it('a writer waits for the other connection\'s transaction while its event loop keeps running', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let holding!: () => void;
    const held = new Promise<void>((r) => { holding = r; });
    const first = inTransaction(a, async (tx) => { await tx.insertInto('locks').values({ name: 'held' }).execute(); holding(); await gate; });
    await held;
    let second = false;
    const waiting = inTransaction(b, async (tx) => { await tx.insertInto('locks').values({ name: 'after' }).execute(); second = true; });
    // timers still fire while `b` waits for the write lock: nothing blocks synchronously
    let ticks = 0;
    for (let i = 0; i < 5; i++) { await new Promise((r) => setTimeout(r, 5)); ticks++; }
    assert.equal(ticks, 5);
    assert.equal(second, false, 'the second writer has not begun while the first holds the lock');
    release();
    await Promise.all([first, waiting]);
    assert.equal(second, true);
    await a.db.deleteFrom('locks').where('name', 'in', ['held', 'after']).execute();
  });

  it('read-modify-write from both connections loses no update', async () => {
    const bump = (conn: Db) => inTransaction(conn, async (tx) => {
      const row = await tx.selectFrom('locks').select('name').where(sql<boolean>`name glob '[0-9]*'`).executeTakeFirstOrThrow();
      await new Promise((r) => setImmediate(r)); // let the other connection try to interleave
      await tx.updateTable('locks').set({ name: String(Number(row.name) + 1) }).where('name', '=', row.name).execute();
    });
    await Promise.all(Array.from({ length: 100 }, (_, i) => bump(i % 2 ? a : b)));
    const row = await a.db.selectFrom('locks').select('name').where(sql<boolean>`name glob '[0-9]*'`).executeTakeFirstOrThrow();
    assert.equal(row.name, '100');
  });
});
