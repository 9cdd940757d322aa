// The ownership checks of services/ownership.ts through the API, with Zed's exact
// answers: which owners and device ids DeviceIDNotOwnedByTenant looks at (and when an
// update re-checks), which shared subnets a router may take, and the pool rule for ports.
// The cross-project matrix (test/api/cross-project.test.ts) covers the rest.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from '../../test/support/api.ts';

const ML2 = '[ml2]\ntype_drivers = flat,vxlan\ntenant_network_types = vxlan\n[ml2_type_vxlan]\nvni_ranges = 1:1000\n';

const err = (r: { status: number; body: any }, status: number, type: string, message: string) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(r.body, { NeutronError: { type, message, detail: '' } });
};

describe('ownership checks', () => {
  let api: Api;
  const a = () => api.as('own-a');
  const b = () => api.as('own-b');
  let routerA: string, routerB: string, netB: string, portB: string;
  before(async () => {
    api = await startApi(ML2);
    routerA = (await a()('POST', '/v2.0/routers', { router: { name: 'ra' } })).body.router.id;
    routerB = (await b()('POST', '/v2.0/routers', { router: { name: 'rb' } })).body.router.id;
    netB = (await b()('POST', '/v2.0/networks', { network: { name: 'nb' } })).body.network.id;
    await b()('POST', '/v2.0/subnets', { subnet: { network_id: netB, ip_version: 4, cidr: '10.60.0.0/24' } });
    portB = (await b()('POST', '/v2.0/ports', { port: { network_id: netB } })).body.port.id;
  });
  after(async () => { await api.close(); });

  it('refuses a router-interface port naming another project\'s router, with Zed\'s message', async () => {
    const msg = `The following device_id ${routerA} is not owned by your tenant or matches another tenants router.`;
    err(await b()('POST', '/v2.0/ports', { port: { network_id: netB, device_owner: 'network:router_interface', device_id: routerA } }), 409, 'DeviceIDNotOwnedByTenant', msg);
    err(await b()('PUT', `/v2.0/ports/${portB}`, { port: { device_owner: 'network:router_interface_distributed', device_id: routerA } }), 409, 'DeviceIDNotOwnedByTenant', msg);
    // nothing was written
    assert.equal((await b()('GET', `/v2.0/ports?device_id=${routerA}`)).body.ports.length, 0);
    assert.equal((await b()('GET', `/v2.0/ports/${portB}`)).body.port.device_owner, '');
  });

  it('looks only at router-interface owners, and only at routers of another project', async () => {
    // other network: owners (dhcp, gateway) and non-router device ids pass, as in Zed
    for (const port of [
      { device_owner: 'network:dhcp', device_id: routerA },
      { device_owner: 'network:router_gateway', device_id: routerA },
      { device_owner: 'network:router_interface', device_id: routerB },
      { device_owner: 'network:router_interface', device_id: 'not-a-router' },
      { device_owner: 'network:router_interface' },
    ]) {
      const r = await b()('POST', '/v2.0/ports', { port: { network_id: netB, ...port } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    // setting the owner alone re-checks the device the port already names
    const p = (await b()('POST', '/v2.0/ports', { port: { network_id: netB, device_id: routerA } })).body.port.id;
    err(await b()('PUT', `/v2.0/ports/${p}`, { port: { device_owner: 'network:router_interface' } }), 409, 'DeviceIDNotOwnedByTenant',
      `The following device_id ${routerA} is not owned by your tenant or matches another tenants router.`);
  });

  it('answers OverQuota first: the API layer reserves quota before the plugin checks the device', async () => {
    assert.equal((await api.req('PUT', '/v2.0/quotas/own-q', { quota: { port: 0 } })).status, 200);
    const net = (await api.as('own-q')('POST', '/v2.0/networks', { network: { name: 'q' } })).body.network.id;
    const r = await api.as('own-q')('POST', '/v2.0/ports', { port: { network_id: net, device_owner: 'network:router_interface', device_id: routerA } });
    assert.equal(r.status, 409);
    assert.equal(r.body.NeutronError.type, 'OverQuota');
  });

  it('lets admin make such a port, after which its project may not change it while it names that router', async () => {
    const r = await api.req('POST', '/v2.0/ports', { port: { project_id: 'own-b', network_id: netB, device_owner: 'network:router_interface', device_id: routerA } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    // _validate_port_for_update: a request without device_id counts as changing it, so any update re-checks
    err(await b()('PUT', `/v2.0/ports/${r.body.port.id}`, { port: { name: 'mine' } }), 409, 'DeviceIDNotOwnedByTenant',
      `The following device_id ${routerA} is not owned by your tenant or matches another tenants router.`);
    // giving the same device_id back is no change, so the check does not run
    assert.equal((await b()('PUT', `/v2.0/ports/${r.body.port.id}`, { port: { device_id: routerA, name: 'same' } })).status, 200);
    assert.equal((await api.req('PUT', `/v2.0/ports/${r.body.port.id}`, { port: { name: 'adm' } })).status, 200);
  });

  it('router interfaces: RBAC-shared subnets yes, globally shared no, out-of-pool ports of others\' subnets no', async () => {
    const net = (await a()('POST', '/v2.0/networks', { network: { name: 'to-b' } })).body.network.id;
    const sub = (await a()('POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.61.0.0/24', allocation_pools: [{ start: '10.61.0.10', end: '10.61.0.20' }] } })).body.subnet.id;
    assert.equal((await a()('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: net, action: 'access_as_shared', target_tenant: 'own-b' } })).status, 201);
    const add = await b()('PUT', `/v2.0/routers/${routerB}/add_router_interface`, { subnet_id: sub });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    assert.equal(add.body.tenant_id, 'own-b');
    assert.equal((await b()('PUT', `/v2.0/routers/${routerB}/remove_router_interface`, { subnet_id: sub })).status, 200);
    // an entry for everyone is not one naming the caller
    const pub = (await api.req('POST', '/v2.0/networks', { network: { name: 'all', project_id: 'own-a', shared: true } })).body.network.id;
    const pubSub = (await api.req('POST', '/v2.0/subnets', { subnet: { network_id: pub, project_id: 'own-a', ip_version: 4, cidr: '10.62.0.0/24' } })).body.subnet.id;
    err(await b()('PUT', `/v2.0/routers/${routerB}/add_router_interface`, { subnet_id: pubSub }), 400, 'BadRequest',
      `Bad router request: Cannot add interface to router because subnet ${pubSub} is not owned by project making the request.`);
    // a port of B's on A's subnet: inside the pool it may be plugged, outside it not
    const inPool = (await b()('POST', '/v2.0/ports', { port: { network_id: net } })).body.port;
    assert.equal((await b()('PUT', `/v2.0/routers/${routerB}/add_router_interface`, { port_id: inPool.id })).status, 200);
    assert.equal((await b()('PUT', `/v2.0/routers/${routerB}/remove_router_interface`, { port_id: inPool.id })).status, 200);
    const out = (await api.req('POST', '/v2.0/ports', { port: { project_id: 'own-b', network_id: net, fixed_ips: [{ subnet_id: sub, ip_address: '10.61.0.1' }] } })).body.port;
    err(await b()('PUT', `/v2.0/routers/${routerB}/add_router_interface`, { port_id: out.id }), 400, 'BadRequest',
      `Bad router request: Cannot add interface to router because specified port ${out.id} has an IP address out of the allocation pool of subnet ${sub}, which is not owned by the project making the request.`);
    // the refused port is left as it was
    assert.equal((await b()('GET', `/v2.0/ports/${out.id}`)).body.port.device_id, '');
  });
});
