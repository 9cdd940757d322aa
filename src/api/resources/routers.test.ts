// Routers and floating IPs: the error rows of error-samples.md (114-151, 196-201,
// 205, 236, 241) with Zed's status, type and message; views; floatingip_pools.
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

describe('routers and floating IPs API', () => {
  let api: Api;
  const demo = () => api.as('demo');
  const demo2 = () => api.as('demo2');
  let pub: string, pubSub: string, netA: string, subA: string, netB: string, subB: string, router: string, router2: string, portA: string;
  before(async () => {
    api = await startApi(ML2);
    pub = (await api.req('POST', '/v2.0/networks', { network: { name: 'public', shared: true, 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'public' } })).body.network.id;
    pubSub = (await api.req('POST', '/v2.0/subnets', { subnet: { network_id: pub, ip_version: 4, cidr: '192.168.81.0/24', allocation_pools: [{ start: '192.168.81.100', end: '192.168.81.200' }] } })).body.subnet.id;
    netA = (await demo()('POST', '/v2.0/networks', { network: { name: 'a' } })).body.network.id;
    subA = (await demo()('POST', '/v2.0/subnets', { subnet: { network_id: netA, ip_version: 4, cidr: '10.191.0.0/24' } })).body.subnet.id;
    netB = (await demo()('POST', '/v2.0/networks', { network: { name: 'b' } })).body.network.id;
    subB = (await demo()('POST', '/v2.0/subnets', { subnet: { network_id: netB, ip_version: 4, cidr: '10.192.0.0/24' } })).body.subnet.id;
    router = (await demo()('POST', '/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: pub } } })).body.router.id;
    router2 = (await demo()('POST', '/v2.0/routers', { router: { name: 'r2' } })).body.router.id;
    assert.equal((await demo()('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: subA })).status, 200);
    portA = (await demo()('POST', '/v2.0/ports', { port: { network_id: netA, fixed_ips: [{ subnet_id: subA, ip_address: '10.191.0.50' }] } })).body.port.id;
  });
  after(async () => { await api.close(); });

  it('refuses gateways on non-external or unknown networks (rows 114-116, 205)', async () => {
    err(await demo()('PUT', `/v2.0/routers/${router2}`, { router: { external_gateway_info: { network_id: netB } } }),
      400, 'BadRequest', `Bad router request: Network ${netB} is not an external network.`);
    err(await demo()('PUT', `/v2.0/routers/${router2}`, { router: { external_gateway_info: { network_id: Z } } }),
      404, 'NetworkNotFound', `Network ${Z} could not be found.`);
    err(await demo()('POST', '/v2.0/routers', { router: { name: 'x', external_gateway_info: { network_id: netA } } }),
      400, 'BadRequest', `Bad router request: Network ${netA} is not an external network.`);
    err(await demo2()('POST', '/v2.0/routers', { router: { name: 'x', external_gateway_info: { network_id: netA } } }),
      404, 'NetworkNotFound', `Network ${netA} could not be found.`);
  });

  it('validates interfaces (rows 117-125)', async () => {
    err(await demo()('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: subA }),
      400, 'BadRequest', `Bad router request: Router already has a port on subnet ${subA}.`);
    const netC = (await demo()('POST', '/v2.0/networks', { network: { name: 'c' } })).body.network.id;
    const subC = (await demo()('POST', '/v2.0/subnets', { subnet: { network_id: netC, ip_version: 4, cidr: '10.191.0.0/24' } })).body.subnet.id;
    err(await demo()('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: subC }),
      400, 'BadRequest', `Bad router request: Cidr 10.191.0.0/24 of subnet ${subC} overlaps with cidr 10.191.0.0/24 of subnet ${subA}.`);
    const subNoGw = (await demo()('POST', '/v2.0/subnets', { subnet: { network_id: netC, ip_version: 4, cidr: '10.193.0.0/24', gateway_ip: null } })).body.subnet.id;
    err(await demo()('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: subNoGw }),
      400, 'BadRequest', 'Bad router request: Subnet for router interface must have a gateway IP.');
    err(await demo()('PUT', `/v2.0/routers/${router}/add_router_interface`), 400, 'BadRequest', 'Bad router request: Either subnet_id or port_id must be specified.');
    err(await demo()('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: subA, port_id: portA }),
      400, 'BadRequest', 'Bad router request: Cannot specify both subnet-id and port-id.');
    err(await demo()('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: Z }), 404, 'SubnetNotFound', `Subnet ${Z} could not be found.`);
    err(await demo()('PUT', `/v2.0/routers/${Z}/add_router_interface`, { subnet_id: subA }), 404, 'RouterNotFound', `Router ${Z} could not be found`);
    err(await demo()('PUT', `/v2.0/routers/${router}/remove_router_interface`, { subnet_id: subB }),
      404, 'RouterInterfaceNotFoundForSubnet', `Router ${router} has no interface on subnet ${subB}`);
    err(await demo()('PUT', `/v2.0/routers/${router}/remove_router_interface`, { port_id: portA }),
      404, 'RouterInterfaceNotFound', `Router ${router} does not have an interface with id ${portA}`);
  });

  it('adds and removes an interface by port', async () => {
    const p = (await demo()('POST', '/v2.0/ports', { port: { network_id: netB } })).body.port;
    const r = await demo()('PUT', `/v2.0/routers/${router2}/add_router_interface`, { port_id: p.id });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { id: router2, tenant_id: 'demo', project_id: 'demo', port_id: p.id, network_id: netB, subnet_id: subB, subnet_ids: [subB] });
    const port = (await demo()('GET', `/v2.0/ports/${p.id}`)).body.port;
    assert.equal(port.device_owner, 'network:router_interface');
    err(await demo()('DELETE', `/v2.0/ports/${p.id}`), 409, 'ServicePortInUse',
      `Port ${p.id} cannot be deleted directly via the port API: has device owner network:router_interface.`);
    assert.equal((await demo()('PUT', `/v2.0/routers/${router2}/remove_router_interface`, { port_id: p.id })).status, 200);
    assert.equal((await demo()('GET', `/v2.0/ports/${p.id}`)).status, 404);
  });

  it('validates routes (rows 129-132) and edits them atomically', async () => {
    const bad = [{ destination: '10.250.0.0/24', nexthop: '10.199.9.9' }];
    const msg = "Invalid format for routes: [{'destination': '10.250.0.0/24', 'nexthop': '10.199.9.9'}], the nexthop is not connected with router";
    err(await demo()('PUT', `/v2.0/routers/${router}`, { router: { routes: bad } }), 400, 'InvalidRoutes', msg);
    err(await demo()('PUT', `/v2.0/routers/${router}`, { router: { routes: [{ destination: 'foo', nexthop: '10.191.0.9' }] } }),
      400, 'HTTPBadRequest', "Invalid input for routes. Reason: 'foo' is not a valid CIDR.");
    err(await demo()('PUT', `/v2.0/routers/${router}`, { router: { routes: [{ destination: '10.250.0.0/24' }] } }), 400, 'HTTPBadRequest',
      "Invalid input for routes. Reason: Validation of dictionary's keys failed. Expected keys: {'destination', 'nexthop'} Provided keys: {'destination'}.");
    err(await demo()('PUT', `/v2.0/routers/${router}/add_extraroutes`, { router: { routes: bad } }), 400, 'InvalidRoutes', msg);
    const good = { destination: '10.250.0.0/24', nexthop: '10.191.0.9' };
    const add = await demo()('PUT', `/v2.0/routers/${router}/add_extraroutes`, { router: { routes: [good] } });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    assert.deepEqual(add.body.router.routes, [good]);
    err(await demo()('PUT', `/v2.0/routers/${router}/remove_router_interface`, { subnet_id: subA }), 409, 'RouterInterfaceInUseByRoute',
      `Router interface for subnet ${subA} on router ${router} cannot be deleted, as it is required by one or more routes.`);
    const rm = await demo()('PUT', `/v2.0/routers/${router}/remove_extraroutes`, { router: { routes: [good] } });
    assert.deepEqual(rm.body.router.routes, []);
  });

  it('keeps admin-only attributes admin-only (rows 133-138)', async () => {
    err(await demo()('POST', '/v2.0/routers', { router: { name: 'x', distributed: true } }), 403, 'PolicyNotAuthorized',
      '(rule:create_router and rule:create_router:distributed) is disallowed by policy');
    err(await demo()('POST', '/v2.0/routers', { router: { name: 'x', ha: true } }), 403, 'PolicyNotAuthorized',
      '(rule:create_router and rule:create_router:ha) is disallowed by policy');
    err(await demo()('POST', '/v2.0/routers', { router: { name: 'x', external_gateway_info: { network_id: pub, enable_snat: false } } }), 403, 'PolicyNotAuthorized',
      '(rule:create_router and (rule:create_router:external_gateway_info and (rule:create_router:external_gateway_info:network_id and rule:create_router:external_gateway_info:enable_snat))) is disallowed by policy');
    err(await demo()('PUT', `/v2.0/routers/${router2}`, { router: { external_gateway_info: { network_id: pub, external_fixed_ips: [{ ip_address: '192.168.81.150' }] } } }), 403, 'PolicyNotAuthorized',
      '(rule:update_router and (rule:update_router:external_gateway_info and (rule:update_router:external_gateway_info:network_id and rule:update_router:external_gateway_info:external_fixed_ips))) is disallowed by policy');
    err(await api.req('PUT', `/v2.0/routers/${router2}`, { router: { distributed: true } }), 400, 'BadRequest',
      "Bad router request: Cannot change the 'distributed' attribute of active routers. Please set router admin_state_up to False prior to upgrade.");
    err(await demo()('PUT', `/v2.0/routers/${router}`, { router: { status: 'DOWN' } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute status');
    // An admin may choose the gateway address and turn SNAT off.
    const r = await api.req('PUT', `/v2.0/routers/${router2}`, { router: { external_gateway_info: { network_id: pub, enable_snat: false, external_fixed_ips: [{ ip_address: '192.168.81.150' }] } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.router.external_gateway_info, { network_id: pub, enable_snat: false, external_fixed_ips: [{ subnet_id: pubSub, ip_address: '192.168.81.150' }] });
    assert.equal((await demo()('PUT', `/v2.0/routers/${router2}`, { router: { external_gateway_info: {} } })).body.router.external_gateway_info, null);
  });

  it('answers floating IP errors as Zed (rows 139-151)', async () => {
    err(await demo()('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: netA } }),
      400, 'BadRequest', `Bad floatingip request: Network ${netA} is not a valid external network.`);
    err(await demo()('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: Z } }), 404, 'NetworkNotFound', `Network ${Z} could not be found.`);
    err(await demo()('POST', '/v2.0/floatingips', { floatingip: {} }), 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'floating_network_id' not specified");
    const pb = (await demo()('POST', '/v2.0/ports', { port: { network_id: netB } })).body.port.id;
    err(await demo()('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub, port_id: pb } }), 404, 'ExternalGatewayForFloatingIPNotFound',
      `External network ${pub} is not reachable from subnet ${subB}.  Therefore, cannot associate Port ${pb} with a Floating IP.`);
    const f1 = await demo()('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub, port_id: portA } });
    assert.equal(f1.status, 201, JSON.stringify(f1.body));
    assert.equal(f1.body.floatingip.router_id, router);
    const f2 = await demo()('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub, port_id: portA } });
    assert.equal(f2.status, 409);
    assert.equal(f2.body.NeutronError.type, 'FloatingIPPortAlreadyAssociated');
    assert.match(f2.body.NeutronError.message, new RegExp(`^Cannot associate floating IP 192\\.168\\.81\\.\\d+ \\([0-9a-f-]{36}\\) with port ${portA} using fixed IP 10\\.191\\.0\\.50, as that fixed IP already has a floating IP on external network ${pub}\\.$`));
    err(await demo()('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub, port_id: portA, fixed_ip_address: '10.191.0.99' } }),
      400, 'BadRequest', `Bad floatingip request: Port ${portA} does not have fixed ip 10.191.0.99.`);
    err(await demo()('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub, floating_ip_address: f1.body.floatingip.floating_ip_address } }),
      403, 'PolicyNotAuthorized', '(rule:create_floatingip and rule:create_floatingip:floating_ip_address) is disallowed by policy');
    err(await api.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub, floating_ip_address: f1.body.floatingip.floating_ip_address } }),
      409, 'IpAddressAlreadyAllocated', `IP address ${f1.body.floatingip.floating_ip_address} already allocated in subnet ${pubSub}`);
    err(await api.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub, floating_ip_address: '10.250.0.9' } }),
      400, 'InvalidIpForNetwork', 'IP address 10.250.0.9 is not a valid IP for any of the subnets on the specified network.');
    err(await demo()('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub, port_id: Z } }), 404, 'PortNotFound', `Port ${Z} could not be found.`);
    const free = (await demo()('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub } })).body.floatingip.id;
    err(await demo()('PUT', `/v2.0/floatingips/${free}`, { floatingip: { port_id: pb } }), 404, 'ExternalGatewayForFloatingIPNotFound',
      `External network ${pub} is not reachable from subnet ${subB}.  Therefore, cannot associate Port ${pb} with a Floating IP.`);
    // rows 126-127: the interface and the gateway are needed by the floating IP
    err(await demo()('PUT', `/v2.0/routers/${router}/remove_router_interface`, { subnet_id: subA }), 409, 'RouterInterfaceInUseByFloatingIP',
      `Router interface for subnet ${subA} on router ${router} cannot be deleted, as it is required by one or more floating IPs.`);
    err(await demo()('PUT', `/v2.0/routers/${router}`, { router: { external_gateway_info: {} } }), 409, 'RouterExternalGatewayInUseByFloatingIp',
      `Gateway cannot be updated for router ${router}, since a gateway to external network ${pub} is required by one or more floating IPs.`);
    // cross-project (rows 196-201)
    const id = f1.body.floatingip.id;
    err(await demo2()('GET', `/v2.0/floatingips/${id}`), 404, 'FloatingIPNotFound', `Floating IP ${id} could not be found`);
    err(await demo2()('DELETE', `/v2.0/floatingips/${id}`), 404, 'FloatingIPNotFound', `Floating IP ${id} could not be found`);
    for (const [m, p, b] of [['GET', '', undefined], ['PUT', '', { router: { name: 'x' } }], ['DELETE', '', undefined], ['PUT', '/add_router_interface', { subnet_id: subA }]] as const) {
      err(await demo2()(m, `/v2.0/routers/${router}${p}`, b), 404, 'RouterNotFound', `Router ${router} could not be found`);
    }
    assert.deepEqual((await demo2()('GET', '/v2.0/floatingips')).body.floatingips, []);
    const listed = await demo()('GET', `/v2.0/floatingips?port_id=${portA}`);
    assert.deepEqual(listed.body.floatingips.map((f: any) => f.id), [id]);
  });

  it('answers an exhausted external network as Zed (row 151)', async () => {
    const ext = (await api.req('POST', '/v2.0/networks', { network: { name: 'tiny', 'router:external': true } })).body.network.id;
    await api.req('POST', '/v2.0/subnets', { subnet: { network_id: ext, ip_version: 4, cidr: '10.77.0.0/30' } });
    assert.equal((await api.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext } })).status, 201);
    err(await api.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext } }), 409, 'IpAddressGenerationFailure',
      `No more IP addresses available on network ${ext}.`);
  });

  it('deleting an external network deletes its unassociated floating IPs and their ports (tempest test_delete_external_networks_with_floating_ip)', async () => {
    const ext = (await api.req('POST', '/v2.0/networks', { network: { name: 'ext-del', 'router:external': true } })).body.network.id;
    const sub = (await api.req('POST', '/v2.0/subnets', { subnet: { network_id: ext, ip_version: 4, cidr: '10.78.0.0/24', enable_dhcp: false } })).body.subnet.id;
    const fip = (await api.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext } })).body.floatingip;
    assert.equal((await api.req('GET', `/v2.0/ports?network_id=${ext}`)).body.ports.length, 1, 'the floating IP port');
    // A port of anything else still keeps the network in use (and the floating IP stays).
    const other = (await api.req('POST', '/v2.0/ports', { port: { network_id: ext } })).body.port.id;
    assert.equal((await api.req('DELETE', `/v2.0/networks/${ext}`)).body.NeutronError.type, 'NetworkInUse');
    assert.equal((await api.req('GET', `/v2.0/floatingips/${fip.id}`)).status, 200);
    assert.equal((await api.req('DELETE', `/v2.0/ports/${other}`)).status, 204);
    assert.equal((await api.req('DELETE', `/v2.0/networks/${ext}`)).status, 204);
    assert.equal((await api.req('GET', `/v2.0/floatingips/${fip.id}`)).status, 404);
    assert.deepEqual((await api.req('GET', `/v2.0/ports?network_id=${ext}`)).body.ports, []);
    assert.equal((await api.req('GET', `/v2.0/subnets/${sub}`)).status, 404);
  });

  it('routes member actions: unknown action 404, GET on an action 405 (rows 236, 241)', async () => {
    err(await demo()('PUT', `/v2.0/routers/${router}/bogus_action`, {}), 404, 'HTTPNotFound', 'The resource could not be found.');
    err(await demo()('GET', `/v2.0/routers/${router}/add_router_interface`), 405, 'HTTPMethodNotAllowed',
      'The server could not comply with the request since it is either malformed or otherwise incorrect.');
  });

  it('lists floating IP pools', async () => {
    const r = await demo()('GET', '/v2.0/floatingip_pools');
    assert.equal(r.status, 200);
    const p = r.body.floatingip_pools.find((x: any) => x.subnet_id === pubSub);
    assert.deepEqual(p, { subnet_id: pubSub, subnet_name: '', network_id: pub, cidr: '192.168.81.0/24', project_id: p.project_id, tenant_id: p.project_id });
  });
});
