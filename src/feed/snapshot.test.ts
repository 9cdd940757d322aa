// Host snapshots assembled from the revision's shared index (./shared-index.ts): each host
// sees its own ports, the groups and members they need and every other host's ports as
// l2population peers (never its own, even behind a VTEP it shares), and a watch answers
// with only the sections that changed since the digest the agent sent.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { startApi, type Api } from '../../test/support/api.ts';
import { httpChannel } from '../agents/channel/http-channel.ts';
import type { AgentChannel } from './channel.ts';
import { buildHostState } from './snapshot.ts';
import { SharedIndex, sharedIndex } from './shared-index.ts';
import { withKeptSections, type HostState, type HostStatePart } from './host-state.ts';

const LB = (host: string, ip: string) => ({
  agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', host, topic: 'N/A', start_flag: true,
  configurations: { interface_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: ip, l2_population: true },
});
const LB_PARTS: HostStatePart[] = ['networks', 'ports', 'security_groups', 'remote_groups', 'address_groups', 'l2pop'];

describe('host snapshots from the shared index', () => {
  let api: Api;
  let dir: string;
  let ch: AgentChannel;
  const port: Record<string, { id: string; mac: string; ip: string }> = {};
  let net: string;
  let sg: string;

  const state = (host: string) => buildHostState(api.deps.conn.db, host, { dnsDomain: 'openstacklocal' });
  const peersOf = (s: HostState) => s.l2pop.map((p) => [p.vtep, p.ports.map(([mac, ip]) => `${mac} ${ip}`)]);

  before(async () => {
    dir = await mkdtemp(`${tmpdir()}/muon-snapshot-`);
    api = await startApi('[ml2]\ntenant_network_types = vxlan\nmechanism_drivers = linuxbridge,l2population\n', undefined, { agentSocket: `${dir}/agent.sock` });
    ch = httpChannel(`${dir}/agent.sock`);
    // b and c share a VTEP (two agents claiming one address: each must still see the other's ports)
    for (const [h, ip] of [['a', '192.0.2.1'], ['b', '192.0.2.2'], ['c', '192.0.2.2']]) await ch.report(LB(h, ip));
    net = (await api.req('POST', '/v2.0/networks', { network: { name: 'n' } })).body.network.id;
    await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.0.0.0/24', ip_version: 4 } });
    const mk = async (name: string, host: string, extra: Record<string, unknown> = {}) => {
      const p = (await api.req('POST', '/v2.0/ports', { port: { network_id: net, name, 'binding:host_id': host, device_owner: 'compute:nova', ...extra } })).body.port;
      assert.equal(p['binding:vif_type'], 'bridge', JSON.stringify(p));
      port[name] = { id: p.id, mac: p.mac_address, ip: p.fixed_ips[0].ip_address };
    };
    await mk('a1', 'a');
    await mk('b1', 'b', { allowed_address_pairs: [{ ip_address: '10.9.9.9' }, { ip_address: '10.8.0.0/16' }] });
    await mk('c1', 'c');
    sg = (await api.req('GET', `/v2.0/ports/${port.a1.id}`)).body.port.security_groups[0];
  });
  after(async () => {
    ch?.close();
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives each host its ports, the groups they are in with every member, and the other hosts as peers', async () => {
    const a = await state('a');
    assert.deepEqual(a.ports.map((p) => p.id), [port.a1.id]);
    assert.deepEqual(a.networks.map((n) => [n.id, n.network_type]), [[net, 'vxlan']]);
    assert.deepEqual(a.security_groups.map((g) => g.id), [sg]);
    // the default group's rules name the group itself: its members are every port's addresses and single pairs
    assert.deepEqual(a.remote_groups[sg].IPv4, [port.a1.ip, port.b1.ip, port.c1.ip, '10.8.0.0/16', '10.9.9.9'].sort());
    // b1's single-address pair is an l2pop entry too; the /16 is not
    assert.deepEqual(peersOf(a), [['192.0.2.2', [`${port.b1.mac} ${port.b1.ip}`, `${port.b1.mac} 10.9.9.9`, `${port.c1.mac} ${port.c1.ip}`].sort()]]);
    // b shares c's VTEP: c's port is its peer there, its own is not
    assert.deepEqual(peersOf(await state('b')), [['192.0.2.1', [`${port.a1.mac} ${port.a1.ip}`]], ['192.0.2.2', [`${port.c1.mac} ${port.c1.ip}`]]]);
    assert.deepEqual(peersOf(await state('c')), [['192.0.2.1', [`${port.a1.mac} ${port.a1.ip}`]], ['192.0.2.2', [`${port.b1.mac} ${port.b1.ip}`, `${port.b1.mac} 10.9.9.9`].sort()]]);
    // a host with nothing bound has nothing to do
    const none = await state('nowhere');
    assert.deepEqual([none.ports, none.networks, none.security_groups, none.l2pop, none.dhcp, none.routers], [[], [], [], [], [], []]);
  });

  it('answers a watch with only the sections that changed, which the agent completes with its own', async () => {
    const first = (await ch.watch('a', -1, 0, undefined, LB_PARTS))!;
    assert.equal(first.unchanged, undefined, 'no digest sent: every section');
    assert.deepEqual(Object.keys(first).filter((k) => LB_PARTS.includes(k as HostStatePart)).sort(), [...LB_PARTS].sort());
    assert.equal(first.dhcp, undefined, 'a section the agent does not read is not sent');

    const waiting = ch.watch('a', first.revision, 20_000, first.digest, LB_PARTS);
    await api.req('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg, direction: 'ingress', protocol: 'tcp', port_range_min: 8080, port_range_max: 8080 } });
    const rule = (await waiting)!;
    assert.deepEqual(rule.unchanged, ['address_groups', 'l2pop', 'networks', 'ports', 'remote_groups']);
    assert.equal(rule.l2pop, undefined);
    assert.ok(rule.security_groups.some((g) => g.rules.some((r) => r.port_range_min === 8080)));
    const whole = withKeptSections(first, rule);
    assert.deepEqual(whole, { ...(await state('a')), digest: rule.digest, dhcp: [], routers: [] });

    // a new port on c: a's peers and members change, its rules do not
    const waiting2 = ch.watch('a', rule.revision, 20_000, rule.digest, LB_PARTS);
    const c2 = (await api.req('POST', '/v2.0/ports', { port: { network_id: net, name: 'c2', 'binding:host_id': 'c' } })).body.port;
    const peer = (await waiting2)!;
    assert.deepEqual(peer.unchanged, ['address_groups', 'networks', 'ports', 'security_groups']);
    assert.ok(peer.remote_groups[sg].IPv4.includes(c2.fixed_ips[0].ip_address));
    assert.ok(peer.l2pop[0].ports.some(([mac]) => mac === c2.mac_address));
    // nothing else moved: the digest the agent holds is the state's
    assert.equal(await ch.watch('a', peer.revision, 200, peer.digest, LB_PARTS), null);
  });

  it('keeps the port side of the index across rule changes, and reads it again when a port changes', async () => {
    const db = api.deps.conn.db;
    await sharedIndex(db);
    // a rule naming a group not named before: its members must be read though the ports are kept
    const sg2 = (await api.req('POST', '/v2.0/security-groups', { security_group: { name: 'other' } })).body.security_group.id;
    await api.req('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg, direction: 'ingress', remote_group_id: sg2 } });
    const kept = await sharedIndex(db);
    assert.ok(kept.keptPorts, 'only groups changed: the port side is kept');
    const fresh = await SharedIndex.load(db);
    assert.equal(fresh.keptPorts, false);
    assert.equal(kept.revision, fresh.revision);
    for (const h of ['a', 'b', 'c', 'nowhere']) {
      const [k, f] = [kept.hostPorts(h), fresh.hostPorts(h)];
      assert.deepEqual([k.networks, k.ports, k.sgIds, k.l2pop.digest, k.l2pop.value()], [f.networks, f.ports, f.sgIds, f.l2pop.digest, f.l2pop.value()], h);
      assert.deepEqual(kept.security(k.sgIds), fresh.security(f.sgIds), h);
    }
    assert.deepEqual(kept.security([sg]).remote_groups.value[sg2], { IPv4: [], IPv6: [] });
    assert.ok(kept.security([sg]).security_groups.value[0].rules.some((r) => r.remote_group_id === sg2));

    await api.req('PUT', `/v2.0/ports/${port.a1.id}`, { port: { admin_state_up: false } });
    const after = await sharedIndex(db);
    assert.equal(after.keptPorts, false, 'a port changed: everything is read again');
    assert.equal(after.hostPorts('a').ports.value[0].admin_state_up, false);
  });
});
