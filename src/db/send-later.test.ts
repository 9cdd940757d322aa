// sendLater against the real engines. On MariaDB a transaction's `begin` and held writes reach
// the server in one query with the next awaited statement (read back from its general log);
// a held write that fails stops that query, commit included, and surfaces as its caller mapped
// it; a deadlock met by a pipelined query retries the whole transaction. On SQLite and
// PostgreSQL the write runs at once and its error is mapped there.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createConnection, type Connection } from 'mysql2/promise';
import { connect, type Db } from './connect.ts';
import { upgrade } from './migrate.ts';
import { inTransaction, isRetryableDbError, isUniqueViolation, type Tx } from './transaction.ts';
import { HeldStatementFailed, sendLater } from './send-later.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../test/support/test-db.ts';

class Mapped extends Error {}
const mapDup = (e: unknown): unknown => (isUniqueViolation(e) ? new Mapped('duplicate, mapped') : e);

const addLock = (tx: Tx, name: string) => tx.insertInto('locks').values({ name });
const names = async (db: Db, prefix: string): Promise<string[]> =>
  (await db.db.selectFrom('locks').select('name').where('name', 'like', `${prefix}%`).orderBy('name').execute()).map((r) => r.name);

for (const kind of TEST_DB_KINDS) {
  describe(`sendLater on ${kind}`, { skip: dbSkipReason(kind), timeout: 60_000 }, () => {
    let tdb: TestDatabase;
    let db: Db;
    before(async () => {
      tdb = await freshDatabase(kind, 'send_later');
      db = connect(tdb.url);
      await upgrade(db);
      await db.db.insertInto('locks').values({ name: 'taken' }).execute();
    });
    after(async () => { await db?.close(); await tdb?.drop(); });

    it('commits held writes with the transaction', async () => {
      await inTransaction(db, async (tx) => {
        await sendLater(tx, addLock(tx, 'ok-1'));
        await sendLater(tx, addLock(tx, 'ok-2'));
      });
      assert.deepEqual(await names(db, 'ok-'), ['ok-1', 'ok-2']);
    });

    it('reports a failed write as mapped, and commits nothing of its transaction', async () => {
      await assert.rejects(inTransaction(db, async (tx) => {
        await sendLater(tx, addLock(tx, 'gone-1'));
        await sendLater(tx, addLock(tx, 'taken'), mapDup);
        await sendLater(tx, addLock(tx, 'gone-2'));
      }), Mapped);
      assert.deepEqual(await names(db, 'gone-'), []);
      // the connection serves the next transaction
      await inTransaction(db, async (tx) => { await sendLater(tx, addLock(tx, 'after-1')); });
      assert.deepEqual(await names(db, 'after-'), ['after-1']);
    });

    it('takes writes only', async () => {
      await assert.rejects(sendLater(db.db, db.db.selectFrom('locks').select('name')), /writes only/);
    });
  });
}

