// A raw HTTP/1.1 client over a TCP socket, for the fuzz test: it can send what
// fetch refuses to (CONNECT, bad percent-escapes, empty path segments, broken
// headers) and tells a dropped connection apart from an answer.
import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  /** The request target exactly as sent (not normalised, not escaped). */
  target: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send these bytes as the whole request instead (headers and body included). */
  raw?: Buffer | string;
}

export type RawResult =
  | { kind: 'answer'; status: number; headers: Record<string, string>; body: string }
  /** The connection ended (or was reset) before a complete answer arrived. */
  | { kind: 'dropped'; reason: string; partial: string };

export function buildRequest(r: RawRequest, host: string): Buffer {
  if (r.raw !== undefined) return Buffer.isBuffer(r.raw) ? r.raw : Buffer.from(r.raw, 'latin1');
  const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8');
  const headers: Record<string, string> = { Host: host, Connection: 'close', ...r.headers };
  if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length' || k.toLowerCase() === 'transfer-encoding')) {
    headers['Content-Length'] = String(body.length);
  }
  const head = `${r.method} ${r.target} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

/** One request on its own connection (`Connection: close`); resolves with the answer or the drop. */
export function rawRequest(port: number, r: RawRequest, head = false, timeoutMs = 10_000): Promise<RawResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sock = connect(port, '127.0.0.1');
    let done = false;
    const finish = (why: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const data = Buffer.concat(chunks);
      const parsed = parseResponse(data, true, head);
      if (parsed) resolve({ kind: 'answer', ...parsed });
      else resolve({ kind: 'dropped', reason: why ?? 'closed before a complete answer', partial: data.subarray(0, 200).toString('latin1') });
    };
    const timer = setTimeout(() => finish('timed out'), timeoutMs);
    sock.on('connect', () => sock.write(buildRequest(r, `127.0.0.1:${port}`)));
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      // An answer is complete once its Content-Length bytes are in: no need to wait for the close.
      if (parseResponse(Buffer.concat(chunks), false, head)) finish(null);
    });
    sock.on('end', () => finish(null));
    sock.on('close', () => finish(null));
    // A reset after a complete answer is still an answer (parseResponse decides).
    sock.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
  });
}

/** The first complete response in `data`, or null (incomplete, or not HTTP). */
/** `head`: the answer to a HEAD request, which has no body whatever its Content-Length says. */
export function parseResponse(data: Buffer, closed = false, head = false): { status: number; headers: Record<string, string>; body: string } | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) return null;
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const rest = data.subarray(end + 4);
  const status = Number(m[1]);
  if (head) return { status, headers, body: '' };
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const body = dechunk(rest);
    return body === null ? null : { status, headers, body: body.toString('utf8') };
  }
  const len = headers['content-length'] !== undefined ? Number(headers['content-length']) : (status === 204 || status === 304 ? 0 : NaN);
  // Length unknown: the close marks the end.
  if (Number.isNaN(len)) return closed ? { status, headers, body: rest.toString('utf8') } : null;
  if (rest.length < len) return null;
  return { status, headers, body: rest.subarray(0, len).toString('utf8') };
}

function dechunk(data: Buffer): Buffer | null {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', i);
    if (eol < 0) return null;
    const size = Number.parseInt(data.subarray(i, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) return null;
    if (size === 0) return Buffer.concat(out);
    if (data.length < eol + 2 + size + 2) return null;
    out.push(data.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
}
