// `muon nova-standin` (hidden; the lab runs it): the stand-in Nova of src/lab/nova-standin.ts.
//   muon nova-standin --metadata-listen HOST:PORT --api-listen HOST:PORT --secret S --instances FILE --events FILE
// Either listener may be left out: the lab runs one process per network namespace, sharing the files.
import { parseArgs, UsageError } from './args.ts';
import { startNovaStandin, type Listen } from '../lab/nova-standin.ts';

export function parseListen(flag: string, v: string): Listen {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(v);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new UsageError(`--${flag} ${v}: expected HOST:PORT, e.g. 127.0.0.1:8774 or [::1]:8775`);
  return { host: m[1] ?? m[2], port };
}

export async function novaStandinCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { value: ['metadata-listen', 'api-listen', 'secret', 'instances', 'events'], bool: [] });
  const flag = (k: string) => { const v = args.flags.get(k); return typeof v === 'string' ? v : undefined; };
  const metadata = flag('metadata-listen');
  const api = flag('api-listen');
  const events = flag('events');
  if (!metadata && !api) throw new UsageError('muon nova-standin needs --metadata-listen HOST:PORT, --api-listen HOST:PORT, or both');
  if (!events) throw new UsageError('muon nova-standin needs --events FILE (where the received events are recorded, JSON lines)');
  if (args.positional.length) throw new UsageError(`muon nova-standin: unexpected argument ${args.positional[0]}`);
  const running = await startNovaStandin({
    metadataListen: metadata ? parseListen('metadata-listen', metadata) : undefined,
    apiListen: api ? parseListen('api-listen', api) : undefined,
    // Neutron's and Nova's default metadata_proxy_shared_secret is empty too
    secret: flag('secret') ?? '',
    instancesFile: flag('instances'),
    eventsFile: events,
  });
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'stand-in Nova listening', metadata: running.metadataUrl, api: running.apiUrl }) + '\n');
  const stop = async () => { await running.close(); process.exit(0); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise<number>(() => {});
}
