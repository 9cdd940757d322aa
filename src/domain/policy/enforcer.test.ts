// Zed's PolicyNotAuthorized answers (shared/anchors/error-samples.md, row numbers
// in the test names) reproduced from the request each row sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEnforcer } from './enforcer.ts';
import { createRequestContext, type RequestContext } from './context.ts';
import { render, type Target } from './checks.ts';
import { isNeutronError } from '../../errors/neutron-error.ts';

const ADMIN_P = '007f6411d95e47efbfaf91f60d305456';
const DEMO_P = 'a463e7277fb343dea92e4edd1c6f6583';
const DEMO2_P = 'c3ed5a4389314c66bae9b293dbf033da';

// Keystone puts implied roles in the token: admin ⇒ member ⇒ reader.
const admin = createRequestContext({ userId: 'admin', projectId: ADMIN_P, roles: ['admin', 'member', 'reader'] });
const demo = createRequestContext({ userId: 'demo', projectId: DEMO_P, roles: ['member', 'reader'] });
const demo2 = createRequestContext({ userId: 'demo2', projectId: DEMO2_P, roles: ['member', 'reader'] });

const policy = createEnforcer();

// The errprobe topology: demo's private net_a, admin's shared net_shared, admin's shared external public.
const netA = { id: 'net-a', tenant_id: DEMO_P, shared: false, 'router:external': false };
const netShared = { id: 'net-shared', tenant_id: ADMIN_P, shared: true, 'router:external': false };
const publicNet = { id: 'public', tenant_id: ADMIN_P, shared: true, 'router:external': true };
const adminNet = { id: 'admin-net', tenant_id: ADMIN_P, shared: false, 'router:external': false };
const onNetwork = (net: typeof netA) => ({ network_id: net.id, 'network:tenant_id': net.tenant_id, 'network:shared': net.shared });

/** What create_<x> sees: the body plus the project the resource will belong to. */
function created(ctx: RequestContext, body: Record<string, unknown>, parent: Target = {}): { target: Record<string, unknown>; explicit: string[] } {
  return { target: { ...body, ...parent, tenant_id: ctx.projectId, project_id: ctx.projectId }, explicit: Object.keys(body) };
}

function denied(fn: () => void, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isNeutronError(e));
    assert.equal(e.status, 403);
    assert.equal(e.type, 'PolicyNotAuthorized');
    assert.equal(e.message, message);
    return true;
  });
}

test('rows 16-18: member sets admin-only attributes on create_network', () => {
  for (const [attr, value] of [['provider:network_type', 'vxlan'], ['shared', true], ['router:external', true]] as const) {
    const { target, explicit } = created(demo, { name: 'errprobe-x', [attr]: value });
    denied(() => policy.enforce(demo, 'create_network', target, explicit),
      `(rule:create_network and rule:create_network:${attr}) is disallowed by policy`);
  }
});

test('rows 19-21: member updates admin-only attributes of its own network', () => {
  for (const [attr, value] of [['shared', true], ['router:external', true], ['provider:segmentation_id', 1234]] as const) {
    const changes = { [attr]: value };
    denied(() => policy.enforce(demo, 'update_network', { ...netA, ...changes }, Object.keys(changes)),
      `(rule:update_network and rule:update_network:${attr}) is disallowed by policy`);
  }
});

test('rows 112-113, 206-207: writes to a visible network owned by another project', () => {
  assert.equal(policy.check(demo, 'get_network', netShared), true, 'visible, so 403 rather than 404');
  denied(() => policy.enforce(demo, 'update_network', { ...netShared, name: 'errprobe-hijack' }, ['name']),
    'rule:update_network is disallowed by policy');
  denied(() => policy.enforce(demo, 'delete_network', netShared), 'rule:delete_network is disallowed by policy');
  assert.equal(policy.check(demo2, 'get_network', publicNet), true);
  denied(() => policy.enforce(demo2, 'update_network', { ...publicNet, name: 'x' }, ['name']),
    'rule:update_network is disallowed by policy');
  denied(() => policy.enforce(demo2, 'delete_network', publicNet), 'rule:delete_network is disallowed by policy');
});

