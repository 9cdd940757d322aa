// The `muon` command: one executable, subcommands as DESIGN.md lists them.
import { ConfigError } from '../config/config-error.ts';
import { DbUrlError } from '../db/connection-url.ts';
import { UserError } from '../errors/user-error.ts';
import { serverCommand } from './server.ts';
import { dbCommand } from './db-upgrade.ts';
import { agentCommand } from './agent.ts';
import { doctorCommand } from './doctor.ts';
import { traceCommand } from './trace.ts';
import { downCommand, labCommand, statusCommand, upCommand, vmCommand } from './lab.ts';

const USAGE = `usage: muon <command> [options]

commands:
  server [--config-file FILE ...]      serve the Networking API. Without config files: on 127.0.0.1:9696,
                                       SQLite in ./state, tokens required, from the built-in identity
                                       on :5000 (source state/admin-openrc.sh). With config files: as
                                       they say; by default tokens from the Keystone of [keystone_authtoken]
                                       ([muon] identity = embedded: the built-in one; auth_strategy = noauth: none)
  db upgrade [--config-file FILE ...]  apply database migrations
  agent linuxbridge|dhcp|l3|metadata --config-file FILE ...
                                       run an agent of this host (connects to [muon] agent_socket)
  up [--no-networks] [--no-router] [--two-machines]
                                       (root) the seed's two machines emulated in namespaces, the
                                       server on 127.0.0.1:9696, every agent, a stand-in Nova, and the
                                       seed's public and private networks and router; --two-machines: the
                                       server and a RabbitMQ broker on the controller, compute reaching them
                                       only over the wire; without root, the API alone
  down                                 remove the lab (processes, namespaces, VMs)
  status [--json]                      hosts, agents and VMs of the lab
  vm boot NAME --network NET --host HOST [--security-group SG] [--no-port-security]
  vm list | vm exec NAME -- CMD ... | vm delete NAME
                                       VMs in the lab (Muon plays Nova)
  doctor [--config-file FILE ...] [--nova-config FILE] [--server URL] [--format text|json] [--agents LIST] [--no-host]
                                       what is wrong on this host, in its config files and (--server, admin
                                       credentials from OS_* or --openrc) in the deployment; exit 0/1/2 =
                                       nothing above info / warnings / errors (docs/doctor.md)
  trace --from VM|PORT|IP --to VM|PORT|IP [--protocol icmp|tcp|udp|any] [--port N] [--server URL] [--format json]
                                       whether the model lets the flow through, hop by hop, and every setting
                                       that blocks it with its fix; exit 0/1/2 = reachable / blocked / could
                                       not evaluate (docs/trace.md)
  probe --network NET [--host HOST] [--to T,...] [--from-outside T,...] [--protocol icmp|tcp] [--port N] [--format json]
                                       (root) a probe plugged on the network pings/connects to the targets, the
                                       routers' namespaces ping it and their gateway; each result is held against
                                       trace, a disagreement is a finding; exit 0/1/2 as doctor's (docs/trace.md)
  lab exec HOST -- CMD ...             run a command on a lab machine (upstream, controller, compute),
                                       e.g. the seed's checks: ip netns exec qrouter-<id> ping 172.16.1.1
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'server':
      return serverCommand(rest);
    case 'db':
      return dbCommand(rest);
    case 'agent':
      return agentCommand(rest);
    case 'up':
      return upCommand(rest);
    case 'down':
      return downCommand(rest);
    case 'status':
      return statusCommand(rest);
    case 'vm':
      return vmCommand(rest);
    case 'lab':
      return labCommand(rest);
    case 'doctor':
      return doctorCommand(rest);
    case 'trace':
      return traceCommand(rest);
    case 'probe':
      return import('./probe.ts').then((m) => m.probeCommand(rest));
    case 'nova-standin': // hidden: the lab's stand-in Nova
      return import('./nova-standin.ts').then((m) => m.novaStandinCommand(rest));
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
  if (e instanceof UserError || e instanceof ConfigError || e instanceof DbUrlError) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
});
