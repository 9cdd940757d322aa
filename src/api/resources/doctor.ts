// GET /v2.0/muon/doctor (admin only): the deployment's findings as the server sees them,
// for `muon doctor --server` and the status page. Muon's own path: no Neutron extension has it.
import type { SubRoute } from '../app.ts';
import { HTTPMethodNotAllowed, HTTPNotFound, PolicyNotAuthorized } from '../../errors/catalog.ts';
import { deploymentFindings } from '../../services/doctor.ts';
import { bySeverity } from '../../doctor/finding.ts';
import { handleTrace } from './trace.ts';

export const muonRoute: SubRoute = {
  async handle(deps, ctx, method, parts, _url, body) {
    if (parts.length === 2 && parts[1] === 'trace') return handleTrace(deps, ctx, method, body);
    if (parts.length !== 2 || parts[1] !== 'doctor') throw HTTPNotFound();
    if (method !== 'GET') throw HTTPMethodNotAllowed();
    // agents, bindings and other projects' objects: what only an admin may see
    if (!ctx.isAdmin) throw PolicyNotAuthorized('get_muon_doctor');
    const findings = bySeverity(await deploymentFindings(deps));
    const count = (s: string) => findings.filter((f) => f.severity === s).length;
    return { status: 200, body: { findings, summary: { error: count('error'), warning: count('warning'), info: count('info') }, checked_at: new Date().toISOString() } };
  },
};