test('rows 187-189, 208: networks of other projects are invisible (the API answers 404)', () => {
  assert.equal(policy.check(demo2, 'get_network', netA), false);
  assert.equal(policy.check(demo, 'get_network', adminNet), false);
  assert.equal(policy.check(demo, 'get_network', netA), true);
  assert.equal(policy.check(admin, 'get_network', netA), true);
});

test('row 90: member sets binding:host_id on create_port', () => {
  const { target, explicit } = created(demo, { name: 'errprobe-x', network_id: netA.id, 'binding:host_id': 'somehost' }, onNetwork(netA));
  denied(() => policy.enforce(demo, 'create_port', target, explicit),
    '(rule:create_port and rule:create_port:binding:host_id) is disallowed by policy');
});

test('rows 91-92: member updates binding:profile / mac_address of its own port', () => {
  const portA2 = { id: 'port-a2', tenant_id: DEMO_P, device_owner: '', mac_address: 'fa:16:3e:00:00:09', ...onNetwork(netA) };
  denied(() => policy.enforce(demo, 'update_port', { ...portA2, 'binding:profile': { foo: 'bar' } }, ['binding:profile']),
    '(rule:update_port and rule:update_port:binding:profile) is disallowed by policy');
  denied(() => policy.enforce(demo, 'update_port', { ...portA2, mac_address: 'fa:16:3e:00:00:01' }, ['mac_address']),
    '(rule:update_port and rule:update_port:mac_address) is disallowed by policy');
  policy.enforce(demo, 'update_port', { ...portA2, name: 'renamed' }, ['name']);
});

test('rows 106-110: member picks addresses or a network device_owner on a shared network it does not own', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ fixed_ips: [{ ip_address: '10.194.0.20' }] },
      '(rule:create_port and (rule:create_port:fixed_ips and (rule:create_port:fixed_ips:ip_address)))'],
    [{ fixed_ips: [{ subnet_id: '86277e11-26e3-424a-a1f2-d48fa5c987f7', ip_address: '10.194.0.20' }] },
      '(rule:create_port and (rule:create_port:fixed_ips and (rule:create_port:fixed_ips:subnet_id and rule:create_port:fixed_ips:ip_address)))'],
    [{ device_owner: 'network:router_interface' }, '(rule:create_port and rule:create_port:device_owner)'],
    [{ device_owner: 'network:dhcp' }, '(rule:create_port and rule:create_port:device_owner)'],
    [{ mac_address: 'fa:16:3e:12:34:56' }, '(rule:create_port and rule:create_port:mac_address)'],
  ];
  for (const [extra, rule] of cases) {
    const { target, explicit } = created(demo, { name: 'errprobe-x', network_id: netShared.id, ...extra }, onNetwork(netShared));
    denied(() => policy.enforce(demo, 'create_port', target, explicit), `${rule} is disallowed by policy`);
  }
});

