// The all-in-one lab: `muon up` / `muon down` / `muon status`. It builds the seed's machines
// (./topology.ts), runs the server in the machine's own namespaces (its API on 127.0.0.1, its
// agent channel on a unix socket under the lab root, which every emulated host sees) and the
// agents inside the emulated hosts (controller: linuxbridge + DHCP, compute: linuxbridge),
// waits for them to report, and creates the seed's `public` and `private` networks through
// the API. Every step checks what is there first, so `muon up` twice changes nothing.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { embeddedDefaults } from '../config/load.ts';
import { start } from '../linux/exec.ts';
import { isAlive, netInodeOf, nsInode, terminate } from '../linux/proc.ts';
import { ApiClient, readOpenrc } from './api-client.ts';
import { DEFAULT_LAB_ROOT, hostPair, sweepStaleLabs } from './hosts.ts';
import { agentIni, LAB_NOVA, SEED_AGENT_HOSTS, serverOverlay, type LabAgentHost, type LabAgentKind } from './seed-configs.ts';
import { Lab, type LabStatus } from './topology.ts';
import { AGENT_IDENTITIES } from '../domain/agent-types.ts';
import { UserError } from '../errors/user-error.ts';
import { deleteAllVms, listVms, type VmRecord } from './vm.ts';
import { stopForwarders } from './api-forwarder.ts';
import { LabBroker } from './broker.ts';
import { prepareTwoMachines, TWO_MACHINES_MARKER, twoMachineServerConf, writeTwoMachineAgentFiles, type TwoMachineSettings } from './two-machines.ts';

const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));

export interface LabRuntimeOptions {
  /** lab root (default /run/muon-lab) */
  root?: string;
  /** the server's state_path (database, identity, openrc files); default ./state */
  statePath?: string;
  apiPort?: number;
  identityPort?: number;
  /** agents' [agent] report_interval (default 30) */
  reportInterval?: number;
  /** server's agent_down_time (default 75) */
  agentDownTime?: number;
  /** server's allow_automatic_l3agent_failover (default: Neutron's, off) */
  l3Failover?: boolean;
  /** port of the stand-in Nova's compute API on 127.0.0.1 (default 8774) */
  novaPort?: number;
  hosts?: LabAgentHost[];
  /**
   * 'two' (`muon up --two-machines`, ./two-machines.ts): the broker, the server and its identity
   * run on controller, compute reaches them only over the wire (RabbitMQ); the API is forwarded
   * to 127.0.0.1. 'one': the server in the machine's namespaces, agents on a unix socket.
   * Default: what the lab under `root` was started as ('one' when it is not up), so that
   * `muon down`, `status` and `vm` need no flag.
   */
  machines?: 'one' | 'two';
  say?: (line: string) => void;
}


export interface AgentStartOptions {
  /** two-machine lab: start it with this [oslo_messaging_rabbit] rabbit_password instead of the seed's */
  rabbitPassword?: string;
  /** one-machine lab: change the agent's file before it starts (tests inject faults: a wrong mapping, local_ip…) */
  editIni?: (text: string) => string;
}

async function alivePid(file: string): Promise<number | undefined> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return pid > 0 && (await isAlive(pid)) ? pid : undefined;
}

export class LabRuntime {
  readonly lab: Lab;
  readonly statePath: string;
  readonly apiPort: number;
  readonly identityPort: number;
  readonly novaApiPort: number;
  readonly hosts: LabAgentHost[];
  private readonly opts: LabRuntimeOptions;
  private client: ApiClient | undefined;
  /** the two-machine lab's broker on controller (undefined in the default lab) */
  readonly broker: LabBroker | undefined;
  private readonly machines: 'one' | 'two';

  constructor(opts: LabRuntimeOptions = {}) {
    this.opts = opts;
    this.lab = new Lab({ root: opts.root });
    this.statePath = opts.statePath ?? `${process.cwd()}/state`;
    this.apiPort = opts.apiPort ?? 9696;
    this.identityPort = opts.identityPort ?? 5000;
    this.novaApiPort = opts.novaPort ?? 8774;
    this.hosts = opts.hosts ?? SEED_AGENT_HOSTS;
    this.machines = opts.machines ?? (existsSync(this.twoMachinesMarker) ? 'two' : 'one');
    this.broker = this.machines === 'two' ? new LabBroker(this.lab) : undefined;
  }

