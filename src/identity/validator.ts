// The one interface the API's authenticator talks to: a real Keystone over HTTP
// (keystone-validator.ts) or the embedded identity in-process (embedded/validator.ts).
import type { TokenInfo } from './token-info.ts';

export interface TokenValidator {
  /** The token's identity; throws InvalidToken (→ 401) or IdentityUnavailable (→ 503). */
  validate(token: string): Promise<TokenInfo>;
}

/** Unknown, malformed, expired or revoked token. */
export class InvalidToken extends Error {}

/** The identity service cannot be asked (unreachable, 5xx, or Muon's own credentials refused). */
export class IdentityUnavailable extends Error {}