test('what the same members may do on ports (rows 102, 106 counterparts)', () => {
  // Row 102: device_owner network:dhcp on its own network → 201.
  const own = created(demo, { name: 'errprobe-x', network_id: netA.id, device_owner: 'network:dhcp' }, onNetwork(netA));
  policy.enforce(demo, 'create_port', own.target, own.explicit);
  // A subnet_id alone is fine on a shared network (rule:shared); so is a compute device_owner.
  const bySubnet = created(demo, { network_id: netShared.id, fixed_ips: [{ subnet_id: 's' }], device_owner: 'compute:nova' }, onNetwork(netShared));
  policy.enforce(demo, 'create_port', bySubnet.target, bySubnet.explicit);
  // Without network:shared in the target the shared rule cannot pass: the caller must supply it.
  const { 'network:shared': _, ...noShared } = bySubnet.target;
  assert.equal(policy.check(demo, 'create_port', noShared, bySubnet.explicit), false);
  // Network owner may pick addresses on its own network.
  const fixed = created(demo, { network_id: netA.id, fixed_ips: [{ ip_address: '10.191.0.50' }], mac_address: 'fa:16:3e:aa:bb:cc' }, onNetwork(netA));
  policy.enforce(demo, 'create_port', fixed.target, fixed.explicit);
  // Values equal to the defaults are not "explicitly set".
  const defaults = created(demo, { network_id: netShared.id, device_owner: '', 'binding:vnic_type': 'normal' }, onNetwork(netShared));
  assert.equal(render(policy.matchRule('create_port', defaults.target, defaults.explicit)), 'rule:create_port');
});

test('ports: visibility for owner, network owner and others', () => {
  const foreignPortOnNetA = { id: 'p', tenant_id: DEMO2_P, device_owner: '', ...onNetwork(netA) };
  assert.equal(policy.check(demo, 'get_port', foreignPortOnNetA), true, 'network owner sees ports on its network');
  assert.equal(policy.check(demo2, 'get_port', foreignPortOnNetA), true, 'port owner');
  const demoPort = { id: 'q', tenant_id: DEMO_P, device_owner: '', ...onNetwork(netA) };
  assert.equal(policy.check(demo2, 'get_port', demoPort), false);
  assert.equal(policy.check(demo, 'delete_port', foreignPortOnNetA), true, 'network owner may delete');
  assert.equal(policy.check(demo2, 'delete_port', demoPort), false);
});

test('subnets: row 111 (create on a visible shared network is allowed), rows 209-210', () => {
  const { target, explicit } = created(demo, { name: 'errprobe-x', network_id: netShared.id, ip_version: 4, cidr: '10.198.0.0/24' },
    onNetwork(netShared));
  policy.enforce(demo, 'create_subnet', target, explicit);
  const publicSubnet = { id: 'f33d', tenant_id: ADMIN_P, name: 'public', ...onNetwork(publicNet) };
  assert.equal(policy.check(demo, 'get_subnet', publicSubnet), true);
  denied(() => policy.enforce(demo, 'update_subnet', { ...publicSubnet, name: 'x' }, ['name']),
    'rule:update_subnet is disallowed by policy');
  const privateSubnet = { id: 's-a', tenant_id: DEMO_P, ...onNetwork(netA) };
  assert.equal(policy.check(demo2, 'get_subnet', privateSubnet), false);
  assert.equal(policy.check(demo, 'update_subnet', privateSubnet, ['name']), true);
  assert.equal(policy.check(demo, 'delete_subnet', privateSubnet), true);
  denied(() => policy.enforce(demo, 'create_subnet', { ...target, segment_id: 'seg' }, [...explicit, 'segment_id']),
    '(rule:create_subnet and rule:create_subnet:segment_id) is disallowed by policy');
});

test('rows 133-136: routers', () => {
  for (const attr of ['distributed', 'ha']) {
    const { target, explicit } = created(demo, { name: 'errprobe-x', [attr]: true });
    denied(() => policy.enforce(demo, 'create_router', target, explicit),
      `(rule:create_router and rule:create_router:${attr}) is disallowed by policy`);
  }
  const gw = created(demo, { name: 'errprobe-x', external_gateway_info: { network_id: publicNet.id, enable_snat: false } });
  denied(() => policy.enforce(demo, 'create_router', gw.target, gw.explicit),
    '(rule:create_router and (rule:create_router:external_gateway_info and (rule:create_router:external_gateway_info:network_id and rule:create_router:external_gateway_info:enable_snat))) is disallowed by policy');
  const router2 = { id: 'router2', tenant_id: DEMO_P, external_gateway_info: null };
  const changes = { external_gateway_info: { network_id: publicNet.id, external_fixed_ips: [{ ip_address: '192.168.81.150' }] } };
  denied(() => policy.enforce(demo, 'update_router', { ...router2, ...changes }, Object.keys(changes)),
    '(rule:update_router and (rule:update_router:external_gateway_info and (rule:update_router:external_gateway_info:network_id and rule:update_router:external_gateway_info:external_fixed_ips))) is disallowed by policy');
  // A plain gateway is a member's right.
  const plain = created(demo, { name: 'r', external_gateway_info: { network_id: publicNet.id } });
  policy.enforce(demo, 'create_router', plain.target, plain.explicit);
  assert.equal(policy.check(demo2, 'get_router', router2), false);
});

