// What the agent channel does, independent of how it travels: the HTTP transport
// (./agent-channel.ts, unix socket) and any broker transport call these same handlers, so
// agents behave the same whichever way they reach the server. Inputs arrive as untrusted
// JSON and are checked here; errors are NeutronErrors the transport renders.
import type { Deps } from '../services/deps.ts';
import type { Logger } from '../services/log.ts';
import { HTTPBadRequest } from '../errors/catalog.ts';
import { reportState, type AgentStateReport } from '../services/agents.ts';
import { reportDevices, type DeviceReport } from '../services/port-binding.ts';
import { lookupInstance } from '../services/metadata-lookup.ts';
import { reportFloatingIpStatuses } from '../services/floatingip-status.ts';
import { hostView, type HostView } from '../feed/snapshot.ts';
import type { RevisionWatch } from '../feed/revision-watch.ts';
import { HOST_STATE_PARTS, type HostState, type HostStatePart, type InstanceLookup } from '../feed/host-state.ts';
import type { InstanceQuery, ReportOutcome } from '../feed/channel.ts';

/** the longest a watch may wait (a transport's own timeouts must exceed it) */
export const MAX_WAIT_MS = 55_000;

export interface ChannelHandlers {
  report(body: unknown): Promise<{ id: string; outcome: ReportOutcome }>;
  /** HostState (with digest) once it differs from `digest` past revision `since`; null after
   *  `waitMs`. `parts` (untrusted): the sections the agent reads; absent, all of them. */
  watch(host: string, since: number, waitMs: number, digest?: string | null, parts?: unknown): Promise<HostState | null>;
  devices(host: string, body: unknown): Promise<{ changed: string[] }>;
  lookupInstance(body: unknown): Promise<InstanceLookup | null>;
}

/**
 * The digest an agent gets with a snapshot and sends back with its next watch: the digest of
 * each section it reads, so that the answer can leave out the sections it already has. Equal
 * digests: nothing to do.
 */
export function viewDigest(view: HostView, parts: readonly HostStatePart[]): string {
  return `v2.${parts.map((p) => `${p}:${view.digests[p]}`).join('.')}`;
}

/** The section digests in an agent's digest (none from one it did not get from viewDigest). */
function sectionDigests(digest: string | null | undefined): Map<string, string> {
  if (!digest?.startsWith('v2.')) return new Map();
  return new Map(digest.slice(3).split('.').map((kv) => kv.split(':') as [string, string]));
}

/** Check a watch's `parts`: undefined/null (all sections) or a list of section names. */
export function watchParts(v: unknown): HostStatePart[] | undefined {
  if (v === undefined || v === null) return undefined;
  const known = new Set<string>(HOST_STATE_PARTS);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && known.has(x))) {
    throw HTTPBadRequest(`parts must be a list of host state sections (${HOST_STATE_PARTS.join(', ')})`);
  }
  return [...new Set(v as HostStatePart[])].sort();
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const FIP_STATUSES = new Set(['ACTIVE', 'DOWN', 'ERROR']);

export function channelHandlers(deps: Deps, watch: RevisionWatch, log: Logger): ChannelHandlers {
  return {
    async report(body) {
      if (!isObject(body) || !isObject(body.agent_state)) throw HTTPBadRequest('body must be {"agent_state": {...}}');
      const state = body.agent_state as unknown as AgentStateReport;
      const r = await reportState(deps, state);
      if (r.outcome !== 'alive') {
        log.info(`agent ${r.outcome}`, { agent_type: state.agent_type, host: state.host, id: r.id });
        watch.poke();
      }
      return r;
    },

    async watch(host, since, waitMs, digest, rawParts) {
      const parts = watchParts(rawParts) ?? HOST_STATE_PARTS;
      const until = Date.now() + Math.min(Math.max(0, waitMs), MAX_WAIT_MS);
      // Most changes concern other hosts: a snapshot equal to the one the agent has (same
      // digest) is not sent; the wait goes on until this host's state really differs.
      for (let unchanged = 0; ; unchanged++) {
        const rev = await watch.wait(since, Math.max(0, until - Date.now()));
        if (rev <= since) return null;
        const t0 = performance.now();
        const view = await hostView(deps.conn.db, host, parts, { dnsDomain: deps.config.dnsDomain, atLeast: rev });
        const d = viewDigest(view, parts);
        if (d !== digest) {
          // only the sections that differ from the agent's: a rule change is a few hundred
          // bytes to each host, not every host's whole snapshot with all its peers
          const had = sectionDigests(digest);
          const answer: Record<string, unknown> = { host, revision: view.revision, digest: d };
          const kept: HostStatePart[] = [];
          for (const p of parts) {
            if (had.get(p) === view.digests[p]) kept.push(p);
            else answer[p] = await view.value(p);
          }
          if (kept.length) answer.unchanged = kept;
          // the feed's latency: from the write's announcement to this host's snapshot leaving
          const now = performance.now();
          log.info('snapshot sent', { host, revision: view.revision, build_ms: Math.round(now - t0), after_write_ms: Math.round(now - watch.pokedAt), unchanged, kept });
          return answer as unknown as HostState;
        }
        since = rev;
        if (Date.now() >= until) return null;
      }
    },

    async devices(host, body) {
      const report = (body ?? {}) as DeviceReport;
      if (!isObject(report)) throw HTTPBadRequest('body must be {"up": [...], "down": [...], "dhcp_ready": [...], "floatingips": {...}}');
      for (const k of ['up', 'down', 'dhcp_ready'] as const) {
        const v = report[k];
        if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) throw HTTPBadRequest(`${k} must be a list of port ids`);
      }
      if (report.floatingips !== undefined
        && !(isObject(report.floatingips) && Object.values(report.floatingips).every((s) => typeof s === 'string' && FIP_STATUSES.has(s)))) {
        throw HTTPBadRequest('floatingips must map floating IP ids to ACTIVE, DOWN or ERROR');
      }
      const changed = await reportDevices(deps, host, report);
      const fips = (report as DeviceReport).floatingips;
      if (fips) changed.push(...await reportFloatingIpStatuses(deps, host, fips));
      if (changed.length) watch.poke();
      return { changed };
    },

    async lookupInstance(body) {
      if (!isObject(body) || typeof body.ip !== 'string') throw HTTPBadRequest('body must be {"ip": "...", "router_id" or "network_id": "..."}');
      for (const k of ['router_id', 'network_id'] as const) {
        if (body[k] !== undefined && typeof body[k] !== 'string') throw HTTPBadRequest(`${k} must be a string`);
      }
      return lookupInstance(deps, body as unknown as InstanceQuery);
    },
  };
}
