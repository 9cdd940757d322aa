import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { batch } from './ip.ts';
import { monitorLinks, parseMonitorLine, type LinkEvent } from './link-monitor.ts';
import { isAlive } from './proc.ts';
import { rootSkip, scratchHost, type ScratchHost } from './testing.ts';

test('parseMonitorLine: new, changed, deleted, veth peers, other lines', () => {
  assert.deepEqual(parseMonitorLine('4: tapabc@eth0x: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN group default \\    link/ether 8a:fc:a6:50:b5:4f brd ff:ff:ff:ff:ff:ff'),
    { ifindex: 4, ifname: 'tapabc', deleted: false, up: false, mtu: 1500 });
  assert.deepEqual(parseMonitorLine('Deleted 4: tapabc@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN'),
    { ifindex: 4, ifname: 'tapabc', deleted: true, up: false, mtu: 1500 });
  assert.deepEqual(parseMonitorLine('5: tap3f2c1a5e-9b@if2: <BROADCAST> mtu 1450'), { ifindex: 5, ifname: 'tap3f2c1a5e-9b', deleted: false, up: false, mtu: 1450 });
  assert.deepEqual(parseMonitorLine('2: br0: <BROADCAST,MULTICAST> mtu 1500 event FEATURE CHANGE'), { ifindex: 2, ifname: 'br0', deleted: false, up: false, mtu: 1500 });
  // plugged: in a bridge and up (the bridge's name is not an "mtu"-like word that could be misread)
  assert.deepEqual(parseMonitorLine('4: tap1@eth0: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1450 qdisc noqueue master brq3f2c1a5e-9b state LOWERLAYERDOWN group default \\    link/ether 2a:3c:1a:cc:63:f3 brd ff:ff:ff:ff:ff:ff'),
    { ifindex: 4, ifname: 'tap1', deleted: false, up: true, mtu: 1450, master: 'brq3f2c1a5e-9b' });
  assert.equal(parseMonitorLine(''), undefined);
  assert.equal(parseMonitorLine('    link/ether 8a:fc:a6:50:b5:4f'), undefined);
});

describe('link monitor in a namespace', { skip: rootSkip }, () => {
  let h: ScratchHost;
  before(async () => { h = await scratchHost(); });
  after(async () => { await h?.teardown(); });

  /** Resolves with the ms from `since` until `pred` holds for the events seen so far. */
  function waitFor(events: LinkEvent[], waiters: (() => void)[], pred: (e: LinkEvent[]) => boolean, since: number, timeoutMs = 2000): Promise<number> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out; events: ${JSON.stringify(events)}`)), timeoutMs);
      const check = () => {
        if (!pred(events)) return false;
        clearTimeout(t);
        resolve(performance.now() - since);
        return true;
      };
      if (!check()) waiters.push(() => { check(); });
    });
  }

  test('a new tap is reported, its removal too; stop() ends the process quietly', async (t) => {
    const events: LinkEvent[] = [];
    const waiters: (() => void)[] = [];
    const calls: string[][] = [];
    let exits = 0;
    const mon = await monitorLinks(h.place, {
      filter: (n) => n.startsWith('tap'),
      onChange: (names, evs) => { calls.push(names); events.push(...evs); waiters.forEach((w) => w()); },
      onExit: () => { exits++; },
    });
    try {
      const t0 = performance.now();
      await batch(h.place, [['link', 'add', 'tap0d1c2b3a-33', 'type', 'veth', 'peer', 'name', 'ns-0d1c2b3a-33']]);
      const ms = await waitFor(events, waiters, (e) => e.some((x) => x.ifname === 'tap0d1c2b3a-33' && !x.deleted), t0);
      // a figure, not an assertion: a loaded machine makes any bound flaky (bench/ measures speed)
      t.diagnostic(`new tap reported after ${ms.toFixed(1)} ms (including the ip command)`);
      assert.ok(!events.some((e) => e.ifname.startsWith('ns-')), 'the filter keeps other names out');
      assert.ok(calls.every((c) => new Set(c).size === c.length), 'names are distinct per call');

      const t1 = performance.now();
      await batch(h.place, [['link', 'del', 'tap0d1c2b3a-33']]);
      await waitFor(events, waiters, (e) => e.some((x) => x.ifname === 'tap0d1c2b3a-33' && x.deleted), t1);
    } finally {
      await mon.stop();
    }
    assert.equal(await isAlive(mon.pid), false);
    assert.equal(exits, 0, 'stop() is not an unexpected exit');
  });

  test('an unexpected exit is reported through onExit', async () => {
    let resolveExit: (info: { signal: NodeJS.Signals | null }) => void = () => {};
    const exited = new Promise<{ signal: NodeJS.Signals | null }>((r) => { resolveExit = r; });
    const mon = await monitorLinks(h.place, { onChange: () => {}, onExit: (i) => resolveExit(i) });
    process.kill(mon.pid, 'SIGKILL'); // the process we started, by its pid
    const info = await exited;
    assert.equal(info.signal, 'SIGKILL');
    await mon.stop(); // harmless afterwards
  });
});
