import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from './config-error.ts';
import { embeddedDefaults, loadConfig, loadConfigSources } from './load.ts';

const ML2 = '/etc/neutron/plugins/ml2/ml2_conf.ini';
const load = (text: string, file = ML2) => loadConfigSources([{ file, text }]);

function throwsConfig(text: string, message: RegExp, where: { section?: string; option?: string } = {}) {
  assert.throws(() => load(text), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.message, message);
    if (where.section) assert.equal(e.section, where.section);
    if (where.option) assert.equal(e.option, where.option);
    return true;
  });
}

test('defaults follow Neutron, with Muon\'s ML2 choices', () => {
  const { config: c, warnings } = loadConfigSources([]);
  assert.deepEqual(warnings, []);
  assert.equal(c.bindHost, '0.0.0.0');
  assert.equal(c.bindPort, 9696);
  assert.equal(c.authStrategy, 'keystone');
  assert.equal(c.globalPhysnetMtu, 1500);
  assert.equal(c.baseMac, 'fa:16:3e:00:00:00');
  assert.equal(c.statePath, './state');
  assert.equal(c.databaseConnection, 'sqlite:///./state/muon.sqlite');
  assert.deepEqual(c.ml2.typeDrivers, ['flat', 'vlan', 'vxlan']);
  assert.deepEqual(c.ml2.tenantNetworkTypes, ['vxlan']);
  assert.deepEqual(c.ml2.vniRanges, []);
  assert.deepEqual(c.ml2.flatNetworks, ['*']);
  assert.equal(c.quotas.defaults.network, 100);
  assert.equal(c.quotas.defaults.port, 500);
  assert.equal(c.quotas.defaults.subnetpool, -1);
  assert.deepEqual(c.raw, {});
});

test('state_path moves the default SQLite database (SQLAlchemy four slashes for absolute paths)', () => {
  const { config } = load('[DEFAULT]\nstate_path = /var/lib/muon/\n', 'n.conf');
  assert.equal(config.databaseConnection, 'sqlite:////var/lib/muon/muon.sqlite');
});

test('embedded defaults make `muon server` usable without files', () => {
  const { config: c, warnings } = loadConfigSources([], { defaults: embeddedDefaults() });
  assert.deepEqual(warnings, []);
  assert.equal(c.authStrategy, 'keystone');
  assert.equal(c.values.muon?.identity, 'embedded');
  assert.equal(c.bindHost, '127.0.0.1');
  assert.deepEqual(c.servicePlugins, ['router']);
  assert.deepEqual(c.ml2.flatNetworks, ['public']);
  assert.deepEqual(c.ml2.vniRanges, [{ min: 1, max: 1000 }]);
  assert.deepEqual(c.ml2.tenantNetworkTypes, ['vxlan']);
  // a file still overrides them
  const r = loadConfigSources([{ file: 'n.conf', text: '[DEFAULT]\nbind_port = 9797\n' }], { defaults: { DEFAULT: { bind_port: '1234', debug: 'yes' } } });
  assert.equal(r.config.bindPort, 9797);
  assert.equal(r.config.debug, true);
});

test('later files override earlier ones option by option; raw keeps what was read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'muon-config-'));
  const a = join(dir, 'a.conf');
  const b = join(dir, 'b.conf');
  writeFileSync(a, '[DEFAULT]\nbind_port = 9000\ndebug = true\n[ml2]\ntype_drivers = flat,vxlan\nmechanism_drivers = linuxbridge\nmy_option = x\n');
  writeFileSync(b, '[DEFAULT]\nbind_port = 9001\n[ml2_type_vxlan]\nvni_ranges = 10:20,\n  30:40\n');
  const { config: c, warnings } = loadConfig([a, b]);
  assert.equal(c.bindPort, 9001);
  assert.equal(c.debug, true);
  assert.deepEqual(c.ml2.typeDrivers, ['flat', 'vxlan']);
  assert.deepEqual(c.ml2.vniRanges, [{ min: 10, max: 20 }, { min: 30, max: 40 }]);
  assert.deepEqual(c.raw.DEFAULT, { bind_port: '9001', debug: 'true' });
  assert.equal(c.raw.ml2.my_option, 'x');
  assert.deepEqual(warnings, [`${a}:7: unknown option [ml2] my_option; Muon ignores it`]);
  assert.equal(loadConfig([b, a]).config.bindPort, 9000);
});

