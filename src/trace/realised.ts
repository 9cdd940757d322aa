// What a hop needs realised on a host, and whether the agents report it so: a port ACTIVE and
// bound on a host whose Linux bridge agent is alive (it reports a device up only after wiring
// it and programming its firewall), a router hosted by a live L3 agent, a floating IP ACTIVE.
import { L3_AGENT_TYPE, LINUXBRIDGE_AGENT_TYPE } from '../domain/agent-types.ts';
import type { FloatingIpM, PortM, Realised, RouterM, TraceModel } from './model.ts';

function l2Agent(model: TraceModel, host: string) {
  return model.agents.find((a) => a.host === host && a.agent_type === LINUXBRIDGE_AGENT_TYPE);
}

/** A port's wiring (and its firewall) on its host. */
export function portRealised(model: TraceModel, port: PortM, what = 'port'): Realised {
  const host = port.binding_host_id || null;
  if (!host) return { host, state: 'no', evidence: `${what} ${port.id} is bound to no host` };
  if (port.binding_vif_type === 'binding_failed') return { host, state: 'no', evidence: `${what} ${port.id}: binding failed on ${host}` };
  const agent = l2Agent(model, host);
  const agentText = agent ? `Linux bridge agent on ${host} ${agent.alive ? 'alive' : 'DEAD'}` : `no Linux bridge agent on ${host}`;
  const ok = port.status === 'ACTIVE' && !!agent?.alive;
  return { host, state: ok ? 'yes' : 'no', evidence: `${what} ${port.status}, bound on ${host} (vif ${port.binding_vif_type}); ${agentText}` };
}

/** The L3 agents hosting the router and whether one of them is alive. */
export function routerHosting(model: TraceModel, router: RouterM): { host: string | null; live: boolean; evidence: string } {
  const ids = model.l3_agents_by_router[router.id] ?? [];
  const agents = model.agents.filter((a) => ids.includes(a.id) && a.agent_type === L3_AGENT_TYPE);
  const live = agents.find((a) => a.alive && a.admin_state_up);
  if (live) return { host: live.host, live: true, evidence: `router ${router.name || router.id} hosted by the live L3 agent on ${live.host}` };
  if (agents.length) return { host: agents[0].host, live: false, evidence: `router ${router.name || router.id} hosted only by dead or disabled L3 agents (${agents.map((a) => a.host).join(', ')})` };
  return { host: null, live: false, evidence: `router ${router.name || router.id} is hosted by no L3 agent` };
}

/** A router port (qr-/qg-) in its namespace on the hosting agent's host. */
export function routerPortRealised(model: TraceModel, router: RouterM, port: PortM | undefined, dev: 'qr' | 'qg'): Realised {
  const h = routerHosting(model, router);
  if (!port) return { host: h.host, state: h.live ? 'unknown' : 'no', evidence: h.evidence };
  const name = `${dev}-${port.id.slice(0, 11)}`;
  const ok = h.live && port.status === 'ACTIVE';
  return { host: h.host, state: ok ? 'yes' : 'no', evidence: `${h.evidence}; ${name} ${port.status}` };
}

export function fipRealised(model: TraceModel, fip: FloatingIpM, router: RouterM | undefined): Realised {
  const h = router ? routerHosting(model, router) : { host: null, live: false, evidence: 'no router' };
  return {
    host: h.host, state: fip.status === 'ACTIVE' && h.live ? 'yes' : 'no',
    evidence: `floating IP ${fip.floating_ip_address} ${fip.status}; ${h.evidence}`,
  };
}

/** Both ends' L2 agents: they hold each other's FDB entries (l2population) for VXLAN. */
export function networkRealised(model: TraceModel, hosts: string[]): Realised {
  const unique = [...new Set(hosts.filter(Boolean))];
  if (!unique.length) return { host: null, state: 'unknown', evidence: 'no bound port on this path' };
  const parts = unique.map((h) => ({ h, a: l2Agent(model, h) }));
  const ok = parts.every((p) => p.a?.alive);
  const text = parts.map((p) => `${p.h}: Linux bridge agent ${p.a ? (p.a.alive ? 'alive' : 'DEAD') : 'missing'}`).join('; ');
  return {
    host: unique.length === 1 ? unique[0] : null, state: ok ? 'yes' : 'no',
    evidence: unique.length > 1 ? `bridges and VXLAN/FDB entries on ${unique.join(' and ')} (${text})` : `bridge on ${text}`,
  };
}

export const nothingToRealise = (host: string | null, evidence: string): Realised => ({ host, state: 'yes', evidence });
