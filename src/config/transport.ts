// Which way agents reach the server (DESIGN.md "The agent channel"), from the options
// oslo.messaging reads: [DEFAULT] transport_url = rabbit://user:pass@host:5672[,user:pass@host2:5672]/vhost
// selects RabbitMQ; so does the Liberty spelling ([oslo_messaging_rabbit] rabbit_host or
// rabbit_hosts set in a file, with rpc_backend = rabbit); otherwise the unix socket
// ([muon] agent_socket), the all-in-one default. Pure: no IO.
import { ConfigError } from './config-error.ts';
import type { MuonConfig } from './types.ts';

export interface BrokerHost {
  host: string;
  port: number;
  username: string;
  password: string;
}

export interface RabbitTransport {
  kind: 'rabbit';
  /** tried in order; the next one when a connection fails (a cluster) */
  brokers: BrokerHost[];
  vhost: string;
  /** AMQP heartbeat in seconds ([oslo_messaging_rabbit] heartbeat_timeout_threshold; 0 = off) */
  heartbeatSeconds: number;
  /** ([DEFAULT] rpc_response_timeout) how long a plain call waits for its answer */
  callTimeoutMs: number;
  /** the option(s) the brokers came from, for error messages */
  source: string;
}

export type Transport = { kind: 'unix'; socket: string } | RabbitTransport;

const RABBIT_BACKENDS = new Set(['rabbit', 'kombu', 'neutron.openstack.common.rpc.impl_kombu']);

export function selectTransport(config: MuonConfig): Transport {
  const rabbit = config.values.oslo_messaging_rabbit;
  const common = {
    heartbeatSeconds: rabbit.heartbeat_timeout_threshold as number,
    callTimeoutMs: (config.values.DEFAULT.rpc_response_timeout as number) * 1000,
  };
  const url = config.values.DEFAULT.transport_url as string | null;
  const fallback = { username: rabbit.rabbit_userid as string, password: rabbit.rabbit_password as string, vhost: rabbit.rabbit_virtual_host as string };
  if (url) {
    refuseTls(config);
    return { kind: 'rabbit', ...parseTransportUrl(url, fallback), ...common, source: '[DEFAULT] transport_url' };
  }

  const explicit = config.raw.oslo_messaging_rabbit ?? {};
  if (explicit.rabbit_host === undefined && explicit.rabbit_hosts === undefined) return { kind: 'unix', socket: config.agentSocket };
  const backend = config.raw.DEFAULT?.rpc_backend;
  if (backend !== undefined && !RABBIT_BACKENDS.has(backend.trim())) {
    throw new ConfigError(`[DEFAULT] rpc_backend = ${backend}: Muon's agents reach the server through RabbitMQ ([oslo_messaging_rabbit] is set) or the unix socket; set rpc_backend = rabbit or remove the [oslo_messaging_rabbit] hosts`, { section: 'DEFAULT', option: 'rpc_backend' });
  }
  refuseTls(config);
  const hosts = rabbit.rabbit_hosts as string[];
  const listed = explicit.rabbit_hosts !== undefined && hosts.length > 0;
  const brokers = listed
    ? hosts.map((h) => ({ ...hostPort(h, rabbit.rabbit_port as number, '[oslo_messaging_rabbit] rabbit_hosts'), username: fallback.username, password: fallback.password }))
    : [{ host: rabbit.rabbit_host as string, port: rabbit.rabbit_port as number, username: fallback.username, password: fallback.password }];
  return {
    kind: 'rabbit', brokers, vhost: fallback.vhost || '/', ...common,
    source: listed ? '[oslo_messaging_rabbit] rabbit_hosts' : '[oslo_messaging_rabbit] rabbit_host / rabbit_port',
  };
}

