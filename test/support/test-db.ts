// Fresh, empty databases for test files, on each of the three backends.
//
//   import { describe, before, after, it } from 'node:test';
//   import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../support/test-db.ts';
//
//   for (const kind of TEST_DB_KINDS) {
//     describe(`ports API [${kind}]`, { skip: dbSkipReason(kind) }, () => {
//       let db: TestDatabase;
//       before(async () => { db = await freshDatabase(kind, 'ports'); });   // db.url: a [database] connection URL
//       after(async () => { await db?.drop(); });
//       it('...', async () => { /* connect(db.url) ... */ });
//     });
//   }
//
// One MariaDB and one PostgreSQL server serve the whole `npm test` run: they are started by
// ./global-db.ts (node --test-global-setup), which passes their URLs to the test processes
// in MUON_TEST_MYSQL_URL / MUON_TEST_PG_URL. Set those yourself to use servers of your own
// (the user in the URL must be allowed to create databases). Run a test file on its own
// (`node --test test/x.test.ts`) and it starts private servers for itself, stopped at exit.
// MUON_TEST_DBS=sqlite,postgres limits the backends tested (the others are skipped).
//
// When a server can't be had (not installed), its tests are skipped with the reason — except
// under CI (CI=true), where they fail with it: CI must test all three.
import { removeTempDir, makeTempDir, createDatabase, dropDatabase, serverUnavailableReason, startServer, type ServerKind } from './db-servers.ts';
import { join } from 'node:path';

export type TestDbKind = 'sqlite' | 'mysql' | 'postgres';
export const TEST_DB_KINDS: readonly TestDbKind[] = ['sqlite', 'mysql', 'postgres'];

export interface TestDatabase {
  kind: TestDbKind;
  /** A [database] connection URL: sqlite:////tmp/…/muon.sqlite, mysql://neutron:neutron@127.0.0.1:P/muon_t_…,
   *  postgresql://neutron:neutron@127.0.0.1:P/muon_t_… */
  url: string;
  /** Drops the database (removes the SQLite file). Idempotent. */
  drop(): Promise<void>;
}

export const ENV_URL: Record<ServerKind, string> = { mysql: 'MUON_TEST_MYSQL_URL', postgres: 'MUON_TEST_PG_URL' };
/** Set by global-db.ts when it could not start a server: the reason, for the tests to fail with. */
export const ENV_ERROR: Record<ServerKind, string> = { mysql: 'MUON_TEST_MYSQL_ERROR', postgres: 'MUON_TEST_PG_ERROR' };
const NAMES: Record<TestDbKind, string> = { sqlite: 'SQLite', mysql: 'MariaDB', postgres: 'PostgreSQL' };

export function isCI(): boolean {
  const ci = process.env.CI;
  return !!ci && ci !== 'false' && ci !== '0';
}

/** Backends selected by MUON_TEST_DBS (all by default). */
export function selectedKinds(): TestDbKind[] {
  const sel = process.env.MUON_TEST_DBS?.trim();
  if (!sel) return [...TEST_DB_KINDS];
  const want = sel.split(/[\s,]+/).map((k) => (k === 'pg' || k === 'postgresql' ? 'postgres' : k === 'mariadb' ? 'mysql' : k));
  return TEST_DB_KINDS.filter((k) => want.includes(k));
}

/** For `describe(name, { skip: dbSkipReason(kind) }, …)`: a reason to skip, or false.
 *  Never skips under CI (a missing server then fails the tests, in freshDatabase). */
export function dbSkipReason(kind: TestDbKind): string | false {
  if (!selectedKinds().includes(kind)) return `${NAMES[kind]} not in MUON_TEST_DBS=${process.env.MUON_TEST_DBS}`;
  if (kind === 'sqlite' || process.env[ENV_URL[kind]] || process.env[ENV_ERROR[kind]] || isCI()) return false;
  const why = serverUnavailableReason(kind);
  return why ? `${NAMES[kind]} tests skipped: ${why} (under CI=true they fail)` : false;
}

const privateServers = new Map<ServerKind, Promise<string>>();

/** URL (database `neutron`) of the run's shared server of this kind, starting a private one
 *  for this process when there is none. Throws with a clear reason when none can be had. */
export async function serverUrl(kind: ServerKind): Promise<string> {
  const fromEnv = process.env[ENV_URL[kind]];
  if (fromEnv) return fromEnv;
  const failed = process.env[ENV_ERROR[kind]];
  if (failed) throw new Error(`${NAMES[kind]} test server unavailable: ${failed}`);
  const why = serverUnavailableReason(kind);
  if (why) throw new Error(`${NAMES[kind]} test server unavailable: ${why}`);
  let p = privateServers.get(kind);
  if (!p) {
    p = startServer(kind).then((s) => s.url); // stopped at process exit
    privateServers.set(kind, p);
  }
  return p;
}

let counter = 0;

function dbName(label: string | undefined): string {
  const run = (process.env.MUON_TEST_RUN_ID ?? '').replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 10);
  const tag = (label ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 24);
  const name = ['muon_t', run, tag, String(process.pid), String(++counter)].filter(Boolean).join('_');
  return name.slice(0, 63);
}

/** Prefix of every database freshDatabase creates in this run (global-db.ts drops them
 *  from servers it didn't start). */
export function runDatabasePrefix(): string {
  const run = (process.env.MUON_TEST_RUN_ID ?? '').replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 10);
  return run ? `muon_t_${run}_` : 'muon_t_';
}

/** A new, empty database of this kind (nothing migrated). `label` only makes its name readable. */
export async function freshDatabase(kind: TestDbKind, label?: string): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = makeTempDir('sqlite');
    const file = join(dir, 'muon.sqlite');
    return { kind, url: `sqlite:///${file}`, drop: async () => removeTempDir(dir) };
  }
  const url = await createDatabase(await serverUrl(kind), dbName(label));
  let dropped = false;
  return {
    kind, url,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await dropDatabase(url);
    },
  };
}
