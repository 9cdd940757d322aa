// `muon trace --from <vm|port id|ip> --to <vm|port id|ip> [--protocol icmp|tcp|udp|any] [--port N]
// [--server URL] [--openrc FILE] [--format json]`: asks the server (POST /v2.0/muon/trace) whether
// the flow is reachable over the model, and prints one line per hop. A lab VM name resolves to
// its port (the lab's VM registry), any other name to the port of that name.
// Exit status: 0 reachable, 1 blocked, 2 could not evaluate.
import { parseArgs, UsageError } from './args.ts';
import { serverClient } from './server-client.ts';
import { ApiError, type ApiClient } from '../lab/api-client.ts';
import { LabRuntime } from '../lab/runtime.ts';
import { listVms } from '../lab/vm.ts';
import { parseIp } from '../domain/ip/address.ts';
import { renderTrace } from '../trace/render.ts';
import type { EndpointSpec, TraceResult } from '../trace/model.ts';
import { UserError } from '../errors/user-error.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const DEFAULT_SERVER = 'http://127.0.0.1:9696';

/** A name on the command line as the API's endpoint: an address, a port id, a lab VM, a port's name. */
export async function resolveEnd(client: ApiClient, text: string, labRoot: string | undefined): Promise<EndpointSpec> {
  if (parseIp(text)) return { ip_address: text };
  if (UUID.test(text)) return { port_id: text };
  const vm = (await listVms(new LabRuntime({ root: labRoot })).catch(() => [])).find((v) => v.name === text);
  if (vm) return { port_id: vm.port_id };
  const ports = (await client.req<{ ports: { id: string }[] }>('GET', `/v2.0/ports?name=${encodeURIComponent(text)}&fields=id`)).ports;
  if (ports.length === 1) return { port_id: ports[0].id };
  throw new UserError(ports.length ? `${ports.length} ports are named '${text}': give the port's id` : `'${text}' is no address, port id, lab VM or port name`);
}

export async function askTrace(client: ApiClient, source: EndpointSpec, destination: EndpointSpec, protocol: string, port: number | undefined): Promise<TraceResult> {
  return (await client.req<{ trace: TraceResult }>('POST', '/v2.0/muon/trace', {
    trace: { source, destination, protocol, ...(port !== undefined ? { destination_port: port } : {}) },
  })).trace;
}

export async function traceCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { value: ['from', 'to', 'protocol', 'port', 'server', 'format', 'openrc', 'lab-root'], bool: [] });
  if (args.positional.length) throw new UsageError(`muon trace takes no arguments (got ${args.positional.join(' ')}); use --from and --to`);
  const from = args.flags.get('from');
  const to = args.flags.get('to');
  if (typeof from !== 'string' || typeof to !== 'string') throw new UsageError('usage: muon trace --from <vm|port id|ip> --to <vm|port id|ip> [--protocol icmp|tcp|udp|any] [--port N] [--server URL] [--format json]');
  const format = (args.flags.get('format') as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format is text or json, not '${format}'`);
  const protocol = ((args.flags.get('protocol') as string | undefined) ?? (args.flags.has('port') ? 'tcp' : 'any')).toLowerCase();
  const portText = args.flags.get('port') as string | undefined;
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new UsageError(`--port is a port number from 1 to 65535, not '${portText}'`);
  const server = (args.flags.get('server') as string | undefined) ?? DEFAULT_SERVER;
  const { client } = await serverClient(server, args.flags.get('openrc') as string | undefined);
  const labRoot = args.flags.get('lab-root') as string | undefined;
  try {
    const t0 = performance.now();
    const [source, destination] = await Promise.all([resolveEnd(client, from, labRoot), resolveEnd(client, to, labRoot)]);
    const t = await askTrace(client, source, destination, protocol, port);
    const ms = Math.round(performance.now() - t0);
    if (format === 'json') process.stdout.write(`${JSON.stringify({ trace: t, elapsed_ms: ms }, null, 2)}\n`);
    else process.stdout.write(`${renderTrace(t, from, to)}(${ms} ms)\n`);
    return t.reachable ? 0 : 1;
  } catch (e) {
    // could not evaluate: exit 2, with what the server said
    if (e instanceof ApiError) throw new UserError(e.status === 403 ? `${e.message} (use admin credentials: source admin-openrc.sh, or --openrc FILE)` : e.message);
    if (e instanceof TypeError && /fetch failed/.test(e.message)) throw new UserError(`cannot reach ${server}: is muon server (or muon up) running? (--server URL)`);
    throw e;
  }
}
