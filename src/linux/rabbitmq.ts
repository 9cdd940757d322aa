// A private rabbitmq-server node (Debian's package), never the system's: its own directory
// (mnesia, logs, config, the Erlang cookie through HOME), node name, AMQP / distribution /
// epmd ports, no plugins. Shared by the lab's broker on `controller` (../lab/broker.ts) and the
// tests' throwaway broker (test/support/rabbitmq.ts). rabbitmqctl runs with the same
// environment, so it addresses this node and no other.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, start, toolEnv, tryExec, type Place } from './exec.ts';

export const RABBIT_BIN = process.env.MUON_RABBITMQ_BIN ?? '/usr/lib/rabbitmq/bin';
// the scripts under /usr/lib, not /usr/sbin's wrapper (which switches to the rabbitmq user)
export const RABBIT_SERVER = join(RABBIT_BIN, 'rabbitmq-server');
export const RABBIT_CTL = join(RABBIT_BIN, 'rabbitmqctl');
export const EPMD = '/usr/bin/epmd';

/** Why a broker cannot be started here, or null. */
export function rabbitUnavailableReason(): string | null {
  const missing = [RABBIT_SERVER, RABBIT_CTL, EPMD].filter((p) => !existsSync(p));
  return missing.length ? `RabbitMQ is not installed (${missing.join(', ')} missing): apt-get install rabbitmq-server` : null;
}

export interface RabbitNodeSpec {
  /** private directory: mnesia/, log/, config files, .erlang.cookie */
  dir: string;
  /** e.g. muon-lab@localhost */
  node: string;
  /** AMQP listener address (0.0.0.0: every address of the node's network namespace) */
  amqpAddress: string;
  port: number;
  distPort: number;
  epmdPort: number;
  /** rabbit.conf `disk_free_limit.absolute` (a small tmpfs needs less than the 50 MB default) */
  diskFreeLimit?: string;
}

/** Write the node's config files and directories (idempotent). */
export function writeRabbitFiles(s: RabbitNodeSpec): void {
  mkdirSync(join(s.dir, 'mnesia'), { recursive: true });
  mkdirSync(join(s.dir, 'log'), { recursive: true });
  writeFileSync(join(s.dir, 'rabbitmq.conf'), [
    `listeners.tcp.default = ${s.amqpAddress}:${s.port}`,
    // the lab's `openstack` user logs in from compute; the tests' users from loopback
    'loopback_users = none',
    'log.file.level = info',
    ...(s.diskFreeLimit ? [`disk_free_limit.absolute = ${s.diskFreeLimit}`] : []),
    '',
  ].join('\n'));
  writeFileSync(join(s.dir, 'enabled_plugins'), '[].\n'); // no management plugin
  writeFileSync(join(s.dir, 'rabbitmq-env.conf'), '');
}

/** The environment of rabbitmq-server and rabbitmqctl for this node (distribution and epmd on loopback). */
export function rabbitEnv(s: RabbitNodeSpec): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    HOME: s.dir, // a fresh ~/.erlang.cookie, shared by the broker and rabbitmqctl
    RABBITMQ_NODENAME: s.node,
    RABBITMQ_NODE_IP_ADDRESS: s.amqpAddress,
    RABBITMQ_NODE_PORT: String(s.port),
    RABBITMQ_DIST_PORT: String(s.distPort),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    RABBITMQ_CTL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}', // rabbitmqctl's own node, loopback too
    RABBITMQ_MNESIA_BASE: join(s.dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(s.dir, 'log'),
    RABBITMQ_LOGS: join(s.dir, 'log', 'rabbit.log'),
    RABBITMQ_CONFIG_FILE: join(s.dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(s.dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(s.dir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: join(s.dir, 'rabbitmq-env.conf'),
    RABBITMQ_PID_FILE: join(s.dir, 'rabbit.pid'),
    // the script then execs the VM instead of proxying it: the pid we get (and signal) is beam's
    RUNNING_UNDER_SYSTEMD: 'true',
    ERL_EPMD_PORT: String(s.epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
}

/** argv of the node's own epmd, in the foreground (not the broker's -daemon one, which nobody tracks). */
export function epmdArgv(s: RabbitNodeSpec): string[] {
  return [EPMD, '-port', String(s.epmdPort), '-address', '127.0.0.1'];
}

/** Start epmd and then the broker as daemons in `place`; returns their pids (the broker is not ready yet: awaitRabbit). */
export async function startRabbitDaemons(s: RabbitNodeSpec, place: Place | undefined, withEpmd: boolean): Promise<{ epmd?: number; server: number }> {
  const env = toolEnv(rabbitEnv(s));
  const epmd = withEpmd ? await start(epmdArgv(s), { place, env, logFile: join(s.dir, 'epmd.out'), settleMs: 50 }) : undefined;
  const server = await start([RABBIT_SERVER], { place, env, logFile: join(s.dir, 'server.out') });
  return { epmd, server };
}

/** rabbitmqctl <args> against the node, in `place`; rejects with its output on failure. */
export async function rabbitCtl(s: RabbitNodeSpec, place: Place | undefined, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return (await exec([RABBIT_CTL, '-n', s.node, ...args], { place, env: toolEnv(rabbitEnv(s)), timeoutMs })).stdout;
}

/**
 * Wait until the node serves. `await_startup` gives up at once while the node has not
 * registered with epmd yet, so it is polled; `alive` says whether the broker process still runs.
 */
export async function awaitRabbit(s: RabbitNodeSpec, place: Place | undefined, alive: () => Promise<boolean>, timeoutS = 90): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const r = await tryExec([RABBIT_CTL, '-n', s.node, 'await_startup', '--timeout', String(timeoutS)], { place, env: toolEnv(rabbitEnv(s)), timeoutMs: (timeoutS + 10) * 1000 });
    if (r.code === 0) return;
    if (!(await alive())) throw new Error(`rabbitmq-server (node ${s.node}) exited at start; see ${join(s.dir, 'server.out')} and ${join(s.dir, 'log', 'rabbit.log')}`);
    if (Date.now() - t0 > timeoutS * 1000) throw new Error(`rabbitmq-server (node ${s.node}) did not start within ${timeoutS} s: ${(r.stderr || r.stdout).trim().slice(-500)}; see ${join(s.dir, 'log', 'rabbit.log')}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}
