// The lab's RabbitMQ broker on `controller`, as the seed's operator ran it: Debian's
// rabbitmq-server inside the controller's namespaces, AMQP on 5672 of every controller
// address (compute reaches it at 192.168.81.66), and the user `openstack` / `opst` with all
// permissions on `/` (`rabbitmqctl add_user`, `set_permissions`). Its node is private (own
// directory under the controller's state, own cookie, epmd and distribution port on the
// controller's loopback), so it never meets the machine's or a test's broker.
import { readFile, writeFile } from 'node:fs/promises';
import { awaitRabbit, rabbitCtl, rabbitUnavailableReason, startRabbitDaemons, writeRabbitFiles, type RabbitNodeSpec } from '../linux/rabbitmq.ts';
import { isAlive, netInodeOf, nsInode, terminate } from '../linux/proc.ts';
import { hostPair } from './hosts.ts';
import type { Lab } from './topology.ts';

export const LAB_RABBIT = { host: '192.168.81.66', port: 5672, user: 'openstack', password: 'opst' } as const;

export class LabBroker {
  readonly spec: RabbitNodeSpec;
  private readonly lab: Lab;

  constructor(lab: Lab) {
    this.lab = lab;
    this.spec = {
      dir: `${lab.stateDir('controller')}/rabbitmq`,
      node: 'muon-lab@localhost',
      amqpAddress: '0.0.0.0',
      port: LAB_RABBIT.port,
      // the controller's own network namespace: the standard ports are free there
      distPort: 25672,
      epmdPort: 4369,
      diskFreeLimit: '8MB',
    };
  }

  get log(): string { return `${this.spec.dir}/log/rabbit.log`; }
  private pidFile(what: 'server' | 'epmd'): string { return `${this.spec.dir}/${what}.pid`; }

  private async running(what: 'server' | 'epmd'): Promise<number | undefined> {
    const pid = Number((await readFile(this.pidFile(what), 'utf8').catch(() => '')).trim());
    if (!(pid > 0) || !(await isAlive(pid))) return undefined;
    return (await netInodeOf(pid)) === (await nsInode(hostPair(this.lab.paths, 'controller').net)) ? pid : undefined;
  }

  /** Start the broker unless it runs; make sure the `openstack` user exists. Returns what it did. */
  async ensure(): Promise<string | undefined> {
    const why = rabbitUnavailableReason();
    if (why) throw new Error(`the two-machine lab runs RabbitMQ on controller: ${why}`);
    if (await this.running('server')) return undefined;
    const t0 = Date.now();
    await this.start();
    await this.ensureUser();
    return `controller: rabbitmq-server (node ${this.spec.node}) on ${LAB_RABBIT.host}:${LAB_RABBIT.port}, user ${LAB_RABBIT.user} (${Date.now() - t0} ms), log ${this.log}`;
  }

  /** Start the broker process (same node and data as before: users and durable queues survive) and wait until it serves. */
  async start(): Promise<void> {
    // a second beam with the same node name would only fail to start
    if (await this.running('server')) return;
    writeRabbitFiles(this.spec);
    const place = this.lab.place('controller');
    const epmdRunning = await this.running('epmd');
    const pids = await startRabbitDaemons(this.spec, place, !epmdRunning);
    if (pids.epmd) await writeFile(this.pidFile('epmd'), `${pids.epmd}\n`);
    await writeFile(this.pidFile('server'), `${pids.server}\n`);
    try {
      await awaitRabbit(this.spec, place, () => isAlive(pids.server));
    } catch (e) {
      await terminate([pids.server]);
      throw e;
    }
  }

  /** Stop the broker (the seed's `systemctl stop rabbitmq-server`); its data stays for start(). */
  async stop(): Promise<void> {
    const pid = await this.running('server');
    // beam shuts down cleanly on SIGTERM, in a few seconds
    if (pid) await terminate([pid], 20_000);
  }

  ctl(...args: string[]): Promise<string> {
    return rabbitCtl(this.spec, this.lab.place('controller'), args);
  }

  private async ensureUser(): Promise<void> {
    const users = await this.ctl('list_users', '--silent');
    if (!users.split('\n').some((l) => l.split(/\s+/)[0] === LAB_RABBIT.user)) await this.ctl('add_user', LAB_RABBIT.user, LAB_RABBIT.password);
    await this.ctl('set_permissions', '-p', '/', LAB_RABBIT.user, '.*', '.*', '.*');
  }
}
