import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addnHostsFile, formatOption, hostsFile, optsFile } from './config-files.ts';
import { host, network, subnet, SUBNET_ID, VM1, VM2 } from './fixtures.ts';

const T = `tag:subnet-${SUBNET_ID}`;
const V6 = '6a6b6c6d-0000-4e1f-9a2b-000000000066';

test('hosts file: one line per leased address, <mac>,<fqdn>,<ip> (the seed\'s format)', () => {
  assert.equal(hostsFile(network({ hosts: [VM1, VM2] })),
    'fa:16:3e:5a:01:10,host-172-16-1-10.openstacklocal,172.16.1.10\n' +
    'fa:16:3e:6b:01:20,host-172-16-1-20.openstacklocal,172.16.1.20\n');
  assert.equal(hostsFile(network({ hosts: [] })), '');
  // no domain: the bare hostname; a trailing dot on the domain is dropped
  assert.equal(hostsFile(network({ dns_domain: '' })), 'fa:16:3e:5a:01:10,host-172-16-1-10,172.16.1.10\n');
  assert.equal(hostsFile(network({ dns_domain: 'example.org.' })), 'fa:16:3e:5a:01:10,host-172-16-1-10.example.org,172.16.1.10\n');
});

test('hosts file: a dns_name names every address; default names are per address', () => {
  const two = { fixed_ips: [{ subnet_id: SUBNET_ID, ip_address: '172.16.1.10' }, { subnet_id: SUBNET_ID, ip_address: '172.16.1.11' }] };
  assert.equal(hostsFile(network({ hosts: [host(VM1.id, VM1.mac_address, '172.16.1.10', two)] })),
    'fa:16:3e:5a:01:10,host-172-16-1-10.openstacklocal,172.16.1.10\n' +
    'fa:16:3e:5a:01:10,host-172-16-1-11.openstacklocal,172.16.1.11\n');
  assert.equal(hostsFile(network({ hosts: [host(VM1.id, VM1.mac_address, '172.16.1.10', { ...two, hostname: 'web1' })] })),
    'fa:16:3e:5a:01:10,web1.openstacklocal,172.16.1.10\n' +
    'fa:16:3e:5a:01:10,web1.openstacklocal,172.16.1.11\n');
});

test('hosts file: extra DHCP options tag the port; client-id goes in the line', () => {
  const boot = { opt_name: 'bootfile-name', opt_value: 'pxelinux.0', ip_version: 4 as const };
  const cid = { opt_name: 'client-id', opt_value: '01:aa', ip_version: 4 as const };
  const id = VM1.id;
  assert.equal(hostsFile(network({ hosts: [{ ...VM1, extra_dhcp_opts: [boot] }] })),
    `fa:16:3e:5a:01:10,host-172-16-1-10.openstacklocal,172.16.1.10,set:port-${id}\n`);
  assert.equal(hostsFile(network({ hosts: [{ ...VM1, extra_dhcp_opts: [cid] }] })),
    'fa:16:3e:5a:01:10,id:01:aa,host-172-16-1-10.openstacklocal,172.16.1.10\n');
  assert.equal(hostsFile(network({ hosts: [{ ...VM1, extra_dhcp_opts: [cid, boot] }] })),
    `fa:16:3e:5a:01:10,id:01:aa,host-172-16-1-10.openstacklocal,172.16.1.10,set:port-${id}\n`);
});

