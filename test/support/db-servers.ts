// Private, throwaway MariaDB and PostgreSQL servers for the test suite.
//
// Each server lives in its own temp directory (datadir, unix socket, log), listens on
// 127.0.0.1 at a free port, and never touches the system's default instances or their
// config files, so it works whether the system services are stopped or running.
// Servers keep the durability settings of a normal Debian install (a log flush per commit),
// so benchmarks on them measure what an operator gets; they are tuned only where that
// changes no result (no binlog, small buffers, on /dev/shm when it can: see baseTempDir) and
// start in about a second. They are stopped and their directories removed on stop(), on process exit
// (even when tests fail), on SIGINT/SIGTERM/SIGHUP, and — if this process is killed
// hard — the server dies with it (setpriv --pdeathsig KILL); its directory is reaped by
// the next run.
//
// Most test files should not use this module directly: see ./test-db.ts.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import pg from 'pg';

export type ServerKind = 'mysql' | 'postgres';

export interface DbServer {
  kind: ServerKind;
  /** URL of database `neutron` as user neutron/neutron over TCP, e.g.
   *  mysql://neutron:neutron@127.0.0.1:PORT/neutron. The user may create and drop databases. */
  url: string;
  port: number;
  /** The server's private temp directory (datadir, socket, server.log). */
  dir: string;
  /** PID of the server process (mariadbd / postmaster). */
  pid: number;
  /** Milliseconds from the call to "accepts connections, neutron db and user created". */
  startupMs: number;
  /** Stops the server (its whole process group) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

export const MARIADBD = process.env.MUON_MARIADBD ?? '/usr/sbin/mariadbd';
export const MARIADB_INSTALL_DB = process.env.MUON_MARIADB_INSTALL_DB ?? '/usr/bin/mariadb-install-db';
const SETPRIV = '/usr/bin/setpriv';
const DIR_PREFIX = 'muon-testdb-';
const START_TIMEOUT_MS = 60_000;

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** Debian's PostgreSQL binaries: $MUON_PG_BINDIR, else the newest /usr/lib/postgresql/N/bin.
 *  (Deliberately not whatever `postgres` is on PATH.) */
export function postgresBinDir(): string | null {
  if (process.env.MUON_PG_BINDIR) return process.env.MUON_PG_BINDIR;
  const root = '/usr/lib/postgresql';
  let versions: string[];
  try { versions = readdirSync(root); } catch { return null; }
  const found = versions
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'postgres')) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return found.length ? join(root, found[0], 'bin') : null;
}

/** Why this kind of server can't be started here, or null if it can. */
export function serverUnavailableReason(kind: ServerKind): string | null {
  if (kind === 'mysql') {
    const missing = [MARIADBD, MARIADB_INSTALL_DB].filter((p) => !existsSync(p));
    if (missing.length) return `MariaDB is not installed (${missing.join(', ')} missing): apt-get install mariadb-server`;
    return null;
  }
  const bin = postgresBinDir();
  if (!bin) return 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres): apt-get install postgresql';
  const missing = ['postgres', 'initdb'].map((b) => join(bin, b)).filter((p) => !existsSync(p));
  if (missing.length) return `PostgreSQL is not installed (${missing.join(', ')} missing): apt-get install postgresql`;
  if (isRoot() && !userExists('postgres')) return 'PostgreSQL refuses to run as root and there is no `postgres` system user (it comes with Debian\'s postgresql package)';
  return null;
}

function userExists(name: string): boolean {
  try { return readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.startsWith(`${name}:`)); } catch { return false; }
}

