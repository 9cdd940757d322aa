// Nova notifications (neutron/notifiers/nova.py + batch_notifier.py): services hand over
// events after their transaction committed; they are batched per send_events_interval
// and POSTed to Nova's os-server-external-events in the background, retried with backoff
// and finally dropped with an error that says what to fix. Nothing here ever blocks or
// fails an API request.
import type { Deps, NovaSink } from './deps.ts';
import type { Logger } from './log.ts';
import type { MuonConfig } from '../config/types.ts';
import { changedEvent, STATUS_EVENTS, type NovaEvent } from '../domain/nova-events.ts';
import { createNovaSession, novaAuthSettings, type ServiceSession } from '../identity/service-session.ts';

export interface NovaNotifierOptions {
  session: ServiceSession;
  /** send_events_interval, in milliseconds */
  intervalMs: number;
  notifyStatus: boolean;
  notifyData: boolean;
  log: Logger;
  /** waits before each retry of a failed batch; its length is the number of retries */
  retryDelaysMs?: number[];
  timeoutMs?: number;
  /** events per POST */
  maxBatch?: number;
  /** events kept while Nova is unreachable; the oldest go first */
  maxQueue?: number;
}

type Outcome = { ok: true } | { ok: false; retry: boolean; reason: string };

const DEFAULT_RETRY_DELAYS = [1_000, 5_000, 15_000];

export class NovaNotifier implements NovaSink {
  private queue: NovaEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private readonly retryDelays: number[];
  private readonly timeoutMs: number;
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private readonly o: NovaNotifierOptions;

  constructor(o: NovaNotifierOptions) {
    this.o = o;
    this.retryDelays = o.retryDelaysMs ?? DEFAULT_RETRY_DELAYS;
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.maxBatch = o.maxBatch ?? 100;
    this.maxQueue = o.maxQueue ?? 10_000;
  }

  portEvents(events: (NovaEvent | null)[]): void {
    if (this.abort.signal.aborted) return;
    for (const e of events) {
      if (!e) continue;
      if (STATUS_EVENTS.has(e.name) ? !this.o.notifyStatus : !this.o.notifyData) continue;
      this.queue.push(e);
    }
    if (this.queue.length > this.maxQueue) {
      const lost = this.queue.splice(0, this.queue.length - this.maxQueue);
      this.o.log.error(`dropped ${lost.length} Nova event(s): more than ${this.maxQueue} waiting while Nova does not take them`, { events: lost.slice(0, 10) });
    }
    this.schedule();
  }

  /** Stop: pending events are dropped, a request in flight is aborted. */
  async close(): Promise<void> {
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.sending;
  }

  private schedule(): void {
    if (this.timer || this.sending || !this.queue.length || this.abort.signal.aborted) return;
    // BatchNotifier: the first event opens a batch; everything queued within the interval goes with it.
    this.timer = setTimeout(() => {
      this.timer = null;
      this.sending = this.flush().finally(() => { this.sending = null; this.schedule(); });
    }, this.o.intervalMs);
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    while (this.queue.length && !this.abort.signal.aborted) {
      const batch = this.queue.splice(0, this.maxBatch);
      await this.sendWithRetry(batch);
    }
  }

  private async sendWithRetry(batch: NovaEvent[]): Promise<void> {
    let last: Outcome = { ok: false, retry: true, reason: 'not sent' };
    for (let attempt = 0; attempt <= this.retryDelays.length; attempt++) {
      if (attempt > 0 && !(await this.sleep(this.retryDelays[attempt - 1]))) return;
      last = await this.sendOnce(batch);
      if (last.ok || !last.retry || this.abort.signal.aborted || attempt === this.retryDelays.length) break;
      this.o.log.warn(`sending events to Nova failed (attempt ${attempt + 1}), retrying: ${last.reason}`);
    }
    if (!last.ok && !this.abort.signal.aborted) {
      this.o.log.error(`dropped ${batch.length} Nova event(s): ${last.reason}`, { events: batch });
    }
  }

