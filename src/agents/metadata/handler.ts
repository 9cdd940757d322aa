// One metadata request from a proxy (haproxy in qrouter-/qdhcp-): find the port behind it,
// then ask Nova's metadata API on the VM's behalf with the signed instance id, as Neutron's
// metadata agent does (neutron/agent/metadata/agent.py, neutron/common/metadata.py).
import { createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { InstanceQuery } from '../../feed/channel.ts';
import type { InstanceLookup } from '../../feed/host-state.ts';
import type { AgentLog } from '../loop.ts';
import type { MetadataOptions } from './options.ts';

/** X-Instance-ID-Signature: hex HMAC-SHA256 of the instance id, keyed with metadata_proxy_shared_secret. */
export function signInstanceId(secret: string, instanceId: string): string {
  return createHmac('sha256', secret).update(instanceId).digest('hex');
}

const NOVA_TIMEOUT_MS = 60_000;
const MAX_BODY = 1024 * 1024;

/**
 * The VM's address: the last X-Forwarded-For value, which is the one haproxy's `option
 * forwardfor` appended; anything before it came from the VM and is not to be trusted.
 */
export function forwardedFor(req: Pick<IncomingMessage, 'rawHeaders'>): string | undefined {
  let last: string | undefined;
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === 'x-forwarded-for') last = req.rawHeaders[i + 1];
  }
  const ip = last?.split(',').at(-1)?.trim();
  return ip || undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return (Array.isArray(v) ? v.at(-1) : v)?.trim() || undefined;
}

function answer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=UTF-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { reject(new Error('request body over 1 MiB')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface NovaAnswer { status: number; headers: Record<string, string>; body: Buffer }

function askNova(o: MetadataOptions, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<NovaAnswer> {
  const send = o.novaProtocol === 'https' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send({
      host: o.novaHost, port: o.novaPort, method, path,
      headers: { ...headers, ...(body.length ? { 'Content-Length': String(body.length) } : {}) },
      ...(o.novaProtocol === 'https' ? { rejectUnauthorized: !o.novaInsecure } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h: Record<string, string> = {};
        const ct = res.headers['content-type'];
        if (ct) h['Content-Type'] = ct;
        resolve({ status: res.statusCode ?? 502, headers: h, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.setTimeout(NOVA_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${NOVA_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

export interface HandlerDeps {
  options: MetadataOptions;
  lookup: (q: InstanceQuery) => Promise<InstanceLookup | null>;
  log: AgentLog;
}

/** Handle one proxied request; never throws (every failure is an HTTP answer and, when it is ours or Nova's, a log line). */
export async function handleMetadataRequest(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { options: o, log } = deps;
  const ip = forwardedFor(req);
  const routerId = header(req, 'x-neutron-router-id');
  const networkId = header(req, 'x-neutron-network-id');
  if (!ip || (!routerId && !networkId)) {
    log.warn('metadata request without X-Forwarded-For and X-Neutron-Router-ID/X-Neutron-Network-ID: not from a Neutron metadata proxy', { path: req.url });
    answer(res, 400, 'Bad request: missing X-Forwarded-For or X-Neutron-Router-ID / X-Neutron-Network-ID\n');
    return;
  }
  const query: InstanceQuery = routerId ? { router_id: routerId, ip } : { network_id: networkId, ip };
  let port: InstanceLookup | null;
  let body: Buffer;
  try {
    body = await readBody(req);
  } catch (e) {
    answer(res, 400, `Bad request: ${(e as Error).message}\n`);
    return;
  }
  try {
    port = await deps.lookup(query);
  } catch (e) {
    log.error('cannot look up the port behind a metadata request: the Muon server did not answer', { ...query, error: (e as Error).message });
    answer(res, 500, 'An unknown error has occurred. Please try your request again.\n');
    return;
  }
  if (!port) {
    answer(res, 404, 'Not found: no port with this address on this router\'s or network\'s subnets\n');
    return;
  }
  const headers: Record<string, string> = {
    'X-Forwarded-For': ip,
    'X-Instance-ID': port.instance_id,
    'X-Tenant-ID': port.project_id,
    'X-Instance-ID-Signature': signInstanceId(o.sharedSecret, port.instance_id),
  };
  const ct = header(req, 'content-type');
  if (ct) headers['Content-Type'] = ct;
  const where = `${o.novaProtocol}://${o.novaHost}:${o.novaPort}`;
  let nova: NovaAnswer;
  try {
    nova = await askNova(o, req.method ?? 'GET', req.url ?? '/', headers, body);
  } catch (e) {
    log.error(`cannot reach Nova metadata at ${o.novaHost}:${o.novaPort} (${(e as Error).message}): check nova_metadata_host / nova_metadata_port (and nova_metadata_protocol) in metadata_agent.ini and that nova-api's metadata service listens there`, { instance: port.instance_id, ip });
    answer(res, 503, 'The remote metadata server is temporarily unavailable. Please try again later.\n');
    return;
  }
  if (nova.status === 403) {
    log.error(`Nova refused the instance id signature for ${port.instance_id} (${ip}): the metadata_proxy_shared_secret in metadata_agent.ini and [neutron] metadata_proxy_shared_secret in nova.conf usually differ when this happens`, { nova: where });
  } else if (nova.status >= 500) {
    log.error(`Nova metadata at ${where} answered ${nova.status} for instance ${port.instance_id} (${ip}) ${req.method} ${req.url}: see nova-api's log`);
    answer(res, 500, 'An unknown error has occurred. Please try your request again.\n');
    return;
  }
  res.writeHead(nova.status, { ...nova.headers, 'Content-Length': String(nova.body.length) });
  res.end(nova.body);
}