function passwdIds(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no system user '${name}'`);
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

// ---------------------------------------------------------------------------------------
// Process-exit cleanup

interface Live { pid: number; dir: string; shutdownSignal: NodeJS.Signals; stopped: boolean }
const live = new Set<Live>();
let hooksInstalled = false;

function pidGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch { return true; }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Resolves when `p` settles or after `ms`, to whether it timed out; leaves no timer behind. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  const ac = new AbortController();
  try {
    return await Promise.race([p.then(() => false), sleep(ms, true, { signal: ac.signal })]);
  } finally { ac.abort(); }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

/** Synchronous: usable from an 'exit' handler. */
function cleanupSync(s: Live): void {
  if (s.stopped) return;
  s.stopped = true;
  live.delete(s);
  killGroup(s.pid, s.shutdownSignal);
  // PostgreSQL removes its SysV segment only on a clean shutdown: give it a moment.
  for (let i = 0; i < 100 && !pidGone(s.pid); i++) sleepSync(20);
  killGroup(s.pid, 'SIGKILL');
  rmSync(s.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
}

const dirsToRemove = new Set<string>();

export function stopAllSync(): void {
  for (const s of [...live]) {
    try { cleanupSync(s); } catch { /* best effort at exit */ }
  }
  for (const dir of dirsToRemove) {
    try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort at exit */ }
  }
  dirsToRemove.clear();
}

/** Makes a temp directory `muon-testdb-<kind>-<pid>-XXXXXX` that is removed at process
 *  exit (and reaped by a later run if this process is killed hard). */
export function makeTempDir(kind: string): string {
  installExitHooks();
  const dir = makeDir(kind);
  dirsToRemove.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  dirsToRemove.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', stopAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      stopAllSync();
      process.removeListener(sig, onSignal);
      // Nobody else handles it: die of the signal as we would have without us.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

/** Removes temp dirs left by processes that no longer exist (killed with SIGKILL, say),
 *  including a dead PostgreSQL's SysV shared-memory segment. */
export function reapStaleDirs(): void {
  for (const base of new Set([baseTempDir(), tmpdir(), '/dev/shm'])) reapStaleDirsIn(base);
}

function reapStaleDirsIn(base: string): void {
  let names: string[];
  try { names = readdirSync(base); } catch { return; }
  for (const name of names) {
    const m = /^muon-testdb-[a-z]+-(\d+)-/.exec(name);
    if (!m) continue;
    const owner = Number(m[1]);
    if (owner === process.pid) continue;
    try { process.kill(owner, 0); continue; } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ESRCH') continue; }
    const dir = join(base, name);
    try {
      const pidFile = join(dir, 'data', 'postmaster.pid');
      if (existsSync(pidFile)) {
        const lines = readFileSync(pidFile, 'utf8').split('\n');
        const pmPid = Number(lines[0]);
        if (pmPid > 0 && !pidGone(pmPid)) continue; // server somehow still alive: leave it
        const shmId = Number((lines[6] ?? '').trim().split(/\s+/)[1]);
        if (Number.isInteger(shmId) && shmId >= 0) removeShmIfUnused(shmId);
      }
      const mysqlPid = join(dir, 'mysqld.pid');
      if (existsSync(mysqlPid) && !pidGone(Number(readFileSync(mysqlPid, 'utf8').trim()))) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch { /* not ours to worry about */ }
  }
}

function removeShmIfUnused(shmId: number): void {
  let table: string;
  try { table = readFileSync('/proc/sysvipc/shm', 'utf8'); } catch { return; }
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (Number(f[1]) === shmId && Number(f[6]) === 0) spawnSync('ipcrm', ['-m', String(shmId)], { stdio: 'ignore' });
  }
}

// ---------------------------------------------------------------------------------------
// Helpers

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Where the servers' directories go: $MUON_TEST_DB_TMPDIR, else /dev/shm when it is a
 *  usable tmpfs with room (CREATE DATABASE is ~15x faster there than on disk), else tmpdir(). */
export function baseTempDir(): string {
  if (process.env.MUON_TEST_DB_TMPDIR) return process.env.MUON_TEST_DB_TMPDIR;
  try {
    const st = statSync('/dev/shm');
    const fs = statfsSync('/dev/shm');
    if (st.isDirectory() && (st.mode & 0o1777) === 0o1777 && fs.bavail * fs.bsize >= 2 * 1024 ** 3) return '/dev/shm';
  } catch { /* no /dev/shm */ }
  return tmpdir();
}

function makeDir(kind: string): string {
  return mkdtempSync(join(baseTempDir(), `${DIR_PREFIX}${kind}-${process.pid}-`));
}

function tail(file: string, lines = 25): string {
  try { return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n'); } catch { return '(no log)'; }
}

/** Runs a command to completion, output appended to logFile; rejects with the log's tail. */
function run(cmd: string, args: string[], logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(logFile, 'a');
    let child;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
    } finally { closeSync(fd); }
    child.on('error', (e) => reject(new Error(`cannot run ${cmd}: ${e.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail(logFile)}`));
    });
  });
}

interface Spawned { pid: number; exited: Promise<string> }

/** Starts a long-running server in its own process group, output to logFile, killed
 *  with this process if this process dies without cleaning up (setpriv --pdeathsig). */
function spawnServer(argv: string[], logFile: string, asUser: string | null): Spawned {
  const prefix: string[] = [];
  if (existsSync(SETPRIV)) {
    prefix.push(SETPRIV);
    if (asUser) prefix.push('--reuid', asUser, '--regid', asUser, '--init-groups');
    prefix.push('--pdeathsig', 'KILL', '--');
  } else if (asUser) {
    prefix.push('runuser', '-u', asUser, '--');
  }
  const full = [...prefix, ...argv];
  const fd = openSync(logFile, 'a');
  let child;
  try {
    child = spawn(full[0], full.slice(1), { stdio: ['ignore', fd, fd], detached: true });
  } finally { closeSync(fd); }
  child.unref();
  const exited = new Promise<string>((resolve) => {
    child.on('error', (e) => resolve(`could not start: ${e.message}`));
    child.on('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with code ${code}`));
  });
  if (child.pid === undefined) throw new Error(`could not start ${full[0]}`);
  return { pid: child.pid, exited };
}