  private async sendOnce(batch: NovaEvent[]): Promise<Outcome> {
    for (let reauth = 0; ; reauth++) {
      let auth: { token: string; endpoint: string };
      try {
        auth = await this.o.session.auth(this.abort.signal);
      } catch (e) {
        return { ok: false, retry: true, reason: (e as Error).message };
      }
      const url = `${auth.endpoint}/os-server-external-events`;
      let res: Response;
      let text: string;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json', Accept: 'application/json', 'X-Auth-Token': auth.token,
            'X-OpenStack-Nova-API-Version': '2.1', 'OpenStack-API-Version': 'compute 2.1',
          },
          body: JSON.stringify({ events: batch }),
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]),
        });
        text = await res.text();
      } catch (e) {
        const err = e as { name?: string; cause?: { code?: string } };
        const cause = err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs / 1000} s` : err.cause?.code ?? err.name ?? String(e);
        return { ok: false, retry: true, reason: `cannot reach Nova at ${url} (${cause}): check that nova-api runs there, or fix [nova] endpoint_override / the catalog's compute endpoint` };
      }
      if (res.status === 401) {
        // the token expired or was revoked: authenticate once more before calling it a failure
        this.o.session.invalidate();
        if (reauth === 0) continue;
        return { ok: false, retry: true, reason: `Nova at ${url} refused the token of the [nova] user (HTTP 401): check [nova] username, password, project_name and that Nova trusts the Keystone at [nova] auth_url` };
      }
      if (res.status === 404) {
        // Neutron too: none of the instances exists (any more); nothing to retry
        this.o.log.info('Nova knows none of the events\' instances (HTTP 404)', { events: batch });
        return { ok: true };
      }
      if (res.status === 403) {
        return { ok: false, retry: false, reason: `Nova refused the [nova] user (HTTP 403): os-server-external-events needs the admin role (openstack role add --project service --user nova admin)` };
      }
      if (res.status >= 500) return { ok: false, retry: true, reason: `Nova at ${url} answered HTTP ${res.status} ${text.slice(0, 200)}` };
      if (res.status !== 200 && res.status !== 207) return { ok: false, retry: false, reason: `Nova at ${url} answered HTTP ${res.status} ${text.slice(0, 200)}` };
      this.report(batch, text);
      return { ok: true };
    }
  }

  /** 200 or 207: each event carries its own code (404 unknown instance, 422 not on a host yet). */
  private report(batch: NovaEvent[], text: string): void {
    let events: { code?: number }[] | undefined;
    try { events = (JSON.parse(text) as { events?: { code?: number }[] }).events; } catch { /* below */ }
    if (!Array.isArray(events)) {
      this.o.log.error('Nova answered os-server-external-events without an events list', { body: text.slice(0, 200) });
      return;
    }
    const failed = events.filter((e) => e.code !== 200);
    if (failed.length) this.o.log.warn('Nova did not accept some events', { events: failed });
    this.o.log.info('Nova notified', { events: batch.length, accepted: events.length - failed.length });
  }

  /** false when closed meanwhile */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.abort.signal.aborted) return resolve(false);
      const t = setTimeout(() => { this.abort.signal.removeEventListener('abort', stop); resolve(true); }, ms);
      const stop = () => { clearTimeout(t); resolve(false); };
      this.abort.signal.addEventListener('abort', stop, { once: true });
    });
  }
}

/** The notifier the configuration asks for, or null with the reason logged once. */
export function startNovaNotifier(config: MuonConfig, log: Logger, opts: Partial<NovaNotifierOptions> = {}): NovaNotifier | null {
  const d = config.values.DEFAULT;
  const notifyStatus = d.notify_nova_on_port_status_changes !== false;
  const notifyData = d.notify_nova_on_port_data_changes !== false;
  if (!notifyStatus && !notifyData) {
    log.info('Nova is not notified of port changes: notify_nova_on_port_status_changes and notify_nova_on_port_data_changes are off');
    return null;
  }
  const r = novaAuthSettings(config);
  if ('reason' in r) {
    log.info(`Nova is not notified of port changes: ${r.reason}`);
    return null;
  }
  const interval = typeof d.send_events_interval === 'number' ? d.send_events_interval : 2;
  log.info('Nova notifications on', {
    endpoint: r.settings.endpointOverride ?? `catalog (compute, ${r.settings.endpointType})`, auth_url: r.settings.authRoot, send_events_interval: interval,
  });
  return new NovaNotifier({
    session: createNovaSession(r.settings), intervalMs: interval * 1000, notifyStatus, notifyData, log, timeoutMs: r.settings.timeoutMs, ...opts,
  });
}

/**
 * network-changed for ports a floating IP was associated with or taken from: looked up
 * after the commit, in the background (the request does not wait for it).
 */
export function notifyPortsChanged(deps: Deps, portIds: (string | null | undefined)[]): void {
  const nova = deps.nova;
  const ids = [...new Set(portIds.filter((id): id is string => !!id))];
  if (!nova || !ids.length) return;
  deps.conn.db.selectFrom('ports').select(['id', 'device_id', 'device_owner']).where('id', 'in', ids).execute()
    .then((ports) => nova.portEvents(ports.map(changedEvent)))
    .catch((e: unknown) => deps.log?.warn('looking up ports for Nova\'s network-changed events failed', { error: (e as Error).message }));
}
