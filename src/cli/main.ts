// The `muon` command: one executable, subcommands as DESIGN.md lists them.
import { ConfigError } from '../config/config-error.ts';
import { DbUrlError } from '../db/connection-url.ts';
import { UsageError } from './args.ts';
import { serverCommand } from './server.ts';
import { dbCommand } from './db-upgrade.ts';

const USAGE = `usage: muon <command> [options]

commands:
  server [--config-file FILE ...]      serve the Networking API (default 127.0.0.1:9696, SQLite, noauth)
  db upgrade [--config-file FILE ...]  apply database migrations
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'server':
      return serverCommand(rest);
    case 'db':
      return dbCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`muon: unknown command '${cmd}'\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  if (e instanceof ConfigError || e instanceof UsageError || e instanceof DbUrlError) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
});
