// node --test --test-global-setup=test/support/global-db.ts
//
// Starts ONE private MariaDB and ONE private PostgreSQL server (see ./db-servers.ts) for the
// whole test run, before any test file, and hands their URLs to the test processes through
// MUON_TEST_MYSQL_URL / MUON_TEST_PG_URL (test files inherit the runner's environment);
// each test file then makes its own fresh databases on them (./test-db.ts). Stops them at
// the end. A URL already set in the environment is used as is (no server started), and
// the databases the run created on it are dropped at the end.
import { type DbServer, type ServerKind, dropDatabase, listDatabases, serverUnavailableReason, startServer } from './db-servers.ts';
import { ENV_ERROR, ENV_URL, isCI, runDatabasePrefix, selectedKinds } from './test-db.ts';

const started: DbServer[] = [];
const external: string[] = [];
const NAMES: Record<ServerKind, string> = { mysql: 'MariaDB', postgres: 'PostgreSQL' };

function say(msg: string): void {
  process.stderr.write(`[test db] ${msg}\n`);
}

export async function globalSetup(): Promise<void> {
  process.env.MUON_TEST_RUN_ID ??= `r${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const kinds = (['mysql', 'postgres'] as const).filter((k) => selectedKinds().includes(k));
  await Promise.all(kinds.map(async (kind) => {
    const name = NAMES[kind];
    if (process.env[ENV_URL[kind]]) {
      external.push(process.env[ENV_URL[kind]] as string);
      say(`${name}: using ${ENV_URL[kind]}=${redact(process.env[ENV_URL[kind]] as string)}`);
      return;
    }
    const why = serverUnavailableReason(kind);
    if (why) {
      if (isCI()) {
        process.env[ENV_ERROR[kind]] = `${why} (CI=true: the ${name} tests fail)`;
        say(`ERROR: ${name}: ${why} — its tests will FAIL (CI=true)`);
      } else {
        say(`${name}: ${why} — its tests will be skipped`);
      }
      return;
    }
    try {
      const srv = await startServer(kind);
      started.push(srv);
      process.env[ENV_URL[kind]] = srv.url;
      say(`${name} up in ${(srv.startupMs / 1000).toFixed(1)}s: ${srv.url} (pid ${srv.pid}, ${srv.dir})`);
    } catch (e) {
      const msg = (e as Error).message;
      process.env[ENV_ERROR[kind]] = `could not start a private ${name} server: ${msg}`;
      say(`ERROR: could not start a private ${name} server — its tests will FAIL:\n${msg}`);
    }
  }));
}

export async function globalTeardown(): Promise<void> {
  const prefix = runDatabasePrefix();
  for (const url of external) {
    try {
      for (const name of await listDatabases(url, prefix)) {
        const u = new URL(url);
        u.pathname = `/${name}`;
        await dropDatabase(u.toString());
      }
    } catch (e) { say(`could not drop this run's databases on ${redact(url)}: ${(e as Error).message}`); }
  }
  await Promise.all(started.splice(0).map((s) => s.stop()));
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}
