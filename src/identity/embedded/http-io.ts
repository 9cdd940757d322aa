// Reading requests and shaping replies for the embedded identity's HTTP API.
import type { IncomingMessage } from 'node:http';
import { badRequest, KeystoneError } from './keystone-error.ts';

export type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

const MAX_BODY = 64 * 1024;

export function methodNotAllowed(): KeystoneError { return new KeystoneError(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.'); }

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
}

export function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { reject(new KeystoneError(413, 'Request Entity Too Large', 'Request is too large.')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => {
      try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch { reject(badRequest('Malformed request body.')); }
    });
    req.on('error', reject);
  });
}
