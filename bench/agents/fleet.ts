// Simulated hosts for the 1,000-agent bench: each one is what a Linux bridge agent is on the
// wire — its own AMQP connection (amqpChannel), Muon's AgentLoop (register, heartbeats at
// report_interval, the long-poll watch of the same feed sections with the digest it was
// given, device reports after each reconcile) — with the kernel left out: "reconciling" a
// snapshot records what arrived and reports the host's ports as up, as the real agent does
// once their taps are wired.
import type { RabbitTransport } from '../../src/config/transport.ts';
import type { HostState } from '../../src/feed/host-state.ts';
import { amqpChannel } from '../../src/agents/channel/amqp-channel.ts';
import { AgentLoop, type AgentLog } from '../../src/agents/loop.ts';
import { AGENT_IDENTITIES } from '../../src/domain/agent-types.ts';
import { LINUXBRIDGE_PARTS } from '../../src/agents/linuxbridge/agent.ts';
import type { AgentChannel } from '../../src/feed/channel.ts';
import { Interner } from './interner.ts';

export interface SimHost { name: string; tunnelIp: string }

export interface FleetOptions {
  transport: RabbitTransport;
  hosts: SimHost[];
  reportIntervalMs: number;
  watchWaitMs?: number;
  /** hosts started at once (AMQP connection + registration) */
  startConcurrency?: number;
}

/** host → epoch ms (performance.timeOrigin based: comparable across processes of one machine) */
export type Arrivals = Record<string, number>;

export interface Collected { arrivals: Arrivals; bytes: Record<string, number> }

export interface Counters { reports: number; watches: number; snapshots: number; snapshotBytes: number; warnings: number }

/** The fan-out marker: a rule whose port_range_min is this number. */
export const isMarkerRule = (marker: number) => (r: HostState['security_groups'][number]['rules'][number]) => r.protocol === 'tcp' && r.port_range_min === marker;

export const epochNow = (): number => performance.timeOrigin + performance.now();

interface Sim {
  host: SimHost;
  channel: AgentChannel;
  loop: AgentLoop;
  ports: number;
  /** marker → when a snapshot holding it arrived */
  seen: Map<number, number>;
  /** JSON bytes of the last answer that held a new marker */
  lastBytes: number;
  wireBytes: number;
}

export class Fleet {
  readonly counters: Counters = { reports: 0, watches: 0, snapshots: 0, snapshotBytes: 0, warnings: 0 };
  private readonly sims: Sim[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly opts: FleetOptions;
  private readonly markers = new Set<number>();
  private firstWarnings: string[] = [];
  /** the hosts of this process share equal values rather than each keeping its own copy (./interner.ts) */
  private readonly interner = new Interner();

  constructor(opts: FleetOptions) {
    this.opts = opts;
  }

  /** Start every host; resolves once each one has registered with the server. */
  async start(): Promise<void> {
    const queue = [...this.opts.hosts];
    const worker = async () => {
      for (let h = queue.shift(); h; h = queue.shift()) await this.startOne(h);
    };
    await Promise.all(Array.from({ length: this.opts.startConcurrency ?? 20 }, worker));
  }

  /** Resolves when every host's latest snapshot holds `ports[host]` ports. */
  waitPorts(ports: Record<string, number>, timeoutMs: number): Promise<void> {
    return this.until(() => this.sims.every((s) => s.ports === (ports[s.host.name] ?? 0)), timeoutMs,
      () => `hosts without their ports: ${this.sims.filter((s) => s.ports !== (ports[s.host.name] ?? 0)).map((s) => `${s.host.name} (${s.ports}/${ports[s.host.name] ?? 0})`).slice(0, 5).join(', ')}`);
  }

  /** Look for the marker rule in every snapshot from now on. */
  arm(marker: number): void {
    this.markers.add(marker);
  }

  /** Resolves with when each host had the (armed) marker rule, once all have it. */
  async collect(marker: number, timeoutMs: number): Promise<Collected> {
    await this.until(() => this.sims.every((s) => s.seen.has(marker)), timeoutMs,
      () => `${this.sims.filter((s) => !s.seen.has(marker)).length} of ${this.sims.length} hosts never got rule ${marker}`);
    return {
      arrivals: Object.fromEntries(this.sims.map((s) => [s.host.name, s.seen.get(marker)!])),
      bytes: Object.fromEntries(this.sims.map((s) => [s.host.name, s.lastBytes])),
    };
  }

  /**
   * Extra heartbeats — each host's own report, through its own connection, exactly what its
   * loop sends — `perSecond` in total for `seconds`: the server's cost per heartbeat, which
   * one routine report_interval makes too small to measure against the idle noise.
   */
  async heartbeatBurst(perSecond: number, seconds: number): Promise<number> {
    const total = Math.round(perSecond * seconds);
    const t0 = performance.now();
    let sent = 0;
    const inflight = new Set<Promise<unknown>>();
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * perSecond));
      for (; sent < due; sent++) {
        const s = this.sims[sent % this.sims.length];
        const p = s.channel.report({ ...AGENT_IDENTITIES.linuxbridge, host: s.host.name, configurations: this.configurations(s) })
          .then(() => { this.counters.reports++; }, () => { this.counters.warnings++; })
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(inflight);
    return sent;
  }

