// Subnets API: Zed's defaults and every subnet error of error-samples rows 45-77,
// pools vs allocations on update, network revision bumps, ip availability.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startApi, type Api } from '../../../test/support/api.ts';
import { inTransaction } from '../../db/transaction.ts';
import { allocateIps, type FixedIp, type FixedIpRequest } from '../../services/ipam.ts';
import { nowIso } from '../../db/standard-attrs.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../../test/support/test-db.ts';

const ML2 = `
[ml2]
type_drivers = flat,vlan,vxlan
tenant_network_types = vxlan
[ml2_type_flat]
flat_networks = public
[ml2_type_vxlan]
vni_ranges = 1:1000
`;

const err = (r: { status: number; body: any }, status: number, type: string, message: string) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.NeutronError.type, type);
  assert.equal(r.body.NeutronError.message, message);
  assert.equal(r.body.NeutronError.detail, '');
};

const ZED_SUBNET_KEYS = [
  'id', 'name', 'tenant_id', 'network_id', 'ip_version', 'subnetpool_id', 'enable_dhcp', 'ipv6_ra_mode', 'ipv6_address_mode', 'gateway_ip',
  'cidr', 'allocation_pools', 'host_routes', 'dns_nameservers', 'description', 'service_types', 'tags', 'created_at', 'updated_at',
  'revision_number', 'project_id',
];

