// One live AMQP connection + channel to one broker of a RabbitMQ transport, kept up: on a failed
// connect or a lost connection it tries the next broker of the list (a cluster) after a capped,
// jittered backoff, forever, and runs `setup` (declare, consume) on every new channel. Heartbeats
// come from [oslo_messaging_rabbit] heartbeat_timeout_threshold, so a dead broker or a cut
// network is noticed within that time. Failures are logged once per distinct cause, explained
// (./amqp-errors.ts).
import { hostname } from 'node:os';
import type { Writable } from 'node:stream';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import type { BrokerHost, RabbitTransport } from '../config/transport.ts';
import { brokerAddress, explainBrokerError, type ExplainedError } from './amqp-errors.ts';

export interface LinkLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface LinkOptions {
  /** "agent" or "server": for logs and the connection name the broker shows */
  role: string;
  log: LinkLog;
  /** after each connect, on the new channel; a throw drops the connection and retries */
  setup(ch: Channel): Promise<void>;
  /** the connection was lost (not called for close()) */
  onDown?(err: Error): void;
  maxBackoffMs?: number;
  connectTimeoutMs?: number;
}

interface Waiter { resolve(ch: Channel): void; reject(e: Error): void; timer: NodeJS.Timeout }

export class AmqpLink {
  channel: Channel | undefined;
  broker: BrokerHost | undefined;
  lastError: ExplainedError | undefined;
  private conn: ChannelModel | undefined;
  private closed = false;
  private waiters = new Set<Waiter>();
  private wake: (() => void) | undefined;
  private readonly t: RabbitTransport;
  private readonly opts: LinkOptions;

  constructor(t: RabbitTransport, opts: LinkOptions) {
    this.t = t;
    this.opts = opts;
    void this.run();
  }

  /** The channel, once connected; rejects after `ms`, or when every broker failed meanwhile, with why. */
  ready(ms: number): Promise<Channel> {
    if (this.channel) return Promise.resolve(this.channel);
    if (this.closed) return Promise.reject(new Error('the RabbitMQ connection is closed'));
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        resolve, reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(new Error(this.lastError?.message ?? `not connected to RabbitMQ (${this.where()}) after ${ms} ms`));
        }, ms),
      };
      this.waiters.add(w);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.settle(new Error('the RabbitMQ connection was closed'));
    const c = this.conn;
    this.conn = undefined;
    this.channel = undefined;
    await c?.close().catch(() => { /* already gone */ });
  }

  private where(): string {
    return `${this.t.brokers.map(brokerAddress).join(', ')}, vhost ${this.t.vhost}`;
  }

  private settle(err: Error | undefined, ch?: Channel): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      if (ch) w.resolve(ch); else w.reject(err!);
    }
    this.waiters.clear();
  }

  private async run(): Promise<void> {
    const n = this.t.brokers.length;
    let i = 0;
    let failures = 0;
    let lastLogged = '';
    let connectedBefore = false;
    while (!this.closed) {
      const broker = this.t.brokers[i % n];
      let conn: ChannelModel | undefined;
      try {
        conn = await connect({
          protocol: 'amqp', hostname: broker.host, port: broker.port, username: broker.username, password: broker.password,
          // amqplib unescapes the vhost it is given
          vhost: encodeURIComponent(this.t.vhost), heartbeat: this.t.heartbeatSeconds,
          // noDelay: without it Nagle + delayed ACK add ~40 ms to every small request/answer
        }, { timeout: this.opts.connectTimeoutMs ?? 10_000, noDelay: true, clientProperties: { connection_name: `muon ${this.opts.role} on ${hostname()}` } });
        coalesceWrites(conn);
        conn.on('error', () => { /* 'close' follows with the same error */ });
        conn.on('blocked', (reason: string) => this.opts.log.warn(`RabbitMQ at ${brokerAddress(broker)} blocks publishing (${reason}): it is short of memory or disk; see rabbitmq-diagnostics alarms`));
        const lost = new Promise<Error>((resolve) => conn!.once('close', (e?: Error) => resolve(e ?? new Error('connection closed'))));
        const ch = await conn.createChannel();
        ch.on('error', () => { /* the channel's 'close' follows */ });
        const chLost = new Promise<Error>((resolve) => ch.once('close', () => resolve(new Error('channel closed by the broker'))));
        await this.opts.setup(ch);
        if (this.closed) { await conn.close().catch(() => {}); return; }
        this.conn = conn;
        this.channel = ch;
        this.broker = broker;
        this.opts.log.info(connectedBefore ? 'connected to RabbitMQ again' : 'connected to RabbitMQ', { role: this.opts.role, broker: brokerAddress(broker), vhost: this.t.vhost });
        this.lastError = undefined;
        connectedBefore = true;
        lastLogged = '';
        failures = 0;
        this.settle(undefined, ch);
        const since = Date.now();
        const err = await Promise.race([lost, chLost]);
        this.channel = undefined;
        this.conn = undefined;
        if (this.closed) return;
        void conn.close().catch(() => {});
        this.opts.log.warn('lost the connection to RabbitMQ; reconnecting', { role: this.opts.role, broker: brokerAddress(broker), error: err.message });
        this.opts.onDown?.(new Error(`lost the connection to RabbitMQ at ${brokerAddress(broker)} (${err.message})`));
        if (n > 1) i++;
        // at once (the next broker, or the same one after a restart), unless it is flapping
        if (Date.now() - since > 2000) continue;
        failures++;
      } catch (e) {
        void conn?.close().catch(() => {});
        if (this.closed) return;
        const ex = explainBrokerError(e, broker, this.t);
        this.lastError = ex;
        if (ex.message !== lastLogged) {
          lastLogged = ex.message;
          this.opts.log.error(ex.message, { role: this.opts.role, problem: ex.problem });
        }
        failures++;
        i++;
        // every broker of the list failed: callers waiting for a connection learn why
        if (i % n === 0) this.settle(new Error(ex.message));
      }
      const base = Math.min(this.opts.maxBackoffMs ?? 5000, 200 * 2 ** Math.min(failures, 10));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, base * (0.8 + Math.random() * 0.2));
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
      this.wake = undefined;
    }
  }
}

/**
 * amqplib hands the socket each frame on its own: a server answering 1,000 watches in one turn
 * made ~2,000 write syscalls (most of its CPU after the feed itself). Corked while amqplib's
 * muxer drains its channels, the frames of one turn leave in a few writev calls. This reaches
 * into amqplib's internals (connection.muxer, 2.x): where they are not as expected, nothing changes.
 */
function coalesceWrites(model: ChannelModel): void {
  const mux = (model as unknown as { connection?: { muxer?: { _readIncoming?: () => void; out?: Writable } } }).connection?.muxer;
  const out = mux?.out;
  const drain = mux?._readIncoming;
  if (!mux || typeof drain !== 'function' || typeof out?.cork !== 'function') return;
  mux._readIncoming = function corked(this: unknown) {
    out.cork();
    try { drain.call(mux); } finally { out.uncork(); }
  };
}
