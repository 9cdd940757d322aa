// Drives the fuzz: seeds live objects, sends generated requests a few at a time,
// learns new ids from 201 answers, and classifies every answer. A failure is a
// 5xx, a dropped connection, or a 4xx without the error body its server owes.
import { rawRequest, type RawResult } from './raw-http.ts';
import { generate, type FuzzRequest, type Pools, type Schema } from './requests.ts';
import { Rng } from './values.ts';

export interface FuzzTargets { apiPort: number; identityPort: number }

export interface FuzzReport {
  seed: number;
  requests: number;
  ms: number;
  /** Answers by status ('dropped' for none). */
  byStatus: Map<string, number>;
  failures: { why: string; req: FuzzRequest; result: RawResult }[];
}

// Zed's own answer for a path outside /v2.0 (anchors/error-samples row 235): not a NeutronError.
const ZED_VERSION_404 = '{"code":404,"title":"Not Found","description":null}';

/** Why an answer breaks the contract, or null when it keeps it. */
export function judge(req: FuzzRequest, r: RawResult): string | null {
  if (r.kind === 'dropped') return `dropped connection (${r.reason})`;
  // POST /v2.0/quotas: Neutron's quota extension answers 501 HTTPNotImplemented on purpose.
  if (r.status === 501 && req.server === 'api' && /"type":"HTTPNotImplemented"/.test(r.body)) return null;
  if (r.status >= 500) return `${r.status}`;
  if (r.status < 400 || req.method.toUpperCase() === 'HEAD') return null;
  let body: any;
  try { body = JSON.parse(r.body); } catch { return `${r.status} without a JSON body`; }
  if (req.server === 'identity') {
    const e = body?.error;
    return e && e.code === r.status && typeof e.message === 'string' && typeof e.title === 'string' ? null : `${r.status} without Keystone's error body`;
  }
  if (r.status === 404 && JSON.stringify(body) === ZED_VERSION_404) return null;
  const n = body?.NeutronError;
  const ok = n && typeof n.type === 'string' && n.type && typeof n.message === 'string' && n.message && typeof n.detail === 'string';
  return ok ? null : `${r.status} without a NeutronError body`;
}

export async function runFuzz(opts: {
  targets: FuzzTargets; schema: Schema; pools: Pools; seed: number; requests: number; concurrency?: number; maxBody: number;
}): Promise<FuzzReport> {
  const rng = new Rng(opts.seed);
  const report: FuzzReport = { seed: opts.seed, requests: 0, ms: 0, byStatus: new Map(), failures: [] };
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < opts.requests) {
      next++;
      // Generated in the order workers ask, from one Rng: the same seed gives the same requests
      // (their answers may differ slightly with interleaving, as ids are learnt).
      const req = generate(rng, opts.schema, opts.pools, opts.maxBody);
      const port = req.server === 'api' ? opts.targets.apiPort : opts.targets.identityPort;
      const r = await rawRequest(port, req, req.method.toUpperCase() === 'HEAD');
      report.requests++;
      const key = r.kind === 'dropped' ? 'dropped' : String(r.status);
      report.byStatus.set(key, (report.byStatus.get(key) ?? 0) + 1);
      const why = judge(req, r);
      if (why) report.failures.push({ why, req, result: r });
      if (r.kind === 'answer' && r.status === 201 && req.server === 'api') learn(opts.pools, req, r.body);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, worker));
  report.ms = performance.now() - started;
  return report;
}

/** Ids of created objects join the pools, so later requests act on live objects. */
function learn(pools: Pools, req: FuzzRequest, body: string): void {
  const path = /^\/v2\.0\/([^/?]+)$/.exec(req.target)?.[1];
  if (!path) return;
  let parsed: unknown;
  try { parsed = JSON.parse(body); } catch { return; }
  for (const v of Object.values(parsed as object)) {
    for (const o of Array.isArray(v) ? v : [v]) {
      const id = (o as { id?: unknown })?.id;
      if (typeof id === 'string') {
        const ids = pools.get(path) ?? pools.set(path, []).get(path)!;
        if (ids.length < 50) ids.push(id);
      }
    }
  }
}

/** "status: count" lines, statuses in order, and the failures grouped by reason with one example each. */
export function summarize(r: FuzzReport): string {
  const lines = [`fuzz seed=${r.seed} requests=${r.requests} in ${(r.ms / 1000).toFixed(1)} s`];
  lines.push('by status: ' + [...r.byStatus.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}=${n}`).join(' '));
  const groups = new Map<string, { n: number; ex: FuzzReport['failures'][number] }>();
  for (const f of r.failures) {
    const key = `${f.why} [${f.req.kind}]`;
    const g = groups.get(key);
    if (g) g.n++; else groups.set(key, { n: 1, ex: f });
  }
  for (const [key, g] of groups) {
    const res = g.ex.result.kind === 'answer' ? g.ex.result.body.slice(0, 300) : g.ex.result.partial;
    const body = g.ex.req.body === undefined ? '' : ` body=${String(g.ex.req.body).slice(0, 200)}`;
    lines.push(`FAIL ×${g.n} ${key}: ${g.ex.req.method} ${g.ex.req.target.slice(0, 200)}${body} → ${res}`);
  }
  return lines.join('\n');
}
