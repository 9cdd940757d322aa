// `muon up`, `muon down`, `muon status`, `muon vm …`: the all-in-one lab (src/lab/).
import { parseArgs, UsageError } from './args.ts';
import { LabRuntime } from '../lab/runtime.ts';
import { bootVm, deleteVm, execInVmInteractive, listVms } from '../lab/vm.ts';
import { serverCommand } from './server.ts';
import { interactive } from '../linux/exec.ts';
import { AGENT_IDENTITIES } from '../domain/agent-types.ts';

const AGENT_KIND_OF_TYPE: Record<string, string> = Object.fromEntries(Object.entries(AGENT_IDENTITIES).map(([k, v]) => [v.agent_type, k]));

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const out = (s: string) => process.stdout.write(`${s}\n`);

function runtime(flags: Map<string, string | true>): LabRuntime {
  const port = flags.get('api-port');
  return new LabRuntime({
    // only `muon up` takes it: down, status, vm (and up again) find what the lab was started as
    machines: flags.has('two-machines') ? 'two' : undefined,
    root: typeof flags.get('lab-root') === 'string' ? String(flags.get('lab-root')) : undefined,
    statePath: typeof flags.get('state-path') === 'string' ? String(flags.get('state-path')) : undefined,
    apiPort: typeof port === 'string' ? Number(port) : undefined,
    say: out,
  });
}

const COMMON = ['lab-root', 'state-path', 'api-port'];

export async function upCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { value: COMMON, bool: ['no-networks', 'no-router', 'two-machines'] });
  if (!isRoot) {
    process.stderr.write([
      'muon up builds the lab (the seed\'s controller and compute machines in network namespaces,',
      'with bridges, VXLAN, dnsmasq and nftables) and that needs root: run `sudo bin/muon up`.',
      'Serving the Networking API alone instead (no agents, no data plane):',
      '',
    ].join('\n'));
    return serverCommand(args.configFiles.flatMap((f) => ['--config-file', f]));
  }
  const rt = runtime(args.flags);
  const r = await rt.up({ networks: !args.flags.has('no-networks'), router: !args.flags.has('no-router') });
  out(`lab up in ${r.ms} ms. API: ${rt.apiUrl}  credentials: source ${rt.statePath}/admin-openrc.sh`);
  for (const [n, id] of Object.entries(r.networks)) out(`  ${n === 'router' ? 'router' : 'network'} ${n}: ${id}`);
  out('next: muon vm boot vm1 --network private --host compute; muon vm boot vm2 --network private --host controller; muon vm exec vm1 -- ping -c 3 <vm2 ip> (README: floating IPs, metadata, the seed\'s checks)');
  return 0;
}

export async function downCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { value: COMMON, bool: [] });
  const rt = runtime(args.flags);
  const r = await rt.down();
  out(`lab down in ${r.ms} ms: ${r.killed} processes ended${r.vmsDeleted.length ? `, VMs deleted: ${r.vmsDeleted.join(', ')}` : ''}`);
  return 0;
}

export async function statusCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { value: COMMON, bool: ['json'] });
  const rt = runtime(args.flags);
  const s = await rt.status();
  if (args.flags.has('json')) { out(JSON.stringify(s, null, 2)); return 0; }
  out(`lab ${s.lab.root}: ${s.lab.up ? 'up' : 'down'}; server ${s.server ? `running (pid ${s.server}) on ${rt.apiUrl}` : 'not running'}`);
  for (const h of s.lab.hosts) {
    if (!h.exists) { out(`  ${h.name}: absent`); continue; }
    const addrs = h.links.filter((l) => l.addresses.some((a) => !a.startsWith('fe80'))).map((l) => `${l.name} ${l.addresses.filter((a) => !a.startsWith('fe80')).join(',')}`);
    out(`  ${h.name}: ${addrs.join('; ') || 'no addresses'}${h.netns.length ? `; namespaces: ${h.netns.join(', ')}` : ''}; ${h.processes.length} processes`);
  }
  for (const a of s.agents as { agent_type: string; host: string; alive: boolean; heartbeat_timestamp: string; configurations?: { host_problems?: unknown } }[]) {
    const silent = Math.round((Date.now() - Date.parse(`${a.heartbeat_timestamp.replace(' ', 'T')}Z`)) / 1000);
    const problems = Array.isArray(a.configurations?.host_problems) ? a.configurations.host_problems as { severity?: string; code?: string; evidence?: string; fix?: string }[] : [];
    out(`  agent ${a.agent_type} on ${a.host}: ${a.alive ? 'alive' : `DEAD: no heartbeat for ${silent} s (last seen ${a.heartbeat_timestamp} UTC); see ${rt.agentLog(a.host, AGENT_KIND_OF_TYPE[a.agent_type] ?? 'linuxbridge')}`}${problems.length ? `; its host check found ${problems.length} problem${problems.length > 1 ? 's' : ''}:` : ''}`);
    // what the agent found wrong with its host (its own check), with the fix
    for (const p of problems) out(`    ${p.severity ?? 'error'} ${p.code ?? ''}: ${p.evidence ?? ''}${p.fix ? ` -- fix: ${p.fix}` : ''}`);
  }
  for (const v of s.vms) out(`  vm ${v.name} on ${v.host}: ${v.ip_address ?? 'no address'} (port ${v.port_id})`);
  return 0;
}