test('a missing file is an error', () => {
  assert.throws(() => loadConfig(['/nonexistent/neutron.conf']), (e: unknown) =>
    e instanceof ConfigError && e.message === 'config file /nonexistent/neutron.conf not found' && e.file === '/nonexistent/neutron.conf');
});

test('unknown section: warning with the closest name', () => {
  const { warnings } = load('[ml2_type_vxaln]\nvni_ranges = 1:1000\n[ml2]\nmechanism_drivers = linuxbridge\n[frobnicate]\nx = 1\n');
  assert.deepEqual(warnings.slice(0, 2), [
    `${ML2}:1: unknown section [ml2_type_vxaln]; did you mean [ml2_type_vxlan]?`,
    `${ML2}:5: unknown section [frobnicate]; Muon ignores its options`,
  ]);
});

test('unknown option: closest in the section, or the section it belongs in', () => {
  const { warnings } = load('[ml2]\ntype_driver = flat\nvni_ranges = 1:10\nmechanism_drivers = linuxbridge\n[DEFAULT]\nconnection = sqlite://\nbind_prot = 1\n');
  assert.deepEqual(warnings, [
    `${ML2}:2: unknown option [ml2] type_driver; did you mean 'type_drivers'?`,
    `${ML2}:3: option 'vni_ranges' belongs in [ml2_type_vxlan], not [ml2]`,
    `${ML2}:6: option 'connection' belongs in [database], not [DEFAULT]`,
    `${ML2}:7: unknown option [DEFAULT] bind_prot; did you mean 'bind_port'?`,
    // and the consequence, since vni_ranges was not where ML2 reads it
    '[ml2] tenant_network_types includes vxlan but [ml2_type_vxlan] vni_ranges is empty: creating a self-service network will fail with NoNetworkAvailable; set e.g. vni_ranges = 1:1000',
  ]);
});

test('an option set twice in one file is reported', () => {
  const { config, warnings } = load('[DEFAULT]\nbind_port = 1\nbind_port = 2\n', 'n.conf');
  assert.equal(config.bindPort, 2);
  assert.deepEqual(warnings, ['n.conf:3: [DEFAULT] bind_port is set again (first at line 2); the later value wins']);
});

test('bad type driver: error names file, section, option, value and what is allowed', () => {
  throwsConfig('[ml2]\ntype_drivers = flat,vxaln\n',
    /^\/etc\/neutron\/plugins\/ml2\/ml2_conf\.ini:2 \[ml2\] type_drivers: 'vxaln' is not a supported type driver; did you mean 'vxlan'\? Allowed: flat, vlan, vxlan$/,
    { section: 'ml2', option: 'type_drivers' });
  throwsConfig('[ml2]\ntype_drivers = flat,gre\n', /'gre' is a type driver Muon does not support \(.*use vxlan\)\. Allowed: flat, vlan, vxlan/);
  throwsConfig('[ml2]\nmechanism_drivers = openvswitch\n', /\[ml2\] mechanism_drivers: 'openvswitch' is a mechanism driver Muon does not support .* Allowed: linuxbridge, l2population/);
  throwsConfig('[ml2]\nextension_drivers = port_securty\n', /did you mean 'port_security'\?/);
});

