// The trace evaluated over the seed's model: the reachable paths with their deciding objects,
// and each blocking setting of the table (and their combinations) named with its fix.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateTrace } from './evaluate.ts';
import { ID, seedModel } from './fixtures.ts';
import type { TraceModel, TraceRequest, TraceResult } from './model.ts';
import { NeutronError } from '../errors/neutron-error.ts';

const run = (m: TraceModel, source: TraceRequest['source'], destination: TraceRequest['destination'], protocol: TraceRequest['protocol'] = 'icmp', port?: number): TraceResult =>
  evaluateTrace(m, { source, destination, protocol, ...(port !== undefined ? { destination_port: port } : {}) });
const steps = (r: TraceResult) => r.hops.map((h) => `${h.step}:${h.verdict}`);
const settings = (r: TraceResult) => r.blocking.map((b) => `${b.object.type} ${b.setting}`);
const hop = (r: TraceResult, step: string) => r.hops.find((h) => h.step === step)!;
const OUTSIDE = { ip_address: '203.0.113.1' };

describe('trace over the seed model', () => {
  it('same network: direct, the default group admits its own members', () => {
    const r = run(seedModel(), { port_id: ID.vm1 }, { port_id: ID.vm2 });
    assert.equal(r.reachable, true);
    assert.deepEqual(steps(r), ['source_port:pass', 'security_group_egress:pass', 'network:pass', 'security_group_ingress:pass', 'destination_port:pass']);
    assert.equal(hop(r, 'security_group_ingress').object.id, 'r-def-in');
    assert.match(hop(r, 'security_group_ingress').reason, /stateful/);
    assert.deepEqual(r.blocking, []);
    assert.equal(hop(r, 'destination_port').realised.host, 'controller');
    assert.equal(hop(r, 'network').realised.state, 'yes');
    assert.match(hop(r, 'network').realised.evidence, /compute and controller/);
  });

  it('to the outside through the router with SNAT', () => {
    const r = run(seedModel(), { port_id: ID.vm1 }, OUTSIDE, 'tcp', 8080);
    assert.equal(r.reachable, true, JSON.stringify(r.blocking));
    assert.deepEqual(steps(r), ['source_port:pass', 'security_group_egress:pass', 'network:pass', 'router_interface:pass', 'route:pass', 'snat:pass', 'external_network:pass', 'destination_port:info']);
    assert.match(hop(r, 'route').reason, /default route via 192\.168\.81\.254/);
    assert.match(hop(r, 'snat').reason, /192\.168\.81\.101/);
    assert.equal(hop(r, 'router_interface').realised.host, 'controller');
    assert.equal(hop(r, 'router_interface').realised.state, 'yes');
  });

  it('a port with a floating IP leaves as its floating IP', () => {
    const r = run(seedModel(), { port_id: ID.vm2 }, OUTSIDE);
    assert.equal(r.reachable, true);
    assert.match(hop(r, 'floating_ip').reason, /192\.168\.81\.102/);
    assert.equal(r.hops.some((h) => h.step === 'snat'), false);
  });

  it('from outside to a floating IP: allowed port reachable, another port blocked by the group with the rule to add', () => {
    const ok = run(seedModel(), OUTSIDE, { ip_address: '192.168.81.102' }, 'tcp', 22);
    assert.equal(ok.reachable, true, JSON.stringify(ok.blocking));
    assert.deepEqual(steps(ok), ['source_port:info', 'external_network:pass', 'floating_ip:pass', 'router_interface:pass', 'network:pass', 'security_group_ingress:pass', 'destination_port:pass']);
    assert.equal(hop(ok, 'security_group_ingress').object.id, 'r-web-ssh');
    assert.equal(hop(ok, 'floating_ip').realised.state, 'yes');
    const no = run(seedModel(), OUTSIDE, { ip_address: '192.168.81.102' }, 'tcp', 80);
    assert.equal(no.reachable, false);
    assert.equal(no.blocking.length, 1);
    assert.equal(no.blocking[0].object.type, 'security_group');
    assert.match(no.blocking[0].setting, /no ingress rule for tcp 80 from 203\.0\.113\.1/);
    assert.equal(no.blocking[0].fix, 'openstack security group rule create --ingress --ethertype IPv4 --protocol tcp --dst-port 80 --remote-ip 203.0.113.1/32 default');
  });

  it('from outside to a port by id goes through its floating IP; without one, blocked', () => {
    assert.equal(run(seedModel(), OUTSIDE, { port_id: ID.vm2 }, 'tcp', 22).reachable, true);
    const r = run(seedModel(), OUTSIDE, { port_id: ID.vm1 });
    assert.equal(r.reachable, false);
    assert.deepEqual(settings(r), ['port no floating IP', 'security_group no ingress rule for icmp (echo request) from 203.0.113.1 (groups of port vm1: default)']);
    assert.equal(r.blocking[0].fix, `openstack floating ip create --port ${ID.vm1} public`);
  });

  it('port forwardings: the forwarded port is reached with its internal port number; others, ICMP and the unforwarded are blocked with the command to add one', () => {
    const m = seedModel();
    const pfFip = '00000000-0000-4000-8000-00000000f003';
    m.floatingips.push({ id: pfFip, floating_ip_address: '192.168.81.103', floating_network_id: ID.public, fixed_port_id: null, fixed_ip_address: null, router_id: ID.router, status: 'DOWN' });
    m.port_forwardings.push({ id: 'pf-ssh', floatingip_id: pfFip, internal_port_id: ID.vm2, internal_ip_address: '172.16.1.11', protocol: 'tcp', external_port_start: 2222, external_port_end: 2222, internal_port_start: 22, internal_port_end: 22 });
    m.port_forwardings.push({ id: 'pf-web', floatingip_id: pfFip, internal_port_id: ID.vm1, internal_ip_address: '172.16.1.10', protocol: 'tcp', external_port_start: 8080, external_port_end: 8080, internal_port_start: 80, internal_port_end: 80 });
    const ok = run(m, OUTSIDE, { ip_address: '192.168.81.103' }, 'tcp', 2222);
    assert.equal(ok.reachable, true, JSON.stringify(ok.blocking));
    assert.deepEqual(steps(ok), ['source_port:info', 'external_network:pass', 'floating_ip:pass', 'router_interface:pass', 'network:pass', 'security_group_ingress:pass', 'destination_port:pass']);
    assert.match(hop(ok, 'floating_ip').reason, /forwards tcp 192\.168\.81\.103:2222 to 172\.16\.1\.11:22 \(port forwarding pf-ssh\)/);
    // the group judges the internal port: web admits 22, and the floating IP's DOWN status does not count
    assert.equal(hop(ok, 'security_group_ingress').object.id, 'r-web-ssh');
    assert.equal(hop(ok, 'floating_ip').realised.state, 'yes');
    assert.equal(ok.flow.destination_ip, '172.16.1.11');
    // forwarded, but vm1's default group has no rule for 80 from outside
    const sg = run(m, OUTSIDE, { ip_address: '192.168.81.103' }, 'tcp', 8080);
    assert.deepEqual(settings(sg), ['security_group no ingress rule for tcp 80 from 203.0.113.1 (groups of port vm1: default)']);
    const none = run(m, OUTSIDE, { ip_address: '192.168.81.103' }, 'udp', 2222);
    assert.equal(none.reachable, false);
    assert.match(hop(none, 'floating_ip').reason, /forwards only tcp 2222 → 172\.16\.1\.11:22, tcp 8080 → 172\.16\.1\.10:80: nothing takes udp 2222/);
    assert.equal(none.blocking[0].fix, 'openstack floating ip port forwarding create --internal-ip-address <ip> --port <port> --internal-protocol-port <port number> --external-protocol-port 2222 --protocol udp 192.168.81.103');
    const icmp = run(m, OUTSIDE, { ip_address: '192.168.81.103' });
    assert.match(hop(icmp, 'floating_ip').reason, /carry only TCP and UDP, not icmp/);
    // from inside: hairpin through the router, the forwarding applies too
    const hair = run(m, { port_id: ID.vm1 }, { ip_address: '192.168.81.103' }, 'tcp', 2222);
    assert.match(hop(hair, 'floating_ip').reason, /to 172\.16\.1\.11:22/);
    assert.equal(hop(hair, 'security_group_ingress').object.id, 'r-web-ssh');
  });

  it('port security off: no group filters it, and no anti-spoofing either', () => {
    const m = seedModel();
    const vm2 = m.ports.find((p) => p.id === ID.vm2)!;
    vm2.port_security_enabled = false;
    vm2.security_group_ids = [];
    const r = run(m, OUTSIDE, { ip_address: '192.168.81.102' }, 'tcp', 80);
    assert.equal(r.reachable, true);
    assert.match(hop(r, 'security_group_ingress').reason, /port_security_enabled=false/);
    const spoof = run(m, { port_id: ID.vm2, ip_address: '10.9.9.9' }, { port_id: ID.vm1 });
    assert.equal(hop(spoof, 'source_port').verdict, 'pass');
  });

  it('anti-spoofing: a source address that is not the port\'s is dropped unless an address pair allows it', () => {
    const m = seedModel();
    const r = run(m, { port_id: ID.vm1, ip_address: '172.16.1.99' }, { port_id: ID.vm2 }, 'tcp', 22);
    assert.equal(r.reachable, false);
    assert.deepEqual(settings(r), ['port source 172.16.1.99 is not a fixed IP or allowed address pair (anti-spoofing)']);
    assert.equal(r.blocking[0].fix, `openstack port set --allowed-address ip-address=172.16.1.99 ${ID.vm1}`);
    m.ports.find((p) => p.id === ID.vm1)!.allowed_address_pairs = [{ ip_address: '172.16.1.96/28', mac_address: 'fa:16:3e:00:00:01' }];
    const ok = run(m, { port_id: ID.vm1, ip_address: '172.16.1.99' }, { port_id: ID.vm2 }, 'tcp', 22);
    assert.equal(ok.reachable, true, JSON.stringify(ok.blocking));
    assert.match(hop(ok, 'source_port').reason, /address pair 172\.16\.1\.96\/28/);
  });

  it('no router interface on the source subnet: nothing leads out', () => {
    const m = seedModel();
    m.routers[0].interfaces = [];
    const r = run(m, { port_id: ID.vm1 }, OUTSIDE);
    assert.equal(r.reachable, false);
    assert.deepEqual(settings(r), ['subnet no router interface on subnet private 172.16.1.0/24']);
    assert.match(r.blocking[0].fix, /openstack router create <router> && openstack router add subnet <router> private && openstack router set --external-gateway/);
  });

  it('no router gateway: no route out, and a floating IP could not be reached either', () => {
    const m = seedModel();
    Object.assign(m.routers[0], { gw_port_id: null, gw_network_id: null });
    m.floatingips = [];
    const r = run(m, { port_id: ID.vm1 }, OUTSIDE);
    assert.equal(r.reachable, false);
    assert.deepEqual(settings(r), ['router external_gateway_info=null (no gateway)']);
    assert.equal(r.blocking[0].fix, 'openstack router set --external-gateway public router');
    const inbound = run(m, OUTSIDE, { port_id: ID.vm2 }, 'tcp', 22);
    assert.deepEqual(settings(inbound), ['port no floating IP', 'router external_gateway_info=null (no gateway)']);
  });

  it('a disabled port blocks, and every other blocker is listed with it', () => {
    const m = seedModel();
    m.ports.find((p) => p.id === ID.vm2)!.admin_state_up = false;
    const r = run(m, OUTSIDE, { ip_address: '192.168.81.102' }, 'udp', 53);
    assert.equal(r.reachable, false);
    assert.deepEqual(settings(r).sort(), ['port admin_state_up=false', 'security_group no ingress rule for udp 53 from 203.0.113.1 (groups of port vm2: default, web)']);
    assert.equal(r.blocking.find((b) => b.setting === 'admin_state_up=false')!.fix, `openstack port set --enable ${ID.vm2}`);
  });

  it('enable_snat=false without a floating IP: the replies have no way back', () => {
    const m = seedModel();
    m.routers[0].enable_snat = false;
    const r = run(m, { port_id: ID.vm1 }, OUTSIDE);
    assert.deepEqual(settings(r), ['router enable_snat=false (and no floating IP on the source port)']);
    assert.equal(run(m, { port_id: ID.vm2 }, OUTSIDE).reachable, true, 'a floating IP still SNATs');
  });

  it('hairpin: vm1 to vm2\'s floating IP arrives from the router\'s gateway address, which the default group does not admit', () => {
    const r = run(seedModel(), { port_id: ID.vm1 }, { ip_address: '192.168.81.102' }, 'tcp', 22);
    assert.equal(r.reachable, true, JSON.stringify(r.blocking));
    assert.match(hop(r, 'snat').reason, /hairpin.*192\.168\.81\.101/);
    assert.equal(hop(r, 'security_group_ingress').object.id, 'r-web-ssh');
    const m = seedModel();
    m.ports.find((p) => p.id === ID.vm2)!.security_group_ids = [ID.default];
    const no = run(m, { port_id: ID.vm1 }, { ip_address: '192.168.81.102' }, 'tcp', 22);
    assert.deepEqual(settings(no), ['security_group no ingress rule for tcp 22 from 192.168.81.101 (groups of port vm2: default)']);
  });

  it('another network: through a router joining both subnets, or blocked naming the missing interface', () => {
    const m = seedModel();
    const other = '00000000-0000-4000-8000-00000000a101';
    const otherSub = '00000000-0000-4000-8000-00000000a102';
    m.networks.push({ id: other, name: 'other', admin_state_up: true, router_external: false, segments: [{ network_type: 'vxlan', physical_network: null, segmentation_id: 2 }] });
    m.subnets.push({ id: otherSub, name: 'other', network_id: other, cidr: '10.1.0.0/24', gateway_ip: '10.1.0.1', ip_version: 4, enable_dhcp: false });
    m.ports.push({ ...m.ports[0], id: '00000000-0000-4000-8000-000000000003', name: 'vm3', network_id: other, fixed_ips: [{ subnet_id: otherSub, ip_address: '10.1.0.5' }] });
    m.remote_group_members[ID.default].push('10.1.0.5');
    const blocked = run(m, { port_id: ID.vm1 }, { ip_address: '10.1.0.5' });
    assert.deepEqual(settings(blocked), ['subnet no router interface on subnet other 10.1.0.0/24']);
    assert.equal(blocked.blocking[0].fix, 'openstack router add subnet router other');
    m.routers[0].interfaces.push({ port_id: 'qr2', subnet_id: otherSub, ip_address: '10.1.0.1' });
    const ok = run(m, { port_id: ID.vm1 }, { ip_address: '10.1.0.5' });
    assert.equal(ok.reachable, true, JSON.stringify(ok.blocking));
    assert.deepEqual(steps(ok), ['source_port:pass', 'security_group_egress:pass', 'network:pass', 'router_interface:pass', 'route:pass', 'router_interface:pass', 'network:pass', 'security_group_ingress:pass', 'destination_port:pass']);
  });

  it('a stateless group needs a rule for the replies too', () => {
    const m = seedModel();
    const web = m.security_groups.find((g) => g.id === ID.web)!;
    web.stateful = false;
    m.ports.find((p) => p.id === ID.vm2)!.security_group_ids = [ID.web];
    const r = run(m, OUTSIDE, { ip_address: '192.168.81.102' }, 'tcp', 22);
    assert.deepEqual(settings(r), ['security_group stateful=false and no egress rule for the replies to 203.0.113.1']);
    web.rules.push({ id: 'r-web-out', direction: 'egress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: null, remote_address_group_id: null });
    assert.equal(run(m, OUTSIDE, { ip_address: '192.168.81.102' }, 'tcp', 22).reachable, true);
  });

  it('address groups and remote prefixes decide by the peer address', () => {
    const m = seedModel();
    m.address_groups.ag = { name: 'office', addresses: ['203.0.113.0/24'] };
    m.security_groups.find((g) => g.id === ID.web)!.rules.push({ id: 'r-web-ag', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 443, port_range_max: 443, remote_ip_prefix: null, remote_group_id: null, remote_address_group_id: 'ag' });
    const r = run(m, OUTSIDE, { ip_address: '192.168.81.102' }, 'tcp', 443);
    assert.equal(r.reachable, true);
    assert.match(hop(r, 'security_group_ingress').object.name, /address group office/);
    assert.equal(run(m, { ip_address: '192.168.81.254' }, { ip_address: '192.168.81.102' }, 'tcp', 443).reachable, false);
  });

  it('says what the agents have not realised: a dead L3 agent, a floating IP DOWN, a port in BUILD', () => {
    const m = seedModel();
    m.agents.find((a) => a.id === ID.l3)!.alive = false;
    m.floatingips[0].status = 'DOWN';
    m.ports.find((p) => p.id === ID.vm2)!.status = 'BUILD';
    const r = run(m, OUTSIDE, { ip_address: '192.168.81.102' }, 'tcp', 22);
    assert.equal(r.reachable, true, 'the model allows it');
    assert.equal(hop(r, 'floating_ip').realised.state, 'no');
    assert.match(hop(r, 'floating_ip').realised.evidence, /DOWN.*dead or disabled L3 agents \(controller\)/);
    assert.equal(hop(r, 'destination_port').realised.state, 'no');
    assert.match(hop(r, 'destination_port').realised.evidence, /BUILD, bound on controller/);
  });

  it('the router\'s own addresses: its gateway from outside, its interface from a VM', () => {
    const gw = run(seedModel(), { ip_address: '192.168.81.254' }, { ip_address: '192.168.81.101' });
    assert.equal(gw.reachable, true);
    assert.deepEqual(steps(gw), ['source_port:info', 'external_network:pass', 'security_group_ingress:pass', 'destination_port:pass']);
    const qr = run(seedModel(), { port_id: ID.vm1 }, { ip_address: '172.16.1.1' });
    assert.equal(qr.reachable, true);
    assert.match(hop(qr, 'security_group_ingress').reason, /network:router_interface ports are not filtered/);
  });

  it('IPv6: a port speaks the version of the other end; an IPv6 rule matches ICMPv6, and a type/code rule only its type and code', () => {
    const m = seedModel();
    const v6 = '00000000-0000-4000-8000-00000000a006';
    m.subnets.push({ id: v6, name: 'private-v6', network_id: ID.private, cidr: 'fd00:16::/64', gateway_ip: 'fd00:16::1', ip_version: 6, enable_dhcp: true });
    m.ports.find((p) => p.id === ID.vm1)!.fixed_ips.push({ subnet_id: v6, ip_address: 'fd00:16::10' });
    m.ports.find((p) => p.id === ID.vm2)!.fixed_ips.push({ subnet_id: v6, ip_address: 'fd00:16::11' });
    const web = m.security_groups.find((g) => g.id === ID.web)!;
    m.security_groups.find((g) => g.id === ID.default)!.rules.push({ id: 'r-def-out6', direction: 'egress', ethertype: 'IPv6', protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: null, remote_address_group_id: null });
    const r = run(m, { port_id: ID.vm1 }, { ip_address: 'fd00:16::11' });
    assert.equal(r.flow.source_ip, 'fd00:16::10');
    assert.deepEqual(settings(r), ['security_group no ingress rule for icmp (echo request) from fd00:16::10 (groups of port vm2: default, web)']);
    web.rules.push({ id: 'r-web-echo6', direction: 'ingress', ethertype: 'IPv6', protocol: 'icmp', port_range_min: 128, port_range_max: 0, remote_ip_prefix: null, remote_group_id: null, remote_address_group_id: null });
    assert.equal(run(m, { port_id: ID.vm1 }, { ip_address: 'fd00:16::11' }).reachable, true, 'icmp in an IPv6 rule is ICMPv6, type 128 code 0 is echo request');
    web.rules.at(-1)!.port_range_max = 3;
    assert.equal(run(m, { port_id: ID.vm1 }, { ip_address: 'fd00:16::11' }).reachable, false, 'code 3 is not an echo request');
  });

  it('a port with no address of the flow\'s version on a subnet: blocked, not silently reachable', () => {
    const m = seedModel();
    const vm1 = m.ports.find((p) => p.id === ID.vm1)!;
    vm1.port_security_enabled = false;
    vm1.security_group_ids = [];
    const r = run(m, { port_id: ID.vm1, ip_address: '2001:db8::5' }, { ip_address: '2001:db8:1::1' });
    assert.equal(r.reachable, false);
    assert.deepEqual(settings(r), ['port no fixed IP of IPv6']);
  });

  it('refuses what cannot be evaluated', () => {
    assert.throws(() => run(seedModel(), OUTSIDE, { ip_address: '198.51.100.7' }), (e: NeutronError) => e.status === 400 && /at least one end/.test(e.message));
    assert.throws(() => run(seedModel(), { port_id: 'nope' }, OUTSIDE), (e: NeutronError) => e.status === 404 && e.type === 'PortNotFound');
    assert.throws(() => run(seedModel(), { port_id: ID.vm1 }, { ip_address: '2001:db8::1' }), (e: NeutronError) => e.status === 400);
    assert.throws(() => run(seedModel(), { port_id: ID.vm1 }, { ip_address: 'x' }), (e: NeutronError) => e.status === 400 && /not an IP address/.test(e.message));
  });
});
