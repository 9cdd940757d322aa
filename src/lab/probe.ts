// `muon probe`: the operator's manual checks, done for real in the lab's data plane and held
// against what trace predicts. A probe is plugged as a VM is (`muon vm boot`: a port bound to
// the host, a namespace with a tap, a DHCP lease), then pings (or connects over TCP to) each
// target from its namespace; the routers on its network ping it from their qrouter namespace
// (qr side) and ping the external gateway (qg side), as the seed's operator did by hand; and
// the lab's upstream machine, from the internet address, reaches the targets given as seen
// from outside. Each check asks POST /v2.0/muon/trace for the same flow; each disagreement is
// a finding. The probe is deleted afterwards (unless kept).
import { randomBytes } from 'node:crypto';
import { bootVm, deleteVm, listVms, type VmRecord } from './vm.ts';
import type { LabRuntime } from './runtime.ts';
import type { ApiClient } from './api-client.ts';
import { ping, tcpConnect, type ReachResult } from '../linux/reach.ts';
import type { Place } from '../linux/exec.ts';
import { finding, type Finding, type FindingObject } from '../doctor/finding.ts';
import type { EndpointSpec, TraceResult } from '../trace/model.ts';
import { verdict, type CheckOutcome } from './probe-verdicts.ts';
import { SEED_GATEWAY, SEED_INTERNET } from './topology.ts';
import { parseIp } from '../domain/ip/address.ts';

export interface ProbeOptions {
  network: string;
  host: string;
  /** from the probe: addresses, lab VM names or port ids (default: its gateway, upstream, the internet, the lab's VMs) */
  targets?: string[];
  /** from outside (upstream, as 203.0.113.1): addresses, or lab VMs (reached at their floating IP) */
  outsideTargets?: string[];
  protocol?: 'icmp' | 'tcp';
  port?: number;
  /** the routers' qr/qg checks (default true) */
  routers?: boolean;
  keep?: boolean;
}

export interface ProbeCheckReport extends CheckOutcome { predicted_reachable: boolean | null; agree: boolean }

export interface ProbeReport {
  probe?: { name: string; port_id: string; network_id: string; host: string; ip_address?: string; lease_ms: number };
  checks: ProbeCheckReport[];
  findings: Finding[];
}

interface Check {
  label: string;
  object: FindingObject;
  place: Place;
  address: string;
  source?: string;
  protocol: 'icmp' | 'tcp';
  port?: number;
  trace: { source: EndpointSpec; destination: EndpointSpec };
}

export async function runProbe(rt: LabRuntime, o: ProbeOptions): Promise<ProbeReport> {
  const api = await rt.api();
  const name = `probe-${randomBytes(2).toString('hex')}`;
  const report: ProbeReport = { checks: [], findings: [] };
  let vm: VmRecord;
  try {
    const booted = await bootVm(rt, { name, network: o.network, host: o.host, timeoutMs: 20_000 });
    vm = booted.vm;
    report.probe = { name, port_id: vm.port_id, network_id: vm.network_id, host: vm.host, ip_address: vm.ip_address, lease_ms: booted.timings.lease_ms };
  } catch (e) {
    // bootVm leaves its port and namespace when the lease fails: the probe removes them
    await deleteVm(rt, name).catch(() => {});
    report.findings.push(finding('error', 'probe-boot-failed', { type: 'network', id: o.network },
      `a probe on network ${o.network} (host ${o.host}) could not be plugged or got no DHCP lease: ${(e as Error).message}`,
      'muon doctor --server … names the cause (the DHCP agent, the L2 agent of the host, DHCP disabled on the subnet)'));
    return report;
  }
  try {
    const protocol = o.port !== undefined ? 'tcp' : o.protocol ?? 'icmp';
    const checks: Check[] = [];
    const probePlace = rt.lab.place(vm.host, vm.netns);
    const me = `${name} (${vm.ip_address})`;
    for (const t of o.targets ?? await defaultTargets(api, rt, vm)) {
      const end = await resolveTarget(api, rt, t, false);
      checks.push({ label: `${me} → ${t}${t !== end.address ? ` (${end.address})` : ''}`, object: end.object, place: probePlace, address: end.address, protocol, port: o.port,
        trace: { source: { port_id: vm.port_id }, destination: end.spec } });
    }
    if (o.routers !== false) checks.push(...await routerChecks(api, rt, vm, report.findings));
    for (const t of o.outsideTargets ?? []) {
      const end = await resolveTarget(api, rt, t, true);
      checks.push({ label: `outside ${SEED_INTERNET} → ${t}${t !== end.address ? ` (${end.address})` : ''}`, object: end.object, place: rt.lab.place('upstream'), address: end.address,
        source: SEED_INTERNET, protocol, port: o.port, trace: { source: { ip_address: SEED_INTERNET }, destination: end.spec } });
    }
    for (const c of checks) {
      const [predicted, observed] = await Promise.all([askTrace(api, c), onTheWire(c)]);
      const outcome: CheckOutcome = { label: c.label, protocol: c.protocol, port: c.port, object: c.object, predicted, observed: { reached: observed.reached, detail: observed.detail } };
      const f = verdict(outcome);
      report.findings.push(f);
      report.checks.push({ ...outcome, predicted_reachable: 'error' in predicted ? null : predicted.reachable, agree: f.code === 'probe-agrees' });
    }
    return report;
  } finally {
    if (!o.keep) await deleteVm(rt, name);
  }
}

function onTheWire(c: Check): Promise<ReachResult> {
  return c.protocol === 'tcp' ? tcpConnect(c.place, c.address, c.port ?? 22, { source: c.source }) : ping(c.place, c.address, { source: c.source });
}

