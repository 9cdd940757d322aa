// `muon up --two-machines`: the seed's controller and compute as two machines that share only
// the emulated wire. On `controller` (192.168.81.66): RabbitMQ (./broker.ts), the server (API
// and built-in identity on every controller address, the agent channel over RabbitMQ and, for
// the controller's own use, a unix socket in the controller's state), the stand-in Nova and
// the controller's agents. On `compute`: its Linux bridge agent, which reaches the server only
// through RabbitMQ at 192.168.81.66:5672 — the controller's state, the server's database and
// configuration and its agent socket are covered by empty tmpfs mounts in compute's mount
// namespace, so compute has no path to them. The machine's user reaches the API and the identity
// at 127.0.0.1 through ./api-forwarder.ts.
import { mkdir, writeFile } from 'node:fs/promises';
import { mountAt, mounts, mountTmpfs } from '../linux/mount.ts';
import { ensureForward } from './api-forwarder.ts';
import { LAB_RABBIT, LabBroker } from './broker.ts';
import { agentIni, libertyMessagingConf, type LabAgentHost, type LabAgentKind } from './seed-configs.ts';
import type { Lab } from './topology.ts';

export const CONTROLLER_ADDRESS = '192.168.81.66';
/** a file in the lab's state saying the lab under that root runs as two machines */
export const TWO_MACHINES_MARKER = 'two-machines';

export interface TwoMachineSettings {
  apiPort: number;
  identityPort: number;
  /** the server's state_path (database, identity, openrc files) */
  statePath: string;
  /** the server's config directory */
  etcDir: string;
}

/** The server's extra file on controller: where it listens, what its clients are told, its broker. */
export function twoMachineServerConf(s: TwoMachineSettings): string {
  return [
    '# written by `muon up --two-machines`: the server on controller',
    '[DEFAULT]',
    '# Neutron\'s default: every controller address — 192.168.81.66 for compute and the',
    '# forwarder from the machine, 127.0.0.1 for the stand-in Nova\'s calls to the identity',
    'bind_host = 0.0.0.0',
    '# the machine\'s user reaches the API through the forwarder on 127.0.0.1',
    `network_link_prefix = http://127.0.0.1:${s.apiPort}`,
    '[muon]',
    `identity_public_url = http://127.0.0.1:${s.identityPort}/v3`,
    '',
    libertyMessagingConf(rabbitSettings()),
  ].join('\n');
}

export function rabbitSettings(password: string = LAB_RABBIT.password) {
  return { host: LAB_RABBIT.host, port: LAB_RABBIT.port, userid: LAB_RABBIT.user, password };
}

/** What compute must not reach: the controller's state, the server's configuration and database. */
export function hiddenFromCompute(lab: Lab, s: TwoMachineSettings): string[] {
  const all = [lab.stateDir('controller'), s.etcDir, s.statePath];
  // a path inside another one is covered with it (and its mount point is gone under the tmpfs)
  return all.filter((p) => !all.some((q) => q !== p && p.startsWith(`${q}/`)));
}

/**
 * Cover each path with an empty tmpfs inside compute's mount namespace (private propagation:
 * the machine and controller still see the real directories). Idempotent. Returns what it did.
 */
export async function hideFromCompute(lab: Lab, paths: readonly string[]): Promise<string[]> {
  const place = lab.place('compute');
  const source = `${lab.paths.tag}-hidden`;
  const done: string[] = [];
  const table = await mounts(place);
  for (const p of paths) {
    if (mountAt(table, p)?.source === source) continue;
    await mkdir(p, { recursive: true });
    await mountTmpfs(place, source, p, { size: '64k', mode: '0700' });
    done.push(`compute: ${p} covered (empty tmpfs)`);
  }
  return done;
}

/**
 * Before the server starts: compute's view, the broker on controller, the forwarders of the
 * API and identity ports to 127.0.0.1. Returns lines saying what it did.
 */
export async function prepareTwoMachines(lab: Lab, broker: LabBroker, s: TwoMachineSettings): Promise<string[]> {
  await mkdir(s.etcDir, { recursive: true });
  await mkdir(s.statePath, { recursive: true });
  const said = await hideFromCompute(lab, hiddenFromCompute(lab, s));
  const b = await broker.ensure();
  if (b) said.push(b);
  for (const port of [s.apiPort, s.identityPort]) {
    const f = await ensureForward(lab, port, CONTROLLER_ADDRESS);
    if (f) said.push(f);
  }
  return said;
}

/**
 * An agent's files as on the seed's machines: `neutron.conf` (the messaging lines) and its own
 * file. Returns the --config-file list. `password` other than the seed's: tests of a wrong one.
 */
export async function writeTwoMachineAgentFiles(kind: LabAgentKind, h: LabAgentHost, stateDir: string, reportInterval: number | undefined, password?: string): Promise<string[]> {
  const conf = `${stateDir}/neutron.conf`;
  const ini = `${stateDir}/${kind}_agent.ini`;
  await writeFile(conf, libertyMessagingConf(rabbitSettings(password)));
  // no [muon] agent_socket: this host has no socket to reach (and without that section header,
  // linuxbridge's prevent_arp_spoofing lands in [agent], where it belongs)
  const text = agentIni(kind, h, '-', stateDir, reportInterval)
    .replace(/^\[muon\]\nagent_socket = -\n/m, '# no [muon] agent_socket: the agents reach the server through RabbitMQ (neutron.conf)\n');
  await writeFile(ini, text);
  return [conf, ini];
}
