// The impure half of an agent's host check (./host-check.ts): gather the host's facts at start,
// again when the host changes (the Linux bridge agent's mapped interfaces come or go: a link
// event) and every RECHECK_MS for what no event announces (an address moved, a module
// unloaded); recompute when the DHCP agent's networks change. When the verdict changes, the
// problems are logged and reported upward at once (`onChange`: the loop's reportNow).
import { readFile } from 'node:fs/promises';
import type { MuonConfig } from '../config/types.ts';
import type { AgentKind } from '../doctor/host-checks.ts';
import { gatherHostFacts, type HostFacts } from '../linux/host-facts.ts';
import type { HostState } from '../feed/host-state.ts';
import type { AgentDefinition, AgentLog, ReconcileOutcome } from './loop.ts';
import { sameFindings, selfCheck, type Finding, type ServedNetwork } from './host-check.ts';

/** how often the host is looked at again when nothing announced a change */
export const RECHECK_MS = 60_000;

export interface HostCheckRunner {
  /** the problems found by the last check (what `configurations.host_problems` carries) */
  readonly problems: Finding[];
  /** look at the host again (coalesced: one gathering at a time) */
  refresh(): Promise<void>;
  /** the agent definition with `host_problems` in its configurations (and, for DHCP, its networks fed to the check) */
  wrap<D extends AgentDefinition>(def: D): D;
  /** re-gather every `intervalMs` (unref'd: it never holds the process) */
  every(intervalMs: number): void;
  stop(): void;
}

export interface HostCheckRunnerOptions {
  kind: AgentKind;
  config: MuonConfig;
  log: AgentLog;
  /** called when the problems changed after the first check */
  onChange?: () => void;
  /** tests: facts instead of the host's */
  gather?: () => Promise<HostFacts>;
}

export function hostCheckRunner(o: HostCheckRunnerOptions): HostCheckRunner {
  const gather = o.gather ?? (() => gatherHostFacts());
  const configFile = o.kind === 'dhcp' ? String(o.config.values.DEFAULT?.dnsmasq_config_file ?? '') : '';
  let facts: HostFacts | undefined;
  let dnsmasqConfig: { path: string; text: string | Error } | undefined;
  let served: ServedNetwork[] = [];
  let problems: Finding[] = [];
  let checked = false;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  const recompute = () => {
    if (!facts) return;
    const next = selfCheck({ kind: o.kind, config: o.config, facts, dnsmasqConfig, served });
    if (checked && sameFindings(next, problems)) return;
    const first = !checked;
    problems = next;
    checked = true;
    for (const p of next) o.log.warn(`host check: ${p.evidence}`, { code: p.code, fix: p.fix });
    if (!first && !next.length) o.log.info('host check: no problems any more');
    if (!first) o.onChange?.();
  };

  const gatherOnce = async () => {
    facts = await gather();
    if (configFile) dnsmasqConfig = { path: configFile, text: await readFile(configFile, 'utf8').catch((e: Error) => e) };
    recompute();
  };

  const refresh = async (): Promise<void> => {
    if (running) { again = true; return running; }
    running = (async () => {
      try {
        do { again = false; await gatherOnce(); } while (again);
      } catch (e) {
        o.log.error('host check failed', { error: (e as Error).message });
      } finally { running = undefined; }
    })();
    return running;
  };

  return {
    get problems() { return problems; },
    refresh,
    wrap<D extends AgentDefinition>(def: D): D {
      return {
        ...def,
        // Neutron's configurations are a free dict: host_problems is Muon's addition
        configurations: () => ({ ...def.configurations(), host_problems: problems }),
        reconcile: async (desired: HostState): Promise<ReconcileOutcome> => {
          const r = await def.reconcile(desired);
          if (o.kind === 'dhcp') {
            const next = desired.dhcp.map((d) => ({ id: d.network.id, mtu: d.network.mtu }));
            if (JSON.stringify(next) !== JSON.stringify(served)) { served = next; recompute(); }
          }
          return r;
        },
      } as D;
    },
    every(intervalMs) {
      timer = setInterval(() => { void refresh(); }, intervalMs);
      timer.unref();
    },
    stop() { if (timer) clearInterval(timer); },
  };
}