  get twoMachines(): boolean { return this.machines === 'two'; }
  private get twoMachinesMarker(): string { return `${this.lab.paths.stateDir}/${TWO_MACHINES_MARKER}`; }
  /** two machines: the server's own files live in the controller's state, out of compute's reach */
  private get serverDir(): string { return this.twoMachines ? this.lab.stateDir('controller') : this.lab.paths.stateDir; }
  private get etcDir(): string { return this.twoMachines ? `${this.serverDir}/etc` : `${this.root}/etc`; }
  private get twoSettings(): TwoMachineSettings {
    return { apiPort: this.apiPort, identityPort: this.identityPort, statePath: this.statePath, etcDir: this.etcDir };
  }

  get root(): string { return this.lab.paths.root; }
  get agentSocket(): string { return `${this.twoMachines ? this.serverDir : this.root}/agent.sock`; }
  get apiUrl(): string { return `http://127.0.0.1:${this.apiPort}`; }
  private get serverPidFile(): string { return `${this.serverDir}/server.pid`; }
  private agentPidFile(host: string, kind: string): string { return `${this.lab.stateDir(host)}/${kind}-agent.pid`; }
  agentLog(host: string, kind: string): string { return `${this.lab.stateDir(host)}/${kind}-agent.log`; }
  get serverLog(): string { return `${this.serverDir}/server.log`; }

  private say(line: string): void {
    this.opts.say?.(line);
  }

  /** Throws "no lab is running" unless the lab's server is (every `muon vm` and `muon lab exec` needs it). */
  async requireRunning(): Promise<void> {
    if (await alivePid(this.serverPidFile)) return;
    throw new UserError(this.root === DEFAULT_LAB_ROOT
      ? 'no lab is running: start it with `muon up`'
      : `no lab is running under ${this.root}: start it with \`muon up --lab-root ${this.root}\``);
  }

  /** Admin access to the lab's API (the embedded identity's admin-openrc.sh). */
  async api(): Promise<ApiClient> {
    if (!this.client) {
      const credentials = await readOpenrc(`${this.statePath}/admin-openrc.sh`);
      this.client = new ApiClient({ url: this.apiUrl, credentials });
    }
    return this.client;
  }

  async up(opts: { networks?: boolean; router?: boolean } = {}): Promise<{ ms: number; networks: Record<string, string> }> {
    const t0 = performance.now();
    const topo = await this.lab.up();
    this.say(topo.changes.length ? `lab: ${topo.changes.length} changes to the emulated machines (${topo.ms} ms)` : 'lab: machines already up');
    for (const n of topo.notes) this.say(`note: ${n}`);
    await this.checkMachines();
    if (this.broker) for (const line of await prepareTwoMachines(this.lab, this.broker, this.twoSettings)) this.say(line);
    // Nova first: the server tells it of port changes at once (send_events_interval = 0), and
    // agents coming up change ports
    await this.ensureNova();
    await this.ensureServer();
    for (const h of this.hosts) for (const kind of h.agents) await this.ensureAgent(h, kind);
    await this.waitForAgents(30_000);
    const networks = opts.networks === false ? {} : await this.ensureSeedNetworks();
    if (opts.networks !== false && opts.router !== false) networks.router = await this.ensureSeedRouter(networks);
    return { ms: Math.round(performance.now() - t0), networks };
  }

  /** One lab root is one kind of lab: refuse to mix them (the servers would fight over the API port). */
  private async checkMachines(): Promise<void> {
    if (!this.twoMachines) {
      if (existsSync(this.twoMachinesMarker)) throw new UserError(`the lab under ${this.root} runs as two machines (muon up --two-machines): run muon down first, or keep --two-machines`);
      return;
    }
    const oneServer = await alivePid(`${this.lab.paths.stateDir}/server.pid`);
    if (oneServer) throw new UserError(`the lab under ${this.root} runs its server on this machine (pid ${oneServer}; muon up without --two-machines): run muon down first, or drop --two-machines`);
    await writeFile(this.twoMachinesMarker, 'two machines: the server and RabbitMQ run on controller (muon up --two-machines)\n');
  }

  private async ensureServer(): Promise<void> {
    const etc = this.etcDir;
    await mkdir(etc, { recursive: true });
    if (await alivePid(this.serverPidFile)) {
      this.say(`server: running (pid ${await readFile(this.serverPidFile, 'utf8').then((s) => s.trim())})`);
      return;
    }
    await mkdir(this.statePath, { recursive: true });
    const first = !(await readFile(`${this.statePath}/admin-openrc.sh`).then(() => true, () => false));
    let pid = await this.startServer(etc);
    if (first) {
      // The built-in identity made its admin account just now; the server's [nova] section
      // (Nova notifications to the stand-in) needs its password: restart once with it.
      await terminate([pid]);
      pid = await this.startServer(etc);
    }
    this.say(`server: started (pid ${pid}) on ${this.apiUrl}, agent channel ${this.agentSocket}, log ${this.serverLog}`);
  }

