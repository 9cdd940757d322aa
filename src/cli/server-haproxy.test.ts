// Two `muon server` processes on one MariaDB or PostgreSQL and one RabbitMQ, behind Debian's
// haproxy (health checks on GET /healthcheck), as operators run several Neutron servers:
// 32 clients creating ports through the balancer get no duplicate address; kill -9 of one server
// under that load loses no acknowledged write and leaves nothing half-created; an agent on the
// broker hears of writes served by either server at once (the servers' fallback check of the
// database is set to 10 minutes: only the broker's fanout can wake it in time), and keeps
// receiving updates through the surviving server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Db } from '../db/connect.ts';
import { upgrade } from '../db/migrate.ts';
import { loadConfigSources } from '../config/load.ts';
import { selectTransport, type RabbitTransport } from '../config/transport.ts';
import { amqpChannel } from '../agents/channel/amqp-channel.ts';
import { ChannelError } from '../agents/channel/http-channel.ts';
import type { AgentChannel } from '../feed/channel.ts';
import type { HostState } from '../feed/host-state.ts';
import { silentLogger } from '../services/log.ts';
import { freePort } from '../../test/support/db-servers.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, isCI, type TestDatabase } from '../../test/support/test-db.ts';
import { rabbitSkipReason, startRabbit, type RabbitBroker } from '../../test/support/rabbitmq.ts';
import { diesWithUs, httpJson, spawnMuon, type MuonProcess } from '../../test/support/muon-process.ts';
import { CLIENTS, LB, LB_CONF, serverConf } from '../../test/support/scale-out.ts';

const HAPROXY = '/usr/sbin/haproxy';
const haproxySkip = existsSync(HAPROXY) || isCI() ? false : `${HAPROXY} not installed (Debian package haproxy)`;

/** the balancer: round robin; a server is out after two failed checks 300 ms apart (a killed one
 *  refuses the connection at once), but a busy one has 5 s to answer its check (`timeout check`:
 *  without it the check must answer within `inter`, and a loaded server would be taken out);
 *  connection failures are retried on the other server */
const haproxyConf = (front: number, backs: number[]) => [
  'global', '  maxconn 2000',
  'defaults', '  mode http', '  timeout connect 2s', '  timeout client 120s', '  timeout server 120s', '  timeout check 5s', '  retries 3', '  option redispatch',
  'frontend api', `  bind 127.0.0.1:${front}`, '  default_backend muon',
  'backend muon', '  balance roundrobin', '  option httpchk GET /healthcheck', '  http-check expect status 200',
  '  default-server inter 300ms fall 2 rise 1',
  ...backs.map((p, i) => `  server muon${i} 127.0.0.1:${p} check`), '',
].join('\n');