test('tenant_network_types must be within type_drivers', () => {
  throwsConfig('[ml2]\ntype_drivers = flat,vlan\ntenant_network_types = vxlan\n',
    /ml2_conf\.ini:3 \[ml2\] tenant_network_types: 'vxlan' is not in \[ml2\] type_drivers \(flat, vlan\)/,
    { option: 'tenant_network_types' });
  // the default tenant type (vxlan) counts too
  throwsConfig('[ml2]\ntype_drivers = flat\n', /'vxlan' is not in \[ml2\] type_drivers \(flat\)/);
});

test('service and core plugins: class paths normalised, unknown names listed', () => {
  const { config } = load('[DEFAULT]\ncore_plugin = neutron.plugins.ml2.plugin.Ml2Plugin\nservice_plugins = neutron.services.l3_router.l3_router_plugin.L3RouterPlugin, qos,trunk\n', 'n.conf');
  assert.equal(config.corePlugin, 'ml2');
  assert.deepEqual(config.servicePlugins, ['router', 'qos', 'trunk']);
  throwsConfig('[DEFAULT]\nservice_plugins = routr\n', /service_plugins: 'routr' is not a supported service plugin; did you mean 'router'\? Allowed: router, qos, trunk, segments, port_forwarding/);
  throwsConfig('[DEFAULT]\ncore_plugin = ovs\n', /core_plugin: 'ovs' is not a supported core plugin\. Allowed: ml2/);
});

test('malformed VNI ranges', () => {
  const cases: [string, RegExp][] = [
    ['1-1000', /'1-1000' is not a VNI range: expected min:max, e\.g\. 1:1000/],
    ['0:10', /'0:10': VNIs must be between 1 and 16777215/],
    ['1:16777216', /VNIs must be between 1 and 16777215/],
    ['100:1', /'100:1': the first number \(100\) is greater than the second \(1\)/],
  ];
  for (const [value, re] of cases) throwsConfig(`[ml2_type_vxlan]\nvni_ranges = ${value}\n`, re, { section: 'ml2_type_vxlan', option: 'vni_ranges' });
  assert.deepEqual(load('[ml2_type_vxlan]\nvni_ranges = 1:1,16777215:16777215\n').config.ml2.vniRanges, [{ min: 1, max: 1 }, { min: 16777215, max: 16777215 }]);
});

test('VLAN ranges, flat networks, MTUs, mappings', () => {
  const { config: c } = load('[ml2]\nmechanism_drivers = linuxbridge\nphysical_network_mtus = public:1500,data:9000\n[ml2_type_vlan]\nnetwork_vlan_ranges = public,data:100:200\n[ml2_type_flat]\nflat_networks = *\n[linux_bridge]\nphysical_interface_mappings = public:eno1, data:eth1\n');
  assert.deepEqual(c.ml2.networkVlanRanges, [{ physnet: 'public' }, { physnet: 'data', min: 100, max: 200 }]);
  assert.deepEqual(c.ml2.physicalNetworkMtus, { public: 1500, data: 9000 });
  assert.deepEqual(c.ml2.flatNetworks, ['*']);
  assert.deepEqual(c.linuxBridge.physicalInterfaceMappings, { public: 'eno1', data: 'eth1' });
  throwsConfig('[ml2_type_vlan]\nnetwork_vlan_ranges = data:0:5000\n', /'data:0:5000': VLAN ids must be between 1 and 4094/);
  throwsConfig('[ml2_type_vlan]\nnetwork_vlan_ranges = data:100\n', /expected physnet or physnet:min:max/);
  throwsConfig('[linux_bridge]\nphysical_interface_mappings = eno1\n', /'eno1' is not a physnet:interface mapping \(e\.g\. public:eno1\)/);
  throwsConfig('[linux_bridge]\nphysical_interface_mappings = a:eno1,a:eno2\n', /physical network 'a' is mapped twice/);
  throwsConfig('[ml2]\nphysical_network_mtus = public:9k\n', /the MTU must be an integer of at least 68/);
});