test('hosts file: DHCP-disabled and unknown subnets are skipped; IPv6 bracketed; stateless v6 only tags, first', () => {
  const off = subnet({ id: 'off', cidr: '10.9.0.0/24', enable_dhcp: false });
  const stateful = subnet({ id: V6, ip_version: 6, cidr: '2001:db8::/64', gateway_ip: '2001:db8::1', ipv6_address_mode: 'dhcpv6-stateful', ipv6_ra_mode: 'dhcpv6-stateful' });
  const stateless = { ...stateful, ipv6_address_mode: 'dhcpv6-stateless', ipv6_ra_mode: 'dhcpv6-stateless' };
  const e = {
    ...VM1,
    fixed_ips: [
      { subnet_id: SUBNET_ID, ip_address: '172.16.1.10' },
      { subnet_id: 'off', ip_address: '10.9.0.5' },
      { subnet_id: 'nowhere', ip_address: '10.8.0.5' },
      { subnet_id: V6, ip_address: '2001:db8::5' },
    ],
  };
  assert.equal(hostsFile(network({ subnets: [subnet(), off, stateful], hosts: [e] })),
    'fa:16:3e:5a:01:10,host-172-16-1-10.openstacklocal,172.16.1.10\n' +
    'fa:16:3e:5a:01:10,host-2001-db8--5.openstacklocal,[2001:db8::5]\n');
  const opt = { opt_name: 'dns-server', opt_value: '[2001:db8::53]', ip_version: 6 as const };
  assert.equal(hostsFile(network({ subnets: [subnet(), stateless], hosts: [{ ...e, extra_dhcp_opts: [opt] }] })),
    `fa:16:3e:5a:01:10,set:port-${VM1.id}\n` +
    `fa:16:3e:5a:01:10,host-172-16-1-10.openstacklocal,172.16.1.10,set:port-${VM1.id}\n`);
});

test('addn_hosts: <ip>\\t<fqdn> <hostname> for every address', () => {
  assert.equal(addnHostsFile(network({ hosts: [VM1, VM2] })),
    '172.16.1.10\thost-172-16-1-10.openstacklocal host-172-16-1-10\n' +
    '172.16.1.20\thost-172-16-1-20.openstacklocal host-172-16-1-20\n');
});

test('formatOption: option: prefix unless numeric, option6: for IPv6, a tag in the name is kept', () => {
  assert.equal(formatOption(4, 'subnet-x', 'router', '10.0.0.1'), 'tag:subnet-x,option:router,10.0.0.1');
  assert.equal(formatOption(4, 'port-y', '249', 'a,b'), 'tag:port-y,249,a,b');
  assert.equal(formatOption(6, 'port-y', '23', '[::1]'), 'tag:port-y,option6:23,[::1]');
  assert.equal(formatOption(4, 'port-y', 'tag:ipxe,bootfile-name', 'boot.ipxe'), 'tag:port-y,tag:ipxe,option:bootfile-name,boot.ipxe');
  assert.equal(formatOption(4, 'subnet-x', 'router'), 'tag:subnet-x,option:router');
});

test('opts: DNS is the DHCP port\'s address unless the subnet names servers; then the router', () => {
  assert.equal(optsFile(network()), `${T},option:dns-server,172.16.1.2\n${T},option:router,172.16.1.1\n`);
  assert.equal(optsFile(network({ subnets: [subnet({ dns_nameservers: ['8.8.8.8', '9.9.9.9'] })] })),
    `${T},option:dns-server,8.8.8.8,9.9.9.9\n${T},option:router,172.16.1.1\n`);
  // 0.0.0.0 alone: announce no DNS server; no gateway: an empty router option (dnsmasq would offer itself)
  assert.equal(optsFile(network({ subnets: [subnet({ dns_nameservers: ['0.0.0.0'], gateway_ip: null })] })),
    `${T},option:dns-server\n${T},option:router\n`);
  assert.equal(optsFile(network({ subnets: [subnet({ enable_dhcp: false })] })), '');
});

test('opts: host routes as classless-static-route and 249, with the default route appended', () => {
  const routes = [{ destination: '169.254.169.254/32', nexthop: '172.16.1.2' }, { destination: '10.0.0.0/8', nexthop: '172.16.1.254' }];
  const list = '169.254.169.254/32,172.16.1.2,10.0.0.0/8,172.16.1.254,0.0.0.0/0,172.16.1.1';
  assert.equal(optsFile(network({ subnets: [subnet({ host_routes: routes })] })),
    `${T},option:dns-server,172.16.1.2\n` +
    `${T},option:classless-static-route,${list}\n${T},249,${list}\n${T},option:router,172.16.1.1\n`);
  // a 0.0.0.0/0 host route is the gateway when the subnet has none
  assert.equal(optsFile(network({ subnets: [subnet({ gateway_ip: null, host_routes: [{ destination: '0.0.0.0/0', nexthop: '172.16.1.9' }] })] })),
    `${T},option:dns-server,172.16.1.2\n${T},option:router,172.16.1.9\n`);
});

