// Neutron's anti-enumeration rule for writes: when policy refuses an update or
// delete and the caller could not even read the object, answer 404 as if it did
// not exist; only a caller who can see it learns that it is refused (403).
import type { Policy } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { NeutronError } from '../errors/neutron-error.ts';

export function enforceOrHide(
  policy: Policy, ctx: RequestContext, action: string, target: Record<string, unknown>,
  explicit: Iterable<string> | undefined, canRead: () => boolean, notFound: () => NeutronError,
): void {
  try {
    policy.enforce(ctx, action, target, explicit);
  } catch (e) {
    if (!canRead()) throw notFound();
    throw e;
  }
}
