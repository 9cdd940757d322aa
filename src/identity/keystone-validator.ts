// Token validation against a real Keystone, as keystonemiddleware's auth_token does it:
// a service token (re-issued when it expires or Keystone says 401), one GET
// /v3/auth/tokens per unknown token, and results cached in memory — valid ones until
// min(token expiry, token_cache_time), invalid ones for token_cache_time.
import { createHash } from 'node:crypto';
import { ExpiringLru } from './lru-cache.ts';
import type { KeystoneSettings } from './keystone-settings.ts';
import { issueServiceToken, validateToken, type ServiceToken } from './keystone-client.ts';
import { parseTokenBody, TokenBodyError, type TokenInfo } from './token-info.ts';
import { IdentityUnavailable, InvalidToken, type TokenValidator } from './validator.ts';

export interface KeystoneValidatorOptions {
  maxCachedTokens?: number;
  now?: () => number;
  /** Told once per change of the Keystone root in use, and when Keystone becomes unreachable/reachable. */
  onEvent?: (event: string, detail: Record<string, unknown>) => void;
}

export interface KeystoneValidator extends TokenValidator {
  /** Forget cached validations and the service token (tests; SIGHUP). */
  reset(): void;
  readonly cacheSize: number;
}

const INVALID = Symbol('invalid');

export function createKeystoneValidator(s: KeystoneSettings, opts: KeystoneValidatorOptions = {}): KeystoneValidator {
  const now = opts.now ?? Date.now;
  const cache = new ExpiringLru<TokenInfo | typeof INVALID>(opts.maxCachedTokens ?? 10_000, now);
  const inflight = new Map<string, Promise<TokenInfo>>();
  const cacheMs = s.tokenCacheTime < 0 ? 0 : s.tokenCacheTime * 1000;
  let root = s.identityRoots[0];
  let service: ServiceToken | null = null;
  let serviceInflight: Promise<ServiceToken> | null = null;
  let down = false;
  const emit = (e: string, d: Record<string, unknown>) => opts.onEvent?.(e, d);

  /** A service token valid for at least 30 more seconds (keystoneauth re-authenticates as early). */
  function serviceToken(): Promise<ServiceToken> {
    if (service && service.expiresAt - 30_000 > now()) return Promise.resolve(service);
    serviceInflight ??= authenticateService().finally(() => { serviceInflight = null; });
    return serviceInflight;
  }

  async function authenticateService(): Promise<ServiceToken> {
    let last: unknown = null;
    for (const candidate of [root, ...s.identityRoots.filter((r) => r !== root)]) {
      try {
        service = await issueServiceToken(candidate, s);
        if (candidate !== root) emit('identity root changed', { from: root, to: candidate });
        root = candidate;
        return service;
      } catch (e) {
        last = e;
        // Credentials refused: another root will not do better, and the message says why.
        if (e instanceof IdentityUnavailable && /refused Muon's service credentials/.test(e.message)) break;
      }
    }
    throw last;
  }

  async function ask(token: string): Promise<TokenInfo> {
    for (let attempt = 0; ; attempt++) {
      const st = await serviceToken();
      const r = await validateToken(root, st.token, token, s.timeoutMs);
      if (r.kind === 'valid') {
        try { return parseTokenBody(r.body); } catch (e) {
          if (e instanceof TokenBodyError) throw new IdentityUnavailable(`Keystone's answer is not a token: ${e.message}`);
          throw e;
        }
      }
      if (r.kind === 'invalid') throw new InvalidToken('Keystone does not know this token');
      // 401: our service token was revoked or expired early. Get a new one, once.
      if (service?.token === st.token) service = null;
      if (attempt >= 1) throw new IdentityUnavailable('Keystone rejects freshly issued service tokens');
    }
  }

  async function validateUncached(key: string, token: string): Promise<TokenInfo> {
    try {
      const info = await ask(token);
      if (down) { down = false; emit('keystone reachable again', { root }); }
      if (info.expiresAt.getTime() <= now()) throw new InvalidToken('token expired');
      cache.set(key, info, Math.min(info.expiresAt.getTime(), now() + cacheMs));
      return info;
    } catch (e) {
      if (e instanceof InvalidToken) {
        if (down) { down = false; emit('keystone reachable again', { root }); }
        cache.set(key, INVALID, now() + cacheMs);
      } else if (e instanceof IdentityUnavailable && !down) {
        down = true;
        emit('keystone unavailable', { root, error: e.message });
      }
      throw e;
    }
  }

  return {
    async validate(token) {
      const key = createHash('sha256').update(token).digest('hex');
      const hit = cache.get(key);
      if (hit === INVALID) throw new InvalidToken('token known invalid (cached)');
      if (hit !== undefined) {
        if (hit.expiresAt.getTime() > now()) return hit;
        cache.delete(key);
        throw new InvalidToken('token expired');
      }
      let p = inflight.get(key);
      if (!p) {
        p = validateUncached(key, token).finally(() => inflight.delete(key));
        inflight.set(key, p);
      }
      return p;
    },
    reset() { cache.clear(); service = null; },
    get cacheSize() { return cache.size; },
  };
}