describe('sendLater on MariaDB: one round trip for what is held', { skip: dbSkipReason('mysql'), timeout: 60_000 }, () => {
  let tdb: TestDatabase;
  let db: Db;
  let other: Db;
  let admin: Connection;
  before(async () => {
    tdb = await freshDatabase('mysql', 'send_later_rt');
    db = connect(tdb.url, { poolSize: 1 });
    other = connect(tdb.url);
    await upgrade(db);
    await db.db.insertInto('locks').values([{ name: 'taken' }, { name: 'x' }, { name: 'y' }]).execute();
    const u = new URL(tdb.url);
    admin = await createConnection({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) });
  });
  after(async () => { await admin?.end(); await db?.close(); await other?.close(); await tdb?.drop(); });

  /** The queries the server received from the (only) pooled connection of `db` while fn ran
   *  (a prepared statement's execution is logged with its values; `prepares` lists preparations too). */
  async function queriesDuring(fn: () => Promise<unknown>, commands = "'Query', 'Execute'"): Promise<string[]> {
    const [[{ id }]] = await db.db.executeQuery<{ id: number }>(sql`select connection_id() as id`.compile(db.db)).then((r) => [r.rows]);
    await admin.query("SET GLOBAL log_output = 'TABLE'");
    await admin.query('TRUNCATE mysql.general_log');
    await admin.query('SET GLOBAL general_log = 1');
    try {
      await fn();
    } finally {
      await admin.query('SET GLOBAL general_log = 0');
    }
    const [rows] = await admin.query(`SELECT command_type, argument FROM mysql.general_log WHERE thread_id = ? AND command_type IN (${commands}) ORDER BY event_time`, [id]) as unknown as [{ command_type: string; argument: Buffer | string }[]];
    const text = (r: { command_type: string; argument: Buffer | string }) => String(r.argument).replace(/\s*;\s*/g, '; ').replace(/\s+/g, ' ');
    return rows.map((r) => (commands.includes('Prepare') ? `${r.command_type}: ${text(r)}` : text(r)));
  }
  const prepares = (fn: () => Promise<unknown>) => queriesDuring(fn, "'Query', 'Prepare', 'Execute'");

  it('sends begin and the held writes with the next awaited statement, and the rest with the commit, as one compound statement', async () => {
    const q = await queriesDuring(() => inTransaction(db, async (tx) => {
      await sendLater(tx, addLock(tx, 'rt-1'));
      await sendLater(tx, addLock(tx, 'rt-2'));
      const r = await tx.selectFrom('locks').select('name').where('name', 'like', 'rt-%').execute();
      assert.equal(r.length, 2, 'the held writes ran before the read');
      await sendLater(tx, addLock(tx, 'rt-3'));
    }));
    assert.equal(q.length, 2, q.join('\n'));
    assert.match(q[0], /^begin; insert into `locks` .*'rt-1'.*; insert into `locks` .*'rt-2'.*; select `name` from `locks`/);
    // one OK packet for the lot, where a multi-statement query answers each statement
    // (a prepared block is logged without its values)
    assert.match(q[1], /^begin not atomic set @muon_held = -1; set @muon_held = 0; insert into `locks` \(`name`\) values \(\?\); set @muon_held = 1; commit; end$/);
    assert.deepEqual(await names(db, 'rt-'), ['rt-1', 'rt-2', 'rt-3']);
  });

  it('prepares a small closing block once per connection and executes it after; a large one goes as text', async () => {
    const three = (tag: string) => inTransaction(db, async (tx) => {
      for (const n of [1, 2, 3]) await sendLater(tx, addLock(tx, `${tag}-${n}`));
    });
    const first = await prepares(() => three('pp-a'));
    assert.deepEqual(first.map((q) => q.split(':')[0]), ['Prepare', 'Execute'], first.join('\n'));
    assert.match(first[0], /^Prepare: begin not atomic .*values \(\?\).*commit; end$/);
    assert.equal(first[1], `Execute: ${first[0].slice('Prepare: '.length)}`);
    const again = await prepares(() => three('pp-b'));
    assert.deepEqual(again.map((q) => q.split(':')[0]), ['Execute'], 'the same text is not prepared again');
    const many = Array.from({ length: 300 }, (_, i) => ({ name: `pp-many-${String(i).padStart(3, '0')}` }));
    const big = await prepares(() => inTransaction(db, async (tx) => { await sendLater(tx, tx.insertInto('locks').values(many)); }));
    assert.deepEqual(big.map((q) => q.split(':')[0]), ['Query'], 'over 256 parameters: text, not a prepared statement');
    assert.equal((await names(db, 'pp-')).length, 306);
  });

  it('sends the block as text when the server refuses more prepared statements (max_prepared_stmt_count)', async () => {
    const [[{ v }]] = await admin.query('SELECT @@global.max_prepared_stmt_count AS v') as unknown as [{ v: number }[]];
    await admin.query('SET GLOBAL max_prepared_stmt_count = 0');
    let q: string[];
    try {
      // a text this connection never prepared: its prepare is refused (1461), and nothing ran
      q = await prepares(() => inTransaction(db, async (tx) => {
        for (const n of [1, 2, 3, 4]) await sendLater(tx, addLock(tx, `mp-${n}`));
      }));
    } finally {
      await admin.query('SET GLOBAL max_prepared_stmt_count = ?', [v]);
    }
    assert.deepEqual(q.map((s) => s.split(':')[0]), ['Query'], q.join('\n'));
    assert.match(q[0], /'mp-1'.*'mp-4'.*commit; end$/);
    assert.deepEqual(await names(db, 'mp-'), ['mp-1', 'mp-2', 'mp-3', 'mp-4']);
    // the refused text was not kept as prepared: allowed again, it is prepared now
    const later = await prepares(() => inTransaction(db, async (tx) => {
      for (const n of [5, 6, 7, 8]) await sendLater(tx, addLock(tx, `mp-${n}`));
    }));
    assert.deepEqual(later.map((s) => s.split(':')[0]), ['Prepare', 'Execute'], later.join('\n'));
  });

  it('keeps a held write that ends in a comment from swallowing the next statement', async () => {
    await inTransaction(db, async (tx) => {
      await sendLater(tx, sql`insert into locks (name) values (${'cm-1'}) -- a comment`.compile(tx));
      await sendLater(tx, addLock(tx, 'cm-2'));
    });
    assert.deepEqual(await names(db, 'cm-'), ['cm-1', 'cm-2']);
  });

  it('costs no round trip for a transaction that sent nothing, and a rollback drops what is held', async () => {
    const q = await queriesDuring(async () => {
      await inTransaction(db, async () => {});
      await assert.rejects(inTransaction(db, async (tx) => {
        await sendLater(tx, addLock(tx, 'never'));
        throw new Mapped('before any round trip');
      }), Mapped);
    });
    assert.deepEqual(q, []);
    assert.deepEqual(await names(db, 'never'), []);
  });

  it('stops the query at the failed write: the awaited statement after it does not run', async () => {
    let read = false;
    const q = await queriesDuring(() => assert.rejects(inTransaction(db, async (tx) => {
      await sendLater(tx, addLock(tx, 'mid-1'));
      await sendLater(tx, addLock(tx, 'taken'), mapDup);
      await tx.updateTable('locks').set({ name: 'mid-2' }).where('name', '=', 'x').execute();
      read = true;
    }), Mapped));
    assert.equal(read, false);
    assert.deepEqual(q.map((s) => s.split(';')[0]), ['begin', 'rollback']);
    assert.deepEqual(await names(db, 'mid-'), []);
    assert.deepEqual(await names(db, 'x'), ['x'], 'the update after the failed write did not run');
  });

  it('keeps the commit from running when a write held with it fails', async () => {
    const q = await queriesDuring(() => assert.rejects(inTransaction(db, async (tx) => {
      await tx.selectFrom('locks').select('name').where('name', '=', 'x').execute();
      await sendLater(tx, addLock(tx, 'pre-1'));
      await sendLater(tx, addLock(tx, 'taken'), mapDup);
    }), Mapped));
    assert.match(q[1], /^begin not atomic .*insert into `locks` .*insert into `locks` .*; commit; end$/);
    // which statement of the block failed: asked only after a failure
    assert.deepEqual(q.slice(2), ['select @muon_held as i', 'rollback']);
    assert.deepEqual(await names(db, 'pre-'), []);
  });

  it('tells which statement of a committing block failed: a mapped one, or an unmapped one before it', async () => {
    // the transaction's begin goes in the block too: nothing of it may stay
    await assert.rejects(inTransaction(db, async (tx) => {
      await sendLater(tx, addLock(tx, 'blk-1'));
      await sendLater(tx, addLock(tx, 'taken'), mapDup);
      await sendLater(tx, addLock(tx, 'blk-2'));
    }), Mapped);
    const err = await inTransaction(db, async (tx) => {
      await sendLater(tx, addLock(tx, 'taken'));
      await sendLater(tx, addLock(tx, 'blk-3'), mapDup);
    }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof HeldStatementFailed, `the unmapped first write failed, not the mapped second: ${String(err)}`);
    assert.deepEqual(await names(db, 'blk-'), []);
  });

  it('reports an unmapped failure as HeldStatementFailed, not as the later statement\'s own error', async () => {
    const err = await inTransaction(db, async (tx) => {
      await sendLater(tx, addLock(tx, 'taken'));
      await tx.selectFrom('locks').select('name').execute();
    }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof HeldStatementFailed, String(err));
    assert.equal(isUniqueViolation(err), false, 'a catch for the awaited statement does not take it for its own');
    assert.equal((err.cause as { errno?: number }).errno, 1062);
  });

  it('retries the whole transaction when a pipelined query meets a deadlock', async () => {
    // Two transactions lock x and y in opposite orders; the second lock of each goes out in one
    // query with a held write. The victim's write of its first attempt must not survive.
    let arrived = 0;
    let open!: () => void;
    const met = new Promise<void>((r) => { open = r; });
    const retried: unknown[] = [];
    const run = (conn: Db, who: string, first: string, second: string) => {
      let attempt = 0;
      return inTransaction(conn, async (tx) => {
        attempt++;
        await tx.updateTable('locks').set({ name: first }).where('name', '=', first).execute();
        if (attempt === 1 && ++arrived === 2) open();
        if (attempt === 1) await met;
        await sendLater(tx, addLock(tx, `dl-${who}${attempt}`));
        await tx.updateTable('locks').set({ name: second }).where('name', '=', second).execute();
      }, (e) => retried.push(e));
    };
    await Promise.all([run(db, 'a', 'x', 'y'), run(other, 'b', 'y', 'x')]);
    assert.equal(retried.length, 1, 'one deadlock victim');
    assert.ok(isRetryableDbError(retried[0]));
    const rows = await names(db, 'dl-');
    assert.equal(rows.length, 2, rows.join(' '));
    assert.ok(rows.includes('dl-a1') !== rows.includes('dl-b1'), `one first attempt committed, the victim's rolled back: ${rows}`);
    assert.ok(rows.includes('dl-a2') || rows.includes('dl-b2'), `the victim's retry committed: ${rows}`);
  });
});
