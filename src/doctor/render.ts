// Findings for people: grouped by where they were found, the worst first, each with its fix.
import { bySeverity, type Finding } from './finding.ts';

export interface FindingGroup { title: string; findings: Finding[]; note?: string }

const MARK = { error: 'ERROR  ', warning: 'WARNING', info: 'info   ' } as const;

export function renderText(groups: FindingGroup[], footer: string): string {
  const lines: string[] = [];
  for (const g of groups) {
    lines.push(`== ${g.title}`);
    if (g.note) lines.push(`   ${g.note}`);
    if (!g.findings.length && !g.note) lines.push('   nothing found');
    for (const f of bySeverity(g.findings)) {
      const obj = `${f.object.type} ${f.object.name ? `${f.object.name} (${f.object.id})` : f.object.id}`;
      lines.push(`${MARK[f.severity]} ${f.code}: ${obj}`, `   ${f.evidence}`, `   fix: ${f.fix}`);
    }
    lines.push('');
  }
  const all = groups.flatMap((g) => g.findings);
  const n = (s: string) => all.filter((f) => f.severity === s).length;
  lines.push(`${n('error')} error(s), ${n('warning')} warning(s), ${n('info')} info — ${footer}`);
  return `${lines.join('\n')}\n`;
}
