import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { tryExec } from './exec.ts';
import { batch } from './ip.ts';
import { findRadvd, radvdArgv, radvdConfig, startRadvd, stopRadvd } from './radvd.ts';
import { rootSkip, scratchHost, type ScratchHost } from './testing.ts';
import { write as writeSysctls } from './sysctl.ts';

test('radvd.conf as Neutron renders it; argv runs in the foreground with a pid file', () => {
  assert.equal(radvdConfig([]), '');
  assert.equal(radvdConfig([{ device: 'qr-1', mtu: 1450, prefixes: [{ cidr: '2001:db8::/64', mode: 'slaac' }] }]), [
    'interface qr-1', '{', '   AdvSendAdvert on;', '   MinRtrAdvInterval 30;', '   MaxRtrAdvInterval 100;', '   AdvLinkMTU 1450;',
    '   prefix 2001:db8::/64', '   {', '        AdvOnLink on;', '        AdvAutonomous on;', '   };', '};', '',
  ].join('\n'));
  assert.deepEqual(radvdArgv('/c', '/p'), ['radvd', '-n', '-C', '/c', '-p', '/p', '-m', 'stderr']);
});

describe('radvd in a namespace', { skip: rootSkip }, () => {
  let h: ScratchHost;
  let dir = '';
  before(async () => {
    h = await scratchHost();
    dir = await mkdtemp('/tmp/muon-radvd-test-');
    await batch(h.place, [['link', 'add', 'qr-t', 'type', 'veth', 'peer', 'name', 'peer-t'], ['link', 'set', 'qr-t', 'up'], ['link', 'set', 'peer-t', 'up']]);
    await writeSysctls(h.place, { 'net.ipv6.conf.all.forwarding': 1 });
  });
  after(async () => {
    await h?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the config passes radvd --configtest; start, find by pid file, stop', async () => {
    const conf = `${dir}/r.conf`;
    await writeFile(conf, radvdConfig([{ device: 'qr-t', prefixes: [{ cidr: '2001:db8:5::/64', mode: 'dhcpv6-stateful' }] }]), { mode: 0o644 });
    const t = await tryExec(['radvd', '-c', '-C', conf], { place: h.place });
    assert.equal(t.code, 0, t.stderr);
    const pid = await startRadvd(h.place, conf, `${dir}/r.pid`, `${dir}/r.log`);
    assert.equal((await findRadvd(`${dir}/r.pid`))?.pid, pid);
    await stopRadvd(pid);
    assert.equal(await findRadvd(`${dir}/r.pid`), undefined);
  });
});
