// The lab's stand-in for Nova (Nova cannot run here): the two Nova APIs Neutron talks to.
//  - the metadata API (nova-api-metadata, :8775) as Neutron's metadata agent reaches it:
//    the instance named by X-Instance-ID, proven by X-Instance-ID-Signature = hex
//    HMAC-SHA256(shared secret, instance id), answered from the lab's instance registry;
//  - POST …/os-server-external-events (nova-api, :8774), where Neutron's notifier sends
//    network-vif-plugged & co: recorded to a JSON-lines file, answered as Nova does.
// GET /muon/events shows what was recorded (tests, `muon status`).
//
// Registry file (written by the lab, re-read on every request):
//   { "<instance uuid>": { "name": "vm1", "hostname": "vm1", "project_id": "…", "local_ipv4": "172.16.1.4" } }
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';

export interface Listen { host: string; port: number }

export interface NovaStandinOptions {
  metadataListen?: Listen;
  apiListen?: Listen;
  /** [neutron] metadata_proxy_shared_secret of nova.conf (= the metadata agent's) */
  secret: string;
  /** the registry; without it every instance id is known */
  instancesFile?: string;
  /** JSON lines, one per event received */
  eventsFile: string;
}

export interface RunningStandin { metadataUrl?: string; apiUrl?: string; close(): Promise<void> }

export interface InstanceEntry { name?: string; hostname?: string; project_id?: string; local_ipv4?: string }

/** Nova's os-server-external-events names (server_external_events schema). */
const EVENT_NAMES = new Set([
  'network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted',
  'volume-extended', 'power-update', 'accelerator-request-bound', 'volume-reimaged',
]);
const EVENT_STATUSES = new Set(['failed', 'completed', 'in-progress']);

export function signInstanceId(secret: string, instanceId: string): string {
  return createHmac('sha256', secret).update(instanceId).digest('hex');
}

async function readRegistry(file: string | undefined): Promise<Record<string, InstanceEntry> | null> {
  if (!file) return null;
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, InstanceEntry> : {};
  } catch (e) {
    // not written yet: no instance is known
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`the instance registry ${file} is not a JSON object: ${(e as Error).message}`);
  }
}

/** webob's plain error page, as Nova's metadata API answers. */
function plainError(res: ServerResponse, code: number, reason: string, explanation: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=UTF-8' }).end(`${code} ${reason}\n\n${explanation}\n\n   `);
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

function metadataHandler(o: NovaStandinOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/muon/events') return eventsList(o, res);
    if (path === '/' || path === '') { res.writeHead(200, { 'Content-Type': 'text/plain' }).end('2009-04-04\nlatest'); return; }
    // _handle_instance_id_request: the headers, then the signature
    const instanceId = header(req, 'x-instance-id');
    const signature = header(req, 'x-instance-id-signature');
    const tenantId = header(req, 'x-tenant-id');
    const missing = instanceId === undefined ? 'X-Instance-ID' : signature === undefined ? 'X-Instance-ID-Signature' : tenantId === undefined ? 'X-Tenant-ID' : null;
    if (missing) return plainError(res, 400, 'Bad Request', `${missing} header is missing from request.`);
    const expected = Buffer.from(signInstanceId(o.secret, instanceId!));
    const given = Buffer.from(signature!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return plainError(res, 403, 'Forbidden', 'Invalid proxy request signature.');
    }
    const registry = await readRegistry(o.instancesFile);
    const entry = registry?.[instanceId!] ?? {};
    if (entry.project_id && entry.project_id !== tenantId) return plainError(res, 404, 'Not Found', 'The resource could not be found.');
    const hostname = entry.hostname ?? entry.name ?? instanceId!;
    const localIp = entry.local_ipv4 ?? header(req, 'x-forwarded-for')?.split(',')[0].trim() ?? '';
    const ec2: Record<string, string> = {
      'instance-id': instanceId!, hostname, 'local-hostname': hostname, 'local-ipv4': localIp, 'ami-launch-index': '0',
      'placement/availability-zone': 'nova',
    };
    const m = /^\/(?:latest|\d{4}-\d\d-\d\d)\/meta-data\/?(.*)$/.exec(path);
    if (m) {
      const key = m[1].replace(/\/+$/, '');
      if (key === '') { res.writeHead(200, { 'Content-Type': 'text/plain' }).end(['instance-id', 'hostname', 'local-hostname', 'local-ipv4', 'ami-launch-index', 'placement/'].join('\n')); return; }
      if (key in ec2) { res.writeHead(200, { 'Content-Type': 'text/plain' }).end(ec2[key]); return; }
      return plainError(res, 404, 'Not Found', 'The resource could not be found.');
    }
    if (/^\/openstack\/(?:latest|\d{4}-\d\d-\d\d)\/meta_data\.json$/.test(path)) {
      return json(res, 200, {
        uuid: instanceId, name: entry.name ?? instanceId, hostname, project_id: entry.project_id ?? tenantId,
        availability_zone: 'nova', launch_index: 0, meta: {}, devices: [],
      });
    }
    if (path === '/openstack' || path === '/openstack/') { res.writeHead(200, { 'Content-Type': 'text/plain' }).end('latest'); return; }
    plainError(res, 404, 'Not Found', 'The resource could not be found.');
  };
}