/** Polls `probe` until it succeeds, the server exits, or the time runs out. */
async function waitReady(name: string, srv: Spawned, logFile: string, probe: () => Promise<void>): Promise<void> {
  let exitedWith: string | null = null;
  void srv.exited.then((why) => { exitedWith = why; });
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastErr = '';
  for (;;) {
    if (exitedWith !== null) throw new Error(`${name} ${exitedWith} before accepting connections:\n${tail(logFile)}`);
    try { await probe(); return; } catch (e) { lastErr = (e as Error).message; }
    if (Date.now() > deadline) throw new Error(`${name} did not accept connections within ${START_TIMEOUT_MS / 1000}s (last error: ${lastErr}):\n${tail(logFile)}`);
    await sleep(50);
  }
}

const PORT_IN_USE = /address already in use|could not bind|can't start server: bind/i;

function registerLive(pid: number, dir: string, shutdownSignal: NodeJS.Signals): Live {
  installExitHooks();
  const s: Live = { pid, dir, shutdownSignal, stopped: false };
  live.add(s);
  return s;
}

/** Kills a server that failed to start, keeping its directory (for a retry or the caller). */
async function killNow(s: Live, srv: Spawned): Promise<void> {
  s.stopped = true;
  live.delete(s);
  killGroup(s.pid, 'SIGKILL');
  await within(srv.exited, 5_000);
}

