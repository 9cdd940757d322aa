// /v2.0/ports against the in-process server: Zed's error answers (error-samples
// rows 78-110, 44/226, 187-195, 222, 225), views, filters, paging, bulk, races.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from '../../../test/support/api.ts';

type Call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: any; headers: Headers }>;

let api: Api;
let admin: Call;
let demo: Call;
let other: Call;
let netA: string, subA: string, netB: string, subB: string, netShared: string, subShared: string, netSmall: string;
let sgDemo: string, sgDefault: string;

async function ok(p: Promise<{ status: number; body: any }>, status = 201): Promise<any> {
  const r = await p;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
}

function expectError(r: { status: number; body: any }, status: number, type: string, message: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(r.body, { NeutronError: { type, message, detail: '' } });
}

async function network(call: Call, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  return (await ok(call('POST', '/v2.0/networks', { network: { name, ...extra } }))).network.id;
}
async function subnet(call: Call, networkId: string, cidr: string, extra: Record<string, unknown> = {}): Promise<string> {
  return (await ok(call('POST', '/v2.0/subnets', { subnet: { network_id: networkId, cidr, ip_version: 4, ...extra } }))).subnet.id;
}
async function port(call: Call, body: Record<string, unknown>): Promise<any> {
  return (await ok(call('POST', '/v2.0/ports', { port: body }))).port;
}

before(async () => {
  api = await startApi('[quotas]\nquota_port = -1\n'); // the large-list test makes 620 ports
  admin = api.req;
  demo = api.as('demo');
  other = api.as('other');
  netA = await network(demo, 'net-a');
  subA = await subnet(demo, netA, '10.191.0.0/24');
  netB = await network(demo, 'net-b');
  subB = await subnet(demo, netB, '10.192.0.0/24');
  netShared = await network(admin, 'shared', { shared: true });
  subShared = await subnet(admin, netShared, '10.194.0.0/24');
  netSmall = await network(demo, 'small');
  await subnet(demo, netSmall, '10.193.0.0/29');
  sgDemo = (await ok(demo('POST', '/v2.0/security-groups', { security_group: { name: 'sg-demo' } }))).security_group.id;
  sgDefault = (await ok(demo('GET', '/v2.0/security-groups?name=default'), 200)).security_groups[0].id;
});
after(async () => { await api?.close(); });