  warnings(): string[] {
    return this.firstWarnings;
  }

  stop(): void {
    for (const s of this.sims) s.loop.stop();
  }

  private configurations(s: Sim): Record<string, unknown> {
    return {
      interface_mappings: {}, bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: s.host.tunnelIp, l2_population: true,
      devices: s.ports, extensions: [],
    };
  }

  private until(done: () => boolean, timeoutMs: number, why: () => string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => { if (done()) { clearTimeout(timer); this.listeners.delete(check); resolve(); } };
      const timer = setTimeout(() => { this.listeners.delete(check); reject(new Error(`after ${timeoutMs} ms: ${why()}`)); }, timeoutMs);
      this.listeners.add(check);
    });
  }

  private async startOne(host: SimHost): Promise<void> {
    const log: AgentLog = {
      info: () => {},
      warn: (msg, f) => this.warn(host.name, msg, f),
      error: (msg, f) => this.warn(host.name, msg, f),
    };
    const sim: Sim = { host, channel: undefined!, loop: undefined!, ports: 0, seen: new Map(), lastBytes: 0, wireBytes: 0 };
    const inner = amqpChannel(this.opts.transport, log);
    // counted on the way through: the loop's own calls, nothing added
    const channel: AgentChannel = sim.channel = {
      report: async (st) => { const r = await inner.report(st); this.counters.reports++; return r; },
      watch: async (...a) => {
        const r = await inner.watch(...a);
        this.counters.watches++;
        // what travelled (the answer holds only the changed sections), while a change is followed
        if (r && this.markers.size) sim.wireBytes = Buffer.byteLength(JSON.stringify(r));
        return r && this.interner.answer(r);
      },
      devices: (h, r) => inner.devices(h, r),
      lookupInstance: (q) => inner.lookupInstance(q),
      close: () => inner.close(),
    };
    sim.loop = new AgentLoop(channel, {
      host: host.name,
      identity: AGENT_IDENTITIES.linuxbridge,
      parts: LINUXBRIDGE_PARTS,
      configurations: () => this.configurations(sim),
      reconcile: async (desired) => {
        this.counters.snapshots++;
        this.record(sim, desired);
        return { report: { up: desired.ports.map((p) => p.id), down: [] } };
      },
    }, { reportIntervalMs: this.opts.reportIntervalMs, watchWaitMs: this.opts.watchWaitMs, log });
    this.sims.push(sim);
    await sim.loop.start();
  }

  private record(sim: Sim, desired: HostState): void {
    const at = epochNow();
    sim.ports = desired.ports.length;
    let fresh = false;
    for (const m of this.markers) {
      if (sim.seen.has(m)) continue;
      if (desired.security_groups.some((g) => g.rules.some(isMarkerRule(m)))) { sim.seen.set(m, at); fresh = true; }
    }
    if (fresh) {
      sim.lastBytes = sim.wireBytes;
      this.counters.snapshotBytes += sim.lastBytes;
    }
    for (const l of [...this.listeners]) l();
  }

  private warn(host: string, msg: string, f?: Record<string, unknown>): void {
    this.counters.warnings++;
    if (this.firstWarnings.length < 5) this.firstWarnings.push(`${host}: ${msg} ${f ? JSON.stringify(f) : ''}`);
  }
}
