// A finding: one thing wrong (or worth knowing) about a host, its config files or the
// deployment, with the object it concerns, what shows it and what to do. Every diagnostic
// (muon doctor, the server's admin API, later the agents' own checks) speaks this shape.

export type Severity = 'error' | 'warning' | 'info';

export interface FindingObject {
  /** 'host', 'tool', 'kernel', 'config', 'agent', 'network', 'subnet', 'port', 'router', 'floatingip', … */
  type: string;
  /** the object's id (a UUID, a host name, a file path, a tool name) */
  id: string;
  name?: string;
}

export interface Finding {
  severity: Severity;
  /** stable, kebab-case: what scripts match on (e.g. 'agent-dead', 'external-subnet-off-link') */
  code: string;
  object: FindingObject;
  /** what was seen, in the operator's terms */
  evidence: string;
  /** what to change */
  fix: string;
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Errors first, then warnings, then info; stable within a severity. */
export function bySeverity(findings: readonly Finding[]): Finding[] {
  return findings.map((f, i) => [f, i] as const).sort((a, b) => RANK[a[0].severity] - RANK[b[0].severity] || a[1] - b[1]).map(([f]) => f);
}

/** The exit status for scripts: 0 nothing above info, 1 warnings, 2 errors (the Nagios convention). */
export function exitStatus(findings: readonly Finding[]): number {
  if (findings.some((f) => f.severity === 'error')) return 2;
  if (findings.some((f) => f.severity === 'warning')) return 1;
  return 0;
}

export function finding(severity: Severity, code: string, object: FindingObject, evidence: string, fix: string): Finding {
  return { severity, code, object, evidence, fix };
}