test('rows 145-146: member picks floating_ip_address', () => {
  const { target, explicit } = created(demo, { floating_network_id: publicNet.id, floating_ip_address: '192.168.81.119', description: 'errprobe-x' });
  denied(() => policy.enforce(demo, 'create_floatingip', target, explicit),
    '(rule:create_floatingip and rule:create_floatingip:floating_ip_address) is disallowed by policy');
  policy.enforce(admin, 'create_floatingip', target, explicit);
});

test('rows 176-179: quotas are admin-only', () => {
  denied(() => policy.enforce(demo, 'update_quota', { project_id: DEMO_P }), 'rule:update_quota is disallowed by policy');
  denied(() => policy.enforce(demo, 'get_quota', { project_id: DEMO2_P }), 'rule:get_quota is disallowed by policy');
  denied(() => policy.enforce(demo, 'get_quota', { project_id: DEMO_P }), 'rule:get_quota is disallowed by policy');
  denied(() => policy.enforce(demo, 'delete_quota', { project_id: DEMO_P }), 'rule:delete_quota is disallowed by policy');
  policy.enforce(admin, 'update_quota', { project_id: DEMO2_P });
});

test('admin passes everything (Neutron skips checks for admin contexts under legacy defaults)', () => {
  const { target, explicit } = created(admin, { shared: true, 'router:external': true, 'provider:network_type': 'vlan' });
  policy.enforce(admin, 'create_network', target, explicit);
  policy.enforce(admin, 'update_network', { ...netA, shared: true }, ['shared']);
  const port = created(admin, { network_id: netA.id, 'binding:host_id': 'h', mac_address: 'fa:16:3e:00:00:02' }, onNetwork(netA));
  policy.enforce(admin, 'create_port', port.target, port.explicit);
});

test('several attributes nest in Neutron attribute-map order, whatever the body order', () => {
  const { target, explicit } = created(demo, { 'provider:network_type': 'vlan', shared: true, name: 'n' });
  assert.equal(render(policy.matchRule('create_network', target, explicit)),
    '((rule:create_network and rule:create_network:shared) and rule:create_network:provider:network_type)');
  // shared=false equals the default: not explicitly set on create, but it is on update.
  const f = created(demo, { shared: false });
  assert.equal(render(policy.matchRule('create_network', f.target, f.explicit)), 'rule:create_network');
  assert.equal(render(policy.matchRule('update_network', { ...netA, shared: false }, ['shared'])),
    '(rule:update_network and rule:update_network:shared)');
  assert.equal(render(policy.matchRule('get_network', netA)), 'rule:get_network');
});

test('options object form and project_id-only targets', () => {
  const { target, explicit } = created(demo, { shared: true });
  assert.equal(policy.check(demo, 'create_network', target, { explicit }), false);
  assert.equal(policy.check(demo, 'update_network', { id: 'n', project_id: DEMO_P, shared: false }, { explicit: ['name'] }), true);
  assert.equal(policy.check(demo, 'update_network', { id: 'n', project_id: DEMO2_P, shared: false }, { explicit: ['name'] }), false);
});