describe('ports: create and show', () => {
  it('creates a port with Zed defaults (revision 1, DOWN, unbound, one IPv4 address)', async () => {
    const p = await port(demo, { network_id: netA, name: 'p1' });
    assert.match(p.id, /^[0-9a-f-]{36}$/);
    assert.match(p.mac_address, /^fa:16:3e:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/);
    assert.equal(p.status, 'DOWN');
    assert.equal(p.revision_number, 1);
    assert.equal(p.admin_state_up, true);
    assert.equal(p.device_id, '');
    assert.equal(p.device_owner, '');
    assert.equal(p.tenant_id, 'demo');
    assert.equal(p.project_id, 'demo');
    assert.equal(p.port_security_enabled, true);
    assert.deepEqual(p.security_groups, [sgDefault]); // the project's default group
    assert.deepEqual(p.allowed_address_pairs, []);
    assert.deepEqual(p.extra_dhcp_opts, []);
    assert.deepEqual(p.tags, []);
    assert.equal(p['binding:vnic_type'], 'normal');
    assert.equal(p.fixed_ips.length, 1);
    assert.equal(p.fixed_ips[0].subnet_id, subA);
    assert.match(p.fixed_ips[0].ip_address, /^10\.191\.0\.\d+$/);
    // member view: no binding:host_id / profile / vif_* (admin-only)
    for (const k of ['binding:host_id', 'binding:profile', 'binding:vif_type', 'binding:vif_details']) assert.ok(!(k in p), k);
    const ip = p.fixed_ips[0].ip_address;
    const host = `host-${ip.replace(/\./g, '-')}`;
    assert.deepEqual(p.dns_assignment, [{ hostname: host, ip_address: ip, fqdn: `${host}.${api.config.dnsDomain.replace(/\.$/, '')}.` }]);
    assert.equal(p.dns_name, '');

    const shown = await ok(demo('GET', `/v2.0/ports/${p.id}`), 200);
    assert.deepEqual(shown.port, p);
    const asAdmin = (await ok(admin('GET', `/v2.0/ports/${p.id}`), 200)).port;
    assert.equal(asAdmin['binding:host_id'], '');
    assert.deepEqual(asAdmin['binding:profile'], {});
    assert.deepEqual(asAdmin['binding:vif_details'], {});
    assert.equal(asAdmin['binding:vif_type'], 'unbound');
  });

  it('takes mac, fixed ips, address pairs (mac defaults to the port mac), dhcp opts, tags, dns_name', async () => {
    const p = await port(demo, {
      network_id: netA, mac_address: 'FA:16:3E:AA:BB:01', fixed_ips: [{ subnet_id: subA, ip_address: '10.191.0.77' }],
      allowed_address_pairs: [{ ip_address: '10.191.0.200' }, { ip_address: '10.9.0.0/24', mac_address: 'fa:16:3e:00:00:09' }],
      extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0' }, { opt_name: 'tftp-server', opt_value: '10.0.0.1', ip_version: 6 }],
      tags: ['b', 'a'], dns_name: 'vm1', device_id: 'dev-1', device_owner: 'compute:nova',
    });
    assert.equal(p.mac_address, 'fa:16:3e:aa:bb:01');
    assert.deepEqual(p.fixed_ips, [{ subnet_id: subA, ip_address: '10.191.0.77' }]);
    assert.deepEqual(new Set(p.allowed_address_pairs.map(JSON.stringify)), new Set([
      { ip_address: '10.191.0.200', mac_address: 'fa:16:3e:aa:bb:01' }, { ip_address: '10.9.0.0/24', mac_address: 'fa:16:3e:00:00:09' },
    ].map((x) => JSON.stringify(x))));
    assert.deepEqual(p.extra_dhcp_opts.sort((a: any, b: any) => a.opt_name.localeCompare(b.opt_name)), [
      { opt_name: 'bootfile-name', opt_value: 'pxelinux.0', ip_version: 4 }, { opt_name: 'tftp-server', opt_value: '10.0.0.1', ip_version: 6 },
    ]);
    assert.deepEqual(p.tags, ['a', 'b']);
    assert.equal(p.dns_assignment[0].hostname, 'vm1');
    const shown = (await ok(demo('GET', `/v2.0/ports/${p.id}`), 200)).port;
    assert.deepEqual(shown, p);
  });

  it('row 101: security groups must exist and be the project\'s', async () => {
    const sg = '00000000-0000-0000-0000-000000000000';
    expectError(await demo('POST', '/v2.0/ports', { port: { network_id: netA, security_groups: [sg] } }), 404, 'SecurityGroupNotFound',
      `Security group ${sg} does not exist`);
    expectError(await other('POST', '/v2.0/ports', { port: { network_id: netShared, security_groups: [sgDemo] } }), 404, 'SecurityGroupNotFound',
      `Security group ${sgDemo} does not exist`);
    const p = await port(demo, { network_id: netA, security_groups: [sgDemo] });
    assert.deepEqual(p.security_groups, [sgDemo]);
    const r = await demo('POST', '/v2.0/ports', { port: { network_id: netA, security_groups: ['nope'] } });
    expectError(r, 400, 'HTTPBadRequest', "Invalid input for security_groups. Reason: 'nope' is not a valid UUID.");
  });

  it('row 102: network:dhcp port on own network as member: created, port security off', async () => {
    const p = await port(demo, { name: 'errprobe-x', network_id: netA, device_owner: 'network:dhcp' });
    assert.equal(p.port_security_enabled, false);
    assert.deepEqual(p.security_groups, []);
    assert.equal(p.revision_number, 1);
    assert.equal((await demo('DELETE', `/v2.0/ports/${p.id}`)).status, 204);
  });

  it('port_security_enabled defaults to the network value', async () => {
    const net = await network(demo, 'nopsec', { port_security_enabled: false });
    await subnet(demo, net, '10.195.0.0/24');
    const p = await port(demo, { network_id: net });
    assert.equal(p.port_security_enabled, false);
  });
});

