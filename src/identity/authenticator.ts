// The API's authenticate hook for auth_strategy = keystone: X-Auth-Token → validated
// token → RequestContext; keystonemiddleware's 401/503 otherwise.
import type { IncomingMessage } from 'node:http';
import type { RequestContext } from '../domain/policy/context.ts';
import type { RuleSet } from '../domain/policy/checks.ts';
import { keystoneUnavailable, unauthorized } from './auth-replies.ts';
import { contextFromToken } from './token-info.ts';
import { IdentityUnavailable, InvalidToken, type TokenValidator } from './validator.ts';

export interface AuthenticatorOptions {
  validator: TokenValidator;
  /** For `WWW-Authenticate: Keystone uri="…"`. */
  wwwAuthenticateUri: string | null;
  /** Policy rules (with policy.yaml overrides) deciding context_is_admin / context_is_advsvc. */
  rules?: RuleSet;
}

export function createTokenAuthenticator(opts: AuthenticatorOptions): (req: IncomingMessage, requestId: string) => Promise<RequestContext> {
  return async (req, requestId) => {
    const header = req.headers['x-auth-token'] ?? req.headers['x-storage-token'];
    const token = (Array.isArray(header) ? header[0] : header)?.trim();
    if (!token) throw unauthorized(opts.wwwAuthenticateUri, 'no X-Auth-Token');
    try {
      const info = await opts.validator.validate(token);
      return contextFromToken(info, requestId, opts.rules);
    } catch (e) {
      if (e instanceof InvalidToken) throw unauthorized(opts.wwwAuthenticateUri, e.message);
      if (e instanceof IdentityUnavailable) throw keystoneUnavailable(e.message);
      throw e;
    }
  };
}