test('a policy override changes the outcome', () => {
  const relaxed = createEnforcer({ overrides: { 'create_network:shared': 'role:member' } });
  const { target, explicit } = created(demo, { name: 'n', shared: true });
  relaxed.enforce(demo, 'create_network', target, explicit);
  denied(() => policy.enforce(demo, 'create_network', target, explicit),
    '(rule:create_network and rule:create_network:shared) is disallowed by policy');
  // An override replaces the default outright: no "or legacy" half.
  const strict = createEnforcer({ overrides: { get_network: 'rule:admin_only' } });
  assert.equal(strict.check(demo, 'get_network', netA), false);
  // Overriding context_is_admin changes who is admin (and so who bypasses checks).
  const ops = createEnforcer({ overrides: { context_is_admin: 'role:cloud_admin' } });
  const op = createRequestContext({ userId: 'op', projectId: DEMO2_P, roles: ['cloud_admin'] }, ops.rules);
  assert.equal(op.isAdmin, true);
  assert.equal(ops.check(op, 'update_network', { ...netA, shared: true }, ['shared']), true);
});

test('enforce_new_defaults drops the legacy half and the admin bypass', () => {
  const fresh = createEnforcer({ enforceNewDefaults: true });
  const readerOnly = createRequestContext({ userId: 'r', projectId: DEMO_P, roles: ['reader'] });
  const { target, explicit } = created(readerOnly, { name: 'n' });
  assert.equal(policy.check(readerOnly, 'create_network', target, explicit), true, 'legacy: regular_user');
  assert.equal(fresh.check(readerOnly, 'create_network', target, explicit), false, 'new: member role needed');
  assert.equal(fresh.check(admin, 'create_network', created(admin, { shared: true }).target, ['shared']), true);
});

test('hiddenAttributes: decided once per request and resource type', () => {
  const net = policy.hiddenAttributes(demo, 'network');
  assert.deepEqual([...net].sort(), ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id', 'segments']);
  assert.equal(policy.hiddenAttributes(demo, 'network'), net, 'cached for the request');
  assert.deepEqual([...policy.hiddenAttributes(demo, 'port')].sort(),
    ['binding:host_id', 'binding:profile', 'binding:vif_details', 'binding:vif_type', 'resource_request']);
  assert.deepEqual([...policy.hiddenAttributes(demo, 'router')].sort(), ['distributed', 'ha']);
  assert.deepEqual([...policy.hiddenAttributes(demo, 'subnet')], ['segment_id']);
  assert.equal(policy.hiddenAttributes(admin, 'port').size, 0);
  const advsvc = createRequestContext({ userId: 's', projectId: DEMO2_P, roles: ['advsvc'] });
  assert.equal(advsvc.isAdvsvc, true);
  assert.equal(policy.hiddenAttributes(advsvc, 'port').has('binding:host_id'), true, 'Zed: admin only');
});

test('hiddenAttributes: owner-dependent rules are conservative unless the sample vouches', () => {
  const ownerMay = createEnforcer({ overrides: { 'get_port:binding:host_id': 'rule:admin_only or rule:owner' } });
  assert.equal(ownerMay.hiddenAttributes(demo, 'port').has('binding:host_id'), true, 'depends on each port: hidden');
  assert.equal(ownerMay.hiddenAttributes(demo, 'port', { tenant_id: DEMO_P }).has('binding:host_id'), false);
  assert.equal(ownerMay.hiddenAttributes(demo, 'port', { project_id: DEMO2_P }).has('binding:host_id'), true);
});

test('is_admin and is_advsvc come from the context_is_admin / context_is_advsvc rules', () => {
  assert.equal(admin.isAdmin, true);
  assert.equal(admin.isAdvsvc, true);
  assert.equal(demo.isAdmin, false);
  assert.equal(demo.isAdvsvc, false);
  assert.equal(createRequestContext({ roles: ['Admin'] }).isAdmin, true);
  assert.match(demo.requestId, /^req-[0-9a-f-]{36}$/);
});

