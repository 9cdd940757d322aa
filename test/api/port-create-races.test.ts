// A port create whose statement fails in the middle of its transaction, on MariaDB (where the
// statement travels in one query with others: src/db/mysql-driver.ts) and PostgreSQL. A second
// connection holds an uncommitted change the create's insert must wait for; once that commits,
// the insert fails, and the create answers as Neutron does, leaving no row behind:
// - the network deleted meanwhile: NetworkNotFound (with a subnet: the insert travels with the
//   free-range read; without: with the security group, outbox rows and the commit);
// - the MAC taken meanwhile: retried, then MacAddressInUse.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { dbSkipReason, freshDatabase, type TestDatabase } from '../support/test-db.ts';
import { startApi, type Api } from '../support/api.ts';

/** A session on the database: statements, row counts, and whether a port insert waits for a lock. */
interface Session { run(sql: string, params?: unknown[]): Promise<void>; count(table: string): Promise<number>; insertWaits(): Promise<boolean>; activity(): Promise<unknown>; close(): Promise<void> }

async function session(kind: 'mysql' | 'postgres', url: string): Promise<Session> {
  const u = new URL(url);
  const opts = { host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) };
  if (kind === 'mysql') {
    const c = await createConnection(opts);
    return {
      run: async (q, p = []) => { await c.query(q, p); },
      count: async (table) => Number((await c.query(`SELECT count(*) AS n FROM ${table}`) as unknown as [{ n: number }[]])[0][0].n),
      // (InnoDB refreshes innodb_trx only when it was not read for 0.1 s: see until())
      insertWaits: async () => {
        const [rows] = await c.query(`SELECT count(*) AS n FROM information_schema.innodb_trx t JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id
          WHERE p.db = database() AND t.trx_state = 'LOCK WAIT' AND t.trx_query LIKE 'insert into \`ports\`%'`) as unknown as [{ n: number }[]];
        return Number(rows[0].n) > 0;
      },
      activity: async () => (await c.query('SELECT id, command, state, left(info, 300) AS info FROM information_schema.processlist WHERE db = database()'))[0],
      close: () => c.end(),
    };
  }
  const c = new pg.Client(opts);
  await c.connect();
  return {
    run: async (q, p = []) => {
      let n = 0;
      await c.query(q.replace(/\?/g, () => `$${++n}`), p);
    },
    count: async (table) => Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n),
    insertWaits: async () => {
      const r = await c.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'insert into "ports"%'`);
      return Number(r.rows[0].n) > 0;
    },
    activity: async () => (await c.query('SELECT state, wait_event_type, query FROM pg_stat_activity WHERE datname = current_database()')).rows,
    close: () => c.end(),
  };
}

async function until(what: string, check: () => Promise<boolean>, activity: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting until ${what}; the database's sessions: ${JSON.stringify(await activity())}`);
}

for (const kind of ['mysql', 'postgres'] as const) {
  describe(`port create failing mid-transaction on ${kind}`, { skip: dbSkipReason(kind), timeout: 60_000 }, () => {
    let tdb: TestDatabase;
    let api: Api;
    let other: Session;
    let observer: Session; // outside other's transaction: PostgreSQL's statistics views are a snapshot per transaction
    let demo: Api['req'];
    before(async () => {
      tdb = await freshDatabase(kind, 'port_races');
      api = await startApi('', tdb.url);
      demo = api.as('demo');
      other = await session(kind, tdb.url);
      observer = await session(kind, tdb.url);
      // the project's default security group exists from here on
      const net = (await demo('POST', '/v2.0/networks', { network: { name: 'first' } })).body.network;
      assert.equal((await demo('POST', '/v2.0/ports', { port: { network_id: net.id } })).status, 201);
    });
    after(async () => { await other?.close(); await observer?.close(); await api?.close(); await tdb?.drop(); });

    /** Counts of the rows a port create writes, to show a failed one left none. */
    async function rowCounts(): Promise<Record<string, number>> {
      const out: Record<string, number> = {};
      for (const t of ['ports', 'ip_allocations', 'port_security_groups', 'changes']) out[t] = await observer.count(t);
      return out;
    }

    for (const withSubnet of [true, false]) {
      it(`answers NetworkNotFound when the network is deleted meanwhile (${withSubnet ? 'with' : 'without'} a subnet)`, async () => {
        const net = (await demo('POST', '/v2.0/networks', { network: { name: 'doomed' } })).body.network;
        if (withSubnet) assert.equal((await demo('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.77.0.0/24' } })).status, 201);
        const before = await rowCounts();
        await other.run('BEGIN');
        let create;
        try {
          await other.run('DELETE FROM subnets WHERE network_id = ?', [net.id]);
          await other.run('DELETE FROM networks WHERE id = ?', [net.id]);
          // the create reads the network (still there for it), then its insert waits for the delete
          create = demo('POST', '/v2.0/ports', { port: { network_id: net.id, name: 'orphan' } });
          await until('the port insert waits for the delete', () => observer.insertWaits(), observer.activity);
          await other.run('COMMIT');
        } finally {
          await other.run('ROLLBACK');
        }
        const r = await create;
        assert.equal(r.status, 404, JSON.stringify(r.body));
        assert.deepEqual(r.body, { NeutronError: { type: 'NetworkNotFound', message: `Network ${net.id} could not be found.`, detail: '' } });
        assert.deepEqual(await rowCounts(), before);
        // the server goes on serving creates
        const net2 = (await demo('POST', '/v2.0/networks', { network: { name: 'next' } })).body.network;
        assert.equal((await demo('POST', '/v2.0/ports', { port: { network_id: net2.id } })).status, 201);
      });
    }

    it('retries and answers MacAddressInUse when the MAC is taken meanwhile', async () => {
      const net = (await demo('POST', '/v2.0/networks', { network: { name: 'macs' } })).body.network;
      await demo('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.78.0.0/24' } });
      const holder = (await demo('POST', '/v2.0/ports', { port: { network_id: net.id, name: 'holder' } })).body.port;
      const before = await rowCounts();
      const mac = 'fa:16:3e:00:be:ef';
      await other.run('BEGIN');
      let create;
      try {
        await other.run('UPDATE ports SET mac_address = ? WHERE id = ?', [mac, holder.id]);
        // the create's look-up does not see the uncommitted MAC; its insert waits on the key
        create = demo('POST', '/v2.0/ports', { port: { network_id: net.id, mac_address: mac } });
        await until('the port insert waits for the MAC', () => observer.insertWaits(), observer.activity);
        await other.run('COMMIT');
      } finally {
        await other.run('ROLLBACK');
      }
      const r = await create;
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.deepEqual(r.body, { NeutronError: { type: 'MacAddressInUse', message: `Unable to complete operation for network ${net.id}. The mac address ${mac} is in use.`, detail: '' } });
      assert.deepEqual(await rowCounts(), before);
      // every port still has its one address, none another's
      const ports = (await demo('GET', `/v2.0/ports?network_id=${net.id}`)).body.ports;
      assert.deepEqual(ports.map((p: { fixed_ips: unknown[] }) => p.fixed_ips.length), [1]);
    });
  });
}