test('opts: the network\'s other IPv4 subnets are on-link routes', () => {
  const b = subnet({ id: 'b', cidr: '172.16.2.0/24', gateway_ip: '172.16.2.1' });
  const text = optsFile(network({ subnets: [subnet(), b] }));
  assert.ok(text.includes(`${T},option:classless-static-route,172.16.2.0/24,0.0.0.0,0.0.0.0/0,172.16.1.1\n`), text);
  assert.ok(text.includes('tag:subnet-b,249,172.16.1.0/24,0.0.0.0,0.0.0.0/0,172.16.2.1\n'), text);
  // the DHCP port has no address on b: no dns-server line for it
  assert.ok(!text.includes('tag:subnet-b,option:dns-server'), text);
});

test('opts: IPv6 subnets get option6 DNS and domain-search; SLAAC subnets nothing', () => {
  const v6 = subnet({ id: V6, ip_version: 6, cidr: '2001:db8::/64', gateway_ip: '2001:db8::1', ipv6_address_mode: 'dhcpv6-stateful', dns_nameservers: ['2001:db8::53'] });
  assert.equal(optsFile(network({ subnets: [v6], hosts: [] })),
    `tag:subnet-${V6},option6:dns-server,[2001:db8::53]\ntag:subnet-${V6},option6:domain-search,openstacklocal\n`);
  assert.equal(optsFile(network({ subnets: [{ ...v6, ipv6_address_mode: 'slaac' }], hosts: [] })), '');
});

test('opts: per-port extra options for the port\'s IP versions, client-id left to the hosts file', () => {
  const e = {
    ...VM1,
    extra_dhcp_opts: [
      { opt_name: 'bootfile-name', opt_value: 'pxelinux.0', ip_version: 4 as const },
      { opt_name: '150', opt_value: '10.0.0.9', ip_version: 4 as const },
      { opt_name: 'client-id', opt_value: '01:aa', ip_version: 4 as const },
      { opt_name: 'dns-server', opt_value: '[2001:db8::53]', ip_version: 6 as const },
    ],
  };
  const text = optsFile(network({ hosts: [e] }));
  assert.ok(text.endsWith(`tag:port-${VM1.id},option:bootfile-name,pxelinux.0\ntag:port-${VM1.id},150,10.0.0.9\n`), text);
});

test('opts: isolated metadata routes 169.254.169.254/32 via the DHCP port, in option 121 and 249 with the default route', () => {
  const iso = { enableIsolated: true, force: false };
  const routes = '169.254.169.254/32,172.16.1.2,0.0.0.0/0,172.16.1.1';
  assert.equal(optsFile(network(), iso),
    `${T},option:dns-server,172.16.1.2\n${T},option:classless-static-route,${routes}\n${T},249,${routes}\n${T},option:router,172.16.1.1\n`);
  // a router on the subnet serves metadata: the route goes via the gateway (Neutron does this whatever the options)
  const viaGw = '169.254.169.254/32,172.16.1.1,0.0.0.0/0,172.16.1.1';
  for (const meta of [iso, undefined, { enableIsolated: false, force: false }]) {
    assert.match(optsFile(network({ subnets: [subnet({ has_router: true })] }), meta), new RegExp(`classless-static-route,${viaGw.replaceAll('.', '\\.')}\n`));
  }
  // force_metadata: via the DHCP port even with a router
  assert.match(optsFile(network({ subnets: [subnet({ has_router: true })] }), { enableIsolated: false, force: true }), /classless-static-route,169\.254\.169\.254\/32,172\.16\.1\.2,0\.0\.0\.0\/0,172\.16\.1\.1\n/);
  // options off and no router: no metadata route (Neutron: nobody serves it)
  assert.equal(optsFile(network(), { enableIsolated: false, force: false }), optsFile(network()));
  assert.doesNotMatch(optsFile(network()), /169\.254/);
  // no gateway: the metadata route alone
  assert.match(optsFile(network({ subnets: [subnet({ gateway_ip: null })] }), iso), /classless-static-route,169\.254\.169\.254\/32,172\.16\.1\.2\n/);
});
