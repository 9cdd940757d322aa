// Agents through the agent channel (unix socket), as the API shows them; port binding with
// its reasons; DHCP scheduling; provisioning blocks driving port status.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { startApi, type Api } from '../../../test/support/api.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../../test/support/test-db.ts';
import { httpChannel } from '../../agents/channel/http-channel.ts';
import type { AgentChannel } from '../../feed/channel.ts';
import { failoverDhcp } from '../../services/dhcp-scheduling.ts';

const LB = (host: string, configurations: Record<string, unknown>) => ({
  agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', host, topic: 'N/A', configurations, start_flag: true,
});
const SEED_LB = (host: string, ip: string) => LB(host, {
  interface_mappings: { public: 'eno1' }, bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: ip, l2_population: true, devices: 0,
});

for (const kind of TEST_DB_KINDS) describe(`agents, binding and provisioning [${kind}]`, { skip: dbSkipReason(kind) }, () => {
  let db: TestDatabase;
  let api: Api;
  let dir: string;
  let ch: AgentChannel;
  let privateNet: string;
  let publicNet: string;

  before(async () => {
    dir = await mkdtemp(`${tmpdir()}/muon-agents-`);
    db = await freshDatabase(kind, 'agents');
    api = await startApi('[ml2]\ntenant_network_types = vxlan\n[ml2_type_flat]\nflat_networks = public\n', db.url, { agentSocket: `${dir}/agent.sock` });
    ch = httpChannel(`${dir}/agent.sock`);
    privateNet = (await api.req('POST', '/v2.0/networks', { network: { name: 'private' } })).body.network.id;
    publicNet = (await api.req('POST', '/v2.0/networks', {
      network: { name: 'public', 'provider:network_type': 'flat', 'provider:physical_network': 'public', 'router:external': true },
    })).body.network.id;
  });
  after(async () => {
    ch?.close();
    await api?.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the channel on a socket only root can use', async () => {
    assert.equal((await stat(`${dir}/agent.sock`)).mode & 0o777, 0o600);
  });

  it('registers agents and lists them as Neutron does', async () => {
    assert.equal((await ch.report(SEED_LB('controller', '192.168.81.66'))).outcome, 'new');
    assert.equal((await ch.report({ ...SEED_LB('controller', '192.168.81.66'), start_flag: false })).outcome, 'alive');
    await ch.report(SEED_LB('compute', '192.168.81.65'));
    const r = await api.req('GET', '/v2.0/agents?sort_key=host&sort_dir=asc');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.agents.map((a: any) => [a.host, a.agent_type, a.alive, a.binary]), [
      ['compute', 'Linux bridge agent', true, 'neutron-linuxbridge-agent'],
      ['controller', 'Linux bridge agent', true, 'neutron-linuxbridge-agent'],
    ]);
    const a = r.body.agents[1];
    assert.match(a.heartbeat_timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.equal(a.configurations.tunneling_ip, '192.168.81.66');
    assert.deepEqual((await api.req('GET', '/v2.0/agents?host=compute&fields=host')).body, { agents: [{ host: 'compute' }] });
    assert.deepEqual((await api.as('demo')('GET', '/v2.0/agents')).body, { agents: [] });
    const upd = await api.req('PUT', `/v2.0/agents/${a.id}`, { agent: { description: 'network node' } });
    assert.equal(upd.status, 200);
    assert.equal(upd.body.agent.description, 'network node');
    assert.equal((await api.req('PUT', `/v2.0/agents/${a.id}`, { agent: { host: 'x' } })).status, 400);
    assert.equal((await api.req('GET', '/v2.0/agents/3c9c7b5e-4f5e-4a3e-9a77-1b1d8e0f8f10')).body.NeutronError.type, 'AgentNotFound');
    assert.equal((await api.req('GET', '/v2.0/agents?bogus=1')).status, 400);
  });

  it('refuses malformed reports with a clear error', async () => {
    await assert.rejects(ch.report({ agent_type: 'Open vSwitch agent', binary: 'x', host: 'h' }), /InvalidInput: .*unknown agent_type 'Open vSwitch agent'/);
    await assert.rejects(ch.report({ agent_type: 'DHCP agent', binary: 'x', host: '' }), /agent_state.host must be a non-empty string/);
  });

  it('binds a vxlan port on a host with a live agent, and says why when it cannot', async () => {
    const ok = await api.req('POST', '/v2.0/ports', { port: { network_id: privateNet, 'binding:host_id': 'compute', device_owner: 'compute:nova' } });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.port['binding:vif_type'], 'bridge');
    assert.deepEqual(ok.body.port['binding:vif_details'], { port_filter: true, connectivity: 'l2' });
    assert.equal(ok.body.port.status, 'DOWN');

    const typo = await api.req('POST', '/v2.0/ports', { port: { network_id: privateNet, 'binding:host_id': 'compute1' } });
    assert.equal(typo.body.port['binding:vif_type'], 'binding_failed');
    const show = await api.req('GET', `/v2.0/ports/${typo.body.port.id}`);
    assert.match(show.body.port['binding:vif_details'].reason, /no Linux bridge agent on host 'compute1'.*did you mean 'compute'/);

    // an agent that does not map the physical network
    await ch.report(LB('edge', { interface_mappings: { provider: 'eth1' }, tunnel_types: [], tunneling_ip: null }));
    const unmapped = await api.req('POST', '/v2.0/ports', { port: { network_id: publicNet, 'binding:host_id': 'edge' } });
    assert.equal(unmapped.body.port['binding:vif_type'], 'binding_failed');
    assert.match((await api.req('GET', `/v2.0/ports/${unmapped.body.port.id}`)).body.port['binding:vif_details'].reason, /physical network 'public' is not mapped on host 'edge'/);
    const vx = await api.req('POST', '/v2.0/ports', { port: { network_id: privateNet, 'binding:host_id': 'edge' } });
    assert.match((await api.req('GET', `/v2.0/ports/${vx.body.port.id}`)).body.port['binding:vif_details'].reason, /network type 'vxlan' is not supported on host 'edge'/);
    // the reason is for admins only
    const demoView = await api.as(unmapped.body.port.project_id)('GET', `/v2.0/ports/${unmapped.body.port.id}`);
    assert.equal(demoView.body.port?.['binding:vif_details']?.reason, undefined);

    // the typo'd host's agent appears: the port is bound again
    await ch.report(SEED_LB('compute1', '192.168.81.67'));
    assert.equal((await api.req('GET', `/v2.0/ports/${typo.body.port.id}`)).body.port['binding:vif_type'], 'bridge');
  });

  it('binds by what the agent reports of its own host: a missing mapped interface fails the port, its return binds it', async () => {
    const missing = {
      severity: 'error', code: 'mapping-interface-missing', object: { type: 'config', id: 'physical_interface_mappings', name: 'public:eno2' },
      evidence: "[linux_bridge] physical_interface_mappings maps physical network 'public' to eno2, but host edge2 has no interface eno2 (it has eno1): ports on 'public' fail to bind",
      fix: 'set physical_interface_mappings = public:eno1',
    };
    const conf = { interface_mappings: { public: 'eno2' }, bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: '192.168.81.70', l2_population: true, devices: 0 };
    await ch.report(LB('edge2', { ...conf, host_problems: [missing] }));
    const p = (await api.req('POST', '/v2.0/ports', { port: { network_id: publicNet, 'binding:host_id': 'edge2', device_owner: 'compute:nova' } })).body.port;
    assert.equal(p['binding:vif_type'], 'binding_failed');
    assert.match((await api.req('GET', `/v2.0/ports/${p.id}`)).body.port['binding:vif_details'].reason,
      /the Linux bridge agent on host 'edge2' reports: .*to eno2, but host edge2 has no interface eno2.*; fix: set physical_interface_mappings = public:eno1/);
    // the same host's VXLAN ports are not concerned
    assert.equal((await api.req('POST', '/v2.0/ports', { port: { network_id: privateNet, 'binding:host_id': 'edge2' } })).body.port['binding:vif_type'], 'bridge');
    // a heartbeat with the same problem changes nothing; the interface appears: the port binds
    await ch.report({ ...LB('edge2', { ...conf, host_problems: [missing] }), start_flag: false });
    assert.equal((await api.req('GET', `/v2.0/ports/${p.id}`)).body.port['binding:vif_type'], 'binding_failed');
    await ch.report({ ...LB('edge2', { ...conf, host_problems: [] }), start_flag: false });
    assert.equal((await api.req('GET', `/v2.0/ports/${p.id}`)).body.port['binding:vif_type'], 'bridge');
    const doctor = (await api.req('GET', '/v2.0/muon/doctor')).body;
    assert.ok(!JSON.stringify(doctor).includes('mapping-interface-missing'), 'a cleared problem is no finding');
  });

  it('schedules DHCP, creates the DHCP port, and drives port status through provisioning blocks', async () => {
    await ch.report({ agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', host: 'controller', topic: 'dhcp_agent', configurations: { dhcp_driver: 'dnsmasq' }, start_flag: true });
    const sub = await api.req('POST', '/v2.0/subnets', { subnet: { network_id: privateNet, cidr: '172.16.1.0/24', ip_version: 4, name: 'private-subnet' } });
    assert.equal(sub.status, 201);
    const dhcpPorts = (await api.req('GET', `/v2.0/ports?network_id=${privateNet}&device_owner=network:dhcp`)).body.ports;
    assert.equal(dhcpPorts.length, 1);
    assert.equal(dhcpPorts[0]['binding:host_id'], 'controller');
    assert.equal(dhcpPorts[0]['binding:vif_type'], 'bridge');
    assert.match(dhcpPorts[0].device_id, /^dhcp[0-9a-f-]{36}-/);
    const agents = (await api.req('GET', '/v2.0/agents?agent_type=DHCP%20agent')).body.agents;
    assert.deepEqual((await api.req('GET', `/v2.0/agents/${agents[0].id}/dhcp-networks`)).body.networks.map((n: any) => n.id), [privateNet]);

    const vm = (await api.req('POST', '/v2.0/ports', { port: { network_id: privateNet, 'binding:host_id': 'compute', device_owner: 'compute:nova' } })).body.port;
    assert.equal(vm.status, 'DOWN');
    // the compute host's snapshot has the port, its security group and the l2pop peer (the DHCP port on controller)
    const snap = (await ch.watch('compute', -1, 0))!;
    assert.ok(snap.ports.some((p) => p.id === vm.id && p.device === `tap${vm.id.slice(0, 11)}`));
    assert.ok(snap.security_groups.length >= 1);
    const peer = snap.l2pop.find((p) => p.network_id === privateNet && p.vtep === '192.168.81.66');
    assert.ok(peer?.ports.some(([mac]) => mac === dhcpPorts[0].mac_address));
    const ctl = (await ch.watch('controller', -1, 0))!;
    const dn = ctl.dhcp.find((d) => d.network.id === privateNet)!;
    assert.equal(dn.network.mtu, 1450);
    assert.ok(dn.hosts.some((h) => h.id === vm.id && h.hostname === `host-${vm.fixed_ips[0].ip_address.replaceAll('.', '-')}`));

    // the L2 agent wired it: BUILD (DHCP still to come); then DHCP ready: ACTIVE
    assert.deepEqual(await ch.devices('compute', { up: [vm.id] }), [vm.id]);
    assert.equal((await api.req('GET', `/v2.0/ports/${vm.id}`)).body.port.status, 'BUILD');
    assert.deepEqual(await ch.devices('controller', { dhcp_ready: [vm.id] }), [vm.id]);
    assert.equal((await api.req('GET', `/v2.0/ports/${vm.id}`)).body.port.status, 'ACTIVE');
    // level triggered: the same report changes nothing; another host cannot flip it
    assert.deepEqual(await ch.devices('compute', { up: [vm.id] }), []);
    assert.deepEqual(await ch.devices('controller', { down: [vm.id] }), []);
    assert.deepEqual(await ch.devices('compute', { down: [vm.id] }), [vm.id]);
    assert.equal((await api.req('GET', `/v2.0/ports/${vm.id}`)).body.port.status, 'DOWN');
  });

  it('moves networks between DHCP agents by hand (dhcp_agent_scheduler)', async () => {
    await ch.report({ agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', host: 'compute', topic: 'dhcp_agent', configurations: {}, start_flag: true });
    const agents = (await api.req('GET', '/v2.0/agents?agent_type=DHCP%20agent&sort_key=host&sort_dir=asc')).body.agents;
    const [computeDhcp, controllerDhcp] = agents;
    assert.deepEqual((await api.req('GET', `/v2.0/networks/${privateNet}/dhcp-agents`)).body.agents.map((a: any) => a.host), ['controller']);
    const added = await api.req('POST', `/v2.0/agents/${computeDhcp.id}/dhcp-networks`, { network_id: privateNet });
    assert.deepEqual([added.status, added.body], [201, null]);
    assert.deepEqual((await api.req('GET', `/v2.0/networks/${privateNet}/dhcp-agents`)).body.agents.map((a: any) => a.host), ['compute', 'controller']);
    const dhcpPorts = (await api.req('GET', `/v2.0/ports?network_id=${privateNet}&device_owner=network:dhcp`)).body.ports;
    assert.deepEqual(dhcpPorts.map((p: any) => p['binding:host_id']).sort(), ['compute', 'controller']);
    const again = await api.req('POST', `/v2.0/agents/${computeDhcp.id}/dhcp-networks`, { network_id: privateNet });
    assert.equal(again.status, 409);
    assert.equal(again.body.NeutronError.type, 'NetworkHostedByDHCPAgent');
    const lb = (await api.req('GET', '/v2.0/agents?agent_type=Linux%20bridge%20agent&host=compute')).body.agents[0];
    const notDhcp = await api.req('POST', `/v2.0/agents/${lb.id}/dhcp-networks`, { network_id: privateNet });
    assert.equal(notDhcp.status, 404);
    assert.equal(notDhcp.body.NeutronError.message, `Agent ${lb.id} is not a valid DHCP Agent or has been disabled.`);
    assert.equal((await api.req('POST', `/v2.0/agents/${computeDhcp.id}/dhcp-networks`, {})).status, 400);
    assert.equal((await api.req('DELETE', `/v2.0/agents/${computeDhcp.id}/dhcp-networks/${privateNet}`)).status, 204);
    assert.deepEqual((await api.req('GET', `/v2.0/ports?network_id=${privateNet}&device_owner=network:dhcp`)).body.ports.map((p: any) => p['binding:host_id']), ['controller']);
    const gone = await api.req('DELETE', `/v2.0/agents/${computeDhcp.id}/dhcp-networks/${privateNet}`);
    assert.equal(gone.body.NeutronError.type, 'NetworkNotHostedByDhcpAgent');
    assert.equal((await api.as('demo')('GET', `/v2.0/networks/${privateNet}/dhcp-agents`)).status, 403);
    assert.ok(controllerDhcp);
  });

  it('moves networks off a dead DHCP agent to a live one (allow_automatic_dhcp_failover)', async () => {
    const hosts = async () => (await api.req('GET', `/v2.0/networks/${privateNet}/dhcp-agents`)).body.agents.map((a: any) => a.host);
    assert.deepEqual(await hosts(), ['controller']);
    // nothing to do while every agent is alive
    assert.deepEqual(await failoverDhcp(api.deps), []);
    // controller's DHCP agent stops reporting (seen from a clock past agent_down_time); compute's keeps going
    const later = Date.now() + (api.config.agentDownTime + 5) * 1000;
    await ch.report({ agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', host: 'compute', topic: 'dhcp_agent', configurations: {} });
    await api.deps.conn.db.updateTable('agents').set({ heartbeat_timestamp: new Date(later).toISOString().slice(0, 19) + 'Z' })
      .where('host', '=', 'compute').execute();
    assert.deepEqual(await failoverDhcp(api.deps, later), [{ network_id: privateNet, from: 'controller' }]);
    assert.deepEqual(await hosts(), ['compute']);
    assert.deepEqual((await api.req('GET', `/v2.0/ports?network_id=${privateNet}&device_owner=network:dhcp`)).body.ports.map((p: any) => p['binding:host_id']), ['compute']);
  });

  it('wakes a waiting agent as soon as something changes', async () => {
    const start = (await ch.watch('compute', -1, 0))!;
    const t0 = performance.now();
    const waiting = ch.watch('compute', start.revision, 20_000);
    await new Promise((r) => setTimeout(r, 50));
    await api.req('POST', '/v2.0/ports', { port: { network_id: privateNet, 'binding:host_id': 'compute' } });
    const next = await waiting;
    assert.ok(next && next.revision > start.revision);
    assert.ok(performance.now() - t0 < 2000, 'woken by the write, not by a timeout');
    assert.equal(await ch.watch('compute', next.revision + 1000, 100), null);
  });

  it('does not wake an agent for changes that leave its host\'s state as it is', async () => {
    const cur = (await ch.watch('edge', -1, 0))!;
    assert.ok(cur.digest);
    // a change elsewhere (a new network nobody uses on edge) moves the feed, not edge's state
    const waiting = ch.watch('edge', cur.revision, 600, cur.digest);
    await api.req('POST', '/v2.0/networks', { network: { name: 'elsewhere' } });
    assert.equal(await waiting, null);
    // without the digest the agent gets the snapshot again
    assert.equal((await ch.watch('edge', cur.revision, 0))?.digest, cur.digest);
  });

  it('wakes an agent only for the sections of the host state it reads', async () => {
    const routersOnly = (await ch.watch('compute', -1, 0, undefined, ['routers']))!;
    const groupsOnly = (await ch.watch('compute', -1, 0, undefined, ['security_groups']))!;
    assert.notEqual(routersOnly.digest, groupsOnly.digest);
    const l3 = ch.watch('compute', routersOnly.revision, 600, routersOnly.digest, ['routers']);
    const lb = ch.watch('compute', groupsOnly.revision, 20_000, groupsOnly.digest, ['security_groups']);
    // a rule in the default group of compute's ports: the filter's concern, not the routers'
    const sg = groupsOnly.security_groups[0].id;
    const rule = await api.req('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 2222, port_range_max: 2222 } });
    assert.equal(rule.status, 201);
    const woken = await lb;
    assert.ok(woken?.security_groups.some((g) => g.rules.some((r) => r.port_range_min === 2222)));
    assert.equal(await l3, null, 'the routers section did not change');
    await assert.rejects(ch.watch('compute', -1, 0, undefined, ['routers', 'nonsense' as never]), /parts must be a list of host state sections/);
  });
});