  private async startServer(etc: string): Promise<number> {
    const admin = await readOpenrc(`${this.statePath}/admin-openrc.sh`).catch(() => undefined);
    await writeFile(`${etc}/neutron.conf`, embeddedDefaults());
    await writeFile(`${etc}/lab.conf`, serverOverlay({
      statePath: this.statePath, agentSocket: this.agentSocket, apiPort: this.apiPort, identityPort: this.identityPort, agentDownTime: this.opts.agentDownTime,
      l3Failover: this.opts.l3Failover,
      nova: admin && { authUrl: admin.OS_AUTH_URL, username: admin.OS_USERNAME, password: admin.OS_PASSWORD, projectName: admin.OS_PROJECT_NAME, endpoint: `${this.novaApiUrl}/v2.1` },
    }));
    const argv = [process.execPath, MAIN, 'server', '--config-file', `${etc}/neutron.conf`, '--config-file', `${etc}/lab.conf`];
    if (this.twoMachines) {
      await writeFile(`${etc}/two-machines.conf`, twoMachineServerConf(this.twoSettings));
      argv.push('--config-file', `${etc}/two-machines.conf`);
    }
    const pid = this.twoMachines
      ? await this.lab.startOn('controller', argv, { logFile: this.serverLog })
      : await start(argv, { logFile: this.serverLog });
    await writeFile(this.serverPidFile, `${pid}\n`);
    const until = Date.now() + 30_000;
    for (;;) {
      if (!(await isAlive(pid))) throw new Error(`the server exited at start; see ${this.serverLog}:\n${(await readFile(this.serverLog, 'utf8').catch(() => '')).slice(-2000)}`);
      const ok = await fetch(`${this.apiUrl}/`).then((r) => r.ok, () => false);
      if (ok && (await readFile(`${this.statePath}/admin-openrc.sh`).then(() => true, () => false))) return pid;
      if (Date.now() > until) throw new Error(`the server did not answer on ${this.apiUrl} within 30 s; see ${this.serverLog}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get novaApiUrl(): string { return `http://127.0.0.1:${this.novaApiPort}`; }
  get novaEventsFile(): string { return `${this.lab.paths.stateDir}/nova-events.jsonl`; }
  get novaInstancesFile(): string { return `${this.lab.paths.stateDir}/nova-instances.json`; }

  /**
   * The stand-in Nova (Nova itself cannot run here): its metadata API on the controller, where
   * the metadata agent reaches it as the seed's does, and its compute API (the
   * os-server-external-events the server notifies) in the machine's own namespaces, where
   * the server runs. Both record into the lab's state.
   */
  private async ensureNova(): Promise<void> {
    const dir = this.lab.paths.stateDir;
    const files = ['--instances', this.novaInstancesFile, '--events', this.novaEventsFile];
    const controllerNet = await nsInode(hostPair(this.lab.paths, 'controller').net);
    const md = await alivePid(`${dir}/nova-metadata.pid`);
    if (!md || (await netInodeOf(md)) !== controllerNet) {
      const pid = await this.lab.startOn('controller', [process.execPath, MAIN, 'nova-standin',
        '--metadata-listen', `0.0.0.0:${LAB_NOVA.metadataPort}`, '--secret', LAB_NOVA.secret, ...files], { logFile: `${dir}/nova-metadata.log` });
      await writeFile(`${dir}/nova-metadata.pid`, `${pid}\n`);
      this.say(`controller: stand-in Nova metadata API on ${LAB_NOVA.metadataHost}:${LAB_NOVA.metadataPort} (pid ${pid})`);
    }
    if (!(await alivePid(`${dir}/nova-api.pid`))) {
      // beside the server: on controller in the two-machine lab (its 127.0.0.1 there)
      const argv = [process.execPath, MAIN, 'nova-standin', '--api-listen', `127.0.0.1:${this.novaApiPort}`, ...files];
      const pid = this.twoMachines
        ? await this.lab.startOn('controller', argv, { logFile: `${dir}/nova-api.log` })
        : await start(argv, { logFile: `${dir}/nova-api.log` });
      await writeFile(`${dir}/nova-api.pid`, `${pid}\n`);
      this.say(`stand-in Nova compute API (os-server-external-events) on ${this.twoMachines ? 'controller\'s ' : ''}${this.novaApiUrl} (pid ${pid})`);
    }
  }

  private async ensureAgent(h: LabAgentHost, kind: LabAgentKind, opts: AgentStartOptions = {}): Promise<void> {
    const pidFile = this.agentPidFile(h.host, kind);
    const hostNet = await nsInode(hostPair(this.lab.paths, h.host).net);
    const old = await alivePid(pidFile);
    if (old && (await netInodeOf(old)) === hostNet) return;
    const stateDir = this.lab.stateDir(h.host);
    let files: string[];
    if (this.twoMachines) {
      // every agent over RabbitMQ, as in the seed (see two-machines.ts)
      files = await writeTwoMachineAgentFiles(kind, h, stateDir, this.opts.reportInterval, opts.rabbitPassword);
    } else {
      const ini = `${stateDir}/${kind}_agent.ini`;
      const text = agentIni(kind, h, this.agentSocket, stateDir, this.opts.reportInterval);
      await writeFile(ini, opts.editIni ? opts.editIni(text) : text);
      files = [ini];
    }
    const pid = await this.lab.startOn(h.host, [process.execPath, MAIN, 'agent', kind, ...files.flatMap((f) => ['--config-file', f])], { logFile: this.agentLog(h.host, kind) });
    await writeFile(pidFile, `${pid}\n`);
    this.say(`${h.host}: ${kind} agent started (pid ${pid}), log ${this.agentLog(h.host, kind)}`);
  }

  /** Stop one agent (tests: restart without disruption); `kill`: SIGKILL, as a crash would. */
  async stopAgent(host: string, kind: LabAgentKind, opts: { kill?: boolean } = {}): Promise<void> {
    const pid = await alivePid(this.agentPidFile(host, kind));
    if (!pid) return;
    if (opts.kill) {
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && (await isAlive(pid)); i++) await new Promise((r) => setTimeout(r, 10));
    } else {
      await terminate([pid]);
    }
  }

  /**
   * What became of an agent process the lab started: its pid and whether it still runs
   * (`muon vm boot` tells "the agent is gone" from "the agent is stuck"); undefined when
   * the lab never started that agent.
   */
  async agentProcess(host: string, kind: LabAgentKind): Promise<{ pid: number; running: boolean } | undefined> {
    const pid = Number((await readFile(this.agentPidFile(host, kind), 'utf8').catch(() => '')).trim());
    if (!(pid > 0)) return undefined;
    return { pid, running: await isAlive(pid) };
  }

  /** `rabbitPassword` (two-machine lab): start it with that [oslo_messaging_rabbit] rabbit_password instead of the seed's. */
  async startAgent(host: string, kind: LabAgentKind, opts: AgentStartOptions = {}): Promise<void> {
    const h = this.hosts.find((x) => x.host === host);
    if (!h) throw new Error(`no agent host ${host}`);
    await this.ensureAgent(h, kind, opts);
  }

  async waitForAgents(timeoutMs: number): Promise<void> {
    const api = await this.api();
    const want = this.hosts.flatMap((h) => h.agents.map((k) => `${h.host}/${AGENT_IDENTITIES[k].agent_type}`));
    const until = Date.now() + timeoutMs;
    for (;;) {
      const agents = (await api.req<{ agents: { host: string; agent_type: string; alive: boolean }[] }>('GET', '/v2.0/agents')).agents;
      const alive = new Set(agents.filter((a) => a.alive).map((a) => `${a.host}/${a.agent_type}`));
      const missing = want.filter((w) => !alive.has(w));
      if (missing.length === 0) return;
      if (Date.now() > until) throw new Error(`agents did not report within ${timeoutMs / 1000} s: ${missing.join(', ')}; see their logs under ${this.lab.paths.stateDir}/<host>/`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The seed's `neutron net-create` / `subnet-create` commands, unless the networks exist. */
  async ensureSeedNetworks(): Promise<Record<string, string>> {
    const api = await this.api();
    const find = async (name: string) => (await api.req('GET', `/v2.0/networks?name=${name}`)).networks[0]?.id as string | undefined;
    let pub = await find('public');
    if (!pub) {
      pub = (await api.req('POST', '/v2.0/networks', { network: { name: 'public', shared: true, 'router:external': true, 'provider:physical_network': 'public', 'provider:network_type': 'flat' } })).network.id as string;
      await api.req('POST', '/v2.0/subnets', { subnet: {
        network_id: pub, name: 'public', ip_version: 4, cidr: '192.168.81.0/24', allocation_pools: [{ start: '192.168.81.100', end: '192.168.81.200' }],
        dns_nameservers: ['192.168.85.253'], gateway_ip: '192.168.81.254',
      } });
      this.say('created network public (flat on physnet public) with subnet 192.168.81.0/24');
    }
    let priv = await find('private');
    if (!priv) {
      priv = (await api.req('POST', '/v2.0/networks', { network: { name: 'private' } })).network.id as string;
      await api.req('POST', '/v2.0/subnets', { subnet: {
        network_id: priv, name: 'private', ip_version: 4, cidr: '172.16.1.0/24', dns_nameservers: ['192.168.85.253'], gateway_ip: '172.16.1.1',
      } });
      this.say('created network private (vxlan) with subnet 172.16.1.0/24');
    }
    return { public: pub, private: priv };
  }

  /** The seed's `router-create router`, `router-interface-add router private`, `router-gateway-set router public`. */
  async ensureSeedRouter(nets: Record<string, string>): Promise<string> {
    const api = await this.api();
    const found = (await api.req('GET', '/v2.0/routers?name=router')).routers as { id: string; external_gateway_info: unknown }[];
    let id = found[0]?.id;
    if (!id) {
      id = (await api.req('POST', '/v2.0/routers', { router: { name: 'router' } })).router.id as string;
      this.say('created router router');
    }
    const ifaces = (await api.req('GET', `/v2.0/ports?device_id=${id}&device_owner=network:router_interface`)).ports as unknown[];
    if (ifaces.length === 0) {
      const subnet = (await api.req('GET', `/v2.0/subnets?network_id=${nets.private}`)).subnets[0]?.id as string;
      await api.req('PUT', `/v2.0/routers/${id}/add_router_interface`, { subnet_id: subnet });
      this.say('router: interface on private (172.16.1.1)');
    }
    if (!found[0]?.external_gateway_info) {
      await api.req('PUT', `/v2.0/routers/${id}`, { router: { external_gateway_info: { network_id: nets.public } } });
      this.say('router: gateway on public (SNAT)');
    }
    return id;
  }

  async down(): Promise<{ ms: number; vmsDeleted: string[]; killed: number }> {
    const t0 = performance.now();
    let vmsDeleted: string[] = [];
    const serverPid = await alivePid(this.serverPidFile);
    if (serverPid) vmsDeleted = await deleteAllVms(this).catch(() => []);
    // the stand-in Nova's compute API runs beside the server, outside the lab's namespaces
    const novaPid = await alivePid(`${this.lab.paths.stateDir}/nova-api.pid`);
    // the two-machine lab's forwarders of 127.0.0.1 (none in the default lab); their pid files go with the lab
    const forwarders = await stopForwarders(this.lab.paths.stateDir);
    const r = await this.lab.down();
    const outside = [serverPid, novaPid].filter((p): p is number => p !== undefined);
    if (outside.length) await terminate(outside);
    this.client = undefined;
    return { ms: Math.round(performance.now() - t0), vmsDeleted, killed: r.killed.length + outside.length + forwarders.length };
  }

  async status(): Promise<{ lab: LabStatus; server: number | undefined; agents: unknown[]; vms: VmRecord[] }> {
    const lab = await this.lab.status();
    const server = lab.up ? await alivePid(this.serverPidFile) : undefined;
    let agents: unknown[] = [];
    if (server) agents = (await (await this.api()).req('GET', '/v2.0/agents').catch(() => ({ agents: [] }))).agents;
    return { lab, server, agents, vms: lab.up ? await listVms(this) : [] };
  }
}

/**
 * Labs left by crashed runs (`<parent>/<prefix><dead pid>…`): their server runs in the
 * machine's namespaces, so the namespace sweep cannot find it; it is ended by its pid file
 * before the lab is removed.
 */
export function sweepStaleLabRuntimes(parent: string, prefix: string): Promise<string[]> {
  return sweepStaleLabs(parent, prefix, async (root) => {
    const pids = [await alivePid(`${root}/state/server.pid`), await alivePid(`${root}/state/nova-api.pid`)].filter((p): p is number => p !== undefined);
    if (pids.length) await terminate(pids);
    await stopForwarders(`${root}/state`);
  });
}
