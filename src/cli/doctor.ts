// `muon doctor [--config-file FILE …] [--nova-config nova.conf] [--server URL] [--format json]`:
// this host (tools, kernel features), its config files cross-checked with each other, the host
// and the server's agents, and with --server the deployment's findings (GET /v2.0/muon/doctor).
// Exit status: 0 nothing above info, 1 warnings, 2 errors.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs, UsageError } from './args.ts';
import { serverClient } from './server-client.ts';
import { gatherHostFacts } from '../linux/host-facts.ts';
import { checkConfig, type ServerAgent } from '../doctor/config-checks.ts';
import { checkHost, type AgentKind } from '../doctor/host-checks.ts';
import { exitStatus, finding, type Finding } from '../doctor/finding.ts';
import { renderText, type FindingGroup } from '../doctor/render.ts';
import type { ConfigSource } from '../config/load.ts';

const KINDS: AgentKind[] = ['linuxbridge', 'dhcp', 'l3', 'metadata'];

export async function doctorCommand(argv: string[]): Promise<number> {
  const t0 = performance.now();
  const args = parseArgs(argv, { value: ['nova-config', 'server', 'format', 'agents', 'openrc'], bool: ['no-host'] });
  if (args.positional.length) throw new UsageError(`muon doctor takes no arguments (got ${args.positional.join(' ')})`);
  const format = (args.flags.get('format') as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format is text or json, not '${format}'`);
  const agentsFlag = args.flags.get('agents') as string | undefined;
  const agentsOverride = agentsFlag?.split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of agentsOverride ?? []) if (!KINDS.includes(a as AgentKind)) throw new UsageError(`--agents: unknown agent '${a}' (${KINDS.join(', ')})`);

  const configFindings: Finding[] = [];
  const read = (file: string): ConfigSource | undefined => {
    try {
      return { file, text: readFileSync(file, 'utf8') };
    } catch (e) {
      configFindings.push(finding('error', 'config-unreadable', { type: 'config', id: file }, `${file} cannot be read: ${(e as Error).message}`, 'give the right path to --config-file'));
      return undefined;
    }
  };
  const sources = args.configFiles.map(read).filter((s) => s !== undefined);
  const novaFile = args.flags.get('nova-config') as string | undefined;
  const nova = novaFile ? read(novaFile) : undefined;

  const server = args.flags.get('server') as string | undefined;
  const lookAtHost = !args.flags.has('no-host');
  const [facts, remote] = await Promise.all([
    lookAtHost ? gatherHostFacts() : undefined,
    server ? askServer(server, args.flags.get('openrc') as string | undefined) : undefined,
  ]);

  const cfg = checkConfig({
    sources, nova, agents: agentsOverride && new Set(agentsOverride as AgentKind[]), interfaces: facts?.interfaces, serverAgents: remote?.agents,
    readFile: (p) => { try { return readFileSync(p, 'utf8'); } catch (e) { return e as Error; } },
  });
  configFindings.push(...cfg.findings);
  const agents = cfg.agents;
  const host = cfg.config?.host ?? hostname();
  const hostFindings = facts ? checkHost(facts, {
    agents, host,
    vxlan: cfg.config ? cfg.config.vxlan.enableVxlan && !!cfg.config.vxlan.localIp : true,
    securityGroups: cfg.config?.securityGroup.enableSecurityGroup ?? true,
  }) : [];

  const groups: FindingGroup[] = [];
  if (facts) groups.push({ title: `host ${host} (kernel ${facts.kernelRelease}; agents checked for: ${[...agents].join(', ') || 'none — give the agents\' --config-file or --agents'})`, findings: hostFindings });
  groups.push({ title: `config files (${sources.length ? sources.map((s) => s.file).join(', ') : 'none given'}${nova ? `; ${nova.file}` : ''})`, findings: configFindings });
  if (server) groups.push({ title: `deployment as ${server} sees it`, findings: remote?.findings ?? [] });
  const all = groups.flatMap((g) => g.findings);
  const ms = Math.round(performance.now() - t0);
  const status = exitStatus(all);
  if (format === 'json') {
    const area = (g: FindingGroup) => (g.title.startsWith('host') ? 'host' : g.title.startsWith('config') ? 'config' : 'deployment');
    const count = (s: string) => all.filter((f) => f.severity === s).length;
    process.stdout.write(`${JSON.stringify({
      host, findings: groups.flatMap((g) => g.findings.map((f) => ({ area: area(g), ...f }))),
      summary: { error: count('error'), warning: count('warning'), info: count('info') }, exit_status: status, elapsed_ms: ms,
    }, null, 2)}\n`);
  } else {
    process.stdout.write(renderText(groups, `muon doctor took ${(ms / 1000).toFixed(1)} s; exit status ${status}`));
  }
  return status;
}

// Credentials as the stock clients take them: OS_* in the environment (source admin-openrc.sh),
// or --openrc FILE; none: noauth admin headers (a server with auth_strategy = noauth).
async function askServer(url: string, openrc: string | undefined): Promise<{ agents?: ServerAgent[]; findings: Finding[] }> {
  const { client, credentials } = await serverClient(url, openrc);
  const server = { type: 'server', id: url };
  try {
    const [agents, doctor] = await Promise.all([
      client.req<{ agents: ServerAgent[] }>('GET', '/v2.0/agents'),
      client.req<{ findings: Finding[] }>('GET', '/v2.0/muon/doctor'),
    ]);
    return { agents: agents.agents, findings: doctor.findings };
  } catch (e) {
    const msg = (e as Error).message;
    const forbidden = /\b403\b/.test(msg);
    return { findings: [finding('error', forbidden ? 'server-forbidden' : 'server-unreachable', server, `asking ${url}: ${msg}`,
      forbidden ? 'use admin credentials (source admin-openrc.sh, or --openrc FILE)' : `check that muon server runs and listens at ${url}${credentials ? '' : ' (no OS_AUTH_URL set: sent noauth headers; source an openrc for Keystone or the built-in identity)'}`)] };
  }
}
