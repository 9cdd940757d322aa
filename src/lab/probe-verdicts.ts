// What trace predicted against what the probe saw on the wire, as findings (the doctor's shape):
// agreement is info; a mismatch is an error naming what the agents have not realised (or, when
// the wire lets through what the model forbids, that the data plane is behind the model).
import { finding, type Finding, type FindingObject } from '../doctor/finding.ts';
import type { TraceResult } from '../trace/model.ts';

export interface CheckOutcome {
  /** "probe-1a2b (172.16.1.5) → 203.0.113.1" */
  label: string;
  protocol: 'icmp' | 'tcp';
  port?: number;
  /** the object the check concerns (its destination, or the router it runs from) */
  object: FindingObject;
  predicted: TraceResult | { error: string };
  observed: { reached: boolean; detail: string };
}

const what = (c: CheckOutcome) => `${c.label}, ${c.protocol}${c.port ? ` ${c.port}` : ''}`;

export function verdict(c: CheckOutcome): Finding {
  if ('error' in c.predicted) {
    return finding('warning', 'probe-trace-failed', c.object, `${what(c)}: trace could not evaluate it (${c.predicted.error}); on the wire: ${c.observed.reached ? 'reached' : 'not reached'} (${c.observed.detail})`,
      'give the check an end trace can resolve (a port, a VM or an address of one)');
  }
  const t = c.predicted;
  const blockers = t.blocking.map((b) => `${b.object.type} ${b.object.name || b.object.id}: ${b.setting}`).join('; ');
  if (t.reachable === c.observed.reached) {
    return finding('info', 'probe-agrees', c.object, t.reachable
      ? `${what(c)}: reachable, as trace predicted (${c.observed.detail})`
      : `${what(c)}: blocked, as trace predicted (${blockers || 'blocked hop'}); on the wire: ${c.observed.detail}`,
    t.reachable ? 'nothing to do' : t.blocking.map((b) => b.fix).join('; ') || 'nothing to do');
  }
  if (t.reachable) {
    const unrealised = t.hops.filter((h) => h.realised.state !== 'yes' && h.realised.evidence !== 'not managed by Muon');
    return finding('error', 'probe-mismatch', c.object,
      `${what(c)}: trace predicts reachable, but on the wire: ${c.observed.detail}${unrealised.length ? `; not realised: ${unrealised.map((h) => `${h.step} (${h.realised.evidence})`).join('; ')}` : '; every hop is reported realised'}`,
      unrealised.length
        ? `bring up what is not realised (muon doctor --server … names dead agents and stuck ports), then probe again`
        : `the data plane differs from what the agents report: read the logs of the agents on ${hostsOf(t).join(', ') || 'the hosts on the path'}, and look for rules outside Muon (nft list ruleset in the namespaces on the path)`);
  }
  return finding('error', 'probe-mismatch', c.object,
    `${what(c)}: trace predicts blocked (${blockers || 'blocked hop'}), but on the wire it got through: ${c.observed.detail}`,
    `the data plane lets through what the model forbids: the agents on ${hostsOf(t).join(', ') || 'the path'} have not applied the change yet (read their logs), or something outside Muon forwards it`);
}

function hostsOf(t: TraceResult): string[] {
  return [...new Set(t.hops.map((h) => h.realised.host).filter((h): h is string => !!h))];
}
