// Revoked token audit ids, kept until the tokens would have expired anyway, and saved
// (identity-revocations.json) so a restart does not bring revoked tokens back.
import { existsSync, readFileSync } from 'node:fs';
import type { Revocations } from './identity.ts';
import { writeSecret } from './store.ts';

export function fileRevocations(file: string | null, now: () => number = () => Math.floor(Date.now() / 1000)): Revocations {
  const until = new Map<string, number>();
  if (file && existsSync(file)) {
    try {
      for (const [id, t] of Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>)) until.set(id, t);
    } catch { /* unreadable: start empty, as if nothing was revoked */ }
  }
  return {
    isRevoked: (ids) => ids.some((id) => (until.get(id) ?? 0) > now()),
    revoke(id, t) {
      for (const [k, v] of until) if (v <= now()) until.delete(k);
      until.set(id, t);
      if (file) writeSecret(file, JSON.stringify(Object.fromEntries(until)) + '\n');
    },
  };
}
