// `muon server` with the seed's Liberty messaging options, against a private rabbitmq-server:
// it serves the agent channel through the broker, and a wrong password is one explained log line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigSources } from '../config/load.ts';
import { selectTransport, type RabbitTransport } from '../config/transport.ts';
import { amqpChannel } from '../agents/channel/amqp-channel.ts';
import { silentLogger } from '../services/log.ts';
import { freePort } from '../../test/support/db-servers.ts';
import { rabbitSkipReason, startRabbit, type RabbitBroker } from '../../test/support/rabbitmq.ts';

const MUON = new URL('../../bin/muon', import.meta.url).pathname;

describe('muon server over RabbitMQ (Liberty options)', { skip: rabbitSkipReason(), timeout: 180_000 }, () => {
  let broker: RabbitBroker;
  let dir: string;
  const children: ChildProcess[] = [];

  before(async () => {
    broker = await startRabbit();
    await broker.addUser('openstack', 'opst');
    dir = await mkdtemp(join(tmpdir(), 'muon-server-rmq-'));
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await broker?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** the seed's neutron.conf messaging lines, pointed at the private broker */
  const liberty = (password: string) => `rpc_backend = rabbit\n[oslo_messaging_rabbit]\nrabbit_host = 127.0.0.1\nrabbit_port = ${broker.port}\nrabbit_userid = openstack\nrabbit_password = ${password}\n`;

  async function serve(name: string, password: string, until: RegExp): Promise<string> {
    const conf = join(dir, `${name}.conf`);
    await writeFile(conf, `[DEFAULT]\nbind_host = 127.0.0.1\nbind_port = ${await freePort()}\nauth_strategy = noauth\nstate_path = ${join(dir, name)}\n${liberty(password)}`);
    const child = spawn(MUON, ['server', '--config-file', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${until} in 60 s:\n${log}`)), 60_000);
      child.stderr!.on('data', (c: Buffer) => { log += c; if (until.test(log)) { clearTimeout(t); resolve(); } });
      child.once('exit', (code) => { clearTimeout(t); reject(new Error(`muon server exited ${code}:\n${log}`)); });
    });
    return log;
  }

  it('serves agents through the broker', async () => {
    // both lines, in either order: with api_workers (default: one per CPU) a worker connects
    // before its primary says the server is listening
    const log = await serve('good', 'opst', /^(?=[\s\S]*"msg":"connected to RabbitMQ","role":"server")(?=[\s\S]*"msg":"listening")/);
    assert.match(log, new RegExp(`"rabbitmq":"127\\.0\\.0\\.1:${broker.port} \\(vhost /\\)"`), 'the listening line names the broker');
    const t = selectTransport(loadConfigSources([{ file: '<agent>', text: `[DEFAULT]\n${liberty('opst')}` }]).config) as RabbitTransport;
    const ch = amqpChannel(t, silentLogger);
    try {
      const r = await ch.report({ agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', topic: 'dhcp_agent', host: 'compute', configurations: {}, start_flag: true });
      assert.equal(r.outcome, 'new');
    } finally { ch.close(); }
  });

  it('a wrong rabbit_password is one log line saying which option to fix', async () => {
    const log = await serve('bad', 'nope', /refused the login/);
    assert.match(log, /"level":"error","msg":"RabbitMQ at 127\.0\.0\.1:\d+ refused the login of user 'openstack' \(ACCESS_REFUSED\): check \[oslo_messaging_rabbit\] rabbit_password/);
    assert.doesNotMatch(log, /nope/, 'the password is not logged');
  });
});
