// A trace for people: a headline, one line per hop (verdict, step, deciding object, reason,
// and what the agents report realised where), then every blocking setting with its fix.
import type { TraceResult } from './model.ts';

const MARK = { pass: 'ok   ', block: 'BLOCK', info: '  -  ' } as const;
const REALISED = { yes: 'realised', no: 'NOT REALISED', unknown: 'unknown' } as const;

export function renderTrace(t: TraceResult, from: string, to: string): string {
  const what = t.flow.protocol === 'any' ? 'any protocol' : `${t.flow.protocol}${t.flow.destination_port !== null ? ` ${t.flow.destination_port}` : ''}`;
  const lines = [`${from} (${t.flow.source_ip}) → ${to} (${t.flow.destination_ip}), ${what}: ${t.reachable ? 'REACHABLE' : 'BLOCKED'}`];
  const width = Math.max(...t.hops.map((h) => h.step.length));
  t.hops.forEach((h, i) => {
    const obj = `${h.object.type} ${h.object.name && h.object.name !== h.object.id ? `${h.object.name} ` : ''}(${h.object.id})`;
    // the evidence only where something is not realised: a healthy path stays readable
    const where = `${REALISED[h.realised.state]}${h.realised.host ? ` on ${h.realised.host}` : ''}${h.realised.state === 'no' ? `: ${h.realised.evidence}` : ''}`;
    lines.push(`${String(i + 1).padStart(2)} ${MARK[h.verdict]} ${h.step.padEnd(width)}  ${h.reason} — ${obj} [${where}]`);
  });
  if (t.blocking.length) {
    lines.push('', `blocked by ${t.blocking.length} setting${t.blocking.length > 1 ? 's' : ''}:`);
    for (const b of t.blocking) lines.push(`  - ${b.object.type} ${b.object.name || b.object.id}: ${b.setting}`, `    fix: ${b.fix}`);
  }
  return `${lines.join('\n')}\n`;
}
