// The cross-project matrix: project A owns one of every resource; project B tries to
// read, update, delete and attach to each. Expected answers follow Neutron Zed: 404
// where B cannot see the object (policy's anti-enumeration), 403 where it can see but
// may not change it (an RBAC-shared network), the plugin's own ownership errors
// (DeviceIDNotOwnedByTenant, "not owned by project", "owned by a different tenant")
// where B names A's object from a place it may write. Admin may do what B may not.
// Totals are printed for the team's notes. Runs on SQLite, MariaDB and PostgreSQL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../support/test-db.ts';
import { startApi, type Api } from '../support/api.ts';

const ML2 = '[ml2]\ntype_drivers = flat,vxlan\ntenant_network_types = vxlan\n[ml2_type_flat]\nflat_networks = public\n[ml2_type_vxlan]\nvni_ranges = 1:1000\n';

type Who = 'A' | 'B' | 'admin';
/** One attempt: who, what, and Neutron's answer (status, and the error type when refused). */
interface Case { who: Who; method: string; path: string; body?: unknown; status: number; type?: string; message?: RegExp }

/** The ids the setup makes; every case is built from them. */
type World = Record<string, string>;

const A = 'proj-a', B = 'proj-b';
const OTHER_PROJECT = /^Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin or advsvc privileges$/;

