// Security groups API: default group on first use, Zed's views, rule validation
// (error-samples rows 152-175, 202-204), duplicates, in-use, ports integration.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from '../../../test/support/api.ts';

const err = (r: { status: number; body: any }, status: number, type: string, message?: string) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.NeutronError.type, type);
  if (message !== undefined) assert.equal(r.body.NeutronError.message, message);
};
const ZERO = '00000000-0000-0000-0000-000000000000';
const GROUP_KEYS = ['created_at', 'description', 'id', 'name', 'project_id', 'revision_number', 'security_group_rules', 'shared', 'stateful', 'tags', 'tenant_id', 'updated_at'];
const RULE_KEYS = ['created_at', 'description', 'direction', 'ethertype', 'id', 'normalized_cidr', 'port_range_max', 'port_range_min', 'project_id', 'protocol',
  'remote_address_group_id', 'remote_group_id', 'remote_ip_prefix', 'revision_number', 'security_group_id', 'tenant_id', 'updated_at'];

describe('security groups API', () => {
  let api: Api;
  const demo = () => api.as('demo-project');
  const demo2 = () => api.as('demo2-project');
  let sg: any;
  let defaultSg: any;
  before(async () => { api = await startApi(); });
  after(async () => { await api.close(); });

  it('creates the project default group on first list, with the four default rules', async () => {
    const r = await demo()('GET', '/v2.0/security-groups');
    assert.equal(r.status, 200);
    assert.equal(r.body.security_groups.length, 1);
    defaultSg = r.body.security_groups[0];
    assert.equal(defaultSg.name, 'default');
    assert.equal(defaultSg.description, 'Default security group');
    const rules = defaultSg.security_group_rules.map((x: any) => `${x.direction}/${x.ethertype}/${x.remote_group_id === defaultSg.id ? 'self' : x.remote_group_id}`).sort();
    assert.deepEqual(rules, ['egress/IPv4/null', 'egress/IPv6/null', 'ingress/IPv4/self', 'ingress/IPv6/self']);
    // Listing again does not make another.
    assert.equal((await demo()('GET', '/v2.0/security-groups')).body.security_groups.length, 1);
  });

  it('creates a group with two egress rules; view keys as Zed', async () => {
    const r = await demo()('POST', '/v2.0/security-groups', { security_group: { name: 'osc-sg', description: 'osc test' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    sg = r.body.security_group;
    assert.deepEqual(Object.keys(sg).sort(), GROUP_KEYS);
    assert.equal(sg.revision_number, 1);
    assert.equal(sg.stateful, true);
    assert.equal(sg.shared, false);
    assert.equal(sg.security_group_rules.length, 2);
    const rule = sg.security_group_rules[0];
    assert.deepEqual(Object.keys(rule).sort(), [...RULE_KEYS, 'standard_attr_id', 'tags'].sort());
    assert.equal(rule.description, null);
    assert.equal(rule.revision_number, 0);
    assert.equal(typeof rule.standard_attr_id, 'number');
  });

  it('adds rules (bumping the group revision) and shows them as Zed', async () => {
    let r = await demo()('POST', '/v2.0/security-group-rules', { security_group_rule: {
      security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const rule = r.body.security_group_rule;
    assert.deepEqual(Object.keys(rule).sort(), RULE_KEYS);
    assert.equal(rule.description, '');
    assert.equal(rule.normalized_cidr, '0.0.0.0/0');
    r = await demo()('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'icmp', remote_ip_prefix: '10.1.2.3/8' } });
    assert.equal(r.status, 201);
    assert.equal(r.body.security_group_rule.remote_ip_prefix, '10.1.2.3/8');
    assert.equal(r.body.security_group_rule.normalized_cidr, '10.0.0.0/8');
    const g = (await demo()('GET', `/v2.0/security-groups/${sg.id}`)).body.security_group;
    assert.equal(g.revision_number, 3);
    assert.equal(g.security_group_rules.length, 4);
    const ids = g.security_group_rules.map((x: any) => x.id);
    assert.deepEqual(ids, [...ids].sort());
    // Duplicate (row 158), also when spelled by number.
    err(await demo()('POST', '/v2.0/security-group-rules', { security_group_rule: {
      security_group_id: sg.id, direction: 'ingress', protocol: '6', port_range_min: 22, port_range_max: 22 } }),
    409, 'SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${rule.id}.`);
    // Filtered list.
    const l = await demo()('GET', `/v2.0/security-group-rules?security_group_id=${sg.id}&protocol=tcp`);
    assert.deepEqual(l.body.security_group_rules.map((x: any) => x.id), [rule.id]);
  });

  it('refuses bad rules with Zed\'s errors (rows 159-174)', async () => {
    const post = (extra: Record<string, unknown>) => demo()('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv4', ...extra } });
    err(await post({ protocol: 'foo' }), 400, 'SecurityGroupRuleInvalidProtocol',
      "Security group rule protocol foo not supported. Only protocol values [None, 'ah', 'dccp', 'egp', 'esp', 'gre', 'hopopt', 'icmp', 'igmp', 'ip', 'ipip', 'ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', 'ospf', 'pgm', 'rsvp', 'sctp', 'tcp', 'udp', 'udplite', 'vrrp'] and integer representations [0 to 255] are supported.");
    err(await post({ protocol: '256' }), 400, 'SecurityGroupRuleInvalidProtocol');
    err(await post({ protocol: 'tcp', port_range_min: 100, port_range_max: 90 }), 400, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
    err(await post({ protocol: 'tcp', port_range_min: 70000, port_range_max: 70000 }), 400, 'SecurityGroupInvalidPortValue', 'Invalid value for port 70000');
    err(await post({ protocol: 'tcp', port_range_min: 0, port_range_max: 10 }), 400, 'SecurityGroupInvalidPortValue', 'Invalid value for port 0');
    err(await post({ port_range_min: 22, port_range_max: 22 }), 400, 'SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.');
    err(await post({ protocol: 'icmp', port_range_min: 256 }), 400, 'SecurityGroupInvalidIcmpValue', 'Invalid value for ICMP type (port_range_min) 256. It must be 0 to 255.');
    err(await post({ protocol: 'icmp', port_range_max: 0 }), 400, 'SecurityGroupMissingIcmpType', 'ICMP code (port-range-max) 0 is provided but ICMP type (port-range-min) is missing.');
    err(await post({ remote_ip_prefix: '::/0' }), 400, 'SecurityGroupRuleParameterConflict', 'Conflicting value ethertype IPv4 for CIDR ::/0');
    err(await post({ ethertype: 'IPv6', remote_ip_prefix: '10.0.0.0/8' }), 400, 'SecurityGroupRuleParameterConflict', 'Conflicting value ethertype IPv6 for CIDR 10.0.0.0/8');
    err(await post({ ethertype: 'IPv5' }), 400, 'SecurityGroupRuleInvalidEtherType', "Security group rule for ethertype 'IPv5' not supported. Allowed values are ['IPv4', 'IPv6'].");
    err(await post({ direction: 'sideways' }), 400, 'HTTPBadRequest', 'Invalid input for direction. Reason: sideways is not in valid_values.');
    err(await post({ remote_group_id: sg.id, remote_ip_prefix: '10.0.0.0/8' }), 400, 'SecurityGroupMultipleRemoteEntites',
      'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.');
    err(await post({ remote_group_id: ZERO }), 404, 'SecurityGroupNotFound', `Security group ${ZERO} does not exist`);
    err(await demo()('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: ZERO, direction: 'ingress' } }),
      404, 'SecurityGroupNotFound', `Security group ${ZERO} does not exist`);
    err(await post({ remote_ip_prefix: '10.0.0.300/8' }), 400, 'InvalidCIDR', 'Invalid CIDR 10.0.0.300/8 given as IP prefix.');
  });

  it('answers PUT on a rule with 405 (Zed: 500, row 175)', async () => {
    const rule = sg.security_group_rules[0];
    err(await demo()('PUT', `/v2.0/security-group-rules/${rule.id}`, { security_group_rule: { description: 'x' } }), 405, 'HTTPMethodNotAllowed');
  });

  it('protects the default group (rows 153-155)', async () => {
    err(await demo()('DELETE', `/v2.0/security-groups/${defaultSg.id}`), 409, 'SecurityGroupCannotRemoveDefault', 'Insufficient rights for removing default security group.');
    err(await demo()('PUT', `/v2.0/security-groups/${defaultSg.id}`, { security_group: { name: 'renamed' } }), 409, 'SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.');
    err(await demo()('POST', '/v2.0/security-groups', { security_group: { name: 'default' } }), 409, 'SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');
    const r = await demo()('PUT', `/v2.0/security-groups/${defaultSg.id}`, { security_group: { description: 'mine' } });
    assert.equal(r.status, 200);
    assert.equal(r.body.security_group.description, 'mine');
  });

  it('hides groups from other projects (rows 202-204)', async () => {
    const msg = `Security group ${sg.id} does not exist`;
    err(await demo2()('GET', `/v2.0/security-groups/${sg.id}`), 404, 'SecurityGroupNotFound', msg);
    err(await demo2()('DELETE', `/v2.0/security-groups/${sg.id}`), 404, 'SecurityGroupNotFound', msg);
    err(await demo2()('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress' } }), 404, 'SecurityGroupNotFound', msg);
    const l = await demo2()('GET', '/v2.0/security-groups');
    assert.deepEqual(l.body.security_groups.map((g: any) => g.name), ['default']);
    assert.ok(!l.body.security_groups.some((g: any) => g.id === sg.id));
  });

  it('puts new ports in the default group; named groups must exist (row 101); groups in use stay (rows 152, 156)', async () => {
    const net = (await demo()('POST', '/v2.0/networks', { network: { name: 'n' } })).body.network;
    await demo()('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.9.0.0/24', ip_version: 4 } });
    const p1 = await demo()('POST', '/v2.0/ports', { port: { network_id: net.id } });
    assert.equal(p1.status, 201, JSON.stringify(p1.body));
    assert.deepEqual(p1.body.port.security_groups, [defaultSg.id]);
    const dhcp = await demo()('POST', '/v2.0/ports', { port: { network_id: net.id, device_owner: 'network:dhcp' } });
    assert.deepEqual(dhcp.body.port.security_groups, []);
    err(await demo()('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [ZERO] } }), 404, 'SecurityGroupNotFound', `Security group ${ZERO} does not exist`);
    const p2 = await demo()('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [sg.id] } });
    assert.deepEqual(p2.body.port.security_groups, [sg.id]);
    const f = await demo()('GET', `/v2.0/ports?security_groups=${sg.id}`);
    assert.deepEqual(f.body.ports.map((p: any) => p.id), [p2.body.port.id]);
    err(await demo()('DELETE', `/v2.0/security-groups/${defaultSg.id}`), 409, 'SecurityGroupInUse', `Security Group ${defaultSg.id} in use.`);
    err(await demo()('DELETE', `/v2.0/security-groups/${sg.id}`), 409, 'SecurityGroupInUse', `Security Group ${sg.id} in use.`);
    // The first port of a new project makes that project's default group.
    const net2 = (await demo2()('POST', '/v2.0/networks', { network: { name: 'n2' } })).body.network;
    await demo2()('POST', '/v2.0/subnets', { subnet: { network_id: net2.id, cidr: '10.8.0.0/24', ip_version: 4 } });
    const p3 = await api.as('fresh-project')('GET', '/v2.0/security-groups');
    assert.equal(p3.body.security_groups.length, 1);
    // Deleting the port frees the group; deleting the group removes its rules.
    await demo()('DELETE', `/v2.0/ports/${p2.body.port.id}`);
    assert.equal((await demo()('DELETE', `/v2.0/security-groups/${sg.id}`)).status, 204);
    const rules = await demo()('GET', `/v2.0/security-group-rules?security_group_id=${sg.id}`);
    assert.deepEqual(rules.body.security_group_rules, []);
  });

  it('enforces the security group quota, counting the default group', async () => {
    const q = api.as('quota-project');
    for (let i = 0; i < 9; i++) assert.equal((await q('POST', '/v2.0/security-groups', { security_group: { name: `g${i}` } })).status, 201);
    err(await q('POST', '/v2.0/security-groups', { security_group: { name: 'g10' } }), 409, 'OverQuota', "Quota exceeded for resources: ['security_group'].");
  });

  it('address groups: create, add/remove addresses, remote_address_group_id, in use', async () => {
    // Neutron's type:subnet_list wants a prefix length on create (the actions take bare addresses).
    err(await demo()('POST', '/v2.0/address-groups', { address_group: { name: 'ag', addresses: ['10.0.0.1', '10.1.0.0/16'] } }),
      400, 'HTTPBadRequest', "Invalid input for addresses. Reason: '10.0.0.1' isn't a recognized IP subnet cidr, '10.0.0.1/32' is recommended.");
    err(await demo()('POST', '/v2.0/address-groups', { address_group: { name: 'ag', addresses: ['10.1.0.0/16', '10.1.0.0/16'] } }),
      400, 'HTTPBadRequest', "Invalid input for addresses. Reason: Duplicate items in the list: '10.1.0.0/16, 10.1.0.0/16'.");
    const none = await demo()('POST', '/v2.0/address-groups', { address_group: { name: 'empty', addresses: null } });
    assert.equal(none.status, 201, JSON.stringify(none.body));
    assert.deepEqual(none.body.address_group.addresses, []);
    let r = await demo()('POST', '/v2.0/address-groups', { address_group: { name: 'ag', addresses: ['10.0.0.1/32', '10.1.2.3/16'] } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const ag = r.body.address_group;
    assert.deepEqual(ag.addresses, ['10.0.0.1/32', '10.1.0.0/16']);
    r = await demo()('PUT', `/v2.0/address-groups/${ag.id}/add_addresses`, { addresses: ['192.168.0.0/24'] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.address_group.addresses, ['10.0.0.1/32', '10.1.0.0/16', '192.168.0.0/24']);
    err(await demo()('PUT', `/v2.0/address-groups/${ag.id}/add_addresses`, { addresses: ['192.168.0.0/24'] }), 400, 'AddressesAlreadyExist');
    err(await demo()('PUT', `/v2.0/address-groups/${ag.id}/remove_addresses`, { addresses: ['1.1.1.1/32'] }), 404, 'AddressesNotFound');
    r = await demo()('PUT', `/v2.0/address-groups/${ag.id}/remove_addresses`, { addresses: ['10.0.0.1'] });
    assert.deepEqual(r.body.address_group.addresses, ['10.1.0.0/16', '192.168.0.0/24']);
    const g = (await demo()('POST', '/v2.0/security-groups', { security_group: { name: 'ag-user' } })).body.security_group;
    r = await demo()('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: g.id, direction: 'ingress', remote_address_group_id: ag.id } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.security_group_rule.remote_address_group_id, ag.id);
    err(await demo()('DELETE', `/v2.0/address-groups/${ag.id}`), 409, 'AddressGroupInUse');
    err(await demo2()('GET', `/v2.0/address-groups/${ag.id}`), 404, 'AddressGroupNotFound');
  });
});
