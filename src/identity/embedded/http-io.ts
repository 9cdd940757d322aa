// Reading requests and shaping replies for the embedded identity's HTTP API.
import type { IncomingMessage } from 'node:http';
import { badRequest, KeystoneError } from './keystone-error.ts';
import { BodyTooLarge, readBodyText } from '../../http/body-text.ts';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../http/json-depth.ts';

export type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

const MAX_BODY = 64 * 1024;

export function methodNotAllowed(): KeystoneError { return new KeystoneError(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.'); }

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  let text: string;
  try {
    text = await readBodyText(req, MAX_BODY);
  } catch (e) {
    if (e instanceof BodyTooLarge) throw new KeystoneError(413, 'Request Entity Too Large', 'Request is too large.');
    throw badRequest('Malformed request body.');
  }
  if (nestedDeeperThan(text)) throw badRequest(`Malformed request body: JSON nested more than ${MAX_JSON_DEPTH} levels deep.`);
  try { return JSON.parse(text); } catch { throw badRequest('Malformed request body.'); }
}