describe('ports: Zed error rows', () => {
  it('row 78: fixed ip already allocated', async () => {
    await port(demo, { network_id: netA, fixed_ips: [{ ip_address: '10.191.0.50' }] });
    const r = await demo('POST', '/v2.0/ports', { port: { name: 'errprobe-x', network_id: netA, fixed_ips: [{ ip_address: '10.191.0.50' }] } });
    expectError(r, 409, 'IpAddressAlreadyAllocated', `IP address 10.191.0.50 already allocated in subnet ${subA}`);
  });
  it('row 79: fixed ip not in the given subnet', async () => {
    const r = await demo('POST', '/v2.0/ports', { port: { network_id: netA, fixed_ips: [{ subnet_id: subA, ip_address: '10.192.0.5' }] } });
    expectError(r, 400, 'InvalidIpForSubnet', 'IP address 10.192.0.5 is not a valid IP for the specified subnet.');
  });
  it('row 80: fixed ip not in any subnet of the network', async () => {
    const r = await demo('POST', '/v2.0/ports', { port: { network_id: netA, fixed_ips: [{ ip_address: '10.250.0.5' }] } });
    expectError(r, 400, 'InvalidIpForNetwork', 'IP address 10.250.0.5 is not a valid IP for any of the subnets on the specified network.');
  });
  it('row 81: fixed ip subnet of another network', async () => {
    const r = await demo('POST', '/v2.0/ports', { port: { network_id: netA, fixed_ips: [{ subnet_id: subB }] } });
    expectError(r, 400, 'InvalidInput', `Invalid input for operation: Failed to create port on network ${netA}, because fixed_ips included invalid subnet ${subB}.`);
  });
  it('row 82: fixed ip not an IP', async () => {
    const r = await demo('POST', '/v2.0/ports', { port: { network_id: netA, fixed_ips: [{ ip_address: 'abc' }] } });
    expectError(r, 400, 'HTTPBadRequest', "Invalid input for fixed_ips. Reason: 'abc' is not a valid IP address.");
  });
  it('row 83: fixed ip subnet_id unknown', async () => {
    const r = await demo('POST', '/v2.0/ports', { port: { network_id: netA, fixed_ips: [{ subnet_id: '00000000-0000-0000-0000-000000000000' }] } });
    expectError(r, 404, 'SubnetNotFound', 'Subnet 00000000-0000-0000-0000-000000000000 could not be found.');
  });
  it('row 84: mac_address already in use on the network (any other network is fine)', async () => {
    await port(demo, { network_id: netA, mac_address: 'fa:16:3e:19:47:9f' });
    const r = await demo('POST', '/v2.0/ports', { port: { network_id: netA, mac_address: 'fa:16:3e:19:47:9f' } });
    expectError(r, 409, 'MacAddressInUse', `Unable to complete operation for network ${netA}. The mac address fa:16:3e:19:47:9f is in use.`);
    await port(demo, { network_id: netB, mac_address: 'fa:16:3e:19:47:9f' });
  });
  it('rows 85-86: mac_address invalid / all zeros', async () => {
    for (const mac of ['zz:11:22:33:44:55', '00:00:00:00:00:00']) {
      const r = await demo('POST', '/v2.0/ports', { port: { network_id: netA, mac_address: mac } });
      expectError(r, 400, 'HTTPBadRequest', `Invalid input for mac_address. Reason: '${mac}' is not a valid MAC address.`);
    }
  });
  it('row 87: network_id unknown', async () => {
    const r = await demo('POST', '/v2.0/ports', { port: { name: 'errprobe-x', network_id: '00000000-0000-0000-0000-000000000000' } });
    expectError(r, 404, 'NetworkNotFound', 'Network 00000000-0000-0000-0000-000000000000 could not be found.');
  });
  it('row 88: network_id missing', async () => {
    const r = await demo('POST', '/v2.0/ports', { port: { name: 'errprobe-x' } });
    expectError(r, 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'network_id' not specified");
  });
  it('row 89: no free IP left in a /29', async () => {
    for (let i = 0; i < 5; i++) await port(demo, { network_id: netSmall });
    const r = await demo('POST', '/v2.0/ports', { port: { name: 'errprobe-x', network_id: netSmall } });
    expectError(r, 409, 'IpAddressGenerationFailure', `No more IP addresses available on network ${netSmall}.`);
  });
  it('row 90: binding:host_id as member', async () => {
    const r = await demo('POST', '/v2.0/ports', { port: { name: 'errprobe-x', network_id: netA, 'binding:host_id': 'somehost' } });
    expectError(r, 403, 'PolicyNotAuthorized', '(rule:create_port and rule:create_port:binding:host_id) is disallowed by policy');
  });
  it('rows 91-92: binding:profile / mac_address update as member', async () => {
    const p = await port(demo, { network_id: netA });
    expectError(await demo('PUT', `/v2.0/ports/${p.id}`, { port: { 'binding:profile': { foo: 'bar' } } }),
      403, 'PolicyNotAuthorized', '(rule:update_port and rule:update_port:binding:profile) is disallowed by policy');
    expectError(await demo('PUT', `/v2.0/ports/${p.id}`, { port: { mac_address: 'fa:16:3e:00:00:01' } }),
      403, 'PolicyNotAuthorized', '(rule:update_port and rule:update_port:mac_address) is disallowed by policy');
  });
  it('row 93: port_security false with security_groups', async () => {
    const r = await demo('POST', '/v2.0/ports', { port: { network_id: netA, port_security_enabled: false, security_groups: ['ca29766c-ce7c-4432-8163-a13ff132ea27'] } });
    expectError(r, 400, 'PortSecurityAndIPRequiredForSecurityGroups', 'Port security must be enabled and port must have an IP address in order to use security groups.');
  });
  it('row 94: port_security false with allowed_address_pairs', async () => {
    const r = await demo('POST', '/v2.0/ports', { port: { network_id: netA, port_security_enabled: false, security_groups: [], allowed_address_pairs: [{ ip_address: '10.191.0.200' }] } });
    expectError(r, 409, 'AddressPairAndPortSecurityRequired', 'Port Security must be enabled in order to have allowed address pairs on a port.');
  });
  it('row 95: update port_security false while it has security groups', async () => {
    const p = await port(demo, { network_id: netA, security_groups: [sgDemo] });
    const r = await demo('PUT', `/v2.0/ports/${p.id}`, { port: { port_security_enabled: false } });
    expectError(r, 409, 'PortSecurityPortHasSecurityGroup', 'Port has security group associated. Cannot disable port security or IP address until security group is removed.');
    // removing the groups in the same request is fine
    const u = (await ok(demo('PUT', `/v2.0/ports/${p.id}`, { port: { port_security_enabled: false, security_groups: [] } }), 200)).port;
    assert.equal(u.port_security_enabled, false);
    assert.deepEqual(u.security_groups, []);
  });
  it('rows 96-100: allowed_address_pairs validation', async () => {
    const post = (pairs: unknown) => demo('POST', '/v2.0/ports', { port: { name: 'errprobe-x', network_id: netA, allowed_address_pairs: pairs } });
    expectError(await post([{ ip_address: 'foo' }]), 400, 'HTTPBadRequest', "'foo' is not a valid IP address");
    expectError(await post([{ mac_address: 'fa:16:3e:00:00:02' }]), 400, 'AllowedAddressPairsMissingIP', 'AllowedAddressPair must contain ip_address');
    expectError(await post([{ ip_address: '10.191.0.201' }, { ip_address: '10.191.0.201' }]), 400, 'DuplicateAddressPairInRequest',
      'Request contains duplicate address pair: mac_address None ip_address 10.191.0.201.');
    expectError(await post('10.191.0.201'), 400, 'HTTPBadRequest', 'Allowed address pairs must be a list.');
    expectError(await post([{ ip_address: '10.191.0.201', foo: 1 }]), 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'foo'");
    const eleven = Array.from({ length: 11 }, (_, i) => ({ ip_address: `10.191.1.${i}` }));
    expectError(await post(eleven), 400, 'AllowedAddressPairExhausted', 'The number of allowed address pair exceeds the maximum 10.');
  });
  it('rows 103-104: update read-only status / network_id', async () => {
    const p = await port(demo, { network_id: netA });
    expectError(await demo('PUT', `/v2.0/ports/${p.id}`, { port: { status: 'ACTIVE' } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute status');
    expectError(await demo('PUT', `/v2.0/ports/${p.id}`, { port: { network_id: netB } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute network_id');
  });
  it('row 105: DELETE a router interface port directly', async () => {
    const p = await port(admin, { network_id: netA, tenant_id: 'demo', device_owner: 'network:router_interface', device_id: 'r1' });
    const r = await demo('DELETE', `/v2.0/ports/${p.id}`);
    expectError(r, 409, 'ServicePortInUse', `Port ${p.id} cannot be deleted directly via the port API: has device owner network:router_interface.`);
    // clean up: make it an ordinary port again
    await ok(admin('PUT', `/v2.0/ports/${p.id}`, { port: { device_owner: '' } }), 200);
    assert.equal((await admin('DELETE', `/v2.0/ports/${p.id}`)).status, 204);
  });
  it('rows 106-110: member on a shared network it does not own', async () => {
    const post = (body: Record<string, unknown>) => demo('POST', '/v2.0/ports', { port: { name: 'errprobe-x', network_id: netShared, ...body } });
    expectError(await post({ fixed_ips: [{ ip_address: '10.194.0.20' }] }), 403, 'PolicyNotAuthorized',
      '(rule:create_port and (rule:create_port:fixed_ips and (rule:create_port:fixed_ips:ip_address))) is disallowed by policy');
    expectError(await post({ fixed_ips: [{ subnet_id: subShared, ip_address: '10.194.0.20' }] }), 403, 'PolicyNotAuthorized',
      '(rule:create_port and (rule:create_port:fixed_ips and (rule:create_port:fixed_ips:subnet_id and rule:create_port:fixed_ips:ip_address))) is disallowed by policy');
    expectError(await post({ device_owner: 'network:router_interface' }), 403, 'PolicyNotAuthorized',
      '(rule:create_port and rule:create_port:device_owner) is disallowed by policy');
    expectError(await post({ device_owner: 'network:dhcp' }), 403, 'PolicyNotAuthorized',
      '(rule:create_port and rule:create_port:device_owner) is disallowed by policy');
    expectError(await post({ mac_address: 'fa:16:3e:12:34:56' }), 403, 'PolicyNotAuthorized',
      '(rule:create_port and rule:create_port:mac_address) is disallowed by policy');
    // a plain port on the shared network is fine, and its owner sees it; the network owner too
    const p = await port(demo, { network_id: netShared, fixed_ips: [{ subnet_id: subShared }] });
    assert.equal(p.fixed_ips[0].subnet_id, subShared);
    await ok(admin('GET', `/v2.0/ports/${p.id}`), 200);
    expectError(await other('GET', `/v2.0/ports/${p.id}`), 404, 'PortNotFound', `Port ${p.id} could not be found.`);
  });
  it('rows 192-195: cross-project GET/PUT/DELETE port and POST on a network', async () => {
    const p = await port(demo, { network_id: netA });
    const msg = `Port ${p.id} could not be found.`;
    expectError(await other('GET', `/v2.0/ports/${p.id}`), 404, 'PortNotFound', msg);
    expectError(await other('PUT', `/v2.0/ports/${p.id}`, { port: { name: 'x' } }), 404, 'PortNotFound', msg);
    expectError(await other('DELETE', `/v2.0/ports/${p.id}`), 404, 'PortNotFound', msg);
    expectError(await other('POST', '/v2.0/ports', { port: { network_id: netA } }), 404, 'NetworkNotFound', `Network ${netA} could not be found.`);
    const list = (await ok(other('GET', '/v2.0/ports'), 200)).ports;
    assert.ok(!list.some((x: any) => x.id === p.id));
  });
  it('row 222: fixed_ips filter malformed', async () => {
    expectError(await demo('GET', '/v2.0/ports?fixed_ips=foo'), 400, 'InvalidInput', "Invalid input for operation: 'foo' is not of the form <key>=[value].");
  });
  it('row 225: stale If-Match on DELETE', async () => {
    const p = await port(demo, { network_id: netA });
    expectError(await demo('DELETE', `/v2.0/ports/${p.id}`, undefined, { 'If-Match': 'revision_number=999' }),
      412, 'RevisionNumberConstraintFailed', 'Constrained to 999, but current revision is 1');
    assert.equal((await demo('DELETE', `/v2.0/ports/${p.id}`, undefined, { 'If-Match': 'revision_number=1' })).status, 204);
    expectError(await demo('GET', `/v2.0/ports/${p.id}`), 404, 'PortNotFound', `Port ${p.id} could not be found.`);
  });
  it('rows 44/226: network delete with ports → NetworkInUse, before If-Match', async () => {
    const net = await network(demo, 'inuse');
    await subnet(demo, net, '10.196.0.0/24');
    const p = await port(demo, { network_id: net });
    expectError(await demo('DELETE', `/v2.0/networks/${net}`, undefined, { 'If-Match': 'revision_number=999' }), 409, 'NetworkInUse',
      `Unable to complete operation on network ${net}. There are one or more ports still in use on the network, id for these ports is: ${p.id}.`);
    const p2 = await port(demo, { network_id: net });
    const r = await demo('DELETE', `/v2.0/networks/${net}`);
    assert.equal(r.status, 409);
    assert.equal(r.body.NeutronError.type, 'NetworkInUse');
    const ids = r.body.NeutronError.message.match(/is: (.*)\.$/)[1].split(',').sort();
    assert.deepEqual(ids, [p.id, p2.id].sort());
    for (const id of [p.id, p2.id]) assert.equal((await demo('DELETE', `/v2.0/ports/${id}`)).status, 204);
    assert.equal((await demo('DELETE', `/v2.0/networks/${net}`)).status, 204);
  });
});

describe('ports: update', () => {
  it('bumps the revision once per changing request, not for no-ops', async () => {
    const p = await port(demo, { network_id: netA, name: 'r' });
    const u = (await ok(demo('PUT', `/v2.0/ports/${p.id}`, { port: { name: 'r2', description: 'd', admin_state_up: false } }), 200)).port;
    assert.equal(u.revision_number, 2);
    assert.equal(u.name, 'r2');
    assert.equal(u.admin_state_up, false);
    const same = (await ok(demo('PUT', `/v2.0/ports/${p.id}`, { port: { name: 'r2' } }), 200)).port;
    assert.equal(same.revision_number, 2);
    expectError(await demo('PUT', `/v2.0/ports/${p.id}`, { port: { name: 'x' } }, { 'If-Match': 'revision_number=1' }),
      412, 'RevisionNumberConstraintFailed', 'Constrained to 1, but current revision is 2');
  });

  it('fixed_ips: keeps, adds and releases addresses', async () => {
    const p = await port(demo, { network_id: netA, fixed_ips: [{ ip_address: '10.191.0.100' }] });
    const u = (await ok(demo('PUT', `/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ ip_address: '10.191.0.100' }, { ip_address: '10.191.0.101' }] } }), 200)).port;
    assert.deepEqual(u.fixed_ips.map((f: any) => f.ip_address), ['10.191.0.100', '10.191.0.101']);
    assert.equal(u.revision_number, 2);
    const v = (await ok(demo('PUT', `/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ ip_address: '10.191.0.101' }] } }), 200)).port;
    assert.deepEqual(v.fixed_ips, [{ subnet_id: subA, ip_address: '10.191.0.101' }]);
    // the released address can be taken again
    const q = await port(demo, { network_id: netA, fixed_ips: [{ ip_address: '10.191.0.100' }] });
    assert.equal(q.fixed_ips[0].ip_address, '10.191.0.100');
    // subnet-only request reuses the address the port has there
    const w = (await ok(demo('PUT', `/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ subnet_id: subA }] } }), 200)).port;
    assert.deepEqual(w.fixed_ips, [{ subnet_id: subA, ip_address: '10.191.0.101' }]);
    assert.equal(w.revision_number, 3);
    const none = (await ok(demo('PUT', `/v2.0/ports/${p.id}`, { port: { fixed_ips: [] } }), 200)).port;
    assert.deepEqual(none.fixed_ips, []);
    assert.deepEqual(none.dns_assignment, []);
  });

  it('admin updates mac, binding attributes; pairs, groups and dhcp opts are replaced/merged', async () => {
    const p = await port(demo, { network_id: netA, extra_dhcp_opts: [{ opt_name: 'a', opt_value: '1' }, { opt_name: 'b', opt_value: '2' }] });
    const u = (await ok(admin('PUT', `/v2.0/ports/${p.id}`, { port: {
      mac_address: 'fa:16:3e:de:ad:01', 'binding:host_id': 'compute1', 'binding:profile': { k: 'v' }, 'binding:vnic_type': 'direct',
      allowed_address_pairs: [{ ip_address: '10.191.0.250' }], security_groups: [sgDemo],
      extra_dhcp_opts: [{ opt_name: 'a', opt_value: null }, { opt_name: 'b', opt_value: '3' }, { opt_name: 'c', opt_value: '4' }],
    } }), 200)).port;
    assert.equal(u.mac_address, 'fa:16:3e:de:ad:01');
    assert.equal(u['binding:host_id'], 'compute1');
    assert.deepEqual(u['binding:profile'], { k: 'v' });
    assert.equal(u['binding:vnic_type'], 'direct');
    // no agent on compute1 (and vnic_type direct is not linuxbridge's): binding fails, as in Neutron
    assert.equal(u['binding:vif_type'], 'binding_failed');
    assert.deepEqual(u.allowed_address_pairs, [{ ip_address: '10.191.0.250', mac_address: 'fa:16:3e:de:ad:01' }]);
    assert.deepEqual(u.security_groups, [sgDemo]);
    assert.deepEqual(u.extra_dhcp_opts.map((o: any) => `${o.opt_name}=${o.opt_value}`).sort(), ['b=3', 'c=4']);
    assert.equal(u.revision_number, 2);
    // another port's MAC on the same network
    const q = await port(demo, { network_id: netA });
    expectError(await admin('PUT', `/v2.0/ports/${q.id}`, { port: { mac_address: 'fa:16:3e:de:ad:01' } }), 409, 'MacAddressInUse',
      `Unable to complete operation for network ${netA}. The mac address fa:16:3e:de:ad:01 is in use.`);
    // binding:vnic_type validation
    expectError(await admin('PUT', `/v2.0/ports/${q.id}`, { port: { 'binding:vnic_type': 'bogus' } }), 400, 'HTTPBadRequest',
      'Invalid input for binding:vnic_type. Reason: bogus is not in valid_values.');
  });

  it('port security off with existing address pairs is refused', async () => {
    const p = await port(demo, { network_id: netA, allowed_address_pairs: [{ ip_address: '10.191.0.240' }] });
    expectError(await demo('PUT', `/v2.0/ports/${p.id}`, { port: { port_security_enabled: false } }), 409, 'AddressPairAndPortSecurityRequired',
      'Port Security must be enabled in order to have allowed address pairs on a port.');
  });
});

describe('ports: list', () => {
  let net: string, sub: string;
  const ids: string[] = [];
  before(async () => {
    net = await network(demo, 'listnet');
    sub = await subnet(demo, net, '10.197.0.0/24');
    for (let i = 0; i < 5; i++) {
      const p = await port(demo, {
        network_id: net, name: `l${i}`, fixed_ips: [{ ip_address: `10.197.0.${10 + i}` }], device_id: i < 2 ? 'vm-x' : '',
        device_owner: i === 4 ? 'compute:nova' : '', tags: i % 2 ? ['odd'] : ['even'],
        security_groups: i === 3 ? [sgDemo] : [],
      });
      ids.push(p.id);
    }
  });
  const names = (body: any) => body.ports.map((p: any) => p.name);
  const q = (qs: string) => ok(demo('GET', `/v2.0/ports?network_id=${net}&${qs}`), 200);

  it('filters: fixed_ips ip_address / subnet_id / substr, ip_address_substr, device_id, empty device_owner, mac, id, tags, security_groups', async () => {
    assert.deepEqual(names(await q('fixed_ips=ip_address%3D10.197.0.12')), ['l2']);
    assert.deepEqual(names(await q(`fixed_ips=subnet_id%3D${sub}&sort_key=name&sort_dir=asc`)), ['l0', 'l1', 'l2', 'l3', 'l4']);
    assert.deepEqual(names(await q('fixed_ips=ip_address%3D10.197.0.12&fixed_ips=ip_address%3D10.197.0.13&sort_key=name&sort_dir=asc')), ['l2', 'l3']);
    assert.deepEqual(names(await q('fixed_ips=ip_address_substr%3D0.14')), ['l4']);
    assert.deepEqual(names(await q('ip_address_substr=0.11')), ['l1']);
    assert.deepEqual(names(await q('device_id=vm-x&sort_key=name&sort_dir=desc')), ['l1', 'l0']);
    assert.deepEqual(names(await q('device_owner=&sort_key=name&sort_dir=asc')), ['l0', 'l1', 'l2', 'l3']);
    const p0 = (await ok(demo('GET', `/v2.0/ports/${ids[0]}`), 200)).port;
    assert.deepEqual(names(await q(`mac_address=${p0.mac_address}`)), ['l0']);
    assert.deepEqual(names(await q(`id=${ids[1]}&id=${ids[3]}&sort_key=name&sort_dir=asc`)), ['l1', 'l3']);
    assert.deepEqual(names(await q('tags=odd&sort_key=name&sort_dir=asc')), ['l1', 'l3']);
    assert.deepEqual(names(await q('not-tags=odd&sort_key=name&sort_dir=asc')), ['l0', 'l2', 'l4']);
    assert.deepEqual(names(await q(`security_groups=${sgDemo}`)), ['l3']);
    expectError(await demo('GET', '/v2.0/ports?bogus=1'), 400, 'HTTPBadRequest', "['bogus'] is invalid attribute for filtering");
  });

  it('fields=', async () => {
    const body = await q('fields=id&fields=name&sort_key=name&sort_dir=asc');
    assert.deepEqual(body.ports[0], { id: ids[0], name: 'l0' });
    const one = await ok(demo('GET', `/v2.0/ports/${ids[0]}?fields=fixed_ips&fields=binding:host_id`), 200);
    assert.deepEqual(one, { port: { fixed_ips: [{ subnet_id: sub, ip_address: '10.197.0.10' }] } });
  });

  it('sorting and pagination with _links', async () => {
    const page1 = await q('sort_key=name&sort_dir=asc&limit=2');
    assert.deepEqual(names(page1), ['l0', 'l1']);
    const next = page1.ports_links.find((l: any) => l.rel === 'next');
    assert.ok(next);
    assert.match(next.href, new RegExp(`marker=${ids[1]}`));
    const url = new URL(next.href);
    const page2 = await ok(demo('GET', url.pathname + url.search), 200);
    assert.deepEqual(names(page2), ['l2', 'l3']);
    const page3 = await ok(demo('GET', new URL(page2.ports_links.find((l: any) => l.rel === 'next').href).pathname + new URL(page2.ports_links.find((l: any) => l.rel === 'next').href).search), 200);
    assert.deepEqual(names(page3), ['l4']);
    assert.ok(!page3.ports_links.some((l: any) => l.rel === 'next'));
    const prev = new URL(page3.ports_links.find((l: any) => l.rel === 'previous').href);
    const back = await ok(demo('GET', prev.pathname + prev.search), 200);
    assert.deepEqual(names(back), ['l2', 'l3']);
    assert.deepEqual(names(await q('sort_key=name&sort_dir=desc&limit=2')), ['l4', 'l3']);
    expectError(await demo('GET', '/v2.0/ports?limit=1&marker=abc'), 404, 'PortNotFound', 'Port abc could not be found.');
  });

  it('visibility: the network owner sees others\' ports on its network; others see only their own', async () => {
    const mine = await port(other, { network_id: netShared });
    const otherList = (await ok(other('GET', '/v2.0/ports'), 200)).ports;
    assert.deepEqual(otherList.map((p: any) => p.id), [mine.id]);
    const adminList = (await ok(admin('GET', `/v2.0/ports?network_id=${netShared}`), 200)).ports;
    assert.ok(adminList.some((p: any) => p.id === mine.id));
    assert.ok('binding:host_id' in adminList[0]);
    assert.ok(!('binding:host_id' in otherList[0]));
  });
});

describe('ports: bulk', () => {
  it('creates several in one request', async () => {
    const r = await ok(demo('POST', '/v2.0/ports', { ports: [{ network_id: netA, name: 'b1' }, { network_id: netB, name: 'b2' }] }));
    assert.deepEqual(r.ports.map((p: any) => p.name), ['b1', 'b2']);
    assert.equal(r.ports[1].fixed_ips[0].subnet_id, subB);
  });
  it('is atomic: one bad item and nothing is created', async () => {
    const before = (await ok(demo('GET', `/v2.0/ports?network_id=${netA}&fields=id`), 200)).ports.length;
    const r = await demo('POST', '/v2.0/ports', { ports: [
      { network_id: netA, name: 'atomic1', fixed_ips: [{ ip_address: '10.191.0.180' }] },
      { network_id: netA, name: 'atomic2', fixed_ips: [{ ip_address: '10.191.0.180' }] },
    ] });
    expectError(r, 409, 'IpAddressAlreadyAllocated', `IP address 10.191.0.180 already allocated in subnet ${subA}`);
    const afterCount = (await ok(demo('GET', `/v2.0/ports?network_id=${netA}&fields=id`), 200)).ports.length;
    assert.equal(afterCount, before);
    assert.deepEqual((await ok(demo('GET', '/v2.0/ports?name=atomic1'), 200)).ports, []);
    // and the address is still free
    await port(demo, { network_id: netA, fixed_ips: [{ ip_address: '10.191.0.180' }] });
  });
});

describe('ports: tags sub-resource', () => {
  it('adds, lists and removes tags, bumping the revision', async () => {
    const p = await port(demo, { network_id: netA });
    assert.equal((await demo('PUT', `/v2.0/ports/${p.id}/tags/t1`)).status, 201);
    const tags = await ok(demo('GET', `/v2.0/ports/${p.id}/tags`), 200);
    assert.deepEqual(tags, { tags: ['t1'] });
    const shown = (await ok(demo('GET', `/v2.0/ports/${p.id}`), 200)).port;
    assert.deepEqual(shown.tags, ['t1']);
    assert.equal(shown.revision_number, 2);
    assert.equal((await demo('DELETE', `/v2.0/ports/${p.id}/tags/t1`)).status, 204);
  });
});

describe('ports: concurrency', () => {
  it('32 clients filling a /27: every address handed out once, the rest 409 IpAddressGenerationFailure', async () => {
    const net = await network(demo, 'race');
    await subnet(demo, net, '10.198.0.0/27');
    const got: string[] = [];
    const failures: any[] = [];
    const other: any[] = [];
    await Promise.all(Array.from({ length: 32 }, async () => {
      for (;;) {
        const r = await demo('POST', '/v2.0/ports', { port: { network_id: net } });
        if (r.status === 201) { got.push(r.body.port.fixed_ips[0].ip_address); continue; }
        if (r.status === 409 && r.body.NeutronError.type === 'IpAddressGenerationFailure') { failures.push(r.body); return; }
        other.push(r.body);
        return;
      }
    }));
    assert.deepEqual(other, []);
    assert.equal(failures.length, 32);
    assert.equal(new Set(got).size, got.length, 'an address was handed out twice');
    assert.equal(got.length, 29); // .2 - .30
    const listed = (await ok(admin('GET', `/v2.0/ports?network_id=${net}&fields=fixed_ips`), 200)).ports;
    assert.equal(listed.length, 29);
  });
});

describe('ports: large lists', () => {
  it('an unpaged list of more than 500 ports carries every port\'s related rows', async () => {
    const net = await network(demo, 'big');
    await subnet(demo, net, '10.199.0.0/22');
    const body = await ok(demo('POST', '/v2.0/ports', { ports: Array.from({ length: 620 }, (_, i) => ({
      network_id: net, name: `big${i}`, tags: [`t${i % 2}`], allowed_address_pairs: i === 600 ? [{ ip_address: '10.199.3.250' }] : [],
    })) }));
    assert.equal(body.ports.length, 620);
    const list = (await ok(demo('GET', `/v2.0/ports?network_id=${net}`), 200)).ports;
    assert.equal(list.length, 620);
    assert.ok(list.every((p: any) => p.fixed_ips.length === 1 && p.tags.length === 1 && p.dns_assignment.length === 1));
    assert.equal(list.filter((p: any) => p.allowed_address_pairs.length === 1).length, 1);
    const paged = (await ok(demo('GET', `/v2.0/ports?network_id=${net}&limit=550`), 200)).ports;
    assert.ok(paged.every((p: any) => p.fixed_ips.length === 1 && p.tags.length === 1));
  });
});
