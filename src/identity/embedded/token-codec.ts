// Embedded identity tokens: a compact JSON payload, HMAC-SHA256-signed with a key kept
// in state_path (identity-token.key, 0600). Like Keystone's Fernet tokens they carry
// who/scope/expiry/audit id and nothing else; roles are looked up at validation time.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeSecret } from './store.ts';

export interface TokenPayload {
  /** user id */
  u: string;
  /** scope: 'p:<project id>' | 'd:<domain id>' | 's:all' | '' (unscoped) */
  s: string;
  /** authentication methods */
  m: string[];
  /** issued at, expires at (epoch seconds) */
  i: number;
  e: number;
  /** audit ids: this token's, then the one it was rescoped from (Keystone's audit chain) */
  a: string[];
  /** the user's token generation when issued (store.ts User.token_generation); absent: 0 */
  g?: number;
}

const PREFIX = 'mu1';

export function loadOrCreateKey(file: string): Buffer {
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length >= 32) return key;
    throw new Error(`${file}: the token signing key must be at least 32 bytes (base64); remove the file to generate a new one (every issued token becomes invalid)`);
  }
  const key = randomBytes(32);
  writeSecret(file, key.toString('base64') + '\n');
  return key;
}

export function newAuditId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

export function encodeToken(p: TokenPayload, key: Buffer): string {
  const body = Buffer.from(JSON.stringify(p)).toString('base64url');
  return `${PREFIX}.${body}.${mac(`${PREFIX}.${body}`, key)}`;
}

/** The payload of a token this key signed, or null (forged, truncated, other key). Expiry is not checked here. */
export function decodeToken(token: string, key: Buffer): TokenPayload | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return null;
  const want = Buffer.from(mac(`${parts[0]}.${parts[1]}`, key));
  const got = Buffer.from(parts[2]);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
  try {
    const p = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as TokenPayload;
    if (typeof p.u !== 'string' || typeof p.s !== 'string' || typeof p.e !== 'number' || !Array.isArray(p.a)) return null;
    return p;
  } catch {
    return null;
  }
}

function mac(text: string, key: Buffer): string {
  return createHmac('sha256', key).update(text).digest('base64url');
}
