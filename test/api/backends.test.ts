// The same API scenario on each real backend (SQLite, MariaDB, PostgreSQL): the
// seed's networks, subnets and ports, lists with filters and paging, errors, and
// IP allocation under concurrency (32 clients filling a small subnet).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../support/test-db.ts';
import { startApi, type Api } from '../support/api.ts';

for (const kind of TEST_DB_KINDS) {
  describe(`API on ${kind}`, { skip: dbSkipReason(kind) }, () => {
    let db: TestDatabase;
    let api: Api;
    before(async () => {
      db = await freshDatabase(kind, 'api');
      api = await startApi('', db.url);
    });
    after(async () => {
      await api?.close();
      await db?.drop();
    });

    it('creates the seed topology and reads it back', async () => {
      const pub = await api.req('POST', '/v2.0/networks', { network: { name: 'public', shared: true, 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'public' } });
      assert.equal(pub.status, 201, JSON.stringify(pub.body));
      const pubSub = await api.req('POST', '/v2.0/subnets', { subnet: {
        name: 'public', network_id: pub.body.network.id, ip_version: 4, cidr: '192.168.81.0/24',
        allocation_pools: [{ start: '192.168.81.100', end: '192.168.81.200' }], dns_nameservers: ['192.168.85.253'], gateway_ip: '192.168.81.254',
      } });
      assert.equal(pubSub.status, 201, JSON.stringify(pubSub.body));
      assert.deepEqual(pubSub.body.subnet.allocation_pools, [{ start: '192.168.81.100', end: '192.168.81.200' }]);
      const priv = await api.as('demo')('POST', '/v2.0/networks', { network: { name: 'private' } });
      assert.equal(priv.body.network.mtu, 1450);
      const privSub = await api.as('demo')('POST', '/v2.0/subnets', { subnet: {
        name: 'private', network_id: priv.body.network.id, ip_version: 4, cidr: '172.16.1.0/24', dns_nameservers: ['192.168.85.253'], gateway_ip: '172.16.1.1',
      } });
      assert.equal(privSub.status, 201, JSON.stringify(privSub.body));
      assert.deepEqual(privSub.body.subnet.allocation_pools, [{ start: '172.16.1.2', end: '172.16.1.254' }]);
      const net = await api.req('GET', `/v2.0/networks/${priv.body.network.id}`);
      assert.deepEqual(net.body.network.subnets, [privSub.body.subnet.id]);
      assert.equal(net.body.network.revision_number, 2);

      const port = await api.as('demo')('POST', '/v2.0/ports', { port: { name: 'p1', network_id: priv.body.network.id, tags: ['vm'] } });
      assert.equal(port.status, 201, JSON.stringify(port.body));
      assert.equal(port.body.port.status, 'DOWN');
      assert.match(port.body.port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
      const ip = port.body.port.fixed_ips[0].ip_address;
      assert.match(ip, /^172\.16\.1\./);
      const byIp = await api.as('demo')('GET', `/v2.0/ports?fixed_ips=ip_address%3D${ip}`);
      assert.deepEqual(byIp.body.ports.map((p: any) => p.id), [port.body.port.id]);
      assert.deepEqual((await api.as('demo')('GET', '/v2.0/ports?tags=vm')).body.ports.map((p: any) => p.id), [port.body.port.id]);
      const dup = await api.as('demo')('POST', '/v2.0/ports', { port: { network_id: priv.body.network.id, fixed_ips: [{ ip_address: ip }] } });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.NeutronError.type, 'IpAddressAlreadyAllocated');
      const inUse = await api.as('demo')('DELETE', `/v2.0/networks/${priv.body.network.id}`);
      assert.equal(inUse.status, 409);
      assert.equal(inUse.body.NeutronError.type, 'NetworkInUse');
      const subInUse = await api.as('demo')('DELETE', `/v2.0/subnets/${privSub.body.subnet.id}`);
      assert.equal(subInUse.body.NeutronError.type, 'SubnetInUse');
      assert.equal((await api.as('demo')('DELETE', `/v2.0/ports/${port.body.port.id}`)).status, 204);
      assert.equal((await api.as('demo')('DELETE', `/v2.0/networks/${priv.body.network.id}`)).status, 204);
      assert.equal((await api.req('GET', `/v2.0/subnets/${privSub.body.subnet.id}`)).status, 404);
    });

    it('deletes a network together with its DHCP port, subnet and their rows', async () => {
      const net = (await api.req('POST', '/v2.0/networks', { network: { name: 'with-dhcp' } })).body.network;
      const sub = (await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.98.0.0/24', dns_nameservers: ['10.98.0.53'], host_routes: [{ destination: '10.1.0.0/16', nexthop: '10.98.0.254' }], tags: ['t'] } })).body.subnet;
      const dhcp = await api.req('POST', '/v2.0/ports', { port: { network_id: net.id, device_owner: 'network:dhcp', allowed_address_pairs: [], extra_dhcp_opts: [{ opt_name: 'mtu', opt_value: '1450' }] } });
      assert.equal(dhcp.status, 201, JSON.stringify(dhcp.body));
      assert.equal((await api.req('DELETE', `/v2.0/networks/${net.id}`)).status, 204);
      assert.equal((await api.req('GET', `/v2.0/ports/${dhcp.body.port.id}`)).status, 404);
      assert.equal((await api.req('GET', `/v2.0/subnets/${sub.id}`)).status, 404);
      const db = api.deps.conn.db;
      for (const [table, col, id] of [
        ['ip_allocations', 'port_id', dhcp.body.port.id], ['port_extra_dhcp_opts', 'port_id', dhcp.body.port.id],
        ['subnet_dns_nameservers', 'subnet_id', sub.id], ['subnet_host_routes', 'subnet_id', sub.id], ['ip_free_ranges', 'subnet_id', sub.id],
        ['subnet_pool_ranges', 'subnet_id', sub.id], ['tags', 'resource_id', sub.id],
      ] as const) {
        const left = await db.selectFrom(table as any).selectAll().where(col as any, '=', id).execute();
        assert.equal(left.length, 0, `${table} rows left behind`);
      }
    });

    it('gives 24 concurrently created tenant networks 24 different VNIs', async () => {
      const results = await Promise.all(Array.from({ length: 24 }, (_, i) => api.req('POST', '/v2.0/networks', { network: { name: `vni-${i}` } })));
      for (const r of results) assert.equal(r.status, 201, JSON.stringify(r.body));
      const vnis = await Promise.all(results.map(async (r) => (await api.req('GET', `/v2.0/networks/${r.body.network.id}`)).body.network['provider:segmentation_id']));
      assert.equal(new Set(vnis).size, 24);
      for (const r of results) await api.req('DELETE', `/v2.0/networks/${r.body.network.id}`);
    });

    it('pages and sorts in the database', async () => {
      const made = await api.req('POST', '/v2.0/networks', { networks: Array.from({ length: 7 }, (_, i) => ({ name: `pg-${i}` })) });
      assert.equal(made.status, 201);
      const seen: string[] = [];
      let path: string | null = '/v2.0/networks?limit=3&sort_key=name&sort_dir=desc&name=pg-0&name=pg-1&name=pg-2&name=pg-3&name=pg-4&name=pg-5&name=pg-6';
      while (path) {
        const r = await api.req('GET', path);
        seen.push(...r.body.networks.map((n: any) => n.name));
        const next = r.body.networks_links?.find((l: any) => l.rel === 'next');
        path = r.body.networks.length && next ? new URL(next.href).pathname + new URL(next.href).search : null;
      }
      assert.deepEqual(seen, ['pg-6', 'pg-5', 'pg-4', 'pg-3', 'pg-2', 'pg-1', 'pg-0']);
    });

    it('hands out every address of a full subnet exactly once to 32 concurrent clients', async () => {
      const net = (await api.req('POST', '/v2.0/networks', { network: { name: 'conc' } })).body.network;
      const sub = (await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.99.0.0/27' } })).body.subnet;
      const capacity = 29; // .2 - .30 (gateway .1)
      const results: { status: number; body: any }[] = [];
      await Promise.all(Array.from({ length: 32 }, async () => {
        for (let i = 0; i < 2; i++) results.push(await api.req('POST', '/v2.0/ports', { port: { network_id: net.id } }));
      }));
      const ok = results.filter((r) => r.status === 201);
      const failed = results.filter((r) => r.status !== 201);
      assert.equal(ok.length, capacity);
      for (const f of failed) {
        assert.equal(f.status, 409, JSON.stringify(f.body));
        assert.equal(f.body.NeutronError.type, 'IpAddressGenerationFailure');
        assert.equal(f.body.NeutronError.message, `No more IP addresses available on network ${net.id}.`);
      }
      const ips = ok.map((r) => r.body.port.fixed_ips[0].ip_address);
      assert.equal(new Set(ips).size, capacity);
      assert.equal(new Set(ok.map((r) => r.body.port.mac_address)).size, capacity);
      const avail = await api.req('GET', `/v2.0/network-ip-availabilities/${net.id}`);
      assert.equal(avail.body.network_ip_availability.used_ips, capacity);
      assert.equal(avail.body.network_ip_availability.total_ips, capacity);
      // releasing one address makes exactly that one available again
      await api.req('DELETE', `/v2.0/ports/${ok[0].body.port.id}`);
      const again = await api.req('POST', '/v2.0/ports', { port: { network_id: net.id } });
      assert.equal(again.status, 201);
      assert.equal(again.body.port.fixed_ips[0].ip_address, ips[0]);
      assert.equal(sub.cidr, '10.99.0.0/27');
    });
  });
}
