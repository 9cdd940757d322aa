// Why a VM's boot failed, in one line: what the port is waiting for and on what, from the API
// (port status, agents, the network's DHCP agents) and from what the lab itself can see (its
// agent processes, their logs, dnsmasq's log). A port in DOWN waits for its host's Linux bridge
// agent; one in BUILD was plugged and waits for DHCP (the server's provisioning blocks).
import { open } from 'node:fs/promises';
import { dnsmasqFiles } from '../linux/dnsmasq.ts';
import { stateOf } from '../linux/proc.ts';
import { dhcpDir } from '../agents/dhcp/desired.ts';
import type { ApiClient } from './api-client.ts';
import type { LabRuntime } from './runtime.ts';
import type { LabAgentKind } from './seed-configs.ts';

interface AgentView { id: string; host: string; agent_type: string; alive: boolean; heartbeat_timestamp: string }

const LB_TYPE = 'Linux bridge agent';

/** The last `bytes` of a file (logs can be long; their end is what matters). */
async function tail(file: string, bytes = 64 * 1024): Promise<string> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return '';
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    return buf.toString('utf8');
  } finally { await fh.close(); }
}

/** The agent's last warning or error line (its JSON log), as "msg (error)". */
export async function lastProblem(logFile: string, about?: string): Promise<string | undefined> {
  const lines = (await tail(logFile)).split('\n').reverse();
  for (const l of lines) {
    if (!l.startsWith('{')) continue;
    try {
      const j = JSON.parse(l) as { level?: string; msg?: string; error?: string };
      if ((j.level === 'warning' || j.level === 'error') && (!about || `${j.msg} ${j.error ?? ''}`.includes(about))) {
        return `${j.msg ?? ''}${j.error ? ` (${j.error})` : ''}`.split('\n').filter((x) => x.trim()).join(' / ');
      }
    } catch { /* a partial line */ }
  }
  return undefined;
}

/**
 * dnsmasq's own words when it refused to start for a network: the last fatal line it wrote
 * ("dnsmasq: bad option at line 1 of …", on its stderr, which goes to its log; its logged lines
 * read "dnsmasq[pid]: …") after its last successful start; else the DHCP agent's report of it.
 */
export async function dnsmasqRefusal(rt: LabRuntime, host: string, networkId: string): Promise<string | undefined> {
  const lines = (await tail(dnsmasqFiles(dhcpDir(rt.lab.stateDir(host), networkId)).log, 16 * 1024)).split('\n');
  const started = lines.findLastIndex((l) => /started, version/.test(l));
  const after = lines.slice(started + 1);
  const fatal = after.findLast((l) => /^dnsmasq: /.test(l.trim())) ?? after.findLast((l) => /FAILED to start up/.test(l));
  if (fatal) return fatal.trim();
  const reported = await lastProblem(rt.agentLog(host, 'dhcp'), `DHCP for network ${networkId} failed: dnsmasq`);
  return reported && started < 0 ? reported : undefined;
}

/** One process the lab started: running, stopped (SIGSTOP), or gone. */
async function processNote(rt: LabRuntime, host: string, kind: LabAgentKind): Promise<{ gone: boolean; text: string } | undefined> {
  const p = await rt.agentProcess(host, kind);
  if (!p) return undefined;
  if (!p.running) return { gone: true, text: `its process (pid ${p.pid}) is gone` };
  const state = await stateOf(p.pid);
  return { gone: false, text: state === 'T' ? `its process (pid ${p.pid}) is stopped (SIGSTOP): kill -CONT ${p.pid}` : `its process (pid ${p.pid}) runs` };
}

const logHint = async (rt: LabRuntime, host: string, kind: LabAgentKind, about?: string) => {
  const last = await lastProblem(rt.agentLog(host, kind), about);
  return `${last ? `; its last problem: ${last}` : ''}; log ${rt.agentLog(host, kind)}`;
};

export interface TriageInput { portId: string; networkId: string; host: string; vm: string }

/**
 * What holds the port up, or undefined when nothing is known to (still wiring). `final`: the
 * wait is over, so "alive but has not done it yet" is a verdict too.
 */
export async function triagePort(rt: LabRuntime, api: ApiClient, t: TriageInput, final: boolean): Promise<string | undefined> {
  const port = (await api.req('GET', `/v2.0/ports/${t.portId}`)).port as { status: string };
  if (port.status === 'ACTIVE') return undefined;
  const tap = `tap${t.portId.slice(0, 11)}`;
  if (port.status !== 'BUILD') {
    // DOWN: the Linux bridge agent on the host has not reported the tap plugged
    const agents = (await api.req('GET', `/v2.0/agents?host=${encodeURIComponent(t.host)}`)).agents as AgentView[];
    const lb = agents.find((a) => a.agent_type === LB_TYPE);
    const proc = await processNote(rt, t.host, 'linuxbridge');
    const head = `port ${t.portId} of VM ${t.vm} is ${port.status}: waiting for the Linux bridge agent on host ${t.host} to plug ${tap}`;
    if (!lb) return `${head}, but no Linux bridge agent is registered on ${t.host} (muon up starts one)`;
    if (proc?.gone) return `${head}, but the agent is not running: ${proc.text} (the server counts it alive until agent_down_time passes)${await logHint(rt, t.host, 'linuxbridge')}; restart it: muon up`;
    if (!lb.alive) return `${head}, but the agent is dead: no heartbeat since ${lb.heartbeat_timestamp} UTC${proc ? `; ${proc.text}` : ''}${await logHint(rt, t.host, 'linuxbridge')}`;
    if (!final) return undefined;
    return `${head}: the agent is alive but has not plugged it${proc ? `; ${proc.text}` : ''}${await logHint(rt, t.host, 'linuxbridge')}`;
  }
  // BUILD: plugged; DHCP (dnsmasq has the port's host entry) is what is left
  const dhcp = (await api.req('GET', `/v2.0/networks/${t.networkId}/dhcp-agents`)).agents as AgentView[];
  const head = `port ${t.portId} of VM ${t.vm} is BUILD: plugged, waiting for DHCP on network ${t.networkId}`;
  if (!dhcp.length) return `${head}, but no DHCP agent hosts the network (start one, or: neutron dhcp-agent-network-add <agent> ${t.networkId})`;
  const why: string[] = [];
  for (const a of dhcp) {
    const proc = await processNote(rt, a.host, 'dhcp');
    const refusal = await dnsmasqRefusal(rt, a.host, t.networkId);
    if (refusal) why.push(`dnsmasq on ${a.host} refused to start: ${refusal} (fix the DHCP agent's dnsmasq options, e.g. [DEFAULT] dnsmasq_config_file)`);
    else if (proc?.gone) why.push(`the DHCP agent on ${a.host} is not running: ${proc.text}${await logHint(rt, a.host, 'dhcp')}; restart it: muon up`);
    else if (!a.alive) why.push(`the DHCP agent on ${a.host} is dead: no heartbeat since ${a.heartbeat_timestamp} UTC${proc ? `; ${proc.text}` : ''}`);
    else if (final) why.push(`the DHCP agent on ${a.host} is alive but has not reported the port served${proc ? `; ${proc.text}` : ''}${await logHint(rt, a.host, 'dhcp', t.networkId)}`);
  }
  // one working DHCP agent is enough: while any might still serve it, keep waiting
  if (!final && why.length < dhcp.length) return undefined;
  return why.length ? `${head}: ${why.join('; ')}` : undefined;
}