export async function vmCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!isRoot && sub !== undefined) throw new UsageError('muon vm needs root (it creates namespaces in the lab)');
  switch (sub) {
    case 'boot': {
      const args = parseArgs(rest, { value: [...COMMON, 'network', 'host', 'security-group', 'fixed-ip'], bool: ['no-port-security'] });
      const name = args.positional[0];
      if (!name || args.positional.length > 1) throw new UsageError('usage: muon vm boot NAME --network NET --host HOST [--security-group SG[,SG]] [--fixed-ip IP] [--no-port-security]');
      const network = args.flags.get('network');
      const host = args.flags.get('host');
      if (typeof network !== 'string' || typeof host !== 'string') throw new UsageError('muon vm boot needs --network and --host');
      const sg = args.flags.get('security-group');
      const rt = runtime(args.flags);
      const r = await bootVm(rt, {
        name, network, host, securityGroups: typeof sg === 'string' ? sg.split(',') : undefined,
        portSecurity: args.flags.has('no-port-security') ? false : undefined,
        fixedIp: typeof args.flags.get('fixed-ip') === 'string' ? String(args.flags.get('fixed-ip')) : undefined,
      });
      out(`${r.vm.name} on ${r.vm.host}: ${r.vm.ip_address} mtu ${r.vm.mtu} (port ${r.vm.port_id}); ${r.timings.total_ms} ms (port ${r.timings.port_ms}, plug ${r.timings.plug_ms}, ACTIVE ${r.timings.active_ms}, lease ${r.timings.lease_ms})`);
      return 0;
    }
    case 'list': {
      const args = parseArgs(rest, { value: COMMON, bool: [] });
      for (const v of await listVms(runtime(args.flags))) out(`${v.name}\t${v.host}\t${v.ip_address ?? '-'}\t${v.port_id}`);
      return 0;
    }
    case 'exec': {
      const dash = rest.indexOf('--');
      if (dash < 1 || dash === rest.length - 1) throw new UsageError('usage: muon vm exec NAME -- COMMAND [ARG ...]');
      const args = parseArgs(rest.slice(0, dash), { value: COMMON, bool: [] });
      return execInVmInteractive(runtime(args.flags), args.positional[0], rest.slice(dash + 1));
    }
    case 'delete': {
      const args = parseArgs(rest, { value: COMMON, bool: [] });
      if (args.positional.length === 0) throw new UsageError('usage: muon vm delete NAME [NAME ...]');
      const rt = runtime(args.flags);
      for (const n of args.positional) { await deleteVm(rt, n); out(`deleted ${n}`); }
      return 0;
    }
    default:
      throw new UsageError('usage: muon vm boot|list|exec|delete …');
  }
}

/** `muon lab exec HOST -- CMD …`: the operator's hands on an emulated machine. */
export async function labCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'exec') throw new UsageError('usage: muon lab exec HOST -- COMMAND [ARG ...]');
  if (!isRoot) throw new UsageError('muon lab exec needs root (it enters the lab\'s namespaces)');
  const dash = rest.indexOf('--');
  if (dash < 1 || dash === rest.length - 1) throw new UsageError('usage: muon lab exec HOST -- COMMAND [ARG ...]');
  const args = parseArgs(rest.slice(0, dash), { value: COMMON, bool: [] });
  const rt = runtime(args.flags);
  const host = args.positional[0];
  if (!rt.lab.hosts.includes(host) || host === 'fabric') throw new UsageError(`unknown lab machine '${host}'; machines: ${rt.lab.hosts.filter((h) => h !== 'fabric').join(', ')}`);
  await rt.requireRunning();
  return interactive(rest.slice(dash + 1), { place: rt.lab.place(host) });
}
