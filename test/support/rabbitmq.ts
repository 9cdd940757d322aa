// A private, throwaway RabbitMQ broker (Debian's rabbitmq-server) for one test file, like the
// databases of ./db-servers.ts: its own temp directory (mnesia, logs, config, Erlang cookie via
// HOME), its own node name, AMQP, distribution and epmd ports on 127.0.0.1 (free ones), no
// plugins. Never the system's node, ports 5672/25672 or /etc/rabbitmq. rabbitmqctl runs with the
// same environment, so it addresses this node. stop()/start() restart the broker on the same
// port and directory (users, vhosts and durable queues survive); destroy() removes it all, also
// at process exit and on SIGINT/SIGTERM (and a later run reaps a directory left by a hard kill).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, makeTempDir, reapStaleDirs, removeTempDir } from './db-servers.ts';
import { isCI } from './test-db.ts';
// the node's files and environment are the lab broker's too (src/lab/broker.ts)
import { epmdArgv, RABBIT_CTL as CTL, RABBIT_SERVER as SERVER, rabbitEnv, rabbitUnavailableReason, writeRabbitFiles, type RabbitNodeSpec } from '../../src/linux/rabbitmq.ts';

export { rabbitUnavailableReason };
const SETPRIV = '/usr/bin/setpriv';
const START_TIMEOUT_S = 90;

export interface RabbitBroker {
  port: number;
  dir: string;
  node: string;
  /** rabbit://user:password@127.0.0.1:port/vhost (user, password and vhost percent-encoded) */
  url(user: string, password: string, vhost?: string): string;
  /** the broker's process group (rabbitmq-server and the Erlang VM under it), while it runs */
  pid(): number | undefined;
  /** rabbitmqctl <args> against this node; rejects with its output on failure */
  ctl(...args: string[]): Promise<string>;
  /** a user with all permissions on `vhost` (created if missing) unless perms is false */
  addUser(user: string, password: string, vhost?: string, perms?: boolean): Promise<void>;
  /** stops the broker process; its directory stays for start() */
  stop(): Promise<void>;
  /** starts it again (same port, same data) and waits until it serves */
  start(): Promise<void>;
  /** stops it and removes everything; idempotent */
  destroy(): Promise<void>;
}

/** For `describe(name, { skip: rabbitSkipReason() }, …)`: never skips under CI=true (the tests fail there). */
export function rabbitSkipReason(): string | false {
  const why = rabbitUnavailableReason();
  return why && !isCI() ? `RabbitMQ tests skipped: ${why} (under CI=true they fail)` : false;
}

const live = new Set<() => void>();
let hooked = false;
function onExit(kill: () => void): () => void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => { for (const k of [...live]) k(); });
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const h = () => { for (const k of [...live]) k(); process.removeListener(sig, h); if (process.listenerCount(sig) === 0) process.kill(process.pid, sig); };
      process.on(sig, h);
    }
  }
  live.add(kill);
  return () => live.delete(kill);
}

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid) try { process.kill(-pid, sig); } catch { /* gone */ }
}

function groupGone(pid: number): boolean {
  try { process.kill(-pid, 0); return false; } catch { return true; }
}

function tail(file: string, n = 30): string {
  try { return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n'); } catch { return '(no log)'; }
}

/** In its own process group, output to `log`; setpriv --pdeathsig: dies with us if we are killed. */
function spawnGroup(argv: string[], env: NodeJS.ProcessEnv, log: string): ChildProcess {
  const full = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...argv] : argv;
  const fd = openSync(log, 'a');
  try {
    const child = spawn(full[0], full.slice(1), { env, stdio: ['ignore', fd, fd], detached: true });
    child.unref();
    child.on('error', () => { /* reported through the startup wait */ });
    return child;
  } finally { closeSync(fd); }
}

