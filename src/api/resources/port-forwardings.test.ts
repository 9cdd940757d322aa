// Floating IP port forwardings: create/show/list/update/delete, port ranges, the
// plugin's conflicts with its exact messages, policy across projects, and the
// forwardings of a deleted internal port.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from '../../../test/support/api.ts';

const ML2 = `
[ml2]
type_drivers = flat,vxlan
tenant_network_types = vxlan
[ml2_type_flat]
flat_networks = public
[ml2_type_vxlan]
vni_ranges = 1:1000
`;
const Z = '00000000-0000-0000-0000-000000000000';

const err = (r: { status: number; body: any }, status: number, type: string, message: string) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.NeutronError.type, type);
  assert.equal(r.body.NeutronError.message, message);
};

describe('floating IP port forwardings API', () => {
  let api: Api;
  const demo = () => api.as('demo');
  const demo2 = () => api.as('demo2');
  let pub: string, netA: string, subA: string, netB: string, subB: string, router: string, vm: string, vm2: string, fip: string;
  const pfPath = (f: string, id?: string) => `/v2.0/floatingips/${f}/port_forwardings${id ? `/${id}` : ''}`;
  const pf = (extra: Record<string, unknown> = {}) => ({
    port_forwarding: { protocol: 'tcp', internal_port_id: vm, internal_ip_address: '10.50.0.10', internal_port: 22, external_port: 2222, ...extra },
  });

  before(async () => {
    api = await startApi(ML2);
    pub = (await api.req('POST', '/v2.0/networks', { network: { name: 'public', shared: true, 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'public' } })).body.network.id;
    await api.req('POST', '/v2.0/subnets', { subnet: { network_id: pub, ip_version: 4, cidr: '192.168.81.0/24', allocation_pools: [{ start: '192.168.81.100', end: '192.168.81.200' }] } });
    netA = (await demo()('POST', '/v2.0/networks', { network: { name: 'a' } })).body.network.id;
    subA = (await demo()('POST', '/v2.0/subnets', { subnet: { network_id: netA, ip_version: 4, cidr: '10.50.0.0/24' } })).body.subnet.id;
    netB = (await demo()('POST', '/v2.0/networks', { network: { name: 'b' } })).body.network.id;
    subB = (await demo()('POST', '/v2.0/subnets', { subnet: { network_id: netB, ip_version: 4, cidr: '10.51.0.0/24' } })).body.subnet.id;
    router = (await demo()('POST', '/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: pub } } })).body.router.id;
    assert.equal((await demo()('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: subA })).status, 200);
    vm = (await demo()('POST', '/v2.0/ports', { port: { network_id: netA, fixed_ips: [{ subnet_id: subA, ip_address: '10.50.0.10' }] } })).body.port.id;
    vm2 = (await demo()('POST', '/v2.0/ports', { port: { network_id: netA, fixed_ips: [{ subnet_id: subA, ip_address: '10.50.0.11' }] } })).body.port.id;
    fip = (await demo()('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub } })).body.floatingip.id;
  });
  after(async () => { await api.close(); });

  it('creates, shows, lists, updates and deletes a forwarding; the floating IP takes the router', async () => {
    const c = await demo()('POST', pfPath(fip), pf({ description: 'ssh' }));
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const id = c.body.port_forwarding.id;
    assert.deepEqual(c.body.port_forwarding, {
      id, external_port: 2222, external_port_range: '2222:2222', protocol: 'tcp', internal_port_id: vm, internal_ip_address: '10.50.0.10',
      internal_port: 22, internal_port_range: '22:22', description: 'ssh',
    });
    const f = (await demo()('GET', `/v2.0/floatingips/${fip}`)).body.floatingip;
    assert.equal(f.router_id, router);
    assert.equal(f.port_id, null);
    assert.equal('port_forwardings' in f, false, 'Zed did not show port_forwardings in the floating IP view');
    assert.deepEqual((await demo()('GET', pfPath(fip, id))).body.port_forwarding, c.body.port_forwarding);
    assert.deepEqual((await demo()('GET', pfPath(fip))).body.port_forwardings, [c.body.port_forwarding]);
    assert.deepEqual((await demo()('GET', `${pfPath(fip)}?external_port=2222&fields=id&fields=protocol`)).body.port_forwardings, [{ id, protocol: 'tcp' }]);
    assert.deepEqual((await demo()('GET', `${pfPath(fip)}?external_port=1`)).body.port_forwardings, []);
    err(await demo()('GET', `${pfPath(fip)}?internal_port=22`), 400, 'PortForwardingNotSupportFilterField', 'Port Forwarding filter internal_port is not supported.');

    const u = await demo()('PUT', pfPath(fip, id), { port_forwarding: { external_port: 2223, description: 'moved' } });
    assert.equal(u.status, 200, JSON.stringify(u.body));
    assert.equal(u.body.port_forwarding.external_port, 2223);
    assert.equal(u.body.port_forwarding.description, 'moved');

    // A floating IP with forwardings can be neither associated nor deleted.
    err(await demo()('PUT', `/v2.0/floatingips/${fip}`, { floatingip: { port_id: vm2 } }),
      409, 'FipInUseByPortForwarding', `Floating IP ${fip} in use by Port Forwarding resources.`);
    err(await demo()('DELETE', `/v2.0/floatingips/${fip}`), 409, 'FipInUseByPortForwarding', `Floating IP ${fip} in use by Port Forwarding resources.`);

    assert.equal((await demo()('DELETE', pfPath(fip, id))).status, 204);
    err(await demo()('GET', pfPath(fip, id)), 404, 'PortForwardingNotFound', `Port Forwarding ${id} could not be found.`);
    err(await demo()('DELETE', pfPath(fip, id)), 404, 'PortForwardingNotFound', `Port Forwarding ${id} could not be found.`);
    assert.equal((await demo()('GET', `/v2.0/floatingips/${fip}`)).body.floatingip.router_id, null);
  });

  it('supports port ranges (N-N and 1-N only)', async () => {
    const c = await demo()('POST', pfPath(fip), pf({ internal_port: undefined, external_port: undefined, internal_port_range: '8000:8009', external_port_range: '9000:9009', protocol: 'udp' }));
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.deepEqual(c.body.port_forwarding, {
      id: c.body.port_forwarding.id, external_port_range: '9000:9009', protocol: 'udp', internal_port_id: vm, internal_ip_address: '10.50.0.10',
      internal_port_range: '8000:8009', description: '',
    });
    err(await demo()('POST', pfPath(fip), pf({ internal_port: undefined, external_port: undefined, internal_port_range: '100:105', external_port_range: '200:209' })),
      400, 'BadRequest', 'Bad port_forwarding request: Invalid ranges of internal and/or external ports. The relation between internal and external ports must be N-N or 1-N.');
    err(await demo()('POST', pfPath(fip), pf({ external_port: undefined, external_port_range: '9005:9020', protocol: 'udp' })),
      400, 'BadRequest', 'Bad port_forwarding request: There is a port collision with the external_port_range. The following ranges collides: 9000:9009 and 9005:9020.');
    err(await demo()('POST', pfPath(fip), pf({ external_port_range: '20:10', external_port: undefined })),
      400, 'HTTPBadRequest', 'Invalid input for external_port_range. Reason: First port in a port range must be lower than the second port.');
    assert.equal((await demo()('DELETE', pfPath(fip, c.body.port_forwarding.id))).status, 204);
  });

  it('refuses what the plugin refuses, with its messages', async () => {
    const first = (await demo()('POST', pfPath(fip), pf())).body.port_forwarding.id;
    // Same external port and protocol on the floating IP.
    err(await demo()('POST', pfPath(fip), pf({ internal_port_id: vm2, internal_ip_address: '10.50.0.11' })),
      400, 'BadRequest', 'Bad port_forwarding request: There is a port collision with the external_port_range. The following ranges collides: 2222:2222 and 2222:2222.');
    // Same internal socket.
    err(await demo()('POST', pfPath(fip), pf({ external_port: 2299 })),
      400, 'BadRequest', 'Bad port_forwarding request: There is a port collision with the internal_port_range. The following ranges collides: 22:22 and 22:22.');
    // The other protocol is fine.
    const udp = await demo()('POST', pfPath(fip), pf({ protocol: 'udp' }));
    assert.equal(udp.status, 201, JSON.stringify(udp.body));
    err(await demo()('POST', pfPath(fip), pf({ internal_ip_address: '10.50.0.99', external_port: 3000 })),
      400, 'BadRequest', `Bad port_forwarding request: Requested internal IP address 10.50.0.99 is not suitable for internal neutron port ${vm}, as its fixed_ips are [{'subnet_id': '${subA}', 'ip_address': '10.50.0.10'}].`);
    const unrouted = (await demo()('POST', '/v2.0/ports', { port: { network_id: netB } })).body.port;
    const ip = unrouted.fixed_ips[0].ip_address;
    err(await demo()('POST', pfPath(fip), pf({ internal_port_id: unrouted.id, internal_ip_address: ip, external_port: 3001 })),
      400, 'BadRequest', `Bad port_forwarding request: External network ${pub} is not reachable from subnet ${subB}. Cannot set Port forwarding for port ${unrouted.id} with Floating IP ${fip}.`);
    err(await demo()('POST', pfPath(fip), pf({ protocol: 'foo' })), 400, 'HTTPBadRequest', 'Invalid input for protocol. Reason: foo is not in valid_values.');
    err(await demo()('POST', pfPath(fip), pf({ external_port: 70000 })),
      400, 'HTTPBadRequest', "Invalid input for external_port. Reason: '70000' is too large - must be no larger than '65535'.");
    err(await demo()('POST', pfPath(fip), { port_forwarding: { protocol: 'tcp', internal_port_id: vm, internal_port: 22, external_port: 1 } }),
      400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'internal_ip_address' not specified");
    err(await demo()('POST', pfPath(fip), pf({ internal_port_id: Z, external_port: 3002 })), 404, 'PortNotFound', `Port ${Z} could not be found.`);
    err(await demo()('GET', pfPath(Z)), 404, 'FloatingIPNotFound', `Floating IP ${Z} could not be found`);

    // A port with a floating IP of its own cannot be a forwarding target, and vice versa.
    const fip2 = (await demo()('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub, port_id: vm2 } })).body.floatingip;
    err(await demo()('POST', pfPath(fip), pf({ internal_port_id: vm2, internal_ip_address: '10.50.0.11', external_port: 3003 })),
      409, 'PortHasBindingFloatingIP',
      `Cannot create port forwarding to floating IP ${fip2.floating_ip_address} (${fip2.id}) with port ${vm2} using fixed IP 10.50.0.11, as that port already has a binding floating IP.`);
    const vm3 = (await demo()('POST', '/v2.0/ports', { port: { network_id: netA } })).body.port;
    err(await demo()('POST', pfPath(fip2.id), pf({ internal_port_id: vm3.id, internal_ip_address: vm3.fixed_ips[0].ip_address })),
      409, 'FloatingIPPortAlreadyAssociated',
      `Cannot associate floating IP ${fip2.floating_ip_address} (${fip2.id}) with port ${vm3.id} using fixed IP ${vm3.fixed_ips[0].ip_address}, as that fixed IP already has a floating IP on external network ${pub}.`);

    for (const id of [first, udp.body.port_forwarding.id]) assert.equal((await demo()('DELETE', pfPath(fip, id))).status, 204);
  });

  it('keeps other projects out (policy: the floating IP owner, ext_parent)', async () => {
    const id = (await demo()('POST', pfPath(fip), pf({ external_port: 4000 }))).body.port_forwarding.id;
    err(await demo2()('POST', pfPath(fip), pf({ external_port: 4001 })), 403, 'PolicyNotAuthorized', 'rule:create_floatingip_port_forwarding is disallowed by policy');
    err(await demo2()('GET', pfPath(fip)), 404, 'FloatingIPNotFound', `Floating IP ${fip} could not be found`);
    err(await demo2()('GET', pfPath(fip, id)), 404, 'FloatingIPNotFound', `Floating IP ${fip} could not be found`);
    err(await demo2()('PUT', pfPath(fip, id), { port_forwarding: { description: 'x' } }), 404, 'FloatingIPNotFound', `Floating IP ${fip} could not be found`);
    err(await demo2()('DELETE', pfPath(fip, id)), 404, 'FloatingIPNotFound', `Floating IP ${fip} could not be found`);
    // Zed honours the deprecated rule (admin_or_ext_parent_owner) too: any role of the owning project may write.
    const reader = api.as('demo', 'reader');
    assert.equal((await reader('GET', pfPath(fip, id))).status, 200);
    assert.equal((await reader('PUT', pfPath(fip, id), { port_forwarding: { description: 'x' } })).status, 200);
    // Admin sees everything.
    assert.equal((await api.req('GET', pfPath(fip, id))).status, 200);
    assert.equal((await demo()('DELETE', pfPath(fip, id))).status, 204);
  });

  it('deleting the internal port removes its forwardings; losing the address too', async () => {
    const p = (await demo()('POST', '/v2.0/ports', { port: { network_id: netA, fixed_ips: [{ subnet_id: subA, ip_address: '10.50.0.30' }, { subnet_id: subA, ip_address: '10.50.0.31' }] } })).body.port;
    const a = (await demo()('POST', pfPath(fip), pf({ internal_port_id: p.id, internal_ip_address: '10.50.0.30', external_port: 5000 }))).body.port_forwarding.id;
    const b = (await demo()('POST', pfPath(fip), pf({ internal_port_id: p.id, internal_ip_address: '10.50.0.31', external_port: 5001 }))).body.port_forwarding.id;
    assert.equal((await demo()('PUT', `/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ subnet_id: subA, ip_address: '10.50.0.31' }] } })).status, 200);
    err(await demo()('GET', pfPath(fip, a)), 404, 'PortForwardingNotFound', `Port Forwarding ${a} could not be found.`);
    assert.equal((await demo()('GET', pfPath(fip, b))).status, 200);
    assert.equal((await demo()('DELETE', `/v2.0/ports/${p.id}`)).status, 204);
    assert.deepEqual((await demo()('GET', pfPath(fip))).body.port_forwardings, []);
    assert.equal((await demo()('GET', `/v2.0/floatingips/${fip}`)).body.floatingip.router_id, null);
    assert.equal((await demo()('DELETE', `/v2.0/floatingips/${fip}`)).status, 204);
  });
});
