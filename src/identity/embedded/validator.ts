// Muon's API validating embedded-identity tokens in-process: the same token body and
// parser as for a real Keystone, without the HTTP round trip or a cache (revocation
// takes effect at once).
import { parseTokenBody } from '../token-info.ts';
import { InvalidToken, type TokenValidator } from '../validator.ts';
import type { EmbeddedIdentity } from './identity.ts';
import { KeystoneError } from './keystone-error.ts';

export function embeddedValidator(identity: EmbeddedIdentity): TokenValidator {
  return {
    async validate(token) {
      try {
        return parseTokenBody(identity.validate(token, { catalog: false }));
      } catch (e) {
        if (e instanceof KeystoneError && e.status === 404) throw new InvalidToken('unknown, expired or revoked token');
        throw e;
      }
    },
  };
}
