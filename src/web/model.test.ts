// The page's pure modules (plain browser JS, imported here as they are served): what becomes
// a node, where findings and trace hops are drawn, and the trace path's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';

// a computed specifier: these are .js files without types (the browser runs them unchanged)
const load = (name: string) => import(new URL(`./${name}`, import.meta.url).href);
const { buildTopology, nodeFor, findingsByNode } = await load('model.js');
const { layout } = await load('layout.js');
const { hopNodes, pathPoints } = await load('trace.js');

const net = (id: string, extra = {}) => ({ id, name: id, status: 'ACTIVE', admin_state_up: true, ...extra });
const port = (id: string, network: string, owner: string, host = '', extra = {}) => ({
  id, name: id, network_id: network, device_owner: owner, device_id: '', status: 'ACTIVE', fixed_ips: [{ subnet_id: `${network}-s`, ip_address: `10.0.0.${id.length}` }], 'binding:host_id': host, ...extra,
});
const seed = (extraPorts: unknown[] = []) => ({
  networks: [net('private'), net('public', { 'router:external': true })],
  subnets: [{ id: 'private-s', network_id: 'private', cidr: '172.16.1.0/24' }, { id: 'public-s', network_id: 'public', cidr: '192.168.81.0/24' }],
  routers: [{ id: 'r', name: 'router', status: 'ACTIVE', external_gateway_info: { network_id: 'public', external_fixed_ips: [{ ip_address: '192.168.81.101' }] } }],
  ports: [
    port('vm1', 'private', 'compute:nova', 'compute'), port('dhcp', 'private', 'network:dhcp', 'controller'),
    { ...port('rif', 'private', 'network:router_interface'), device_id: 'r' }, { ...port('rgw', 'public', 'network:router_gateway'), device_id: 'r' },
    ...extraPorts,
  ],
  floatingips: [{ id: 'f', floating_ip_address: '192.168.81.102', floating_network_id: 'public', port_id: 'vm1', status: 'ACTIVE' }],
  agents: [{ id: 'a1', agent_type: 'Linux bridge agent', host: 'compute', alive: true }, { id: 'a2', agent_type: 'L3 agent', host: 'controller', alive: false }],
});

test('a router is a box joining its networks; its own ports are not drawn as ports', () => {
  const t = buildTopology(seed());
  assert.deepEqual(t.networks.map((n: any) => n.id), ['public', 'private'], 'external networks first');
  assert.deepEqual(t.ports.map((p: any) => p.id), ['vm1', 'dhcp']);
  assert.deepEqual(t.edges.filter((e: any) => e.kind === 'router-network').map((e: any) => `${e.network}${e.gateway ? ' gw' : ''}`), ['public gw', 'private']);
  assert.deepEqual(t.hosts.map((h: any) => [h.name, h.ports.map((p: any) => p.id), h.agents.map((a: any) => a.short)]), [
    ['compute', ['vm1'], ['L2']], ['controller', ['dhcp'], ['L3']],
  ]);
});

test('findings land on the node that stands for their object', () => {
  const t = buildTopology(seed());
  assert.deepEqual(nodeFor(t, 'subnet', 'private-s'), ['network', 'private']);
  assert.deepEqual(nodeFor(t, 'port', 'rif'), ['router', 'r']);
  assert.deepEqual(nodeFor(t, 'port', 'rgw'), ['router', 'r']);
  assert.deepEqual(nodeFor(t, 'agent', 'a2'), ['agent', 'a2']);
  assert.equal(nodeFor(t, 'tool', 'dnsmasq'), null);
  const f = (type: string, id: string) => ({ severity: 'error', code: 'x', object: { type, id }, evidence: '', fix: '' });
  const by = findingsByNode(t, [f('subnet', 'private-s'), f('tool', 'dnsmasq')]);
  assert.deepEqual([...by.keys()], ['network:private', '']);
});

test('a crowded host draws the ports that matter and counts the rest', () => {
  const many = Array.from({ length: 30 }, (_, i) => port(`p${String(i).padStart(2, '0')}`, 'private', 'compute:nova', 'compute', { status: i === 7 ? 'DOWN' : 'ACTIVE' }));
  const t = buildTopology(seed(many), { keep: new Set(['p20']), flagged: new Set(['p25']), maxPortsPerHost: 5 });
  const compute = t.hosts.find((h: any) => h.name === 'compute');
  // four boxes and the "+N more" one: kept (trace), flagged (finding), behind a floating IP, not ACTIVE
  assert.deepEqual(compute.ports.map((p: any) => p.id).sort(), ['p07', 'p20', 'p25', 'vm1']);
  assert.deepEqual(compute.more, { count: 27, byStatus: { ACTIVE: 27 } });
  assert.equal(t.allPorts.length, 32, 'every port can still be traced');
  assert.ok(!t.edges.some((e: any) => e.port === 'p29'), 'no link for a port not drawn');
  const lay = layout(t);
  assert.ok(lay.pos.has('more:compute') && !lay.pos.has('port:p29'));
});

test('a trace path runs along the buses at right angles, through the router rather than the floating IP', () => {
  const t = buildTopology(seed());
  const lay = layout(t);
  const hops = [
    { step: 'source_port', object: { type: 'address', id: '203.0.113.1' } },
    { step: 'external_network', object: { type: 'network', id: 'public' } },
    { step: 'floating_ip', object: { type: 'floatingip', id: 'f' } },
    { step: 'router_interface', object: { type: 'router', id: 'r' } },
    { step: 'network', object: { type: 'network', id: 'private' } },
    { step: 'security_group_ingress', object: { type: 'security_group', id: 'sg' } },
    { step: 'destination_port', object: { type: 'port', id: 'vm1' } },
  ];
  const keys = hopNodes(t, hops);
  assert.deepEqual(keys, [null, 'network:public', 'floatingip:f', 'router:r', 'network:private', 'port:vm1', 'port:vm1']);
  const pts = pathPoints(keys, lay.pos);
  for (let i = 1; i < pts.length; i++) assert.ok(pts[i].x === pts[i - 1].x || pts[i].y === pts[i - 1].y, `segment ${i} is straight`);
  const router = lay.pos.get('router:r');
  assert.ok(pts.some((p: any) => p.x === router.x + router.w / 2 && p.y === router.y + router.h / 2), 'through the router');
});
