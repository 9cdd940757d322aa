// `muon probe --network NET [--host HOST] [--to T[,T…]] [--from-outside T[,T…]] [--protocol icmp|tcp]
// [--port N] [--no-routers] [--keep] [--format json]` (root, in the lab): a probe plugged on the
// network checks each target on the wire and holds the result against trace (src/lab/probe.ts).
// Exit status as muon doctor's: 0 every check agrees with trace, 1 warnings, 2 a mismatch.
import { parseArgs, UsageError } from './args.ts';
import { LabRuntime } from '../lab/runtime.ts';
import { runProbe } from '../lab/probe.ts';
import { exitStatus } from '../doctor/finding.ts';
import { renderText } from '../doctor/render.ts';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const list = (v: string | true | undefined) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

export async function probeCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { value: ['lab-root', 'state-path', 'api-port', 'network', 'host', 'to', 'from-outside', 'protocol', 'port', 'format'], bool: ['no-routers', 'keep'] });
  if (!isRoot) throw new UsageError('muon probe needs root (it plugs a probe into the lab\'s namespaces)');
  const network = args.flags.get('network');
  if (typeof network !== 'string' || args.positional.length) throw new UsageError('usage: muon probe --network NET [--host HOST] [--to T,…] [--from-outside T,…] [--protocol icmp|tcp] [--port N] [--no-routers] [--keep] [--format json]');
  const format = (args.flags.get('format') as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format is text or json, not '${format}'`);
  const protocol = args.flags.get('protocol') as string | undefined;
  if (protocol !== undefined && protocol !== 'icmp' && protocol !== 'tcp') throw new UsageError(`--protocol is icmp or tcp, not '${protocol}'`);
  const portText = args.flags.get('port') as string | undefined;
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new UsageError(`--port is a port number from 1 to 65535, not '${portText}'`);
  const apiPort = args.flags.get('api-port');
  const rt = new LabRuntime({
    root: args.flags.get('lab-root') as string | undefined, statePath: args.flags.get('state-path') as string | undefined,
    apiPort: typeof apiPort === 'string' ? Number(apiPort) : undefined,
  });
  await rt.requireRunning();
  const host = (args.flags.get('host') as string | undefined) ?? 'compute';
  const t0 = performance.now();
  const r = await runProbe(rt, {
    network, host, targets: list(args.flags.get('to')), outsideTargets: list(args.flags.get('from-outside')),
    protocol: protocol as 'icmp' | 'tcp' | undefined, port, routers: !args.flags.has('no-routers'), keep: args.flags.has('keep'),
  });
  const ms = Math.round(performance.now() - t0);
  const status = exitStatus(r.findings);
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify({ ...r, exit_status: status, elapsed_ms: ms }, null, 2)}\n`);
  } else {
    const p = r.probe;
    const title = p ? `probe ${p.name} on network ${network}, host ${p.host}: ${p.ip_address} leased in ${p.lease_ms} ms (port ${p.port_id}); trace's prediction against the wire`
      : `probe on network ${network}, host ${host}`;
    process.stdout.write(renderText([{ title, findings: r.findings }], `muon probe took ${(ms / 1000).toFixed(1)} s; ${r.checks.filter((c) => c.agree).length} of ${r.checks.length} checks agree with trace; exit status ${status}`));
  }
  return status;
}
