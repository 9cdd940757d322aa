// ML2 port binding with the linuxbridge mechanism driver (AgentMechanismDriverBase): pure.
// A port binds to the first segment of its network that the live Linux bridge agent on the
// requested host can serve. When none can, the answer says exactly why — the seed's
// "Failed to bind port … on host controller" with no reason is what this replaces.


export interface BindingSegment {
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
}

export interface BindingAgent {
  host: string;
  alive: boolean;
  admin_state_up: boolean;
  heartbeat_timestamp: string;
  configurations: {
    interface_mappings?: Record<string, string>;
    bridge_mappings?: Record<string, string>;
    tunnel_types?: string[];
    tunneling_ip?: string | null;
    /** what the agent found wrong with its own host (src/agents/host-check.ts): doctor's findings */
    host_problems?: readonly HostProblem[];
  };
}

/** The part of a doctor finding binding reads: its stable code, its object, and the words. */
export interface HostProblem {
  code: string;
  object: { id: string; name?: string };
  evidence: string;
  fix: string;
}

export interface BindingRequest {
  host: string;
  vnic_type: string;
  segments: readonly BindingSegment[];
  /** the Linux bridge agent registered for `host`, if any */
  agent: BindingAgent | undefined;
  /** hosts of every registered Linux bridge agent (for near-miss suggestions) */
  knownHosts: readonly string[];
  /** [securitygroup] enable_security_group: vif_details.port_filter */
  portFilter: boolean;
  agentDownTime: number;
}

export type BindingResult =
  | { bound: true; segment: BindingSegment; vif_type: 'bridge'; vif_details: Record<string, unknown> }
  | { bound: false; vif_type: 'binding_failed'; reason: string };

const SUPPORTED_VNIC = new Set(['normal']);

export function bindPort(req: BindingRequest): BindingResult {
  const fail = (reason: string): BindingResult => ({ bound: false, vif_type: 'binding_failed', reason });
  if (!SUPPORTED_VNIC.has(req.vnic_type)) {
    return fail(`vnic_type '${req.vnic_type}' is not supported by the linuxbridge mechanism driver (only 'normal')`);
  }
  const a = req.agent;
  if (!a) {
    const near = nearMisses(req.host, req.knownHosts);
    const known = req.knownHosts.length ? `Linux bridge agents are registered on: ${[...req.knownHosts].sort().join(', ')}` : 'no Linux bridge agent is registered at all';
    return fail(`no Linux bridge agent on host '${req.host}' (${known})${near.length ? `; did you mean ${near.map((h) => `'${h}'`).join(' or ')}? binding:host_id must equal the agent's [DEFAULT] host` : ''}`);
  }
  if (!a.alive) {
    return fail(`the Linux bridge agent on host '${req.host}' is dead: no heartbeat since ${a.heartbeat_timestamp} (agent_down_time ${req.agentDownTime} s); start it or check that it reaches the server`);
  }
  if (req.segments.length === 0) return fail('the network has no segments');
  const reasons: string[] = [];
  for (const s of req.segments) {
    const why = cannotServe(s, a);
    if (!why) {
      return {
        bound: true, segment: s, vif_type: 'bridge',
        vif_details: { port_filter: req.portFilter, connectivity: 'l2' },
      };
    }
    reasons.push(why);
  }
  return fail(reasons.join('; '));
}

/** Why `agent` cannot serve `segment` (undefined when it can). */
export function cannotServe(s: BindingSegment, a: BindingAgent): string | undefined {
  const c = a.configurations;
  const mapped = { ...(c.bridge_mappings ?? {}), ...(c.interface_mappings ?? {}) };
  const physnets = Object.keys(mapped).sort();
  switch (s.network_type) {
    case 'local':
      return undefined;
    case 'flat':
    case 'vlan': {
      if (s.physical_network && Object.hasOwn(mapped, s.physical_network)) {
        const p = s.physical_network;
        const missing = reportedProblem(a, (x) => (x.code === 'mapping-interface-missing' || x.code === 'mapping-bridge-missing') && x.object.name?.startsWith(`${p}:`) === true);
        if (missing) return missing;
        if (s.network_type === 'vlan') return `${s.network_type} segment on physical network '${s.physical_network}': VLAN devices are not available on host '${a.host}'`;
        return undefined;
      }
      return `physical network '${s.physical_network}' is not mapped on host '${a.host}' (physical_interface_mappings/bridge_mappings have ${physnets.length ? physnets.map((p) => `'${p}'`).join(', ') : 'nothing'}); add ${s.physical_network}:<interface> to [linux_bridge] physical_interface_mappings there`;
    }
    case 'vxlan': {
      const types = c.tunnel_types ?? [];
      if (!types.includes('vxlan')) return `network type 'vxlan' is not supported on host '${a.host}': its agent reports no VXLAN tunnel (set [vxlan] enable_vxlan = true and local_ip)`;
      if (!c.tunneling_ip) return `network type 'vxlan' is not supported on host '${a.host}': its agent has no [vxlan] local_ip`;
      return reportedProblem(a, (x) => VXLAN_BLOCKERS.has(x.code));
    }
    default:
      return `network type '${s.network_type}' is not supported by the Linux bridge agent on host '${a.host}'`;
  }
}

// what the agent's own host check finds that makes VXLAN segments unrealisable there
const VXLAN_BLOCKERS = new Set(['local-ip-not-assigned', 'kernel-no-vxlan', 'kernel-too-old-for-vxlan']);

function reportedProblem(a: BindingAgent, match: (p: HostProblem) => boolean): string | undefined {
  // agents report it; one that sends something else is ignored, not trusted to have a shape
  const list = Array.isArray(a.configurations.host_problems) ? a.configurations.host_problems : [];
  const p = list.find((x) => typeof x?.code === 'string' && typeof x.object === 'object' && x.object !== null && match(x));
  return p && `the Linux bridge agent on host '${a.host}' reports: ${p.evidence}; fix: ${p.fix}`;
}

/** Hosts that look like a typo or a short-name/FQDN mismatch of `host`. */
export function nearMisses(host: string, known: readonly string[]): string[] {
  const h = host.toLowerCase();
  const short = (x: string) => x.split('.')[0];
  return known.filter((k) => {
    const l = k.toLowerCase();
    if (l === h) return true; // differs only in case
    if (short(l) === short(h)) return true; // controller vs controller.example.org
    return editDistance(l, h) <= Math.max(1, Math.floor(Math.min(l.length, h.length) / 4));
  }).sort();
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** Agent liveness: a heartbeat within agent_down_time seconds (timestamps ISO-8601 UTC). */
export function isAlive(heartbeatIso: string, nowMs: number, agentDownTime: number): boolean {
  const t = Date.parse(heartbeatIso);
  return Number.isFinite(t) && nowMs - t < agentDownTime * 1000;
}