async function until<T>(what: string, ms: number, f: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const dbKinds = TEST_DB_KINDS.filter((k) => k !== 'sqlite');
const skip = rabbitSkipReason() || haproxySkip;

describe('several servers behind haproxy', { skip, timeout: 600_000 }, () => {
  let broker: RabbitBroker;
  before(async () => {
    broker = await startRabbit();
    await broker.addUser('openstack', 'opst');
  });
  after(async () => { await broker?.destroy(); });

  for (const kind of dbKinds) {
    describe(`two servers on ${kind}`, { skip: dbSkipReason(kind) }, () => {
      let tdb: TestDatabase;
      let conn: Db;
      let dir: string;
      const servers: MuonProcess[] = [];
      let haproxy: ChildProcess | undefined;
      let base: string;
      let transport: RabbitTransport;
      let ch: AgentChannel;
      let net: string;
      let sg: string;
      let snap: HostState;

      before(async () => {
        tdb = await freshDatabase(kind, 'haproxy');
        conn = connect(tdb.url);
        await upgrade(conn);
        dir = await mkdtemp(join(tmpdir(), 'muon-haproxy-'));
        const url = broker.url('openstack', 'opst');
        const ports = [await freePort(), await freePort()];
        for (const [i, port] of ports.entries()) {
          const d = join(dir, `server${i}`);
          await writeFile(`${d}.conf`, serverConf({ port, dir: d, db: tdb.url, workers: 1, extra: `transport_url = ${url}\nrpc_response_timeout = 20` }));
          servers.push(spawnMuon(['--config-file', `${d}.conf`]));
        }
        await Promise.all(servers.map((s) => s.waitFor('the listening line', (l) => l.msg === 'listening')));
        await Promise.all(servers.map((s) => s.waitFor('the broker connection', (l) => l.msg === 'connected to RabbitMQ' && l.role === 'server')));
        const front = await freePort();
        await writeFile(join(dir, 'haproxy.cfg'), haproxyConf(front, ports));
        let hlog = '';
        const [bin, ...args] = diesWithUs([HAPROXY, '-db', '-f', join(dir, 'haproxy.cfg')]);
        haproxy = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
        process.once('exit', () => haproxy?.kill('SIGKILL'));
        haproxy.stderr!.on('data', (c: Buffer) => { hlog += c; });
        base = `http://127.0.0.1:${front}`;
        await until(`haproxy on ${front}:\n${hlog}`, 20_000, async () => ((await httpJson(base, 'GET', '/healthcheck', undefined, 2000)).status === 200 ? true : undefined));
        transport = selectTransport(loadConfigSources([{ file: '<agent>', text: `[DEFAULT]\ntransport_url = ${url}\nrpc_response_timeout = 20\n` }]).config) as RabbitTransport;
        ch = amqpChannel(transport, silentLogger);
      });
      after(async () => {
        ch?.close();
        haproxy?.kill('SIGKILL');
        await Promise.all(servers.map((s) => s.kill9()));
        await conn?.close();
        if (dir) await rm(dir, { recursive: true, force: true });
        await tdb?.drop();
      });

      it('an agent hears of a write served by either server at once', async (t) => {
        const first = await until('the agent channel through the broker', 30_000, () => ch.report({ ...LB, host: 'compute', configurations: LB_CONF, start_flag: true })
          .catch((e: unknown) => { if (e instanceof ChannelError && (e.status === 503 || e.status === 0)) return undefined; throw e; }));
        assert.equal(first.outcome, 'new');
        net = (await httpJson(base, 'POST', '/v2.0/networks', { network: { name: 'balanced' } })).body.network.id;
        assert.equal((await httpJson(base, 'POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.10.0.0/20', ip_version: 4, enable_dhcp: false } })).status, 201);
        const vm = await httpJson(base, 'POST', '/v2.0/ports', { port: { network_id: net, 'binding:host_id': 'compute', device_owner: 'compute:nova', device_id: 'vm-1' } });
        assert.equal(vm.body.port['binding:vif_type'], 'bridge', JSON.stringify(vm.body));
        sg = vm.body.port.security_groups[0];
        snap = (await ch.watch('compute', -1, 0))!;
        const sentBy = () => servers.map((s) => s.lines.filter((l) => l.msg === 'snapshot sent' && l.host === 'compute').length);
        const wroteBy = () => servers.map((s) => s.lines.filter((l) => l.msg === 'request' && l.path === '/v2.0/security-group-rules' && l.status === 201).length);
        let crossed = 0;
        for (let round = 0; round < 12 && crossed < 2; round++) {
          const [sent0, wrote0] = [sentBy(), wroteBy()];
          const waiting = ch.watch('compute', snap.revision, 60_000, snap.digest);
          await new Promise((r) => setTimeout(r, 1000)); // parked on one server well before the write
          // the broker and the balancer both take turns: an extra request in some rounds keeps
          // their turns from staying in step (watch and write on one server every time)
          if (round % 3 === 1) await httpJson(base, 'GET', '/healthcheck');
          const rule = await httpJson(base, 'POST', '/v2.0/security-group-rules', {
            security_group_rule: { security_group_id: sg, direction: 'ingress', protocol: 'tcp', port_range_min: 2000 + round, port_range_max: 2000 + round },
          });
          assert.equal(rule.status, 201, JSON.stringify(rule.body));
          const next = await waiting;
          assert.ok(next, `round ${round}: the watch ended without the change (no server woke it)`);
          assert.ok(next.security_groups.find((g) => g.id === sg)!.rules.some((r) => r.id === rule.body.security_group_rule.id));
          const sender = await until('the snapshot line', 10_000, async () => { const i = sentBy().findIndex((n, j) => n > sent0[j]); return i < 0 ? undefined : i; });
          const writer = await until('the write line', 10_000, async () => { const i = wroteBy().findIndex((n, j) => n > wrote0[j]); return i < 0 ? undefined : i; });
          if (sender !== writer) crossed++;
          snap = next;
        }
        t.diagnostic(`${crossed} writes served by the server the agent was not waiting on`);
        assert.ok(crossed >= 1, 'some writes were served by the server the agent was not waiting on');
      });

      it(`${CLIENTS} clients through the balancer: no duplicate address, and kill -9 of a server loses no acknowledged write`, async (t) => {
        // an agent's watch parked before the kill, on either server: it must still hear of the next change
        const parked = ch.watch('compute', snap.revision, 90_000, snap.digest);
        const acked: Array<{ id: string; ip: string }> = [];
        const failed: string[] = [];
        const TARGET = 400;
        let killedAt = -1;
        await Promise.all(Array.from({ length: CLIENTS }, async () => {
          while (acked.length < TARGET) {
            if (killedAt < 0 && acked.length >= 60) {
              killedAt = acked.length;
              await servers[0].kill9();
            }
            const r = await httpJson(base, 'POST', '/v2.0/ports', { port: { network_id: net } }).catch((e: Error) => ({ status: 0, body: e.message }));
            if (r.status === 201) acked.push({ id: r.body.port.id, ip: r.body.port.fixed_ips[0].ip_address });
            // a request the dying server held: the client sees an error and may retry (a new port)
            else if (r.status === 0 || r.status >= 500) {
              failed.push(`${killedAt < 0 ? 'before' : 'after'} the kill, ${acked.length} acked: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
              await new Promise((res) => setTimeout(res, 100)); // as a client would, before trying again
            }
            else throw new Error(`unexpected answer ${r.status}: ${JSON.stringify(r.body)}`);
          }
        }));
        assert.ok(killedAt > 0, 'a server was killed under load');
        t.diagnostic(`${acked.length} ports acknowledged, the server killed after ${killedAt}; ${failed.length} requests failed with it`);
        const errors = servers[1].lines.filter((l) => l.level === 'error').map((l) => JSON.stringify(l).slice(0, 400));
        assert.ok(failed.length < 100, `few requests failed with the server: ${failed.length}: ${failed.slice(0, 3).join(' | ')} … ${failed.slice(-3).join(' | ')}; the other server's errors: ${errors.slice(0, 3).join('\n')}`);
        // every acknowledged port is in the database, with its address
        const rows = await conn.db.selectFrom('ports').leftJoin('ip_allocations', 'ip_allocations.port_id', 'ports.id')
          .select(['ports.id', 'ip_allocations.ip_address']).where('ports.network_id', '=', net).execute();
        const inDb = new Map<string, string[]>();
        for (const r of rows) inDb.set(r.id, [...(inDb.get(r.id) ?? []), ...(r.ip_address ? [r.ip_address] : [])]);
        const lost = acked.filter((a) => !inDb.get(a.id)?.includes(a.ip));
        assert.deepEqual(lost, [], 'no acknowledged port is missing');
        const halfMade = [...inDb].filter(([, ips]) => ips.length !== 1);
        assert.deepEqual(halfMade, [], 'every port of the network has exactly one address');
        const ips = rows.map((r) => r.ip_address);
        assert.deepEqual(ips.filter((x, i) => ips.indexOf(x) !== i), [], 'no address is held twice');
        assert.ok(inDb.size >= acked.length + 1);

        // the agent keeps receiving updates through the surviving server
        const rule = await httpJson(base, 'POST', '/v2.0/security-group-rules', {
          security_group_rule: { security_group_id: sg, direction: 'ingress', protocol: 'udp', port_range_min: 53, port_range_max: 53 },
        });
        assert.equal(rule.status, 201, JSON.stringify(rule.body));
        const has = (s: HostState | null) => !!s?.security_groups.find((g) => g.id === sg)?.rules.some((r) => r.id === rule.body.security_group_rule.id);
        let state = await parked;
        for (let i = 0; i < 3 && !has(state); i++) {
          assert.ok(state, 'the parked watch ended without a change');
          state = await ch.watch('compute', state.revision, 60_000, state.digest);
        }
        assert.ok(has(state), 'the rule made after the kill reached the agent');
        assert.equal(servers[1].child.exitCode, null, 'the other server still runs');
      });
    });
  }
});
