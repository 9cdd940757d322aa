// port-mac-address-regenerate: mac_address null (or "") means "generate one", on create
// and on update; an update is refused on a bound port (ml2 PortBound) and on
// network-owned ports (UnsupportedPortDeviceOwner), as Zed's code refuses it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { startApi, type Api } from '../../../test/support/api.ts';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../../../test/support/test-db.ts';
import { httpChannel } from '../../agents/channel/http-channel.ts';
import type { AgentChannel } from '../../feed/channel.ts';

const LB = {
  agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', host: 'compute', topic: 'N/A', start_flag: true,
  configurations: { interface_mappings: {}, bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: '192.168.81.65', l2_population: true },
};
const MAC = /^fa:16:3e:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/;

for (const kind of TEST_DB_KINDS) describe(`port MAC regeneration [${kind}]`, { skip: dbSkipReason(kind) }, () => {
  let db: TestDatabase;
  let api: Api;
  let dir: string;
  let ch: AgentChannel;
  let net: string;
  before(async () => {
    dir = await mkdtemp(`${tmpdir()}/muon-mac-`);
    db = await freshDatabase(kind, 'macregen');
    api = await startApi('[ml2]\ntenant_network_types = vxlan\n', db.url, { agentSocket: `${dir}/agent.sock` });
    ch = httpChannel(`${dir}/agent.sock`);
    await ch.report(LB);
    net = (await api.req('POST', '/v2.0/networks', { network: { name: 'n' } })).body.network.id;
    await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.55.0.0/24' } });
  });
  after(async () => {
    ch?.close();
    await api?.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('generates a MAC for null or "" on create', async () => {
    for (const mac_address of [null, '']) {
      const r = await api.req('POST', '/v2.0/ports', { port: { network_id: net, mac_address } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.match(r.body.port.mac_address, MAC);
    }
  });

  it('regenerates the MAC of an unbound port on PUT mac_address null', async () => {
    const p = (await api.req('POST', '/v2.0/ports', { port: { network_id: net } })).body.port;
    const r = await api.req('PUT', `/v2.0/ports/${p.id}`, { port: { mac_address: null } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.port.mac_address, MAC);
    assert.notEqual(r.body.port.mac_address, p.mac_address);
    assert.equal((await api.req('GET', `/v2.0/ports/${p.id}`)).body.port.mac_address, r.body.port.mac_address);
  });

  it('refuses it on a bound port and on a network-owned port', async () => {
    const p = (await api.req('POST', '/v2.0/ports', { port: { network_id: net, 'binding:host_id': 'compute', device_owner: 'compute:nova' } })).body.port;
    assert.equal(p['binding:vif_type'], 'bridge');
    const r = await api.req('PUT', `/v2.0/ports/${p.id}`, { port: { mac_address: null } });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.equal(r.body.NeutronError.type, 'PortBound');
    assert.match(r.body.NeutronError.message, new RegExp(`^Unable to complete operation on port ${p.id}, port is already bound, port type: bridge, old_mac ${p.mac_address}, new_mac fa:16:3e:..:..:..\\.$`));
    const d = (await api.req('POST', '/v2.0/ports', { port: { network_id: net, device_owner: 'network:dhcp' } })).body.port;
    const u = await api.req('PUT', `/v2.0/ports/${d.id}`, { port: { mac_address: null } });
    assert.equal(u.status, 409, JSON.stringify(u.body));
    assert.equal(u.body.NeutronError.type, 'UnsupportedPortDeviceOwner');
    assert.equal(u.body.NeutronError.message, 'Operation mac address update is not supported for device_owner network:dhcp on port <built-in function id>.');
    assert.equal((await api.req('GET', `/v2.0/ports/${d.id}`)).body.port.mac_address, d.mac_address);
  });
});