test('bad booleans, integers, enums, MACs', () => {
  throwsConfig('[DEFAULT]\ndebug = Ture\n', /\[DEFAULT\] debug: 'Ture' is not a boolean; did you mean 'true'\? Allowed: true, false/);
  throwsConfig('[DEFAULT]\nbind_port = 70000\n', /\[DEFAULT\] bind_port: '70000' is out of range: must be between 1 and 65535/);
  throwsConfig('[DEFAULT]\nbind_port = http\n', /'http' is not an integer; allowed: between 1 and 65535/);
  throwsConfig('[DEFAULT]\nglobal_physnet_mtu = 60\n', /must be at least 68/);
  throwsConfig('[DEFAULT]\nauth_strategy = keystone2\n', /'keystone2' is not a valid value; did you mean 'keystone'\? Allowed: keystone, noauth/);
  throwsConfig('[DEFAULT]\nbase_mac = fa:16:3e:00:00\n', /not a MAC address: expected six hex octets/);
  throwsConfig('[DEFAULT]\ndebug = true # verbose logs\n', /oslo\.config does not strip comments after a value/);
  throwsConfig('[database]\nconnection = mysq://a:b@h/db\n', /'mysq' is not a supported database; did you mean 'mysql'\?/);
  for (const v of ['TRUE', 'yes', 'On', '1']) assert.equal(load(`[DEFAULT]\ndebug = ${v}\n`, 'n').config.debug, true);
  for (const v of ['False', 'NO', 'off', '0']) assert.equal(load(`[DEFAULT]\ndebug = ${v}\n`, 'n').config.debug, false);
  assert.equal(load('[DEFAULT]\npagination_max_limit = infinite\n', 'n').config.paginationMaxLimit, -1);
});

test('continuation lines work for list options', () => {
  const { config } = load('[ml2]\nmechanism_drivers =\n    linuxbridge,\n    l2population\n');
  assert.deepEqual(config.ml2.mechanismDrivers, ['linuxbridge', 'l2population']);
});

test('deprecated names fill their replacement unless it is set', () => {
  const a = load('[keystone_authtoken]\nauth_plugin = password\n', 'n.conf');
  assert.equal(a.config.values.keystone_authtoken.auth_type, 'password');
  assert.match(a.warnings[0], /^n\.conf:2: \[keystone_authtoken\] auth_plugin is deprecated: use auth_type$/);
  const b = load('[keystone_authtoken]\nauth_plugin = password\nauth_type = v3password\n', 'n.conf');
  assert.equal(b.config.values.keystone_authtoken.auth_type, 'v3password');
});

test('agent checks: VXLAN without local_ip; ignored anti-spoofing switch', () => {
  const { warnings } = load('[vxlan]\nenable_vxlan = true\n[agent]\nprevent_arp_spoofing = false\n', 'lb.ini');
  assert.ok(warnings.some((w) => /lb\.ini:2: \[vxlan\] enable_vxlan is true but local_ip is not set/.test(w)), warnings.join('\n'));
  assert.ok(warnings.some((w) => /lb\.ini:4 \[agent\] prevent_arp_spoofing: Muon always applies anti-spoofing/.test(w)));
});

test('role selects the consistency checks', () => {
  assert.deepEqual(loadConfigSources([], { role: 'agent' }).warnings.map((w) => w.slice(0, 40)), ['[vxlan] enable_vxlan is true but local_i']);
  assert.equal(loadConfigSources([], { role: 'server' }).warnings.length, 2); // empty vni_ranges, no mechanism drivers
});

test('an unknown option close to one in another section names that section', () => {
  const { warnings } = load('[ml2]\nmechanism_drivers = linuxbridge\nvni_range = 1:10\n');
  assert.equal(warnings[0], `${ML2}:3: unknown option [ml2] vni_range; did you mean 'vni_ranges' in [ml2_type_vxlan]?`);
});
