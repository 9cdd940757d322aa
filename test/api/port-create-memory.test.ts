// Port creates that reuse what an earlier create read (src/services/create-memory.ts): on
// MariaDB a single port's create takes its network's facts and its subnet's lowest free range
// from memory and has the database confirm them in its one round trip. Two API servers on one
// database stand for api_workers and several servers: each remembers on its own, and one
// changes what the other remembered. Every answer must be what a create that reads would give.
// The same scenarios run on SQLite and PostgreSQL, where nothing is remembered.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbSkipReason, freshDatabase, TEST_DB_KINDS, type TestDatabase } from '../support/test-db.ts';
import { startApi, type Api } from '../support/api.ts';

type Body = Record<string, any>;

for (const kind of TEST_DB_KINDS) {
  describe(`port creates from remembered facts [${kind}]`, { skip: dbSkipReason(kind) }, () => {
    let db: TestDatabase;
    let a: Api;
    let b: Api;
    const remembers = kind === 'mysql';
    before(async () => {
      db = await freshDatabase(kind, 'create_memory');
      const ini = '[quotas]\nquota_port = -1\nquota_network = -1\nquota_subnet = -1\n';
      a = await startApi(ini, db.url);
      b = await startApi(ini, db.url);
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await db?.drop();
    });
    const counts = () => ({ ...a.deps.memory!.counts });

    async function ok(api: Api['req'], method: string, path: string, body?: unknown): Promise<Body> {
      const r = await api(method, path, body);
      assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as Body;
    }
    async function network(api: Api['req'], name: string, cidr = '10.5.0.0/24'): Promise<{ net: string; subnet: string }> {
      const net = (await ok(api, 'POST', '/v2.0/networks', { network: { name } })).network.id;
      const subnet = (await ok(api, 'POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr } })).subnet.id;
      return { net, subnet };
    }
    const port = async (api: Api['req'], net: string): Promise<Body> => (await ok(api, 'POST', '/v2.0/ports', { port: { network_id: net } })).port;
    const ipOf = (p: Body): string => p.fixed_ips.find((f: Body) => !f.ip_address.includes(':')).ip_address;

    it('sequential creates take the next addresses in order, and reuse what they read', async () => {
      const { net } = await network(a.req, 'seq');
      const before = counts();
      const ips: string[] = [];
      for (let i = 0; i < 6; i++) ips.push(ipOf(await port(a.req, net)));
      // a create that reads mid-transaction (its groups are checked): the guard goes with that read
      const group = (await port(a.req, net)).security_groups[0];
      const withGroup = (await ok(a.req, 'POST', '/v2.0/ports', { port: { network_id: net, security_groups: [group] } })).port;
      ips.push(ipOf(withGroup));
      assert.deepEqual(withGroup.security_groups, [group]);
      assert.deepEqual(ips, ['10.5.0.2', '10.5.0.3', '10.5.0.4', '10.5.0.5', '10.5.0.6', '10.5.0.7', '10.5.0.9']);
      const now = counts();
      if (remembers) {
        assert.ok(now.factsConfirmed - before.factsConfirmed >= 4, JSON.stringify({ before, now }));
        assert.ok(now.rangesTaken - before.rangesTaken >= 4, JSON.stringify({ before, now }));
      } else {
        assert.deepEqual(now, before);
      }
    });

    it('another server taking addresses, and a freed address, are seen: every address once, the lowest free first', async () => {
      const { net } = await network(a.req, 'two', '10.6.0.0/24');
      const ports: Body[] = [];
      const before = counts();
      for (let i = 0; i < 8; i++) ports.push(await port((i % 3 === 2 ? b : a).req, net));
      assert.deepEqual(ports.map(ipOf), ['10.6.0.2', '10.6.0.3', '10.6.0.4', '10.6.0.5', '10.6.0.6', '10.6.0.7', '10.6.0.8', '10.6.0.9']);
      // a's guess after b's create was stale: a reads that subnet's range for a while
      if (remembers) assert.equal(counts().rangesStale - before.rangesStale, 1, JSON.stringify({ before, now: counts() }));
      // b frees .4; a (which remembers .10 as the next) must take .4 first
      await ok(b.req, 'DELETE', `/v2.0/ports/${ports[2].id}`);
      assert.equal(ipOf(await port(a.req, net)), '10.6.0.4');
      assert.equal(ipOf(await port(a.req, net)), '10.6.0.10');
      // b takes the next one; a must not take it again
      assert.equal(ipOf(await port(b.req, net)), '10.6.0.11');
      assert.equal(ipOf(await port(a.req, net)), '10.6.0.12');
      const all = (await ok(a.req, 'GET', `/v2.0/ports?network_id=${net}`)).ports.map(ipOf).sort();
      assert.equal(new Set(all).size, all.length, `no address twice: ${all}`);
    });

    it('allocation pools rewritten by another server are respected by a create that reads its network but not its range', async () => {
      const net = (await ok(a.req, 'POST', '/v2.0/networks', { network: { name: 'pools', shared: true } })).network.id;
      const subnet = (await ok(a.req, 'POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.12.0.0/24' } })).subnet.id;
      assert.equal(ipOf(await port(a.req, net)), '10.12.0.2');
      assert.equal(ipOf(await port(a.req, net)), '10.12.0.3');
      await ok(b.req, 'PUT', `/v2.0/subnets/${subnet}`, { subnet: { allocation_pools: [{ start: '10.12.0.100', end: '10.12.0.200' }] } });
      // another project's first create here reads the network (nothing remembered for it) but
      // would guess the subnet's range: .4 is in no range now, and is not allocated
      const other = a.as('p-pools');
      const p = (await ok(other, 'POST', '/v2.0/ports', { port: { network_id: net } })).port;
      assert.equal(ipOf(p), '10.12.0.100');
    });

    it('a subnet added by another server is used by the next create', async () => {
      const { net } = await network(a.req, 'v6', '10.7.0.0/24');
      await port(a.req, net);
      await port(a.req, net);
      const before = counts();
      await ok(b.req, 'POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 6, cidr: '2001:db8:7::/64', ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' } });
      const p = await port(a.req, net);
      assert.equal(p.fixed_ips.length, 2, JSON.stringify(p.fixed_ips));
      assert.ok(p.fixed_ips.some((f: Body) => f.ip_address.startsWith('2001:db8:7:')), JSON.stringify(p.fixed_ips));
      if (remembers) assert.equal(counts().factsForgotten - before.factsForgotten, 1);
    });

    it('access withdrawn by another server is refused', async () => {
      const owner = a.as('p-owner');
      const other = a.as('p-other');
      const { net } = await network(owner, 'shared-to-other', '10.8.0.0/24');
      const grant = (await ok(b.req, 'POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: net, action: 'access_as_shared', target_tenant: 'p-other' } })).rbac_policy.id;
      for (let i = 0; i < 2; i++) {
        const p = await port(other, net);
        await ok(other, 'DELETE', `/v2.0/ports/${p.id}`);
      }
      await ok(b.req, 'DELETE', `/v2.0/rbac-policies/${grant}`);
      const r = await other('POST', '/v2.0/ports', { port: { network_id: net } });
      assert.equal(r.status, 404, JSON.stringify(r.body));
      assert.equal((r.body as Body).NeutronError.type, 'NetworkNotFound');
    });

    it('a quota set by another server applies to the next create', async () => {
      const project = a.as('p-quota');
      const { net } = await network(project, 'quota', '10.9.0.0/24');
      await port(project, net);
      await port(project, net);
      await ok(b.req, 'PUT', '/v2.0/quotas/p-quota', { quota: { port: 2 } });
      const r = await project('POST', '/v2.0/ports', { port: { network_id: net } });
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.equal((r.body as Body).NeutronError.type, 'OverQuota');
    });

    it('a default security group deleted by another server is made again', async () => {
      const project = a.as('p-sg');
      const { net } = await network(project, 'sg', '10.10.0.0/24');
      const first = await port(project, net);
      const second = await port(project, net);
      const group = first.security_groups[0];
      for (const p of [first, second]) await ok(b.req, 'DELETE', `/v2.0/ports/${p.id}`);
      await ok(b.req, 'DELETE', `/v2.0/security-groups/${group}`);
      const p = await port(project, net);
      assert.equal(p.security_groups.length, 1);
      assert.notEqual(p.security_groups[0], group);
      const sg = (await ok(project, 'GET', `/v2.0/security-groups/${p.security_groups[0]}`)).security_group;
      assert.equal(sg.name, 'default');
    });

    it('a network deleted by another server is not found', async () => {
      const { net } = await network(a.req, 'gone', '10.11.0.0/24');
      const ports = [await port(a.req, net), await port(a.req, net)];
      for (const p of ports) await ok(b.req, 'DELETE', `/v2.0/ports/${p.id}`);
      await ok(b.req, 'DELETE', `/v2.0/networks/${net}`);
      const r = await a.req('POST', '/v2.0/ports', { port: { network_id: net } });
      assert.equal(r.status, 404, JSON.stringify(r.body));
      assert.equal((r.body as Body).NeutronError.type, 'NetworkNotFound');
    });
  });
}
