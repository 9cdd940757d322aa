// The seed's configuration files, exactly as its author wrote them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from './config-error.ts';
import { loadConfig } from './load.ts';

const dir = join(import.meta.dirname, 'fixtures', 'seed');
const seed = (...names: string[]) => names.map((n) => join(dir, n));
const ALL = seed('neutron.conf', 'ml2_conf.ini', 'linuxbridge_agent.ini', 'l3_agent.ini', 'dhcp_agent.ini', 'metadata_agent.ini');

test('the controller\'s files load with the seed\'s values', () => {
  const { config: c } = loadConfig(ALL);
  assert.equal(c.corePlugin, 'ml2');
  assert.deepEqual(c.servicePlugins, ['router']);
  assert.equal(c.authStrategy, 'keystone');
  assert.equal(c.allowOverlappingIps, true);
  assert.equal(c.databaseConnection, 'mysql://neutron:neutron@controller/neutron');
  assert.deepEqual(c.ml2.typeDrivers, ['flat', 'vlan', 'vxlan']);
  assert.deepEqual(c.ml2.tenantNetworkTypes, ['vxlan']);
  assert.deepEqual(c.ml2.mechanismDrivers, ['linuxbridge', 'l2population']);
  assert.deepEqual(c.ml2.extensionDrivers, ['port_security']);
  assert.deepEqual(c.ml2.flatNetworks, ['public']);
  assert.deepEqual(c.ml2.vniRanges, [{ min: 1, max: 1000 }]);
  assert.equal(c.securityGroup.enableIpset, true);
  assert.equal(c.securityGroup.enableSecurityGroup, true);
  assert.equal(c.securityGroup.firewallDriver, 'neutron.agent.linux.iptables_firewall.IptablesFirewallDrive');
  assert.deepEqual(c.linuxBridge.physicalInterfaceMappings, { public: 'eno1' });
  assert.deepEqual(c.vxlan, { enableVxlan: true, localIp: '192.168.81.66', l2Population: true, ttl: null, tos: null, udpDstport: null, arpResponder: false });
  assert.equal(c.values.agent.prevent_arp_spoofing, true);
  assert.equal(c.values.DEFAULT.interface_driver, 'neutron.agent.linux.interface.BridgeInterfaceDriver');
  assert.equal(c.values.DEFAULT.external_network_bridge, '');
  assert.equal(c.values.DEFAULT.enable_isolated_metadata, true);
  assert.equal(c.values.DEFAULT.dnsmasq_config_file, '/etc/neutron/dnsmasq-neutron.conf');
  // nova_metadata_ip is the deprecated name of nova_metadata_host
  assert.equal(c.values.DEFAULT.nova_metadata_host, 'controller');
  assert.equal(c.values.keystone_authtoken.auth_type, 'password');
  assert.equal(c.values.keystone_authtoken.www_authenticate_uri, 'http://controller:5000');
  assert.equal(c.raw.oslo_messaging_rabbit.rabbit_password, 'opst');
  assert.equal(c.raw.nova.region_name, 'RegionOne');
  assert.equal(c.raw.oslo_concurrency.lock_path, '/var/lib/tmp/neutron');
  // The seed's note is literally part of the value in a real file: the secret will not match Nova's.
  assert.equal(c.raw.DEFAULT.metadata_proxy_shared_secret, 'Test(与nova.conf中[neutron]metadata_proxy_shared_secret的值相同)');
});

test('the only warnings are deprecations and the firewall_driver typo', () => {
  const { warnings } = loadConfig(ALL);
  const deprecated = warnings.filter((w) => / is deprecated: /.test(w));
  const others = warnings.filter((w) => !deprecated.includes(w));
  assert.deepEqual(
    deprecated.map((w) => /\] (\S+) is deprecated/.exec(w)![1]).sort(),
    ['auth_plugin', 'auth_plugin', 'auth_uri', 'nova_metadata_ip', 'nova_url', 'rabbit_host', 'rabbit_password',
      'rabbit_userid', 'rpc_backend', 'verbose', 'verbose', 'verbose', 'verbose'],
  );
  assert.equal(others.length, 1, others.join('\n'));
  assert.match(others[0], /linuxbridge_agent\.ini:14 \[securitygroup\] firewall_driver: 'neutron\.agent\.linux\.iptables_firewall\.IptablesFirewallDrive' is not a known firewall driver; did you mean 'neutron\.agent\.linux\.iptables_firewall\.IptablesFirewallDriver'\? .*Muon ignores this option's value/);
});

test('the server\'s command line (neutron.conf + ml2_conf.ini) has no ML2 warnings', () => {
  const { warnings } = loadConfig(seed('neutron.conf', 'ml2_conf.ini'));
  assert.deepEqual(warnings.filter((w) => !/ is deprecated: /.test(w)), []);
});

test('the server without ml2_conf.ini is told why self-service networks will fail', () => {
  const { warnings } = loadConfig(seed('neutron.conf'), { role: 'server' });
  assert.ok(warnings.some((w) => /vni_ranges is empty: .*NoNetworkAvailable.*ml2_conf\.ini missing/.test(w)), warnings.join('\n'));
  assert.ok(warnings.some((w) => /mechanism_drivers is empty: no port can be bound/.test(w)));
});

test('the compute node\'s local_ip with the author\'s note is a ConfigError naming file, line and option', () => {
  assert.throws(() => loadConfig(seed('neutron.conf', 'compute-linuxbridge_agent.ini')), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.section, 'vxlan');
    assert.equal(e.option, 'local_ip');
    assert.equal(e.line, 6);
    assert.match(e.message, /compute-linuxbridge_agent\.ini:6 \[vxlan\] local_ip: '192\.168\.81\.65\(compute IP地址\)' is not an IP address/);
    return true;
  });
});
