// gatherHostFacts for real, in a scratch host: it sees the host's interfaces and probes the
// kernel without leaving a device behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rootSkip, scratchHost } from './testing.ts';
import { gatherHostFacts } from './host-facts.ts';
import { batch, links } from './ip.ts';

test('gathers tools, kernel features, sysctls and interfaces of a host, changing nothing', { skip: rootSkip }, async () => {
  const h = await scratchHost();
  try {
    await batch(h.place, [['link', 'add', 'eno1', 'type', 'veth', 'peer', 'name', 'p-eno1'], ['link', 'set', 'eno1', 'mtu', '1400', 'up'], ['addr', 'add', '192.168.81.66/24', 'dev', 'eno1']]);
    const before = (await links(h.place)).map((l) => l.ifname).sort();
    const f = await gatherHostFacts(h.place);
    assert.deepEqual((await links(h.place)).map((l) => l.ifname).sort(), before);
    const eno1 = f.interfaces.find((i) => i.name === 'eno1');
    assert.deepEqual(eno1, { name: 'eno1', mtu: 1400, up: true, kind: 'veth', addresses: ['192.168.81.66/24'] });
    assert.equal(f.tools.ip !== null, true);
    assert.equal(f.kernel.bridge, true);
    assert.equal(f.kernel.veth, true);
    assert.equal(f.kernel.nftables, true);
    assert.equal(typeof f.kernel.vxlan === 'string' || f.kernel.vxlan === true, true);
    assert.equal(f.netnsReadable, true);
    if (f.tools.dnsmasq) assert.match(f.dnsmasqVersion ?? '', /^\d+\.\d+/);
  } finally {
    await h.teardown();
  }
});