async function askTrace(api: ApiClient, c: Check): Promise<TraceResult | { error: string }> {
  try {
    return (await api.req<{ trace: TraceResult }>('POST', '/v2.0/muon/trace', {
      trace: { ...c.trace, protocol: c.protocol, ...(c.protocol === 'tcp' && c.port ? { destination_port: c.port } : {}) },
    })).trace;
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** A target as the wire reaches it (an address) and as trace names it. */
async function resolveTarget(api: ApiClient, rt: LabRuntime, t: string, fromOutside: boolean): Promise<{ address: string; spec: EndpointSpec; object: FindingObject }> {
  if (parseIp(t)) return { address: t, spec: { ip_address: t }, object: { type: 'address', id: t } };
  const vm = (await listVms(rt)).find((v) => v.name === t);
  const portId = vm?.port_id ?? (/^[0-9a-f-]{36}$/.test(t) ? t : undefined);
  if (!portId) throw new Error(`target '${t}' is no address, lab VM or port id`);
  const port = (await api.req<{ port: { id: string; name: string; fixed_ips: { ip_address: string }[] } }>('GET', `/v2.0/ports/${portId}`)).port;
  const object = { type: 'port', id: port.id, ...(port.name ? { name: port.name } : {}) };
  let address = vm?.ip_address ?? port.fixed_ips[0]?.ip_address;
  if (fromOutside) {
    // from outside a VM is reached at its floating IP, when it has one
    const fip = (await api.req<{ floatingips: { floating_ip_address: string }[] }>('GET', `/v2.0/floatingips?port_id=${port.id}`)).floatingips[0];
    if (fip) address = fip.floating_ip_address;
  }
  if (!address) throw new Error(`target '${t}' has no address`);
  return { address, spec: { port_id: port.id }, object };
}

/** The probe's gateway, the lab's upstream and internet addresses, the lab's other VMs. */
async function defaultTargets(api: ApiClient, rt: LabRuntime, vm: VmRecord): Promise<string[]> {
  const port = (await api.req<{ port: { fixed_ips: { subnet_id: string }[] } }>('GET', `/v2.0/ports/${vm.port_id}`)).port;
  const subnet = port.fixed_ips[0] && (await api.req<{ subnet: { gateway_ip: string | null } }>('GET', `/v2.0/subnets/${port.fixed_ips[0].subnet_id}`)).subnet;
  const others = (await listVms(rt)).filter((v) => v.name !== vm.name && v.ip_address && !v.name.startsWith('probe-')).map((v) => v.name);
  return [...(subnet?.gateway_ip ? [subnet.gateway_ip] : []), SEED_GATEWAY, SEED_INTERNET, ...others];
}

/** Per router on the probe's network: its namespace pings the probe (qr) and the external gateway (qg). */
async function routerChecks(api: ApiClient, rt: LabRuntime, vm: VmRecord, findings: Finding[]): Promise<Check[]> {
  const out: Check[] = [];
  const qrs = (await api.req<{ ports: { id: string; device_id: string; fixed_ips: { ip_address: string }[] }[] }>('GET',
    `/v2.0/ports?network_id=${vm.network_id}&device_owner=network:router_interface`)).ports;
  for (const qr of qrs) {
    const router = (await api.req<{ router: { id: string; name: string; external_gateway_info: { network_id: string; external_fixed_ips: { subnet_id: string; ip_address: string }[] } | null } }>('GET', `/v2.0/routers/${qr.device_id}`)).router;
    const obj = { type: 'router', id: router.id, ...(router.name ? { name: router.name } : {}) };
    const agents = (await api.req<{ agents: { host: string; alive: boolean }[] }>('GET', `/v2.0/routers/${router.id}/l3-agents`)).agents;
    const host = agents.find((a) => a.alive)?.host;
    if (!host || !rt.lab.hosts.includes(host)) {
      findings.push(finding('warning', 'probe-router-not-hosted', obj, `router ${router.name || router.id} is hosted by no live L3 agent of the lab (${agents.map((a) => a.host).join(', ') || 'none'}): its namespace cannot be probed`,
        'start the L3 agent (muon up starts it on the controller) or schedule the router: neutron l3-agent-router-add <agent> <router>'));
      continue;
    }
    const place = rt.lab.place(host, `qrouter-${router.id}`);
    const ns = `qrouter-${router.id.slice(0, 8)}… on ${host}`;
    out.push({ label: `${ns} (qr ${qr.fixed_ips[0]?.ip_address}) → ${vm.name} (${vm.ip_address})`, object: obj, place, address: vm.ip_address!, protocol: 'icmp',
      trace: { source: { port_id: qr.id }, destination: { port_id: vm.port_id } } });
    const gw = router.external_gateway_info?.external_fixed_ips.find((f) => parseIp(f.ip_address)?.version === 4);
    if (!gw) continue;
    const extSubnet = (await api.req<{ subnet: { gateway_ip: string | null } }>('GET', `/v2.0/subnets/${gw.subnet_id}`)).subnet;
    const gwPort = (await api.req<{ ports: { id: string }[] }>('GET', `/v2.0/ports?device_id=${router.id}&device_owner=network:router_gateway`)).ports[0];
    if (!extSubnet.gateway_ip || !gwPort) continue;
    out.push({ label: `${ns} (qg ${gw.ip_address}) → external gateway ${extSubnet.gateway_ip}`, object: obj, place, address: extSubnet.gateway_ip, protocol: 'icmp',
      trace: { source: { port_id: gwPort.id }, destination: { ip_address: extSubnet.gateway_ip } } });
  }
  return out;
}
