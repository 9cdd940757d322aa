// The metadata proxies Neutron runs (neutron/agent/metadata/driver.py): one haproxy per
// router namespace (0.0.0.0:9697, the L3 agent redirects 169.254.169.254:80 there, adds
// X-Neutron-Router-ID) and per DHCP namespace of an isolated network (169.254.169.254:80,
// adds X-Neutron-Network-ID), each forwarding to the metadata agent's unix socket.
//
// The config is pure (renderProxyConfig); observe/plan/act are separate so the DHCP agent
// can fold them into its own plan, and ensureProxy/removeProxy do all three for the L3
// agent. Idempotent: haproxy is restarted only when its config changed, it died, or it
// runs outside the namespace it belongs to (a namespace re-made behind its back).
import { mkdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import type { MuonConfig } from '../../config/types.ts';
import type { Place } from '../../linux/exec.ts';
import { findHaproxy, startHaproxy, stopHaproxy, type HaproxyFiles, type RunningHaproxy } from '../../linux/haproxy.ts';
import { inodes } from '../../linux/netns.ts';
import { metadataSocketPath, routerProxyDir } from './options.ts';
import { proxyRunAs, type ProxyRunAs } from './socket-access.ts';

export type ProxyKind = 'router' | 'network';

export const METADATA_IP = '169.254.169.254';
/** [DEFAULT] metadata_port of the L3 agent: the router proxy's port */
export const ROUTER_PROXY_PORT = 9697;

export function proxyBind(kind: ProxyKind): { host: string; port: number } {
  return kind === 'router' ? { host: '0.0.0.0', port: ROUTER_PROXY_PORT } : { host: METADATA_IP, port: 80 };
}

export interface ProxyConfigInput {
  kind: ProxyKind;
  /** router id or network id */
  id: string;
  socketPath: string;
  /** the account haproxy drops to (see socket-access.ts); undefined: it keeps its parent's */
  runAs?: Pick<ProxyRunAs, 'user' | 'group'>;
}

const TOKEN = /^[A-Za-z0-9_.:-]+$/;

/** haproxy's config, Neutron's template minus syslog (a namespace has none: logs go to stderr, i.e. the proxy's log file). */
export function renderProxyConfig(c: ProxyConfigInput): string {
  if (!TOKEN.test(c.id)) throw new Error(`invalid ${c.kind} id for a metadata proxy: ${JSON.stringify(c.id)}`);
  if (!c.socketPath.startsWith('/') || /[\s#"'\\]/.test(c.socketPath)) {
    throw new Error(`metadata_proxy_socket ${JSON.stringify(c.socketPath)} cannot go in a haproxy config: use an absolute path without spaces or quotes`);
  }
  const [res, del] = c.kind === 'router' ? ['Router', 'Network'] : ['Network', 'Router'];
  const bind = proxyBind(c.kind);
  return [
    'global',
    // notice: failures (and with log-separate-errors every failed request) but not each request
    '    log         stderr format raw local0 notice',
    `    log-tag     haproxy-metadata-proxy-${c.id}`,
    ...(c.runAs ? [`    user        ${c.runAs.user}`, `    group       ${c.runAs.group}`] : []),
    '    maxconn     1024',
    '    nbthread    2',
    '',
    'defaults',
    '    log global',
    '    mode http',
    '    option httplog',
    '    option dontlognull',
    '    option log-separate-errors',
    '    option http-server-close',
    '    option forwardfor',
    '    retries                 3',
    '    timeout http-request    30s',
    '    timeout connect         30s',
    '    timeout client          32s',
    '    timeout server          32s',
    '    timeout http-keep-alive 30s',
    '',
    'listen listener',
    `    bind ${bind.host}:${bind.port}`,
    `    server metadata ${c.socketPath}`,
    // the VM's own X-Forwarded-For would precede the one forwardfor adds; drop it
    '    http-request del-header X-Forwarded-For',
    `    http-request del-header X-Neutron-${del}-ID`,
    `    http-request set-header X-Neutron-${res}-ID ${c.id}`,
    '',
  ].join('\n');
}

/** <stateDir>/<id>.conf, .pid, .log (Neutron: $state_path/ns-metadata-proxy/<id>.conf). */
export function proxyFiles(stateDir: string, id: string): HaproxyFiles {
  const d = stateDir.replace(/\/+$/, '');
  return { config: `${d}/${id}.conf`, pid: `${d}/${id}.pid`, log: `${d}/${id}.log` };
}

export interface ObservedProxy {
  /** the config file's content, when it exists */
  config?: string;
  running?: RunningHaproxy;
}

export async function observeProxy(files: HaproxyFiles): Promise<ObservedProxy> {
  const [config, running] = await Promise.all([readFile(files.config, 'utf8').catch(() => undefined), findHaproxy(files)]);
  return { config, running };
}

export type ProxyStep =
  | { kind: 'none' }
  | { kind: 'start'; why: string }
  | { kind: 'restart'; pid: number; why: string };

/** What to do so that haproxy runs `config` in the namespace whose inode is `netnsInode`. Pure. */
export function planProxy(config: string, o: ObservedProxy, netnsInode: number | undefined): ProxyStep {
  if (!o.running) return { kind: 'start', why: o.config === undefined ? 'no metadata proxy yet' : 'the metadata proxy is not running' };
  if (o.config !== config) return { kind: 'restart', pid: o.running.pid, why: 'its config changed' };
  if (netnsInode === undefined || o.running.netInode !== netnsInode) return { kind: 'restart', pid: o.running.pid, why: 'it runs outside its namespace' };
  return { kind: 'none' };
}

/** Carry out a step: (re)write the config (a config equal to the file is left alone), stop the old instance, start. Returns the pid. */
export async function applyProxyStep(place: Place | undefined, netns: string, files: HaproxyFiles, config: string, port: number, step: ProxyStep, observedConfig?: string): Promise<number | undefined> {
  if (step.kind === 'none') return undefined;
  if (step.kind === 'restart') await stopHaproxy(step.pid, files.pid);
  await mkdir(files.config.slice(0, files.config.lastIndexOf('/')), { recursive: true, mode: 0o755 });
  if (observedConfig !== config) await writeFile(files.config, config, { mode: 0o644 });
  return startHaproxy({ ...place, netns }, files, port);
}

/** A proxy log past this size starts over. */
export const PROXY_LOG_CAP_BYTES = 16 * 1024 * 1024;

export interface ProxySpec {
  place?: Place;
  /** qrouter-<id> or qdhcp-<id> */
  netns: string;
  kind: ProxyKind;
  id: string;
  socketPath: string;
  /** where <id>.conf/.pid/.log live */
  stateDir: string;
  /** default: proxyRunAs() */
  runAs?: ProxyRunAs | null;
}

export interface ProxyOutcome {
  action: ProxyStep['kind'];
  why?: string;
  pid?: number;
}

/** Make haproxy run for this router/network in its namespace (which must exist). */
export async function ensureProxy(spec: ProxySpec): Promise<ProxyOutcome> {
  const runAs = spec.runAs === undefined ? await proxyRunAs() : spec.runAs ?? undefined;
  const config = renderProxyConfig({ kind: spec.kind, id: spec.id, socketPath: spec.socketPath, runAs });
  const files = proxyFiles(spec.stateDir, spec.id);
  const [observed, ns] = await Promise.all([observeProxy(files), inodes(spec.place)]);
  const inode = ns.get(spec.netns);
  if (inode === undefined) throw new Error(`cannot start the metadata proxy of ${spec.kind} ${spec.id}: namespace ${spec.netns} does not exist`);
  const step = planProxy(config, observed, inode);
  const pid = await applyProxyStep(spec.place, spec.netns, files, config, proxyBind(spec.kind).port, step, observed.config);
  // only failures are logged, but a VM can cause many; haproxy appends (O_APPEND), so cutting is safe
  if (((await stat(files.log).catch(() => undefined))?.size ?? 0) > PROXY_LOG_CAP_BYTES) await truncate(files.log, 0).catch(() => {});
  return { action: step.kind, ...(step.kind !== 'none' ? { why: step.why } : {}), pid: pid ?? observed.running?.pid };
}

/** Stop the proxy of this id and remove its files; true when one was running. */
export async function removeProxy(spec: { id: string; stateDir: string }): Promise<boolean> {
  const files = proxyFiles(spec.stateDir, spec.id);
  const running = await findHaproxy(files);
  if (running) await stopHaproxy(running.pid, files.pid);
  await Promise.all([files.config, files.pid, files.log].map((f) => rm(f, { force: true })));
  return running !== undefined;
}

export interface RouterMetadataHooks {
  /** after the router's namespace exists: haproxy on 9697 in it (idempotent; cheap when nothing changed) */
  ensure(routerId: string, namespace: string): Promise<void>;
  /** before (or after) the namespace goes: stop the router's haproxy, remove its files */
  remove(routerId: string): Promise<void>;
}

/** The L3 agent's metadata hooks: router proxies under <state_path>/ns-metadata-proxy, to metadata_proxy_socket. */
export function routerMetadataHooks(config: MuonConfig, place?: Place): RouterMetadataHooks {
  const socketPath = metadataSocketPath(config);
  const stateDir = routerProxyDir(config);
  return {
    async ensure(routerId, namespace) {
      await ensureProxy({ place, netns: namespace, kind: 'router', id: routerId, socketPath, stateDir });
    },
    async remove(routerId) {
      await removeProxy({ id: routerId, stateDir });
    },
  };
}
