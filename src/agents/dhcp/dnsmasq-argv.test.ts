// src/linux/dnsmasq.ts: the command line (pure) and pid-file checks that need no root.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { dnsmasqArgv, findRunning, parsePid, pidFileOf, type DnsmasqConfig } from '../../linux/dnsmasq.ts';

const D = '/var/lib/muon/dhcp/net1';
const BASE: DnsmasqConfig = {
  dir: D,
  interface: 'ns-0d1c2b3a-33',
  ranges: [{ tag: 'subnet-s1', address: '172.16.1.0', mask: '255.255.255.0' }],
  leaseSeconds: 86400,
  leaseMax: 256,
  mtu: 1450,
  domain: 'openstacklocal',
};

test('argv: the seed\'s command line, with the MTU forced automatically', () => {
  assert.deepEqual(dnsmasqArgv(BASE), [
    'dnsmasq', '--keep-in-foreground',
    '--no-hosts', '--no-resolv', '--conf-file=/dev/null', `--pid-file=${D}/pid`,
    `--dhcp-hostsfile=${D}/host`, `--addn-hosts=${D}/addn_hosts`, `--dhcp-optsfile=${D}/opts`, `--dhcp-leasefile=${D}/leases`,
    '--dhcp-match=set:ipxe,175', '--dhcp-userclass=set:ipxe6,iPXE',
    '--bind-interfaces', '--interface=ns-0d1c2b3a-33', '--except-interface=lo',
    '--dhcp-range=set:subnet-s1,172.16.1.0,static,255.255.255.0,86400s',
    '--dhcp-option-force=option:mtu,1450', '--dhcp-lease-max=256', '--domain=openstacklocal',
    `--log-facility=${D}/log`, '--log-dhcp',
  ]);
});

test('argv: infinite lease, IPv6 range, upstream servers, config file, no MTU when unknown, no domain', () => {
  const a = dnsmasqArgv({
    ...BASE,
    ranges: [...BASE.ranges, { tag: 'subnet-s6', address: '2001:db8::', mask: '64' }],
    leaseSeconds: -1,
    mtu: 0,
    domain: '',
    servers: ['8.8.8.8', '9.9.9.9'],
    confFile: '/etc/neutron/dnsmasq-neutron.conf',
    broadcastReply: true,
    bin: '/usr/sbin/dnsmasq',
  });
  assert.equal(a[0], '/usr/sbin/dnsmasq');
  assert.ok(a.includes('--dhcp-range=set:subnet-s1,172.16.1.0,static,255.255.255.0,infinite'));
  assert.ok(a.includes('--dhcp-range=set:subnet-s6,2001:db8::,static,64,infinite'));
  assert.ok(a.includes('--no-resolv'), 'upstream servers only from --server, never the shared resolv.conf');
  assert.deepEqual(a.filter((x) => x.startsWith('--server=')), ['--server=8.8.8.8', '--server=9.9.9.9']);
  assert.ok(a.includes('--conf-file=/etc/neutron/dnsmasq-neutron.conf'));
  assert.ok(a.includes('--dhcp-broadcast'));
  assert.ok(!a.some((x) => x.startsWith('--dhcp-option-force') || x.startsWith('--domain')));
  assert.ok(!dnsmasqArgv({ ...BASE, localResolv: true }).includes('--no-resolv'));
  assert.throws(() => dnsmasqArgv({ ...BASE, domain: 'a\nb' }), /invalid dnsmasq argument/);
});

test('pid files: parse, and a live pid that is not dnsmasq with this pid file does not count', async () => {
  assert.equal(parsePid('1234\n'), 1234);
  assert.equal(parsePid(''), undefined);
  assert.equal(parsePid('12ab'), undefined);
  assert.equal(pidFileOf(dnsmasqArgv(BASE)), `${D}/pid`);
  const dir = await mkdtemp(`${tmpdir()}/muon-dnsmasq-`);
  try {
    assert.equal(await findRunning(`${dir}/pid`), undefined, 'no pid file');
    await writeFile(`${dir}/pid`, `${process.pid}\n`);
    assert.equal(await findRunning(`${dir}/pid`), undefined, 'this node process is alive but is not dnsmasq');
    await writeFile(`${dir}/pid`, 'garbage');
    assert.equal(await findRunning(`${dir}/pid`), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
