// The seed's router flow on each backend (SQLite, MariaDB, PostgreSQL): router
// create, interface on private (172.16.1.1), gateway on public (an address from
// 192.168.81.100-200), router-port-list, floating IP create + associate with a VM port.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../support/test-db.ts';
import { startApi, type Api } from '../support/api.ts';

const ML2 = `
[ml2]
type_drivers = flat,vlan,vxlan
tenant_network_types = vxlan
[ml2_type_flat]
flat_networks = public
[ml2_type_vxlan]
vni_ranges = 1:1000
`;

const inPool = (ip: string) => {
  const m = /^192\.168\.81\.(\d+)$/.exec(ip);
  return m !== null && Number(m[1]) >= 100 && Number(m[1]) <= 200;
};

for (const kind of TEST_DB_KINDS) {
  describe(`routers on ${kind}`, { skip: dbSkipReason(kind) }, () => {
    let db: TestDatabase;
    let api: Api;
    before(async () => {
      db = await freshDatabase(kind, 'routers');
      api = await startApi(ML2, db.url);
    });
    after(async () => {
      await api?.close();
      await db?.drop();
    });

    it('replays the seed: router, interface, gateway, ports, floating IP', async () => {
      const demo = api.as('demo');
      const pub = await api.req('POST', '/v2.0/networks', { network: { name: 'public', shared: true, 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'public' } });
      assert.equal(pub.status, 201, JSON.stringify(pub.body));
      const pubSub = await api.req('POST', '/v2.0/subnets', { subnet: {
        name: 'public', network_id: pub.body.network.id, ip_version: 4, cidr: '192.168.81.0/24', enable_dhcp: false,
        allocation_pools: [{ start: '192.168.81.100', end: '192.168.81.200' }], gateway_ip: '192.168.81.254',
      } });
      assert.equal(pubSub.status, 201, JSON.stringify(pubSub.body));
      const priv = await demo('POST', '/v2.0/networks', { network: { name: 'private' } });
      const privSub = await demo('POST', '/v2.0/subnets', { subnet: { name: 'private', network_id: priv.body.network.id, ip_version: 4, cidr: '172.16.1.0/24', gateway_ip: '172.16.1.1' } });
      assert.equal(privSub.status, 201, JSON.stringify(privSub.body));

      // neutron router-create router
      const rc = await demo('POST', '/v2.0/routers', { router: { name: 'router' } });
      assert.equal(rc.status, 201, JSON.stringify(rc.body));
      const router = rc.body.router;
      assert.deepEqual(Object.keys(router).sort(), ['admin_state_up', 'availability_zone_hints', 'availability_zones', 'created_at', 'description',
        'external_gateway_info', 'flavor_id', 'id', 'name', 'project_id', 'revision_number', 'routes', 'status', 'tags', 'tenant_id', 'updated_at']);
      assert.equal(router.status, 'ACTIVE');
      assert.equal(router.external_gateway_info, null);
      assert.equal(router.revision_number, 1);

      // neutron router-interface-add router private
      const ai = await demo('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: privSub.body.subnet.id });
      assert.equal(ai.status, 200, JSON.stringify(ai.body));
      assert.deepEqual(Object.keys(ai.body).sort(), ['id', 'network_id', 'port_id', 'project_id', 'subnet_id', 'subnet_ids', 'tenant_id']);
      assert.equal(ai.body.id, router.id);
      assert.deepEqual(ai.body.subnet_ids, [privSub.body.subnet.id]);
      const intf = (await api.req('GET', `/v2.0/ports/${ai.body.port_id}`)).body.port;
      assert.equal(intf.device_owner, 'network:router_interface');
      assert.equal(intf.device_id, router.id);
      assert.equal(intf.project_id, 'demo');
      assert.equal(intf.revision_number, 2);
      assert.equal(intf.port_security_enabled, false);
      assert.deepEqual(intf.fixed_ips, [{ subnet_id: privSub.body.subnet.id, ip_address: '172.16.1.1' }]);

      // neutron router-gateway-set router public
      const gs = await demo('PUT', `/v2.0/routers/${router.id}`, { router: { external_gateway_info: { network_id: pub.body.network.id } } });
      assert.equal(gs.status, 200, JSON.stringify(gs.body));
      const gw = gs.body.router.external_gateway_info;
      assert.equal(gw.network_id, pub.body.network.id);
      assert.equal(gw.enable_snat, true);
      assert.equal(gw.external_fixed_ips.length, 1);
      assert.ok(inPool(gw.external_fixed_ips[0].ip_address), gw.external_fixed_ips[0].ip_address);
      assert.equal(gs.body.router.revision_number, 4);
      assert.ok(!('distributed' in gs.body.router), 'members do not see distributed');
      const asAdmin = (await api.req('GET', `/v2.0/routers/${router.id}`)).body.router;
      assert.equal(asAdmin.distributed, false);
      assert.equal(asAdmin.ha, false);

      // neutron router-port-list router: the member sees its interface, the admin both ports.
      const mine = await demo('GET', `/v2.0/ports?device_id=${router.id}`);
      assert.deepEqual(mine.body.ports.map((p: any) => p.id), [ai.body.port_id]);
      const all = await api.req('GET', `/v2.0/ports?device_id=${router.id}&sort_key=device_owner&sort_dir=desc`);
      assert.equal(all.body.ports.length, 2);
      const gwPort = all.body.ports.find((p: any) => p.device_owner === 'network:router_gateway');
      assert.equal(gwPort.project_id, '');
      assert.equal(gwPort.tenant_id, '');
      assert.equal(gwPort.revision_number, 1);
      assert.deepEqual(gwPort.fixed_ips, gw.external_fixed_ips);

      // A VM port on private, then floatingip-create public + floatingip-associate.
      const vm = await demo('POST', '/v2.0/ports', { port: { network_id: priv.body.network.id, name: 'vm', device_owner: 'compute:nova', device_id: 'vm-1' } });
      assert.equal(vm.status, 201, JSON.stringify(vm.body));
      const fc = await demo('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub.body.network.id } });
      assert.equal(fc.status, 201, JSON.stringify(fc.body));
      const fip = fc.body.floatingip;
      assert.deepEqual(Object.keys(fip).sort(), ['created_at', 'description', 'fixed_ip_address', 'floating_ip_address', 'floating_network_id', 'id',
        'port_details', 'port_id', 'project_id', 'revision_number', 'router_id', 'status', 'tags', 'tenant_id', 'updated_at']);
      assert.ok(inPool(fip.floating_ip_address));
      assert.equal(fip.router_id, null);
      assert.equal(fip.port_details, null);
      assert.equal(fip.status, 'DOWN');
      assert.equal(fip.revision_number, 0);
      const fa = await demo('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: vm.body.port.id } });
      assert.equal(fa.status, 200, JSON.stringify(fa.body));
      assert.equal(fa.body.floatingip.router_id, router.id);
      assert.equal(fa.body.floatingip.fixed_ip_address, vm.body.port.fixed_ips[0].ip_address);
      assert.equal(fa.body.floatingip.revision_number, 1);
      assert.deepEqual(fa.body.floatingip.port_details, {
        name: 'vm', network_id: priv.body.network.id, mac_address: vm.body.port.mac_address, admin_state_up: true, status: 'DOWN',
        device_id: 'vm-1', device_owner: 'compute:nova',
      });
      const fipPort = (await api.req('GET', `/v2.0/ports?device_id=${fip.id}`)).body.ports[0];
      assert.equal(fipPort.device_owner, 'network:floatingip');
      assert.deepEqual(fipPort.fixed_ips.map((f: any) => f.ip_address), [fip.floating_ip_address]);

      // The interface is needed by the floating IP; the router by its interface.
      const rm = await demo('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { subnet_id: privSub.body.subnet.id });
      assert.equal(rm.status, 409);
      assert.equal(rm.body.NeutronError.type, 'RouterInterfaceInUseByFloatingIP');
      const del = await demo('DELETE', `/v2.0/routers/${router.id}`);
      assert.equal(del.status, 409);
      assert.equal(del.body.NeutronError.message, `Router ${router.id} has ports still attached: ${ai.body.port_id}`);

      // Tear down in order: a deleted VM port disassociates, then interface, router, floating IP.
      assert.equal((await demo('DELETE', `/v2.0/ports/${vm.body.port.id}`)).status, 204);
      const after = (await demo('GET', `/v2.0/floatingips/${fip.id}`)).body.floatingip;
      assert.equal(after.port_id, null);
      assert.equal(after.router_id, null);
      assert.equal(after.revision_number, 2);
      const rm2 = await demo('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { subnet_id: privSub.body.subnet.id });
      assert.equal(rm2.status, 200, JSON.stringify(rm2.body));
      assert.equal(rm2.body.port_id, ai.body.port_id);
      assert.equal((await demo('DELETE', `/v2.0/routers/${router.id}`)).status, 204);
      assert.equal((await demo('DELETE', `/v2.0/floatingips/${fip.id}`)).status, 204);
      const left = await api.req('GET', `/v2.0/ports?network_id=${pub.body.network.id}`);
      assert.deepEqual(left.body.ports, []);
    });
  });
}
