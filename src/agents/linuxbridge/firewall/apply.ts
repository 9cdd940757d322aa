// The firewall in the kernel: applied whole or incrementally (one nft transaction each),
// removed, and its rule counters read.
import type { HostState } from '../../../feed/host-state.ts';
import { ExecError, type Place } from '../../../linux/exec.ts';
import { apply, listTable, type NftObject } from '../../../linux/nft.ts';
import { firewallModel, type FirewallModel } from './model.ts';
import { TABLE } from './names.ts';
import { compileFirewall, removalScript, renderFirewall } from './render.ts';
import { planFirewallUpdate } from './update.ts';

/** Compile and apply the firewall of `state` in `place` (one nft transaction). */
export async function applyFirewall(place: Place | undefined, state: HostState): Promise<void> {
  await apply(place, compileFirewall(state), { timeoutMs: 60_000 });
}

export interface FirewallUpdate {
  /** the firewall now applied: pass it to the next updateFirewall */
  model: FirewallModel;
  /** 'replaced': both tables rewritten whole; 'updated': only what changed; 'unchanged': nothing to do */
  how: 'replaced' | 'updated' | 'unchanged';
  /** nft's error when the incremental update failed (the tables were then replaced whole) */
  failed?: string;
}

/**
 * Bring the firewall of `place` from `applied` (the model last applied there; none: unknown, so
 * the tables are replaced whole) to `state`: incrementally when it can, else (or when nft
 * refuses the update, e.g. because someone changed the tables) by replacing both tables. Throws
 * when the replace fails; then the kernel holds what it held before that replace, which may be
 * neither model, so the caller passes no `applied` next time.
 */
export async function updateFirewall(place: Place | undefined, state: HostState, applied?: FirewallModel): Promise<FirewallUpdate> {
  const model = firewallModel(state, applied);
  const update = applied ? planFirewallUpdate(applied, model) : null;
  if (update === '') return { model, how: 'unchanged' };
  let failed: string | undefined;
  if (update !== null) {
    try {
      await apply(place, update, { timeoutMs: 60_000 });
      return { model, how: 'updated' };
    } catch (e) {
      failed = e instanceof ExecError ? (e.result.stderr.trim() || e.message) : (e as Error).message;
    }
  }
  await apply(place, renderFirewall(model), { timeoutMs: 60_000 });
  return { model, how: 'replaced', ...(failed !== undefined ? { failed } : {}) };
}

/** Remove Muon's tables from `place`. */
export async function removeFirewall(place: Place | undefined): Promise<void> {
  await apply(place, removalScript());
}

/** Packet counts of the commented rules of both tables (comment → packets), for tests and diagnostics. */
export async function ruleCounters(place: Place | undefined): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const family of ['bridge', 'inet'] as const) {
    for (const o of (await listTable(place, family, TABLE)) ?? []) {
      const r = (o as NftObject).rule;
      if (!r || typeof r.comment !== 'string') continue;
      const counter = (r.expr as Record<string, { packets?: number }>[]).find((e) => 'counter' in e)?.counter;
      if (counter) out.set(r.comment, (out.get(r.comment) ?? 0) + (counter.packets ?? 0));
    }
  }
  return out;
}
