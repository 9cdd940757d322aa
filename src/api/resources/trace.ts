// POST /v2.0/muon/trace (admin only, like /v2.0/muon/doctor): a flow from a port or an address
// to a port or an address, evaluated over the model (src/trace), for `muon trace` and the page.
import type { Deps } from '../../services/deps.ts';
import type { RequestContext } from '../../domain/policy/context.ts';
import { HTTPMethodNotAllowed, PolicyNotAuthorized } from '../../errors/catalog.ts';
import { parseTraceRequest } from '../../trace/request.ts';
import { traceFlow } from '../../services/trace.ts';

export async function handleTrace(deps: Deps, ctx: RequestContext, method: string, body: () => Promise<unknown>): Promise<{ status: number; body: unknown }> {
  if (method !== 'POST') throw HTTPMethodNotAllowed();
  // every project's ports, groups and the agents: what only an admin may see
  if (!ctx.isAdmin) throw PolicyNotAuthorized('create_muon_trace');
  return { status: 200, body: { trace: await traceFlow(deps, parseTraceRequest(await body())) } };
}
