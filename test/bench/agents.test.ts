// The 1,000-agent bench's machinery (bench/agents/) at a small size against a private broker
// and a real server: every simulated host registers over RabbitMQ, gets its ports through its
// feed, and receives a security-group rule change. Correctness only; the figures are the
// bench's (node bench/agents.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigSources, embeddedDefaults } from '../../src/config/load.ts';
import { selectTransport, type RabbitTransport } from '../../src/config/transport.ts';
import { connect } from '../../src/db/connect.ts';
import { upgrade } from '../../src/db/migrate.ts';
import { startServer, type RunningServer } from '../../src/api/server.ts';
import { rabbitSkipReason, startRabbit, type RabbitBroker } from '../support/rabbitmq.ts';
import { Fleet } from '../../bench/agents/fleet.ts';
import { buildTopology, fetchApi } from '../../bench/agents/topology.ts';
import { fanOut } from '../../bench/agents/fanout.ts';
import { BENCH_ML2_INI, simHosts } from '../../bench/agents/server-config.ts';

const HOSTS = 20;

describe('bench/agents machinery: simulated hosts over RabbitMQ', { skip: rabbitSkipReason() }, () => {
  let broker: RabbitBroker;
  let server: RunningServer;
  let fleet: Fleet;
  let closeDb: () => Promise<void>;

  before(async () => {
    broker = await startRabbit();
    await broker.addUser('openstack', 'opst');
    const { config } = loadConfigSources([{ file: '<test>', text: `[DEFAULT]\nauth_strategy = noauth\ntransport_url = ${broker.url('openstack', 'opst')}\n${BENCH_ML2_INI}` }], { defaults: embeddedDefaults() });
    const conn = connect('sqlite://');
    await upgrade(conn);
    closeDb = () => conn.close();
    const transport = selectTransport(config) as RabbitTransport;
    server = await startServer({ config, conn, host: '127.0.0.1', port: 0, amqp: transport });
    // the server declares its queue once connected; hosts started before that warn (rightly)
    await server.agentLink!.ready(30_000);
    fleet = new Fleet({ transport, hosts: simHosts(HOSTS), reportIntervalMs: 1000, watchWaitMs: 5000 });
  });

  after(async () => {
    fleet?.stop();
    await server?.close();
    await closeDb?.();
    await broker?.destroy();
  });

  test('every host registers, gets its ports, reports them up and receives the rule change', async () => {
    await fleet.start();
    const api = fetchApi(server.url);
    const agents = (await api('GET', '/v2.0/agents?agent_type=Linux%20bridge%20agent')).agents as { host: string; alive: boolean }[];
    assert.equal(agents.filter((a) => a.alive).length, HOSTS);

    const topo = await buildTopology(api, simHosts(HOSTS).map((h) => h.name), { networks: 3, portsPerHost: 2 });
    await fleet.waitPorts(topo.portsByHost, 60_000);
    // the device reports that follow each snapshot make the ports ACTIVE, as a real agent's do
    for (let t = 0; ; t++) {
      const down = (await api('GET', '/v2.0/ports?status=DOWN&fields=id')).ports.length;
      if (down === 0) break;
      assert.ok(t < 100, `${down} ports still DOWN`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const before = fleet.counters.reports;
    const r = await fanOut(api, topo.sgId, [fleet], 20001, 60_000);
    assert.equal(r.latenciesMs.length, HOSTS);
    assert.ok(r.latenciesMs.every((ms) => ms >= 0), `a host had the rule before it was made: ${r.latenciesMs}`);
    assert.ok(r.bytes.every((b) => b > 0));
    // a second change reaches every host too (the digest each host sent back moved on)
    const r2 = await fanOut(api, topo.sgId, [fleet], 20002, 60_000);
    assert.equal(r2.latenciesMs.length, HOSTS);

    // heartbeats keep flowing through each host's own connection
    const sent = await fleet.heartbeatBurst(40, 0.5);
    assert.equal(sent, 20);
    assert.ok(fleet.counters.reports >= before + 20);
    assert.deepEqual(fleet.warnings(), []);
  });
});