for (const kind of TEST_DB_KINDS) describe(`subnets API [${kind}]`, { skip: dbSkipReason(kind) }, () => {
  let api: Api;
  let db: TestDatabase;
  const demo = () => api.as('demo-project');
  const demo2 = () => api.as('other-project');
  let netB: string; // demo's network for the error probes (errprobe-net-b)
  let netA: string; // demo's network with ports (errprobe-net-a)
  let subnetA: string;

  /** A port row plus its addresses, as the ports service would create it. */
  async function addPort(networkId: string, owner: string, requests?: FixedIpRequest[], project = 'demo-project'): Promise<{ id: string; ips: FixedIp[] }> {
    const id = randomUUID();
    const mac = `fa:16:3e:${[0, 0, 0].map(() => Math.floor(Math.random() * 256).toString(16).padStart(2, '0')).join(':')}`;
    const now = nowIso();
    const ips = await inTransaction(api.deps.conn, async (tx) => {
      await tx.insertInto('ports').values({
        id, project_id: project, network_id: networkId, name: '', mac_address: mac, admin_state_up: 1, status: 'DOWN', device_id: '',
        device_owner: owner, port_security_enabled: 1, binding_host_id: '', binding_vnic_type: 'normal', binding_profile: '{}',
        binding_vif_type: 'unbound', binding_vif_details: '{}', binding_failure: null, dns_name: '', description: '', revision_number: 1,
        created_at: now, updated_at: now,
      }).execute();
      return allocateIps(tx, networkId, id, requests, mac, owner);
    });
    return { id, ips };
  }

  const probe = (extra: Record<string, unknown>) =>
    demo()('POST', '/v2.0/subnets', { subnet: { name: 'errprobe-x', network_id: netB, ip_version: 4, cidr: '10.196.0.0/24', enable_dhcp: false, ...extra } });

  before(async () => {
    db = await freshDatabase(kind, 'subnets');
    api = await startApi(ML2, db.url);
    netB = (await demo()('POST', '/v2.0/networks', { network: { name: 'errprobe-net-b' } })).body.network.id;
    netA = (await demo()('POST', '/v2.0/networks', { network: { name: 'errprobe-net-a' } })).body.network.id;
    const r = await demo()('POST', '/v2.0/subnets', { subnet: { name: 'errprobe-subnet-b', network_id: netB, ip_version: 4, cidr: '10.192.0.0/24' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const a = await demo()('POST', '/v2.0/subnets', { subnet: { name: 'errprobe-subnet-a', network_id: netA, ip_version: 4, cidr: '10.191.0.0/24' } });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    subnetA = a.body.subnet.id;
  });
  after(async () => { await api?.close(); await db?.drop(); });

  it('subnets of a non-shared external network are not visible to other projects, even with access_as_external (tempest test_external_network_visibility)', async () => {
    const ext = await api.req('POST', '/v2.0/networks', { network: { name: 'ext-not-shared', 'router:external': true } });
    assert.equal(ext.status, 201, JSON.stringify(ext.body));
    const sub = await api.req('POST', '/v2.0/subnets', { subnet: { network_id: ext.body.network.id, ip_version: 4, cidr: '10.77.0.0/24', enable_dhcp: false } });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    // The network itself is visible (external), its subnets are not.
    const nets = await demo()('GET', '/v2.0/networks?router:external=true');
    assert.ok(nets.body.networks.some((n: any) => n.id === ext.body.network.id));
    assert.deepEqual((await demo()('GET', `/v2.0/subnets?network_id=${ext.body.network.id}`)).body.subnets, []);
    assert.equal((await demo()('GET', `/v2.0/subnets/${sub.body.subnet.id}`)).status, 404);
    assert.equal((await demo()('PUT', `/v2.0/subnets/${sub.body.subnet.id}`, { subnet: { name: 'x' } })).status, 404);
    // Admins see it; sharing it makes it visible.
    assert.equal((await api.req('GET', `/v2.0/subnets/${sub.body.subnet.id}`)).status, 200);
    assert.equal((await api.req('PUT', `/v2.0/networks/${ext.body.network.id}`, { network: { shared: true } })).status, 200);
    assert.equal((await demo()('GET', `/v2.0/subnets/${sub.body.subnet.id}`)).status, 200);
    assert.equal((await api.req('DELETE', `/v2.0/networks/${ext.body.network.id}`)).status, 204);
  });

  it('creates the seed subnets with the pools Zed shows', async () => {
    const pub = await api.req('POST', '/v2.0/networks', { network: { name: 'public', shared: true, 'router:external': true, 'provider:physical_network': 'public', 'provider:network_type': 'flat' } });
    assert.equal(pub.status, 201);
    const s = await api.req('POST', '/v2.0/subnets', { subnet: {
      name: 'public', network_id: pub.body.network.id, ip_version: 4, cidr: '192.168.81.0/24',
      allocation_pools: [{ start: '192.168.81.100', end: '192.168.81.200' }], dns_nameservers: ['192.168.85.253'], gateway_ip: '192.168.81.254',
    } });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    // Without the segments extension there is no segment_id, as on Zed.
    assert.deepEqual(Object.keys(s.body.subnet), ZED_SUBNET_KEYS);
    err(await api.req('POST', '/v2.0/subnets', { subnet: { network_id: pub.body.network.id, ip_version: 4, cidr: '10.3.0.0/24', segment_id: null } }), 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'segment_id'");
    assert.deepEqual(s.body.subnet.allocation_pools, [{ start: '192.168.81.100', end: '192.168.81.200' }]);
    assert.equal(s.body.subnet.gateway_ip, '192.168.81.254');
    assert.deepEqual(s.body.subnet.dns_nameservers, ['192.168.85.253']);
    assert.equal(s.body.subnet.enable_dhcp, true);
    assert.equal(s.body.subnet.revision_number, 0);
    assert.equal(s.body.subnet.subnetpool_id, null);
    assert.deepEqual(s.body.subnet.service_types, []);
    assert.equal(s.body.subnet.project_id, 'admin');

    // row 209: members see the external network's subnet; row 210: but may not change it
    const seen = await demo()('GET', `/v2.0/subnets/${s.body.subnet.id}`);
    assert.equal(seen.status, 200);
    assert.ok(!('segment_id' in seen.body.subnet), 'segment_id is for admins only');
    assert.deepEqual(Object.keys(seen.body.subnet), ZED_SUBNET_KEYS);
    err(await demo()('PUT', `/v2.0/subnets/${s.body.subnet.id}`, { subnet: { name: 'x' } }), 403, 'PolicyNotAuthorized', 'rule:update_subnet is disallowed by policy');

    const priv = await demo()('POST', '/v2.0/networks', { network: { name: 'private' } });
    const p = await demo()('POST', '/v2.0/subnets', { subnet: {
      name: 'private', network_id: priv.body.network.id, ip_version: 4, cidr: '172.16.1.0/24', dns_nameservers: ['192.168.85.253'], gateway_ip: '172.16.1.1',
    } });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    assert.deepEqual(p.body.subnet.allocation_pools, [{ start: '172.16.1.2', end: '172.16.1.254' }]);
    assert.equal(p.body.subnet.gateway_ip, '172.16.1.1');
    assert.equal(p.body.subnet.tenant_id, 'demo-project');
    const list = await demo()('GET', `/v2.0/subnets?network_id=${priv.body.network.id}`);
    assert.deepEqual(list.body.subnets.map((x: any) => x.name), ['private']);
    const net = await demo()('GET', `/v2.0/networks/${priv.body.network.id}`);
    assert.deepEqual(net.body.network.subnets, [p.body.subnet.id]);
  });

  it('creates an IPv6 SLAAC subnet as Zed does', async () => {
    const n = await demo()('POST', '/v2.0/networks', { network: { name: 'v6' } });
    const r = await demo()('POST', '/v2.0/subnets', { subnet: {
      name: 'osc-subnet6', network_id: n.body.network.id, ip_version: 6, cidr: 'fd00:10::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac',
    } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const s = r.body.subnet;
    assert.deepEqual(s.allocation_pools, [{ start: 'fd00:10::1', end: 'fd00:10::ffff:ffff:ffff:ffff' }]);
    assert.equal(s.gateway_ip, 'fd00:10::');
    assert.equal(s.cidr, 'fd00:10::/64');
    assert.equal(s.ipv6_ra_mode, 'slaac');
    assert.equal(s.ipv6_address_mode, 'slaac');
    assert.equal(s.enable_dhcp, true);
    // a port gets its EUI-64 address, and no address request is allowed on the SLAAC subnet
    const port = await addPort(n.body.network.id, 'compute:nova');
    assert.equal(port.ips.length, 1);
    assert.match(port.ips[0].ip_address, /^fd00:10::f816:3eff:fe/);
  });

  it('normalises a CIDR with host bits (row 47) and accepts a gateway outside it (row 60)', async () => {
    const r = await probe({ cidr: '10.196.0.5/24' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.subnet.cidr, '10.196.0.0/24');
    assert.equal(r.body.subnet.gateway_ip, '10.196.0.1');
    assert.deepEqual(r.body.subnet.allocation_pools, [{ start: '10.196.0.2', end: '10.196.0.254' }]);
    assert.equal((await demo()('DELETE', `/v2.0/subnets/${r.body.subnet.id}`)).status, 204);
    const g = await probe({ gateway_ip: '10.199.0.1' });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    assert.equal(g.body.subnet.gateway_ip, '10.199.0.1');
    assert.deepEqual(g.body.subnet.allocation_pools, [{ start: '10.196.0.1', end: '10.196.0.254' }]);
    assert.equal((await demo()('DELETE', `/v2.0/subnets/${g.body.subnet.id}`)).status, 204);
  });

  it('answers rows 45-74 as Zed', async () => {
    err(await probe({ cidr: '10.196.0.0/33' }), 400, 'InvalidInput', 'Invalid input for operation: 10.196.0.0/33 is not in a CIDR format.');
    err(await probe({ cidr: 'foo' }), 400, 'InvalidInput', 'Invalid input for operation: foo is not in a CIDR format.');
    err(await probe({ ip_version: 6 }), 400, 'InvalidInput', "Invalid input for operation: cidr '10.196.0.0/24' does not match the ip_version '6'.");
    err(await probe({ ip_version: 5 }), 400, 'HTTPBadRequest', 'Invalid input for ip_version. Reason: 5 is not in valid_values.');
    err(await demo()('POST', '/v2.0/subnets', { subnet: { name: 'errprobe-x', network_id: netB, ip_version: 4, enable_dhcp: false } }),
      400, 'BadRequest', 'Bad subnets request: a subnetpool must be specified in the absence of a cidr.');
    err(await probe({ network_id: 'not-a-uuid' }), 400, 'HTTPBadRequest', "Invalid input for network_id. Reason: 'not-a-uuid' is not a valid UUID.");
    err(await probe({ network_id: '00000000-0000-0000-0000-000000000000' }), 404, 'NetworkNotFound', 'Network 00000000-0000-0000-0000-000000000000 could not be found.');
    err(await probe({ enable_dhcp: 'maybe' }), 400, 'InvalidInput', "Invalid input for operation: 'maybe' cannot be converted to boolean.");
    err(await probe({ allocation_pools: [{ start: '10.196.0.10', end: '10.196.0.50' }, { start: '10.196.0.40', end: '10.196.0.60' }] }),
      409, 'OverlappingAllocationPools', 'Found overlapping allocation pools: 10.196.0.10-10.196.0.50 10.196.0.40-10.196.0.60 for subnet 10.196.0.0/24.');
    err(await probe({ allocation_pools: [{ start: '10.196.0.10', end: '10.196.1.20' }] }),
      400, 'OutOfBoundsAllocationPool', 'The allocation pool 10.196.0.10-10.196.1.20 spans beyond the subnet cidr 10.196.0.0/24.');
    err(await probe({ gateway_ip: '10.196.0.1', allocation_pools: [{ start: '10.196.0.1', end: '10.196.0.20' }] }),
      409, 'GatewayConflictWithAllocationPools', 'Gateway ip 10.196.0.1 conflicts with allocation pool 10.196.0.1-10.196.0.20.');
    err(await probe({ allocation_pools: [{ start: 'foo', end: '10.196.0.20' }] }),
      400, 'HTTPBadRequest', "Invalid input for allocation_pools. Reason: 'foo' is not a valid IP address.");
    err(await probe({ allocation_pools: [{ start: '10.196.0.10' }] }),
      400, 'HTTPBadRequest', "Invalid input for allocation_pools. Reason: Validation of dictionary's keys failed. Expected keys: {'start', 'end'} Provided keys: {'start'}.");
    err(await probe({ allocation_pools: [{ start: '10.196.0.50', end: '10.196.0.10' }] }),
      400, 'InvalidAllocationPool', "The allocation pool {'start': '10.196.0.50', 'end': '10.196.0.10'} is not valid.");
    err(await probe({ gateway_ip: '10.196.0.0' }), 400, 'InvalidInput', 'Invalid input for operation: Gateway is not valid on subnet.');
    err(await probe({ gateway_ip: 'abc' }), 400, 'HTTPBadRequest', "Invalid input for gateway_ip. Reason: 'abc' is not a valid IP address.");
    err(await probe({ cidr: '10.192.0.0/25' }), 400, 'InvalidInput',
      `Invalid input for operation: Requested subnet with cidr: 10.192.0.0/25 for network: ${netB} overlaps with another subnet.`);
    err(await probe({ host_routes: [{ destination: 'foo', nexthop: '10.196.0.5' }] }), 400, 'HTTPBadRequest', "Invalid input for host_routes. Reason: 'foo' is not a valid CIDR.");
    err(await probe({ host_routes: [{ destination: '10.50.0.0/24' }] }), 400, 'HTTPBadRequest',
      "Invalid input for host_routes. Reason: Validation of dictionary's keys failed. Expected keys: {'destination', 'nexthop'} Provided keys: {'destination'}.");
    err(await probe({ host_routes: Array.from({ length: 21 }, (_, i) => ({ destination: `10.50.${i}.0/24`, nexthop: '10.196.0.5' })) }),
      400, 'HostRoutesExhausted', 'Unable to complete operation for new subnet. The number of host routes exceeds the limit 20.');
    err(await probe({ dns_nameservers: ['abc'] }), 400, 'HTTPBadRequest', "Invalid input for dns_nameservers. Reason: 'abc' is not a valid nameserver. 'abc' is not a valid IP address.");
    err(await probe({ dns_nameservers: ['8.8.8.8', '8.8.8.8'] }), 400, 'HTTPBadRequest', "Invalid input for dns_nameservers. Reason: Duplicate nameserver '8.8.8.8'.");
    err(await probe({ dns_nameservers: ['8.8.8.1', '8.8.8.2', '8.8.8.3', '8.8.8.4', '8.8.8.5', '8.8.8.6'] }),
      400, 'DNSNameServersExhausted', 'Unable to complete operation for new subnet. The number of DNS nameservers exceeds the limit 5.');
    const v6 = { ip_version: 6, cidr: 'fd00:196::/64', enable_dhcp: true };
    err(await probe({ ...v6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'dhcpv6-stateful' }), 400, 'InvalidInput',
      "Invalid input for operation: ipv6_ra_mode set to 'slaac' with ipv6_address_mode set to 'dhcpv6-stateful' is not valid. If both attributes are set, they must be the same value.");
    err(await probe({ ...v6, enable_dhcp: false, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' }), 400, 'InvalidInput',
      'Invalid input for operation: ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False.');
    err(await probe({ ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' }), 400, 'InvalidInput', 'Invalid input for operation: ipv6_ra_mode is not valid when ip_version is 4.');
    err(await probe({ ...v6, cidr: 'fd00:196::/80', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' }), 400, 'InvalidInput',
      'Invalid input for operation: Invalid CIDR fd00:196::/80 for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64.');
    err(await probe({ ...v6, enable_dhcp: false, ipv6_address_mode: 'bogus' }), 400, 'HTTPBadRequest', 'Invalid input for ipv6_address_mode. Reason: bogus is not in valid_values.');
  });

  it('hides other projects\' subnets and networks (rows 190, 191), allows shared networks (row 111)', async () => {
    err(await demo2()('GET', `/v2.0/subnets/${subnetA}`), 404, 'SubnetNotFound', `Subnet ${subnetA} could not be found.`);
    err(await demo2()('POST', '/v2.0/subnets', { subnet: { name: 'errprobe-x', network_id: netA, ip_version: 4, cidr: '10.198.0.0/24', enable_dhcp: false } }),
      404, 'NetworkNotFound', `Network ${netA} could not be found.`);
    err(await demo2()('PUT', `/v2.0/subnets/${subnetA}`, { subnet: { name: 'x' } }), 404, 'SubnetNotFound', `Subnet ${subnetA} could not be found.`);
    err(await demo2()('DELETE', `/v2.0/subnets/${subnetA}`), 404, 'SubnetNotFound', `Subnet ${subnetA} could not be found.`);
    assert.deepEqual((await demo2()('GET', '/v2.0/subnets?name=errprobe-subnet-a')).body.subnets, []);
    const shared = await api.req('POST', '/v2.0/networks', { network: { name: 'shared-net', shared: true } });
    const r = await demo()('POST', '/v2.0/subnets', { subnet: { name: 'errprobe-x', network_id: shared.body.network.id, ip_version: 4, cidr: '10.198.0.0/24', enable_dhcp: false } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.subnet.project_id, 'demo-project');
  });

  it('refuses read-only updates, a gateway change while a router holds it, and deleting a used subnet (rows 75-77)', async () => {
    const router = await addPort(netA, 'network:router_interface', [{ subnet_id: subnetA, ip_address: '10.191.0.1' }]);
    const portA = await addPort(netA, 'compute:nova', [{ ip_address: '10.191.0.50' }]);
    assert.deepEqual(portA.ips, [{ subnet_id: subnetA, ip_address: '10.191.0.50' }]);
    err(await demo()('PUT', `/v2.0/subnets/${subnetA}`, { subnet: { cidr: '10.191.0.0/16' } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute cidr');
    err(await demo()('PUT', `/v2.0/subnets/${subnetA}`, { subnet: { gateway_ip: '10.191.0.50' } }), 409, 'GatewayIpInUse',
      `Current gateway ip 10.191.0.1 already in use by port ${router.id}. Unable to update.`);
    err(await demo()('DELETE', `/v2.0/subnets/${subnetA}`), 409, 'SubnetInUse',
      `Unable to complete operation on subnet ${subnetA}: One or more ports have an IP allocation from this subnet.`);
  });

  it('updates name, dns order, host routes and the gateway; bumps the network revision', async () => {
    const n = await demo()('POST', '/v2.0/networks', { network: { name: 'upd' } });
    const netRev0 = n.body.network.revision_number;
    const s = (await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n.body.network.id, ip_version: 4, cidr: '10.60.0.0/24', dns_nameservers: ['8.8.8.8', '1.1.1.1'] } })).body.subnet;
    assert.deepEqual(s.dns_nameservers, ['8.8.8.8', '1.1.1.1']);
    const netRev1 = (await demo()('GET', `/v2.0/networks/${n.body.network.id}`)).body.network.revision_number;
    assert.equal(netRev1, netRev0 + 1);
    const u = await demo()('PUT', `/v2.0/subnets/${s.id}`, { subnet: {
      name: 'renamed', dns_nameservers: ['1.1.1.1', '9.9.9.9', '8.8.8.8'], host_routes: [{ destination: '10.70.0.0/16', nexthop: '10.60.0.5' }], enable_dhcp: false,
    } });
    assert.equal(u.status, 200, JSON.stringify(u.body));
    assert.equal(u.body.subnet.name, 'renamed');
    assert.deepEqual(u.body.subnet.dns_nameservers, ['1.1.1.1', '9.9.9.9', '8.8.8.8']);
    assert.deepEqual(u.body.subnet.host_routes, [{ destination: '10.70.0.0/16', nexthop: '10.60.0.5' }]);
    assert.equal(u.body.subnet.enable_dhcp, false);
    assert.equal(u.body.subnet.revision_number, 1);
    assert.equal((await demo()('GET', `/v2.0/networks/${n.body.network.id}`)).body.network.revision_number, netRev1 + 1);
    // gateway moved into the pool → conflict; moved outside it → fine, pools unchanged
    err(await demo()('PUT', `/v2.0/subnets/${s.id}`, { subnet: { gateway_ip: '10.60.0.10' } }), 409, 'GatewayConflictWithAllocationPools',
      'Gateway ip 10.60.0.10 conflicts with allocation pool 10.60.0.2-10.60.0.254.');
    const g = await demo()('PUT', `/v2.0/subnets/${s.id}`, { subnet: { gateway_ip: null } });
    assert.equal(g.body.subnet.gateway_ip, null);
    // If-Match
    err(await demo()('PUT', `/v2.0/subnets/${s.id}`, { subnet: { name: 'x' } }, { 'If-Match': 'revision_number=1' }), 412, 'RevisionNumberConstraintFailed',
      'Constrained to 1, but current revision is 2');
    err(await demo()('DELETE', `/v2.0/subnets/${s.id}`, undefined, { 'If-Match': 'revision_number=1' }), 412, 'RevisionNumberConstraintFailed',
      'Constrained to 1, but current revision is 2');
    const before = (await demo()('GET', `/v2.0/networks/${n.body.network.id}`)).body.network.revision_number;
    assert.equal((await demo()('DELETE', `/v2.0/subnets/${s.id}`, undefined, { 'If-Match': 'revision_number=2' })).status, 204);
    const after = (await demo()('GET', `/v2.0/networks/${n.body.network.id}`)).body.network;
    assert.equal(after.revision_number, before + 1);
    assert.deepEqual(after.subnets, []);
  });

  it('rebuilds free ranges on a pool update without losing or duplicating allocated addresses', async () => {
    const n = (await demo()('POST', '/v2.0/networks', { network: { name: 'pools' } })).body.network;
    const s = (await demo()('POST', '/v2.0/subnets', { subnet: { network_id: n.id, ip_version: 4, cidr: '10.61.0.0/24', allocation_pools: [{ start: '10.61.0.10', end: '10.61.0.12' }] } })).body.subnet;
    const p1 = await addPort(n.id, 'compute:nova');
    const p2 = await addPort(n.id, 'compute:nova', [{ ip_address: '10.61.0.20' }]); // outside the pool: allowed
    assert.equal(p1.ips[0].ip_address, '10.61.0.10');
    assert.equal(p2.ips[0].ip_address, '10.61.0.20');
    const u = await demo()('PUT', `/v2.0/subnets/${s.id}`, { subnet: { allocation_pools: [{ start: '10.61.0.10', end: '10.61.0.21' }] } });
    assert.equal(u.status, 200, JSON.stringify(u.body));
    assert.deepEqual(u.body.subnet.allocation_pools, [{ start: '10.61.0.10', end: '10.61.0.21' }]);
    const got: string[] = [];
    for (let i = 0; i < 10; i++) got.push((await addPort(n.id, 'compute:nova')).ips[0].ip_address);
    assert.deepEqual(got, ['11', '12', '13', '14', '15', '16', '17', '18', '19', '21'].map((x) => `10.61.0.${x}`));
    await assert.rejects(addPort(n.id, 'compute:nova'), (e: any) => e.type === 'IpAddressGenerationFailure' && e.message === `No more IP addresses available on network ${n.id}.`);
    // ip availability: 12 in the pool, 12 used (11 in it + 10.61.0.20 counted too? it is inside now)
    const av = await api.req('GET', `/v2.0/network-ip-availabilities/${n.id}`);
    assert.equal(av.status, 200, JSON.stringify(av.body));
    const a = av.body.network_ip_availability;
    assert.equal(a.network_id, n.id);
    assert.equal(a.network_name, 'pools');
    assert.equal(a.project_id, 'demo-project');
    assert.equal(a.tenant_id, 'demo-project');
    assert.equal(a.total_ips, 12);
    assert.equal(a.used_ips, 12);
    assert.deepEqual(a.subnet_ip_availability, [{ subnet_id: s.id, subnet_name: '', cidr: '10.61.0.0/24', ip_version: 4, total_ips: 12, used_ips: 12 }]);
    // shrinking the pool below allocated addresses keeps them allocated
    const shrink = await demo()('PUT', `/v2.0/subnets/${s.id}`, { subnet: { allocation_pools: [{ start: '10.61.0.100', end: '10.61.0.101' }] } });
    assert.equal(shrink.status, 200);
    assert.equal((await addPort(n.id, 'compute:nova')).ips[0].ip_address, '10.61.0.100');
    const after = (await api.req('GET', `/v2.0/network-ip-availabilities/${n.id}`)).body.network_ip_availability;
    assert.equal(after.total_ips, 2);
    assert.equal(after.used_ips, 13);
  });

  it('serves network-ip-availabilities to admins only', async () => {
    err(await demo()('GET', '/v2.0/network-ip-availabilities'), 403, 'PolicyNotAuthorized', 'rule:get_network_ip_availability is disallowed by policy');
    const all = await api.req('GET', '/v2.0/network-ip-availabilities');
    assert.equal(all.status, 200);
    assert.ok(all.body.network_ip_availabilities.some((x: any) => x.network_id === netA));
    const v6 = await api.req('GET', '/v2.0/network-ip-availabilities?ip_version=6');
    assert.ok(v6.body.network_ip_availabilities.every((x: any) => x.subnet_ip_availability.every((s: any) => s.ip_version === 6)));
    err(await api.req('GET', '/v2.0/network-ip-availabilities/00000000-0000-0000-0000-000000000000'), 404, 'NetworkNotFound',
      'Network 00000000-0000-0000-0000-000000000000 could not be found.');
  });
});