/** Plaintext where the operator asked for TLS would be worse than not starting. */
function refuseTls(config: MuonConfig): void {
  const rabbit = config.values.oslo_messaging_rabbit;
  if (rabbit.ssl !== true && rabbit.rabbit_use_ssl !== true) return;
  const option = config.raw.oslo_messaging_rabbit?.rabbit_use_ssl !== undefined ? 'rabbit_use_ssl' : 'ssl';
  throw new ConfigError(`[oslo_messaging_rabbit] ${option} = true: Muon's RabbitMQ transport does not do TLS yet; use a broker listener without TLS on a trusted network, or the unix socket on one machine`, { section: 'oslo_messaging_rabbit', option });
}

const OPTION = '[DEFAULT] transport_url';
const where = { section: 'DEFAULT', option: 'transport_url' };
const fail = (why: string): never => { throw new ConfigError(`${OPTION}: ${why}`, where); };

/**
 * rabbit://[user[:password]@]host[:port][,[user[:password]@]host[:port]…]/[vhost], as
 * oslo.messaging's TransportURL.parse reads it: user, password and vhost percent-decoded; a
 * host without credentials uses [oslo_messaging_rabbit] rabbit_userid / rabbit_password; an
 * empty vhost means rabbit_virtual_host (default "/", written %2F in a URL).
 */
export function parseTransportUrl(url: string, fallback: { username: string; password: string; vhost: string }): { brokers: BrokerHost[]; vhost: string } {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/.exec(url.trim());
  if (!m) fail(`'${redact(url)}' is not a URL; expected rabbit://user:password@host:5672/`);
  const [, scheme, netloc, path = '', query = ''] = m!;
  if (/[?&]ssl=(1|true|yes|on)\b/i.test(query)) fail("?ssl: Muon's RabbitMQ transport does not do TLS yet");
  const driver = scheme.toLowerCase().split('+')[0];
  if (driver !== 'rabbit') {
    fail(`scheme '${scheme}' is not supported: Muon's agent channel uses RabbitMQ; write rabbit://user:password@host:5672/${driver === 'amqp' ? ' (amqp:// is oslo.messaging\'s AMQP 1.0 driver)' : ''}`);
  }
  if (!netloc) fail(`no broker host in '${redact(url)}'; expected rabbit://user:password@host:5672/`);
  const brokers = netloc.split(',').map((part, i) => {
    if (!part) fail(`empty host #${i + 1} in '${redact(url)}' (a stray comma?)`);
    const at = part.lastIndexOf('@');
    let username = fallback.username;
    let password = fallback.password;
    if (at >= 0) {
      const cred = part.slice(0, at);
      const colon = cred.indexOf(':');
      username = decode(colon >= 0 ? cred.slice(0, colon) : cred, 'user name');
      password = colon >= 0 ? decode(cred.slice(colon + 1), 'password') : '';
    }
    return { ...hostPort(part.slice(at + 1), 5672, OPTION), username, password };
  });
  const vhost = path.length > 1 ? decode(path.slice(1), 'virtual host') : fallback.vhost || '/';
  return { brokers, vhost };
}

function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return fail(`the ${what} has a bad percent-escape (write a literal % as %25, @ as %40, : as %3A, / as %2F)`);
  }
}

/** host, host:port, [v6], [v6]:port */
function hostPort(s: string, defaultPort: number, option: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d*))?$/.exec(s.trim());
  const bad = (why: string): never => { throw new ConfigError(`${option}: ${why}`, option === OPTION ? where : { section: 'oslo_messaging_rabbit', option: 'rabbit_hosts' }); };
  if (!m) return bad(`'${s}' is not host:port (an IPv6 address goes in brackets: [fd00::1]:5672)`);
  const port = m[3] ? Number(m[3]) : defaultPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return bad(`port '${m[3]}' of '${s}' is not between 1 and 65535`);
  return { host: m[1] ?? m[2], port };
}

/** The URL with its passwords hidden, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/(:\/\/|,)([^:@,/]*):[^@,/]*@/g, '$1$2:***@');
}

/** "controller:5672, h2:5672 (vhost /)" for logs */
export function describeBrokers(t: RabbitTransport): string {
  return `${t.brokers.map((b) => `${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`).join(', ')} (vhost ${t.vhost})`;
}