async function eventsList(o: NovaStandinOptions, res: ServerResponse): Promise<void> {
  let text = '';
  try { text = await readFile(o.eventsFile, 'utf8'); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
  json(res, 200, { events: text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown) });
}

interface EventIn { name?: unknown; server_uuid?: unknown; tag?: unknown; status?: unknown }

/** The events, or what Nova's schema would reject. */
function checkEvents(body: unknown): { events: EventIn[] } | { error: string } {
  const events = (body as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length === 0) return { error: 'Invalid input for field/attribute events. Value: a non-empty list is required' };
  for (const e of events as EventIn[]) {
    if (typeof e !== 'object' || e === null) return { error: 'Invalid input for field/attribute events: each event must be an object' };
    if (typeof e.name !== 'string' || !EVENT_NAMES.has(e.name)) return { error: `Invalid input for field/attribute name. Value: ${String(e.name)}. '${String(e.name)}' is not one of ${[...EVENT_NAMES].join(', ')}` };
    if (typeof e.server_uuid !== 'string') return { error: 'Invalid input for field/attribute server_uuid: a string is required' };
    if (e.status !== undefined && !(typeof e.status === 'string' && EVENT_STATUSES.has(e.status))) return { error: `Invalid input for field/attribute status. Value: ${String(e.status)}` };
    if (e.tag !== undefined && typeof e.tag !== 'string') return { error: 'Invalid input for field/attribute tag: a string is required' };
  }
  return { events: events as EventIn[] };
}

function apiHandler(o: NovaStandinOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/muon/events' && req.method === 'GET') return eventsList(o, res);
    // /v2.1/os-server-external-events, or the legacy /v2[.1]/<project id>/… of old catalogs
    if (!/^\/v2(?:\.1)?(?:\/[^/]+)?\/os-server-external-events\/?$/.test(path)) {
      return json(res, 404, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    }
    if (req.method !== 'POST') return json(res, 405, { error: { code: 405, message: 'The method is not allowed for this resource.' } });
    if (!header(req, 'x-auth-token')) {
      return json(res, 401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    }
    let body: unknown;
    try { body = JSON.parse(await readBody(req)); } catch { return json(res, 400, { badRequest: { code: 400, message: 'Malformed request body' } }); }
    const checked = checkEvents(body);
    if ('error' in checked) return json(res, 400, { badRequest: { code: 400, message: checked.error } });
    const registry = await readRegistry(o.instancesFile);
    const out = checked.events.map((e) => {
      const known = registry === null || (e.server_uuid as string) in registry;
      return { name: e.name, server_uuid: e.server_uuid, ...(e.tag !== undefined ? { tag: e.tag } : {}), status: known ? (e.status ?? 'completed') : 'failed', code: known ? 200 : 404 };
    });
    const time = new Date().toISOString();
    await appendFile(o.eventsFile, out.map((e) => JSON.stringify({ time, ...e }) + '\n').join(''));
    const accepted = out.filter((e) => e.code === 200).length;
    // Nova: no event accepted → 404; some → 207 with each event's code; all → 200
    if (accepted === 0) return json(res, 404, { itemNotFound: { code: 404, message: 'No instances found for any event' } });
    json(res, accepted === out.length ? 200 : 207, { events: out });
  };
}

function serve(listen: Listen, handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<Server> {
  const server = createServer((req, res) => {
    handler(req, res).catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { computeFault: { code: 500, message: (e as Error).message } });
      else res.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`the stand-in Nova cannot listen on ${listen.host}:${listen.port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`)));
    server.listen(listen.port, listen.host, () => resolve(server));
  });
}

const urlOf = (s: Server): string => {
  const a = s.address() as AddressInfo;
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
};

export async function startNovaStandin(o: NovaStandinOptions): Promise<RunningStandin> {
  if (!o.metadataListen && !o.apiListen) throw new Error('the stand-in Nova needs a metadata listener, an API listener, or both');
  const metadata = o.metadataListen ? await serve(o.metadataListen, metadataHandler(o)) : undefined;
  let api: Server | undefined;
  try {
    api = o.apiListen ? await serve(o.apiListen, apiHandler(o)) : undefined;
  } catch (e) {
    metadata?.close();
    throw e;
  }
  const closing = (s: Server) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); });
  return {
    metadataUrl: metadata && urlOf(metadata),
    apiUrl: api && `${urlOf(api)}/v2.1`,
    close: async () => { await Promise.all([metadata, api].filter((s): s is Server => !!s).map(closing)); },
  };
}
