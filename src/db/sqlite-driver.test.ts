// Isolation on SQLite when a transaction stays open across awaits: other requests' reads
// go on (on the reader) and see none of it until it commits; other writes wait for it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Db } from './connect.ts';
import { upgrade } from './migrate.ts';
import { inTransaction } from './transaction.ts';

const names = async (conn: Db) => (await conn.db.selectFrom('locks').select('name').orderBy('name').execute()).map((r) => r.name);
const tick = () => new Promise((r) => setImmediate(r));

describe('SQLite file database: a transaction open across awaits', { timeout: 20_000 }, () => {
  let dir: string;
  let conn: Db;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'muon-sqlite-driver-'));
    conn = connect(`sqlite:///${join(dir, 'm.sqlite')}`);
    await upgrade(conn);
  });
  after(async () => {
    await conn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is invisible to concurrent reads, which do not wait for it, until it commits', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const tx = inTransaction(conn, async (t) => {
      await t.insertInto('locks').values({ name: 'a' }).execute();
      // the transaction sees its own row
      assert.deepEqual((await t.selectFrom('locks').select('name').execute()).map((r) => r.name), ['a']);
      await gate;
      await t.insertInto('locks').values({ name: 'b' }).execute();
    });
    await tick();
    assert.deepEqual(await names(conn), [], 'a plain read during the transaction sees none of its rows');
    release();
    await tx;
    assert.deepEqual(await names(conn), ['a', 'b']);
    await conn.db.deleteFrom('locks').execute();
  });

  it('a write outside the transaction waits for it and never joins it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const tx = inTransaction(conn, async (t) => {
      await t.insertInto('locks').values({ name: 'in-tx' }).execute();
      await gate;
      throw new Error('rolled back');
    });
    await tick();
    let written = false;
    const outside = conn.db.insertInto('locks').values({ name: 'outside' }).execute().then(() => { written = true; });
    await tick();
    await tick();
    assert.equal(written, false, 'the plain write waits while the transaction is open');
    release();
    await assert.rejects(tx, /rolled back/);
    await outside;
    // the rollback took only the transaction's row: the waiting write was not part of it
    assert.deepEqual(await names(conn), ['outside']);
    await conn.db.deleteFrom('locks').execute();
  });

  it('transactions run one at a time', async () => {
    const order: string[] = [];
    await Promise.all(['x', 'y', 'z'].map((n) => inTransaction(conn, async (t) => {
      order.push(`${n}:begin`);
      await tick();
      await t.insertInto('locks').values({ name: n }).execute();
      order.push(`${n}:end`);
    })));
    assert.deepEqual(order, ['x:begin', 'x:end', 'y:begin', 'y:end', 'z:begin', 'z:end']);
    assert.deepEqual(await names(conn), ['x', 'y', 'z']);
  });
});

describe('SQLite: statements cached before a column is added', () => {
  it('return the new column too (on the reader and the writer)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muon-sqlite-schema-'));
    const conn = connect(`sqlite:///${join(dir, 'm.sqlite')}`);
    try {
      await conn.db.schema.createTable('t').addColumn('id', 'text').execute();
      await conn.db.insertInto('t' as never).values({ id: 'a' } as never).execute();
      const all = async () => await conn.db.selectFrom('t' as never).selectAll().execute() as Record<string, unknown>[];
      assert.deepEqual(await all(), [{ id: 'a' }]);
      await conn.db.schema.alterTable('t').addColumn('flag', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      assert.deepEqual(await all(), [{ id: 'a', flag: 1 }], 'the cached `select *` names the new column');
    } finally {
      await conn.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
