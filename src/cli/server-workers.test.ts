// `muon server` with api_workers = 2 on each database: two processes behind one port and one
// agent socket. 32 clients filling a subnet get no duplicate address; an agent long-polling one
// worker hears of a write served by the other at once (the fallback check of the database is set
// to 10 minutes here, so only the primary's relay can wake it); a killed worker is replaced.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../db/connect.ts';
import { upgrade } from '../db/migrate.ts';
import { httpChannel } from '../agents/channel/http-channel.ts';
import type { AgentChannel } from '../feed/channel.ts';
import { freePort } from '../../test/support/db-servers.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../test/support/test-db.ts';
import { httpJson, spawnMuon, type LogLine, type MuonProcess } from '../../test/support/muon-process.ts';
import { CLIENTS, LB, LB_CONF, POOL, fillSubnet, serverConf } from '../../test/support/scale-out.ts';

const dupes = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);

for (const kind of TEST_DB_KINDS) {
  describe(`api_workers = 2 on ${kind}`, { skip: dbSkipReason(kind), timeout: 300_000 }, () => {
    let tdb: TestDatabase;
    let dir: string;
    let muon: MuonProcess;
    let base: string;
    let ch: AgentChannel;
    let net: string;
    let sg: string;

    before(async () => {
      tdb = await freshDatabase(kind, 'api_workers');
      if (kind !== 'sqlite') {
        const c = connect(tdb.url);
        await upgrade(c);
        await c.close();
      }
      dir = await mkdtemp(join(tmpdir(), 'muon-workers-'));
      const port = await freePort();
      await writeFile(join(dir, 'neutron.conf'), serverConf({ port, dir, db: tdb.url, workers: 2 }));
      muon = spawnMuon(['--config-file', join(dir, 'neutron.conf')]);
      const up = await muon.waitFor('the listening line', (l) => l.msg === 'listening');
      assert.equal(up.api_workers, 2);
      assert.equal((up.pids as number[]).length, 2);
      base = `http://127.0.0.1:${port}`;
      ch = httpChannel(join(dir, 'agent.sock'));
    });
    after(async () => {
      await muon?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
      await tdb?.drop();
    });

    it(`${CLIENTS} clients filling a subnet through the one port get no duplicate address`, async () => {
      assert.equal((await ch.report({ ...LB, host: 'compute', configurations: LB_CONF, start_flag: true })).outcome, 'new');
      net = (await httpJson(base, 'POST', '/v2.0/networks', { network: { name: 'fill' } })).body.network.id;
      const sub = await httpJson(base, 'POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.9.0.0/25', ip_version: 4, enable_dhcp: false } });
      assert.equal(sub.status, 201, JSON.stringify(sub.body));
      // the agent's own port, bound to its host
      const vm = await httpJson(base, 'POST', '/v2.0/ports', { port: { network_id: net, 'binding:host_id': 'compute', device_owner: 'compute:nova', device_id: 'vm-1' } });
      assert.equal(vm.status, 201, JSON.stringify(vm.body));
      assert.equal(vm.body.port['binding:vif_type'], 'bridge');
      sg = vm.body.port.security_groups[0];

      const { ips, other } = await fillSubnet(base, net);
      assert.deepEqual(other, [], 'every answer is a port or "no more addresses"');
      assert.deepEqual(dupes(ips), []);
      assert.equal(ips.length + 1, POOL, 'the subnet is full');
      const all = (await httpJson(base, 'GET', `/v2.0/ports?network_id=${net}`)).body.ports as Array<{ fixed_ips: Array<{ ip_address: string }> }>;
      const held = all.flatMap((p) => p.fixed_ips.map((f) => f.ip_address));
      assert.equal(all.length, POOL);
      assert.equal(held.length, POOL, 'one address per port');
      assert.deepEqual(dupes(held), []);
      // both workers served creates
      const pids = new Set(muon.lines.filter((l) => l.msg === 'request' && l.method === 'POST' && l.path === '/v2.0/ports' && l.status === 201).map((l) => l.pid));
      assert.equal(pids.size, 2, `ports created by workers ${[...pids].join(', ')}`);
    });

    it('an agent waiting on one worker hears of a write served by the other at once', async () => {
      let snap = (await ch.watch('compute', -1, 0))!;
      assert.ok(snap.digest);
      const snapshots = () => muon.lines.filter((l) => l.msg === 'snapshot sent' && l.host === 'compute');
      const writes = () => muon.lines.filter((l) => l.msg === 'request' && l.path === '/v2.0/security-group-rules' && l.status === 201);
      await muon.when('the first snapshot line', () => snapshots()[0]);
      let crossed = 0;
      for (let round = 0; round < 12 && crossed < 2; round++) {
        const before = snapshots().length;
        const waiting = ch.watch('compute', snap.revision, 60_000, snap.digest);
        await new Promise((r) => setTimeout(r, 1000)); // parked on its worker well before the write
        const rule = await httpJson(base, 'POST', '/v2.0/security-group-rules', {
          security_group_rule: { security_group_id: sg, direction: 'ingress', protocol: 'tcp', port_range_min: 1000 + round, port_range_max: 1000 + round },
        });
        assert.equal(rule.status, 201, JSON.stringify(rule.body));
        const next = await waiting;
        assert.ok(next, `round ${round}: the watch ended without the change (no worker woke it)`);
        assert.ok(next.security_groups.find((g) => g.id === sg)!.rules.some((r) => r.id === rule.body.security_group_rule.id));
        const sent: LogLine = await muon.when('the snapshot line', () => snapshots()[before]);
        const wrote: LogLine = await muon.when('the write line', () => writes()[round]);
        if (sent.pid !== wrote.pid) crossed++;
        snap = next;
      }
      assert.ok(crossed >= 1, 'some writes were served by the worker the agent was not waiting on');
    });

    it('a worker killed with SIGKILL is replaced, and the port keeps serving', { skip: kind !== 'sqlite' && 'once is enough' }, async () => {
      const up = muon.lines.find((l) => l.msg === 'listening')!;
      const victim = (up.pids as number[])[0];
      process.kill(victim, 'SIGKILL');
      await muon.waitFor('the primary noticing', (l) => l.msg === 'an API worker died; starting another' && l.pid === victim);
      const fresh = await muon.waitFor('a new worker', (l) => l.msg === 'api worker serving' && !(up.pids as number[]).includes(l.pid!));
      assert.ok(fresh.pid);
      for (let i = 0; i < 4; i++) assert.equal((await httpJson(base, 'GET', '/healthcheck')).status, 200);
      assert.equal((await httpJson(base, 'POST', '/v2.0/networks', { network: { name: 'after' } })).status, 201);
    });
  });
}