export async function startRabbit(): Promise<RabbitBroker> {
  const why = rabbitUnavailableReason();
  if (why) throw new Error(why);
  reapStaleDirs();
  const dir = makeTempDir('rabbitmq');
  const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  const node = `muon-test-${process.pid}-${port}@localhost`;
  const spec: RabbitNodeSpec = { dir, node, amqpAddress: '127.0.0.1', port, distPort, epmdPort };
  writeRabbitFiles(spec);
  const env = rabbitEnv(spec);
  const out = join(dir, 'server.out');
  // our own epmd in the foreground (not the broker's -daemon one, which would outlive us)
  const epmd = spawnGroup(epmdArgv(spec), env, join(dir, 'epmd.out'));
  let server: ChildProcess | undefined;
  let serverExit: Promise<string> = Promise.resolve('not started');

  const ctl = (...args: string[]): Promise<string> => new Promise((resolve, reject) => {
    const child = spawn(CTL, ['-n', node, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (c: Buffer) => { text += c; });
    child.stderr.on('data', (c: Buffer) => { text += c; });
    child.on('error', (e) => reject(new Error(`cannot run rabbitmqctl: ${e.message}`)));
    child.on('exit', (code) => code === 0 ? resolve(text) : reject(new Error(`rabbitmqctl ${args.join(' ')} failed (exit ${code}):\n${text}`)));
  });

  const stopServer = async (): Promise<void> => {
    const s = server;
    if (!s?.pid) return;
    server = undefined;
    killGroup(s.pid, 'SIGTERM'); // beam shuts down cleanly on SIGTERM
    for (let i = 0; i < 300 && !groupGone(s.pid); i++) await sleep(50);
    killGroup(s.pid, 'SIGKILL');
    await serverExit;
  };

  const startServer = async (): Promise<void> => {
    const t0 = Date.now();
    server = spawnGroup([SERVER], env, out);
    const s = server;
    serverExit = new Promise((resolve) => s.once('exit', (code, sig) => resolve(sig ? `was killed by ${sig}` : `exited with code ${code}`)));
    let exited: string | null = null;
    void serverExit.then((w) => { exited = w; });
    // await_startup gives up at once while the node has not registered with epmd yet: poll it
    const wait = (async () => {
      for (;;) {
        try { return await ctl('await_startup', '--timeout', String(START_TIMEOUT_S)); } catch (e) {
          if (exited || Date.now() - t0 > START_TIMEOUT_S * 1000) throw e;
          await sleep(250);
        }
      }
    })();
    const done = await Promise.race([wait.then(() => null, (e: Error) => e), serverExit.then((w) => new Error(`rabbitmq-server ${w}`))]);
    if (done || exited) {
      await stopServer();
      throw new Error(`private rabbitmq-server (node ${node}, port ${port}) did not start in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${done?.message ?? exited}\n--- ${out}:\n${tail(out)}\n--- rabbit.log:\n${tail(join(dir, 'log', 'rabbit.log'))}`);
    }
  };

  const killSync = (): void => {
    killGroup(server?.pid, 'SIGKILL');
    killGroup(epmd.pid, 'SIGKILL');
    try { spawnSync('rm', ['-rf', dir]); } catch { /* best effort at exit */ }
  };
  const unhook = onExit(killSync);
  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    await stopServer();
    killGroup(epmd.pid, 'SIGTERM');
    for (let i = 0; i < 40 && epmd.pid && !groupGone(epmd.pid); i++) await sleep(25);
    killGroup(epmd.pid, 'SIGKILL');
    unhook();
    removeTempDir(dir);
  };

  try {
    await startServer();
  } catch (e) {
    await destroy();
    throw e;
  }
  const enc = encodeURIComponent;
  return {
    port, dir, node, ctl,
    pid: () => server?.pid,
    url: (user, password, vhost = '/') => `rabbit://${enc(user)}:${enc(password)}@127.0.0.1:${port}/${enc(vhost)}`,
    async addUser(user, password, vhost = '/', perms = true) {
      await ctl('add_user', user, password);
      if (vhost !== '/' && !(await ctl('list_vhosts', '--silent')).split('\n').includes(vhost)) await ctl('add_vhost', vhost);
      if (perms) await ctl('set_permissions', '-p', vhost, user, '.*', '.*', '.*');
    },
    stop: stopServer,
    start: startServer,
    destroy,
  };
}