async function build(api: Api): Promise<World> {
  const w: World = {};
  const ok = async (who: Who, method: string, path: string, body: unknown, key: string, pick: (b: any) => string) => {
    const call = who === 'admin' ? api.req : api.as(who === 'A' ? A : B);
    const r = await call(method, path, body);
    assert.ok(r.status < 300, `${who} ${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    w[key] = pick(r.body);
  };
  const id = (res: string) => (b: any) => b[res].id;
  // the external network (admin)
  await ok('admin', 'POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'public' } }, 'pub', id('network'));
  await ok('admin', 'POST', '/v2.0/subnets', { subnet: { network_id: w.pub, ip_version: 4, cidr: '192.168.81.0/24' } }, 'pubSub', id('subnet'));
  // A's private objects
  await ok('A', 'POST', '/v2.0/networks', { network: { name: 'a-net' } }, 'netA', id('network'));
  await ok('A', 'POST', '/v2.0/subnets', { subnet: { network_id: w.netA, ip_version: 4, cidr: '10.1.0.0/24' } }, 'subA', id('subnet'));
  await ok('A', 'POST', '/v2.0/ports', { port: { network_id: w.netA, name: 'a-vm' } }, 'portA', id('port'));
  await ok('A', 'POST', '/v2.0/ports', { port: { network_id: w.netA, name: 'a-vm2' } }, 'portA2', id('port'));
  await ok('A', 'POST', '/v2.0/routers', { router: { name: 'a-router', external_gateway_info: { network_id: w.pub } } }, 'routerA', id('router'));
  await ok('A', 'PUT', `/v2.0/routers/${w.routerA}/add_router_interface`, { subnet_id: w.subA }, 'intfA', (b) => b.port_id);
  await ok('A', 'POST', '/v2.0/floatingips', { floatingip: { floating_network_id: w.pub, port_id: w.portA } }, 'fipA', id('floatingip'));
  await ok('A', 'POST', '/v2.0/floatingips', { floatingip: { floating_network_id: w.pub } }, 'fipA2', id('floatingip'));
  w.portAIp = (await api.as(A)('GET', `/v2.0/ports/${w.portA}`)).body.port.fixed_ips[0].ip_address;
  const portA2Ip = w.portA2Ip = (await api.as(A)('GET', `/v2.0/ports/${w.portA2}`)).body.port.fixed_ips[0].ip_address;
  await ok('A', 'POST', `/v2.0/floatingips/${w.fipA2}/port_forwardings`, { port_forwarding: {
    protocol: 'tcp', internal_port_id: w.portA2, internal_ip_address: portA2Ip, internal_port: 22, external_port: 2222,
  } }, 'pfA', id('port_forwarding'));
  await ok('A', 'POST', '/v2.0/security-groups', { security_group: { name: 'a-sg' } }, 'sgA', id('security_group'));
  await ok('A', 'POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: w.sgA, direction: 'ingress', protocol: 'tcp' } }, 'ruleA', id('security_group_rule'));
  await ok('A', 'POST', '/v2.0/address-scopes', { address_scope: { name: 'a-scope', ip_version: 4 } }, 'scopeA', id('address_scope'));
  await ok('A', 'POST', '/v2.0/subnetpools', { subnetpool: { name: 'a-pool', prefixes: ['10.100.0.0/16'], default_prefixlen: 24 } }, 'poolA', id('subnetpool'));
  await ok('A', 'POST', '/v2.0/address-groups', { address_group: { name: 'a-ag', addresses: ['10.9.0.0/24'] } }, 'agA', id('address_group'));
  // A's network shared with B alone (RBAC), with A's port on it
  await ok('A', 'POST', '/v2.0/networks', { network: { name: 'a-shared' } }, 'netS', id('network'));
  await ok('A', 'POST', '/v2.0/subnets', { subnet: { network_id: w.netS, ip_version: 4, cidr: '10.2.0.0/24', allocation_pools: [{ start: '10.2.0.10', end: '10.2.0.200' }] } }, 'subS', id('subnet'));
  await ok('A', 'POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: w.netS, action: 'access_as_shared', target_tenant: B } }, 'rbacA', id('rbac_policy'));
  await ok('A', 'POST', '/v2.0/ports', { port: { network_id: w.netS, name: 'a-on-shared' } }, 'portAS', id('port'));
  // A's security group shared with B
  await ok('A', 'POST', '/v2.0/security-groups', { security_group: { name: 'a-sg-shared' } }, 'sgS', id('security_group'));
  await ok('A', 'POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'security_group', object_id: w.sgS, action: 'access_as_shared', target_tenant: B } }, 'rbacSg', id('rbac_policy'));
  // A's address group and subnet pool shared with B
  await ok('A', 'POST', '/v2.0/address-groups', { address_group: { name: 'a-ag-shared', addresses: ['10.19.0.0/24'] } }, 'agS', id('address_group'));
  await ok('A', 'POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'address_group', object_id: w.agS, action: 'access_as_shared', target_tenant: B } }, 'rbacAg', id('rbac_policy'));
  await ok('A', 'POST', '/v2.0/subnetpools', { subnetpool: { name: 'a-pool-shared', prefixes: ['10.110.0.0/16'], default_prefixlen: 24 } }, 'poolS', id('subnetpool'));
  await ok('A', 'POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'subnetpool', object_id: w.poolS, action: 'access_as_shared', target_tenant: B } }, 'rbacPool', id('rbac_policy'));
  // a network of A's shared with everyone (shared=True is admin's to set)
  await ok('admin', 'POST', '/v2.0/networks', { network: { name: 'a-wild', project_id: A, shared: true } }, 'netW', id('network'));
  await ok('admin', 'POST', '/v2.0/subnets', { subnet: { network_id: w.netW, project_id: A, ip_version: 4, cidr: '10.5.0.0/24' } }, 'subW', id('subnet'));
  // B's own objects
  await ok('B', 'POST', '/v2.0/networks', { network: { name: 'b-net' } }, 'netB', id('network'));
  await ok('B', 'POST', '/v2.0/subnets', { subnet: { network_id: w.netB, ip_version: 4, cidr: '10.3.0.0/24' } }, 'subB', id('subnet'));
  await ok('B', 'POST', '/v2.0/networks', { network: { name: 'b-net-2' } }, 'netB2', id('network'));
  await ok('B', 'POST', '/v2.0/ports', { port: { network_id: w.netB, name: 'b-vm' } }, 'portB', id('port'));
  await ok('B', 'POST', '/v2.0/ports', { port: { network_id: w.netB, name: 'b-vm2' } }, 'portB2', id('port'));
  w.portBIp = (await api.as(B)('GET', `/v2.0/ports/${w.portB}`)).body.port.fixed_ips[0].ip_address;
  await ok('B', 'POST', '/v2.0/routers', { router: { name: 'b-router', external_gateway_info: { network_id: w.pub } } }, 'routerB', id('router'));
  await ok('B', 'POST', '/v2.0/floatingips', { floatingip: { floating_network_id: w.pub } }, 'fipB', id('floatingip'));
  await ok('B', 'POST', '/v2.0/security-groups', { security_group: { name: 'b-sg' } }, 'sgB', id('security_group'));
  // B's network shared with A, A's port on it (visible to B as the network's owner), reached by B's router
  await ok('B', 'POST', '/v2.0/networks', { network: { name: 'b-shared' } }, 'netBS', id('network'));
  await ok('B', 'POST', '/v2.0/subnets', { subnet: { network_id: w.netBS, ip_version: 4, cidr: '10.4.0.0/24' } }, 'subBS', id('subnet'));
  await ok('B', 'POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: w.netBS, action: 'access_as_shared', target_tenant: A } }, 'rbacB', id('rbac_policy'));
  await ok('B', 'PUT', `/v2.0/routers/${w.routerB}/add_router_interface`, { subnet_id: w.subBS }, 'intfB', (b) => b.port_id);
  await ok('A', 'POST', '/v2.0/ports', { port: { network_id: w.netBS, name: 'a-on-b' } }, 'portAonB', id('port'));
  await ok('A', 'POST', '/v2.0/ports', { port: { network_id: w.netBS, name: 'a-on-b-2' } }, 'portAonB2', id('port'));
  // B's port on A's shared network, holding an address outside the pool (only an admin could give it one)
  await ok('admin', 'POST', '/v2.0/ports', { port: { project_id: B, network_id: w.netS, fixed_ips: [{ subnet_id: w.subS, ip_address: '10.2.0.250' }] } }, 'portBOut', id('port'));
  return w;
}

/** Reads, updates and deletes of A's private objects by B: all invisible, all 404. */
function privateCrud(w: World): Case[] {
  const objs: [string, string, string, unknown][] = [
    [`/v2.0/networks/${w.netA}`, 'NetworkNotFound', 'network', { name: 'x' }],
    [`/v2.0/subnets/${w.subA}`, 'SubnetNotFound', 'subnet', { name: 'x' }],
    [`/v2.0/ports/${w.portA}`, 'PortNotFound', 'port', { name: 'x' }],
    [`/v2.0/ports/${w.intfA}`, 'PortNotFound', 'port', { name: 'x' }],
    [`/v2.0/routers/${w.routerA}`, 'RouterNotFound', 'router', { name: 'x' }],
    [`/v2.0/floatingips/${w.fipA}`, 'FloatingIPNotFound', 'floatingip', { description: 'x' }],
    [`/v2.0/floatingips/${w.fipA2}/port_forwardings/${w.pfA}`, 'FloatingIPNotFound', 'port_forwarding', { description: 'x' }],
    [`/v2.0/security-groups/${w.sgA}`, 'SecurityGroupNotFound', 'security_group', { name: 'x' }],
    [`/v2.0/address-scopes/${w.scopeA}`, 'AddressScopeNotFound', 'address_scope', { name: 'x' }],
    [`/v2.0/subnetpools/${w.poolA}`, 'SubnetPoolNotFound', 'subnetpool', { name: 'x' }],
    [`/v2.0/address-groups/${w.agA}`, 'AddressGroupNotFound', 'address_group', { name: 'x' }],
    [`/v2.0/rbac-policies/${w.rbacA}`, 'RbacPolicyNotFound', 'rbac_policy', { target_tenant: 'proj-c' }],
  ];
  const out: Case[] = [];
  for (const [path, type, res, change] of objs) {
    out.push({ who: 'B', method: 'GET', path, status: 404, type });
    out.push({ who: 'B', method: 'PUT', path, body: { [res]: change }, status: 404, type });
    out.push({ who: 'B', method: 'DELETE', path, status: 404, type });
  }
  out.push({ who: 'B', method: 'GET', path: `/v2.0/security-group-rules/${w.ruleA}`, status: 404, type: 'SecurityGroupRuleNotFound' });
  out.push({ who: 'B', method: 'DELETE', path: `/v2.0/security-group-rules/${w.ruleA}`, status: 404, type: 'SecurityGroupRuleNotFound' });
  // member actions and tags on A's objects
  out.push({ who: 'B', method: 'PUT', path: `/v2.0/routers/${w.routerA}/add_router_interface`, body: { subnet_id: w.subB }, status: 404, type: 'RouterNotFound' });
  out.push({ who: 'B', method: 'PUT', path: `/v2.0/routers/${w.routerA}/remove_router_interface`, body: { subnet_id: w.subA }, status: 404, type: 'RouterNotFound' });
  out.push({ who: 'B', method: 'PUT', path: `/v2.0/routers/${w.routerA}/add_extraroutes`, body: { router: { routes: [{ destination: '10.7.0.0/24', nexthop: '10.1.0.5' }] } }, status: 404, type: 'RouterNotFound' });
  out.push({ who: 'B', method: 'PUT', path: `/v2.0/address-groups/${w.agA}/add_addresses`, body: { addresses: ['10.8.0.0/24'] }, status: 404, type: 'AddressGroupNotFound' });
  out.push({ who: 'B', method: 'PUT', path: `/v2.0/address-groups/${w.agA}/remove_addresses`, body: { addresses: ['10.9.0.0/24'] }, status: 404, type: 'AddressGroupNotFound' });
  out.push({ who: 'B', method: 'PUT', path: `/v2.0/subnetpools/${w.poolA}/add_prefixes`, body: { prefixes: ['10.101.0.0/16'] }, status: 404, type: 'SubnetPoolNotFound' });
  out.push({ who: 'B', method: 'PUT', path: `/v2.0/networks/${w.netA}/tags/b-tag`, status: 404, type: 'NetworkNotFound' });
  out.push({ who: 'B', method: 'PUT', path: `/v2.0/routers/${w.routerA}/tags`, body: { tags: ['b'] }, status: 404, type: 'RouterNotFound' });
  out.push({ who: 'B', method: 'DELETE', path: `/v2.0/ports/${w.portA}/tags`, status: 404, type: 'PortNotFound' });
  return out;
}

/** B naming A's objects from requests on its own (or a shared) resource. */
function attaches(w: World): Case[] {
  const rule = (extra: Record<string, unknown>) => ({ security_group_rule: { direction: 'ingress', security_group_id: w.sgB, ...extra } });
  const pf = (port: string, ip: string) => ({ port_forwarding: { protocol: 'tcp', internal_port_id: port, internal_ip_address: ip, internal_port: 80, external_port: 8080 } });
  return [
    // invisible objects: 404 naming the object
    { who: 'B', method: 'POST', path: '/v2.0/ports', body: { port: { network_id: w.netA } }, status: 404, type: 'NetworkNotFound' },
    { who: 'B', method: 'POST', path: '/v2.0/subnets', body: { subnet: { network_id: w.netA, ip_version: 4, cidr: '10.1.1.0/24' } }, status: 404, type: 'NetworkNotFound' },
    { who: 'B', method: 'PUT', path: `/v2.0/routers/${w.routerB}/add_router_interface`, body: { subnet_id: w.subA }, status: 404, type: 'SubnetNotFound' },
    { who: 'B', method: 'PUT', path: `/v2.0/routers/${w.routerB}/add_router_interface`, body: { port_id: w.portA }, status: 404, type: 'PortNotFound' },
    { who: 'B', method: 'POST', path: '/v2.0/floatingips', body: { floatingip: { floating_network_id: w.pub, port_id: w.portA } }, status: 404, type: 'PortNotFound' },
    { who: 'B', method: 'PUT', path: `/v2.0/floatingips/${w.fipB}`, body: { floatingip: { port_id: w.portA } }, status: 404, type: 'PortNotFound' },
    // a forwarding on A's floating IP: the rule names the parent's owner, looked up elevated, so 403 not 404
    { who: 'B', method: 'POST', path: `/v2.0/floatingips/${w.fipA2}/port_forwardings`, body: pf(w.portB, w.portBIp), status: 403, type: 'PolicyNotAuthorized',
      message: /^rule:create_floatingip_port_forwarding is disallowed by policy$/ },
    { who: 'B', method: 'POST', path: `/v2.0/floatingips/${w.fipB}/port_forwardings`, body: pf(w.portA2, w.portA2Ip), status: 404, type: 'PortNotFound' },
    // Zed looks for a floating IP bound to the internal port elevated, before the port's visibility
    { who: 'B', method: 'POST', path: `/v2.0/floatingips/${w.fipB}/port_forwardings`, body: pf(w.portA, w.portAIp), status: 409, type: 'PortHasBindingFloatingIP' },
    { who: 'B', method: 'POST', path: '/v2.0/security-group-rules', body: rule({ remote_group_id: w.sgA }), status: 404, type: 'SecurityGroupNotFound' },
    { who: 'B', method: 'POST', path: '/v2.0/security-group-rules', body: rule({ security_group_id: w.sgA }), status: 404, type: 'SecurityGroupNotFound' },
    { who: 'B', method: 'POST', path: '/v2.0/security-group-rules', body: rule({ remote_address_group_id: w.agA }), status: 404, type: 'AddressGroupNotFound' },
    { who: 'B', method: 'POST', path: '/v2.0/ports', body: { port: { network_id: w.netB, security_groups: [w.sgA] } }, status: 404, type: 'SecurityGroupNotFound' },
    { who: 'B', method: 'PUT', path: `/v2.0/ports/${w.portB}`, body: { port: { security_groups: [w.sgA] } }, status: 404, type: 'SecurityGroupNotFound' },
    { who: 'B', method: 'POST', path: '/v2.0/subnets', body: { subnet: { network_id: w.netB, ip_version: 4, subnetpool_id: w.poolA } }, status: 404, type: 'SubnetPoolNotFound' },
    { who: 'B', method: 'POST', path: '/v2.0/subnetpools', body: { subnetpool: { name: 'b', prefixes: ['10.200.0.0/16'], address_scope_id: w.scopeA } }, status: 404, type: 'AddressScopeNotFound' },
    { who: 'B', method: 'PUT', path: `/v2.0/routers/${w.routerB}`, body: { router: { external_gateway_info: { network_id: w.netA } } }, status: 404, type: 'NetworkNotFound' },
    { who: 'B', method: 'POST', path: '/v2.0/routers', body: { router: { external_gateway_info: { network_id: w.netA } } }, status: 404, type: 'NetworkNotFound' },
    { who: 'B', method: 'PUT', path: `/v2.0/routers/${w.routerB}`, body: { router: { external_gateway_info: { network_id: w.netB } } }, status: 400, type: 'BadRequest', message: /is not an external network/ },
    // RBAC entries on objects B does not own: the BEFORE_CREATE callbacks refuse them and the
    // RBAC plugin turns a CallbackFailure into InvalidInput. The network callback looks the
    // network up as the caller (NetworkNotFound inside); the object callbacks look up elevated.
    { who: 'B', method: 'POST', path: '/v2.0/rbac-policies', body: { rbac_policy: { object_type: 'network', object_id: w.netA, action: 'access_as_shared', target_tenant: B } },
      status: 400, type: 'InvalidInput', message: new RegExp(`validate_network_rbac_policy_change failed with "Network ${w.netA} could not be found\\."`) },
    ...(['security_group', 'subnetpool', 'address_scope', 'address_group'] as const).map((t): Case => ({
      who: 'B', method: 'POST', path: '/v2.0/rbac-policies',
      body: { rbac_policy: { object_type: t, object_id: { security_group: w.sgA, subnetpool: w.poolA, address_scope: w.scopeA, address_group: w.agA }[t], action: 'access_as_shared', target_tenant: B } },
      status: 400, type: 'InvalidInput', message: /Only admins can manipulate policies on objects they do not own/,
    })),
    { who: 'B', method: 'POST', path: '/v2.0/rbac-policies', body: { rbac_policy: { object_type: 'network', object_id: w.netS, action: 'access_as_shared', target_tenant: 'proj-c' } },
      status: 400, type: 'InvalidInput', message: /Only admins can manipulate policies on networks they do not own/ },
    // a router device of another project: DeviceIDNotOwnedByTenant
    { who: 'B', method: 'POST', path: '/v2.0/ports', body: { port: { network_id: w.netB, device_owner: 'network:router_interface', device_id: w.routerA } }, status: 409, type: 'DeviceIDNotOwnedByTenant' },
    { who: 'B', method: 'POST', path: '/v2.0/ports', body: { ports: [{ network_id: w.netB }, { network_id: w.netB, device_owner: 'network:router_interface_distributed', device_id: w.routerA }] }, status: 409, type: 'DeviceIDNotOwnedByTenant' },
    { who: 'B', method: 'PUT', path: `/v2.0/ports/${w.portB}`, body: { port: { device_owner: 'network:router_interface', device_id: w.routerA } }, status: 409, type: 'DeviceIDNotOwnedByTenant' },
    { who: 'B', method: 'PUT', path: `/v2.0/ports/${w.portB}`, body: { port: { device_owner: 'network:ha_router_replicated_interface', device_id: w.routerA } }, status: 409, type: 'DeviceIDNotOwnedByTenant' },
    { who: 'B', method: 'PUT', path: `/v2.0/routers/${w.routerB}/add_router_interface`, body: { port_id: w.portAonB }, status: 409, type: 'DeviceIDNotOwnedByTenant' },
    // visible but another project's port: the floating IP may not reach it
    { who: 'B', method: 'PUT', path: `/v2.0/floatingips/${w.fipB}`, body: { floatingip: { port_id: w.portAonB } }, status: 400, type: 'BadRequest',
      message: new RegExp(`^Bad floatingip request: Cannot process floating IP association with Port ${w.portAonB}, since that port is owned by a different tenant\\.$`) },
    { who: 'B', method: 'POST', path: '/v2.0/floatingips', body: { floatingip: { floating_network_id: w.pub, port_id: w.portAonB } }, status: 400, type: 'BadRequest', message: /owned by a different tenant/ },
    { who: 'B', method: 'PUT', path: `/v2.0/ports/${w.portAonB}`, body: { port: { name: 'x' } }, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'GET', path: `/v2.0/ports/${w.portAonB}`, status: 200 },
    // floating IPs come from external networks only; another project's private one is not even seen
    { who: 'B', method: 'POST', path: '/v2.0/floatingips', body: { floatingip: { floating_network_id: w.netA } }, status: 404, type: 'NetworkNotFound' },
    { who: 'B', method: 'POST', path: '/v2.0/floatingips', body: { floatingip: { floating_network_id: w.netB } }, status: 400, type: 'BadRequest',
      message: new RegExp(`^Bad floatingip request: Network ${w.netB} is not a valid external network\\.$`) },
    // A's security group shared with B: B reads and uses it, does not change it
    { who: 'B', method: 'GET', path: `/v2.0/security-groups/${w.sgS}`, status: 200 },
    { who: 'B', method: 'PUT', path: `/v2.0/security-groups/${w.sgS}`, body: { security_group: { name: 'x' } }, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'DELETE', path: `/v2.0/security-groups/${w.sgS}`, status: 403, type: 'PolicyNotAuthorized' },
    // Zed 21 let B add rules to a group shared with it (bug 2101150, fixed in 2025.1): Muon keeps the fix
    { who: 'B', method: 'POST', path: '/v2.0/security-group-rules', body: rule({ security_group_id: w.sgS }), status: 404, type: 'SecurityGroupNotFound' },
    // A's address group and subnet pool shared with B: the same
    { who: 'B', method: 'GET', path: `/v2.0/address-groups/${w.agS}`, status: 200 },
    { who: 'B', method: 'PUT', path: `/v2.0/address-groups/${w.agS}`, body: { address_group: { name: 'x' } }, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'PUT', path: `/v2.0/address-groups/${w.agS}/add_addresses`, body: { addresses: ['10.18.0.0/24'] }, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'DELETE', path: `/v2.0/address-groups/${w.agS}`, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'GET', path: `/v2.0/subnetpools/${w.poolS}`, status: 200 },
    { who: 'B', method: 'PUT', path: `/v2.0/subnetpools/${w.poolS}`, body: { subnetpool: { name: 'x' } }, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'PUT', path: `/v2.0/subnetpools/${w.poolS}/add_prefixes`, body: { prefixes: ['10.111.0.0/16'] }, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'DELETE', path: `/v2.0/subnetpools/${w.poolS}`, status: 403, type: 'PolicyNotAuthorized' },
    // address pairs and chosen addresses on a network B does not own are the network owner's to give
    { who: 'B', method: 'POST', path: '/v2.0/ports', body: { port: { network_id: w.netS, allowed_address_pairs: [{ ip_address: '10.2.0.99' }] } }, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'PUT', path: `/v2.0/ports/${w.portBOut}`, body: { port: { allowed_address_pairs: [{ ip_address: '10.2.0.99' }] } }, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'PUT', path: `/v2.0/ports/${w.portBOut}`, body: { port: { fixed_ips: [{ subnet_id: w.subS, ip_address: '10.2.0.1' }] } }, status: 403, type: 'PolicyNotAuthorized' },
    // A's network shared with B by RBAC: usable, not B's to change
    { who: 'B', method: 'GET', path: `/v2.0/networks/${w.netS}`, status: 200 },
    { who: 'B', method: 'PUT', path: `/v2.0/networks/${w.netS}`, body: { network: { name: 'x' } }, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'DELETE', path: `/v2.0/networks/${w.netS}`, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'GET', path: `/v2.0/subnets/${w.subS}`, status: 200 },
    { who: 'B', method: 'PUT', path: `/v2.0/subnets/${w.subS}`, body: { subnet: { name: 'x' } }, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'DELETE', path: `/v2.0/subnets/${w.subS}`, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'PUT', path: `/v2.0/networks/${w.netS}/tags/b-tag`, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'GET', path: `/v2.0/ports/${w.portAS}`, status: 404, type: 'PortNotFound' },
    { who: 'B', method: 'POST', path: '/v2.0/ports', body: { port: { network_id: w.netS, device_owner: 'network:router_interface', device_id: w.routerB } }, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'POST', path: '/v2.0/ports', body: { port: { network_id: w.netS, fixed_ips: [{ subnet_id: w.subS, ip_address: '10.2.0.1' }] } }, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'PUT', path: `/v2.0/routers/${w.routerB}/add_router_interface`, body: { port_id: w.portBOut }, status: 400, type: 'BadRequest',
      message: new RegExp(`port ${w.portBOut} has an IP address out of the allocation pool of subnet ${w.subS}, which is not owned by the project making the request`) },
    // a network shared with everyone is not the caller's to route (LP-1757482)
    { who: 'B', method: 'PUT', path: `/v2.0/routers/${w.routerB}/add_router_interface`, body: { subnet_id: w.subW }, status: 400, type: 'BadRequest',
      message: new RegExp(`^Bad router request: Cannot add interface to router because subnet ${w.subW} is not owned by project making the request\\.$`) },
    // creating (or moving) anything into A's project is admin's (error-samples rows 23, 26)
    ...([
      ['networks', 'network', {}], ['ports', 'port', { network_id: w.netB }], ['routers', 'router', {}], ['security-groups', 'security_group', { name: 'x' }],
      ['floatingips', 'floatingip', { floating_network_id: w.pub }], ['subnetpools', 'subnetpool', { name: 'x', prefixes: ['10.210.0.0/16'] }],
      ['address-scopes', 'address_scope', { name: 'x', ip_version: 4 }], ['address-groups', 'address_group', { name: 'x' }],
      ['subnets', 'subnet', { network_id: w.netB, ip_version: 4, cidr: '10.3.9.0/24' }],
    ] as const).map(([path, res, body]): Case => ({
      who: 'B', method: 'POST', path: `/v2.0/${path}`, body: { [res]: { ...body, project_id: A } }, status: 400, type: 'HTTPBadRequest', message: OTHER_PROJECT,
    })),
    { who: 'B', method: 'PUT', path: `/v2.0/ports/${w.portB}`, body: { port: { project_id: A } }, status: 400, type: 'HTTPBadRequest', message: OTHER_PROJECT },
    { who: 'B', method: 'PUT', path: `/v2.0/networks/${w.netB}`, body: { network: { tenant_id: A } }, status: 400, type: 'HTTPBadRequest', message: OTHER_PROJECT },
    // a network B sees but that is neither B's nor shared with it (external only): the API hides it
    // (_validate_network_tenant_ownership answers a bare 404 before policy)
    { who: 'B', method: 'POST', path: '/v2.0/ports', body: { port: { network_id: w.pub } }, status: 404, type: 'HTTPNotFound', message: /^The resource could not be found\.$/ },
    { who: 'B', method: 'POST', path: '/v2.0/subnets', body: { subnet: { network_id: w.pub, ip_version: 4, cidr: '192.168.90.0/24' } }, status: 404, type: 'HTTPNotFound', message: /^The resource could not be found\.$/ },
    // the external network and its subnet: visible to all, the admin's to change (rows 206, 207)
    { who: 'B', method: 'PUT', path: `/v2.0/networks/${w.pub}`, body: { network: { name: 'x' } }, status: 403, type: 'PolicyNotAuthorized' },
    { who: 'B', method: 'DELETE', path: `/v2.0/networks/${w.pub}`, status: 403, type: 'PolicyNotAuthorized' },
    // the RBAC entry is A's alone
    { who: 'B', method: 'GET', path: `/v2.0/rbac-policies/${w.rbacA}`, status: 404, type: 'RbacPolicyNotFound' },
  ];
}

/** What Neutron lets B do on shared objects, and A as the owner of B's network (run after the refusals). */
function allowed(w: World): Case[] {
  return [
    { who: 'B', method: 'POST', path: '/v2.0/ports', body: { port: { network_id: w.netS, name: 'b-on-shared' } }, status: 201 },
    { who: 'B', method: 'POST', path: '/v2.0/ports', body: { port: { network_id: w.netB, security_groups: [w.sgS] } }, status: 201 },
    { who: 'B', method: 'POST', path: '/v2.0/security-group-rules', body: { security_group_rule: { direction: 'ingress', security_group_id: w.sgB, remote_group_id: w.sgS } }, status: 201 },
    { who: 'B', method: 'POST', path: '/v2.0/security-group-rules', body: { security_group_rule: { direction: 'egress', security_group_id: w.sgB, remote_address_group_id: w.agS } }, status: 201 },
    { who: 'B', method: 'POST', path: '/v2.0/subnets', body: { subnet: { network_id: w.netB2, ip_version: 4, subnetpool_id: w.poolS } }, status: 201 },
    // Zed 21's create_subnet lets a member add a subnet to a network shared with it (error-samples row 111)
    { who: 'B', method: 'POST', path: '/v2.0/subnets', body: { subnet: { network_id: w.netS, ip_version: 4, cidr: '10.2.1.0/24' } }, status: 201 },
    // a device_id that is no router, or B's own router, is B's business
    { who: 'B', method: 'PUT', path: `/v2.0/ports/${w.portB}`, body: { port: { device_owner: 'compute:nova', device_id: w.routerA } }, status: 200 },
    { who: 'B', method: 'PUT', path: `/v2.0/ports/${w.portB}`, body: { port: { device_owner: '', device_id: '' } }, status: 200 },
    { who: 'B', method: 'POST', path: '/v2.0/ports', body: { port: { network_id: w.netB, device_owner: 'network:router_interface', device_id: 'no-such-router' } }, status: 201 },
    // a subnet of a network shared with B by name may take B's router (LP-1975603)
    { who: 'B', method: 'PUT', path: `/v2.0/routers/${w.routerB}/add_router_interface`, body: { subnet_id: w.subS }, status: 200 },
    { who: 'B', method: 'PUT', path: `/v2.0/routers/${w.routerB}/remove_router_interface`, body: { subnet_id: w.subS }, status: 200 },
    // A owns netBS? No: B does. A sees its own port there and may change it; B, the network owner, may delete it
    { who: 'A', method: 'PUT', path: `/v2.0/ports/${w.portAonB}`, body: { port: { name: 'renamed' } }, status: 200 },
    { who: 'B', method: 'DELETE', path: `/v2.0/ports/${w.portAonB2}`, status: 204 },
  ];
}

/** Admin does what the matrix refused to B (Neutron's admin bypasses the ownership checks). */
function admin(w: World): Case[] {
  const puts: [string, string, unknown][] = [
    [`/v2.0/networks/${w.netA}`, 'network', { name: 'adm' }], [`/v2.0/subnets/${w.subA}`, 'subnet', { name: 'adm' }],
    [`/v2.0/ports/${w.portA}`, 'port', { name: 'adm' }], [`/v2.0/routers/${w.routerA}`, 'router', { name: 'adm' }],
    [`/v2.0/floatingips/${w.fipA}`, 'floatingip', { description: 'adm' }], [`/v2.0/security-groups/${w.sgA}`, 'security_group', { name: 'adm' }],
    [`/v2.0/address-scopes/${w.scopeA}`, 'address_scope', { name: 'adm' }], [`/v2.0/subnetpools/${w.poolA}`, 'subnetpool', { name: 'adm' }],
    [`/v2.0/address-groups/${w.agA}`, 'address_group', { name: 'adm' }], [`/v2.0/floatingips/${w.fipA2}/port_forwardings/${w.pfA}`, 'port_forwarding', { description: 'adm' }],
    [`/v2.0/networks/${w.netS}`, 'network', { name: 'adm' }], [`/v2.0/subnets/${w.subS}`, 'subnet', { name: 'adm' }],
  ];
  return [
    ...puts.map(([path, res, change]): Case => ({ who: 'admin', method: 'PUT', path, body: { [res]: change }, status: 200 })),
    { who: 'admin', method: 'GET', path: `/v2.0/security-group-rules/${w.ruleA}`, status: 200 },
    { who: 'admin', method: 'POST', path: '/v2.0/ports', body: { port: { project_id: B, network_id: w.netB, device_owner: 'network:router_interface', device_id: w.routerA } }, status: 201 },
    { who: 'admin', method: 'PUT', path: `/v2.0/ports/${w.portB}`, body: { port: { device_owner: 'network:router_interface', device_id: w.routerA } }, status: 200 },
    { who: 'admin', method: 'PUT', path: `/v2.0/routers/${w.routerB}/add_router_interface`, body: { subnet_id: w.subW }, status: 200 },
    { who: 'admin', method: 'PUT', path: `/v2.0/routers/${w.routerB}/add_router_interface`, body: { port_id: w.portBOut }, status: 200 },
    { who: 'admin', method: 'PUT', path: `/v2.0/routers/${w.routerA}/add_router_interface`, body: { port_id: w.portB2 }, status: 200 },
    { who: 'admin', method: 'PUT', path: `/v2.0/floatingips/${w.fipB}`, body: { floatingip: { port_id: w.portAonB } }, status: 200 },
    { who: 'admin', method: 'POST', path: '/v2.0/rbac-policies', body: { rbac_policy: { object_type: 'network', object_id: w.netA, action: 'access_as_shared', target_tenant: B } }, status: 201 },
    { who: 'admin', method: 'DELETE', path: `/v2.0/floatingips/${w.fipA2}/port_forwardings/${w.pfA}`, status: 204 },
    { who: 'admin', method: 'DELETE', path: `/v2.0/security-group-rules/${w.ruleA}`, status: 204 },
    { who: 'admin', method: 'DELETE', path: `/v2.0/address-groups/${w.agA}`, status: 204 },
    { who: 'admin', method: 'DELETE', path: `/v2.0/subnetpools/${w.poolA}`, status: 204 },
    { who: 'admin', method: 'DELETE', path: `/v2.0/address-scopes/${w.scopeA}`, status: 204 },
  ];
}

interface Tally { attempts: number; successes: number; byStatus: Record<string, number>; mismatches: string[] }

async function run(api: Api, cases: Case[], t: Tally): Promise<void> {
  for (const c of cases) {
    const call = c.who === 'admin' ? api.req : api.as(c.who === 'A' ? A : B);
    const r = await call(c.method, c.path, c.body);
    t.attempts++;
    if (r.status < 300) t.successes++;
    t.byStatus[r.status] = (t.byStatus[r.status] ?? 0) + 1;
    const got = r.body?.NeutronError;
    const wrong = r.status !== c.status || (c.type !== undefined && got?.type !== c.type) || (c.message !== undefined && !c.message.test(got?.message ?? ''));
    if (wrong) {
      t.mismatches.push(`${c.who} ${c.method} ${c.path} ${c.body ? JSON.stringify(c.body) : ''}\n    expected ${c.status} ${c.type ?? ''}, got ${r.status} ${JSON.stringify(r.body)}`);
    }
  }
}

for (const kind of TEST_DB_KINDS) {
  describe(`cross-project matrix on ${kind}`, { skip: dbSkipReason(kind) }, () => {
    let db: TestDatabase;
    let api: Api;
    let w: World;
    before(async () => {
      db = await freshDatabase(kind, 'xproj');
      api = await startApi(ML2, db.url);
      w = await build(api);
    });
    after(async () => {
      await api?.close();
      await db?.drop();
    });

    it('another project is refused everything Neutron refuses, with the same status and error', async () => {
      const t: Tally = { attempts: 0, successes: 0, byStatus: {}, mismatches: [] };
      await run(api, [...privateCrud(w), ...attaches(w)], t);
      console.log(`[${kind}] refusals: ${t.attempts} attempts by project B, ${t.successes} succeeded, by status ${JSON.stringify(t.byStatus)}`);
      assert.deepEqual(t.mismatches, []);
      // nothing of A's changed under B's hands
      const net = (await api.as(A)('GET', `/v2.0/networks/${w.netA}`)).body.network;
      assert.equal(net.name, 'a-net');
      assert.deepEqual(net.tags, []);
      const port = (await api.as(B)('GET', `/v2.0/ports/${w.portB}`)).body.port;
      assert.equal(port.device_id, '');
      assert.deepEqual(port.security_groups.length, 1);
    });

    it('what Neutron allows across projects still works, and admin may do what B may not', async () => {
      const t: Tally = { attempts: 0, successes: 0, byStatus: {}, mismatches: [] };
      await run(api, allowed(w), t);
      await run(api, admin(w), t);
      console.log(`[${kind}] allowed + admin: ${t.attempts} attempts, ${t.successes} succeeded, by status ${JSON.stringify(t.byStatus)}`);
      assert.deepEqual(t.mismatches, []);
    });
  });
}