function makeStop(s: Live, srv: Spawned): () => Promise<void> {
  return async () => {
    if (s.stopped) return;
    s.stopped = true;
    live.delete(s);
    killGroup(s.pid, s.shutdownSignal);
    const timedOut = await within(srv.exited, 10_000);
    killGroup(s.pid, 'SIGKILL'); // leftovers (PostgreSQL backends) and the timeout case
    if (timedOut) await within(srv.exited, 2_000);
    for (let i = 0; i < 100; i++) {
      try { process.kill(-s.pid, 0); } catch { break; } // whole group gone
      await sleep(20);
    }
    rmSync(s.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  };
}

// ---------------------------------------------------------------------------------------
// MariaDB

export async function startMariaDb(): Promise<DbServer> {
  const why = serverUnavailableReason('mysql');
  if (why) throw new Error(why);
  const t0 = Date.now();
  reapStaleDirs();
  const dir = makeDir('mysql');
  const data = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const logFile = join(dir, 'server.log');
  const root = isRoot();
  let current: { s: Live; srv: Spawned } | null = null;
  // Options shared by bootstrap and server (the redo log size must match to skip a resize).
  const common = [
    '--innodb-buffer-pool-size=64M', '--innodb-log-file-size=16M', '--innodb-log-buffer-size=8M',
    `--tmpdir=${dir}`, '--skip-name-resolve',
  ];
  try {
    await run(MARIADB_INSTALL_DB, [
      '--no-defaults', `--datadir=${data}`, ...(root ? ['--user=root'] : []),
      '--auth-root-authentication-method=normal', '--skip-test-db', ...common,
    ], join(dir, 'install.log'));
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const srv = spawnServer([
        MARIADBD, '--no-defaults', `--datadir=${data}`, `--socket=${socket}`, `--port=${port}`,
        '--bind-address=127.0.0.1', `--pid-file=${join(dir, 'mysqld.pid')}`, ...(root ? ['--user=root'] : []),
        ...common,
        // Durability as a normal Debian install has it (the server's own defaults: a log flush
        // per commit, doublewrite on, no binary log), so that benchmarks measure what an
        // operator gets; on /dev/shm (see baseTempDir) those flushes cost the tests nothing.
        '--skip-log-bin', '--performance-schema=0',
        // Debian's defaults (50-server.cnf), which --no-defaults drops.
        '--character-set-server=utf8mb4', '--collation-server=utf8mb4_general_ci',
        '--max-connections=500', '--max-allowed-packet=64M',
      ], logFile, null);
      const s = registerLive(srv.pid, dir, 'SIGKILL');
      current = { s, srv };
      try {
        await waitReady('mariadbd', srv, logFile, async () => {
          const c = await createMysqlConnection({ socketPath: socket, user: 'root', password: '', connectTimeout: 2000 });
          await c.end();
        });
      } catch (e) {
        await killNow(s, srv);
        if (attempt < 3 && PORT_IN_USE.test(tail(logFile, 40))) continue;
        throw e;
      }
      const admin = await createMysqlConnection({ socketPath: socket, user: 'root', password: '' });
      try {
        for (const sql of [
          'CREATE DATABASE neutron',
          "CREATE USER 'neutron'@'%' IDENTIFIED BY 'neutron'",
          "CREATE USER 'neutron'@'localhost' IDENTIFIED BY 'neutron'",
          "GRANT ALL PRIVILEGES ON *.* TO 'neutron'@'%' WITH GRANT OPTION",
          "GRANT ALL PRIVILEGES ON *.* TO 'neutron'@'localhost' WITH GRANT OPTION",
        ]) await admin.query(sql);
      } finally { await admin.end(); }
      return {
        kind: 'mysql', port, dir, pid: srv.pid, startupMs: Date.now() - t0,
        url: `mysql://neutron:neutron@127.0.0.1:${port}/neutron`,
        stop: makeStop(s, srv),
      };
    }
  } catch (e) {
    if (current) await killNow(current.s, current.srv);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

// ---------------------------------------------------------------------------------------
// PostgreSQL

export async function startPostgres(): Promise<DbServer> {
  const why = serverUnavailableReason('postgres');
  if (why) throw new Error(why);
  const bin = postgresBinDir() as string;
  const t0 = Date.now();
  reapStaleDirs();
  const dir = makeDir('postgres');
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  // PostgreSQL refuses to run as root: as root, run it as Debian's `postgres` user.
  const asUser = isRoot() ? 'postgres' : null;
  const superuser = asUser ?? userInfo().username;
  let current: { s: Live; srv: Spawned } | null = null;
  try {
    if (asUser) {
      const { uid, gid } = passwdIds(asUser);
      chownSync(dir, uid, gid);
      // The user must be able to reach the directory (TMPDIR may be private to root).
      const st = statSync(baseTempDir());
      if ((st.mode & 0o001) === 0) throw new Error(`${baseTempDir()} is not searchable by the postgres user: set MUON_TEST_DB_TMPDIR=/tmp`);
    }
    const initdb = [join(bin, 'initdb'), '-D', data, '-U', superuser, '--auth-local=trust', '--auth-host=scram-sha-256',
      '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C.UTF-8'];
    await run(asUser ? SETPRIV : initdb[0], asUser
      ? ['--reuid', asUser, '--regid', asUser, '--init-groups', '--', ...initdb]
      : initdb.slice(1), join(dir, 'initdb.log'));
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const srv = spawnServer([
        join(bin, 'postgres'), '-D', data, '-p', String(port), '-k', dir,
        '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_permissions=0700',
        '-c', 'wal_level=minimal', '-c', 'max_wal_senders=0', '-c', 'max_connections=300',
        '-c', 'shared_buffers=64MB', '-c', 'max_wal_size=1GB', '-c', 'checkpoint_timeout=1h',
        '-c', 'autovacuum=off', '-c', 'dynamic_shared_memory_type=mmap', '-c', 'TimeZone=UTC', '-c', 'logging_collector=off',
        '-c', 'log_min_messages=warning', '-c', 'log_destination=stderr',
      ], logFile, asUser);
      // SIGINT = fast shutdown: quick, and (unlike SIGKILL) frees its SysV shared memory.
      const s = registerLive(srv.pid, dir, 'SIGINT');
      current = { s, srv };
      const probe = async (): Promise<void> => {
        const c = new pg.Client({ host: dir, port, user: superuser, database: 'postgres', connectionTimeoutMillis: 2000 });
        c.on('error', () => {});
        try { await c.connect(); } finally { await c.end().catch(() => {}); }
      };
      try {
        await waitReady('postgres', srv, logFile, probe);
      } catch (e) {
        await killNow(s, srv);
        if (attempt < 3 && PORT_IN_USE.test(tail(logFile, 40))) continue;
        throw e;
      }
      const admin = new pg.Client({ host: dir, port, user: superuser, database: 'postgres' });
      await admin.connect();
      try {
        await admin.query("CREATE ROLE neutron LOGIN PASSWORD 'neutron' CREATEDB");
        await admin.query('CREATE DATABASE neutron OWNER neutron');
      } finally { await admin.end(); }
      return {
        kind: 'postgres', port, dir, pid: srv.pid, startupMs: Date.now() - t0,
        url: `postgresql://neutron:neutron@127.0.0.1:${port}/neutron`,
        stop: makeStop(s, srv),
      };
    }
  } catch (e) {
    if (current) await killNow(current.s, current.srv);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export function startServer(kind: ServerKind): Promise<DbServer> {
  return kind === 'mysql' ? startMariaDb() : startPostgres();
}

// ---------------------------------------------------------------------------------------
// Databases on a running server

const DB_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function kindOf(url: string): ServerKind {
  const scheme = url.slice(0, url.indexOf(':')).split('+')[0].toLowerCase();
  if (scheme === 'mysql' || scheme === 'mariadb') return 'mysql';
  if (scheme === 'postgresql' || scheme === 'postgres') return 'postgres';
  throw new Error(`not a mysql:// or postgresql:// URL: ${url}`);
}

async function onServer<T>(serverUrl: string, fn: (exec: (sql: string) => Promise<unknown>) => Promise<T>): Promise<T> {
  if (kindOf(serverUrl) === 'mysql') {
    const u = new URL(serverUrl);
    const c = await createMysqlConnection({
      host: u.hostname, port: Number(u.port || 3306),
      user: decodeURIComponent(u.username), password: decodeURIComponent(u.password),
    });
    try { return await fn((sql) => c.query(sql)); } finally { await c.end(); }
  }
  // Connect to the URL's own database: the neutron user may not reach `postgres`.
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try { return await fn((sql) => c.query(sql)); } finally { await c.end(); }
}

/** Creates (dropping any previous one) an empty database `name` on the server that
 *  `serverUrl` points at, using that URL's credentials; returns the URL of the new one. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  if (!DB_NAME.test(name)) throw new Error(`bad database name '${name}': use [a-z0-9_], at most 63 characters`);
  const kind = kindOf(serverUrl);
  await onServer(serverUrl, async (exec) => {
    if (kind === 'mysql') {
      await exec(`DROP DATABASE IF EXISTS \`${name}\``);
      await exec(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    } else {
      await exec(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      // FILE_COPY (PostgreSQL 15+) is the quicker way for a near-empty template.
      const res = await exec('SHOW server_version_num') as { rows: Array<{ server_version_num: string }> };
      const fileCopy = Number(res.rows[0].server_version_num) >= 150000 ? ' STRATEGY FILE_COPY' : '';
      await exec(`CREATE DATABASE "${name}"${fileCopy}`);
    }
  });
  return withDatabase(serverUrl, name);
}

/** Drops the database that `dbUrl` names (connections to it are cut on PostgreSQL). */
export async function dropDatabase(dbUrl: string): Promise<void> {
  const name = decodeURIComponent(new URL(dbUrl).pathname.replace(/^\//, ''));
  if (!DB_NAME.test(name)) throw new Error(`bad database name '${name}'`);
  if (kindOf(dbUrl) === 'mysql') {
    await onServer(dbUrl, (exec) => exec(`DROP DATABASE IF EXISTS \`${name}\``));
  } else {
    // Can't drop the database we're connected to: go through another one.
    const other = withDatabase(dbUrl, name === 'postgres' ? 'template1' : 'postgres');
    await onServer(other, (exec) => exec(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }
}

/** Names of the databases on the server whose names start with `prefix`. */
export async function listDatabases(serverUrl: string, prefix: string): Promise<string[]> {
  const kind = kindOf(serverUrl);
  return onServer(serverUrl, async (exec) => {
    if (kind === 'mysql') {
      const [rows] = await exec('SHOW DATABASES') as [Array<Record<string, string>>];
      return rows.map((r) => Object.values(r)[0]).filter((n) => n.startsWith(prefix));
    }
    const res = await exec('SELECT datname FROM pg_database') as { rows: Array<{ datname: string }> };
    return res.rows.map((r) => r.datname).filter((n) => n.startsWith(prefix));
  });
}
