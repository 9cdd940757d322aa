// `muon db upgrade` (neutron-db-manage upgrade head): applies pending migrations.
import { connect } from '../db/connect.ts';
import { pendingMigrations, upgrade } from '../db/migrate.ts';
import { redact } from '../config/transport.ts';
import { jsonLogger } from '../services/log.ts';
import { onceReachable } from './database-ready.ts';
import { parseArgs } from './args.ts';
import { loadCliConfig } from './load-config.ts';

export async function dbCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { value: [], bool: [] });
  const [action, target] = args.positional;
  if (action !== 'upgrade' || (target !== undefined && target !== 'head')) {
    process.stderr.write('usage: muon db upgrade [head] [--config-file FILE ...]\n');
    return 2;
  }
  const config = loadCliConfig(args.configFiles);
  const conn = connect(config.databaseConnection, config.database);
  try {
    // a database still starting is waited for, as the server does ([database] max_retries)
    await onceReachable(() => pendingMigrations(conn), {
      retries: config.database.maxRetries, intervalS: config.database.retryInterval, log: jsonLogger(), database: redact(config.databaseConnection),
    });
    const { applied, current } = await upgrade(conn);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    process.stdout.write(`current: ${current}\n`);
    return 0;
  } finally {
    await conn.close();
  }
}
