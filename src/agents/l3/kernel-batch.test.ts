import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { tryExec } from '../../linux/exec.ts';
import { links, routes } from '../../linux/ip.ts';
import { get as getSysctl } from '../../linux/sysctl.ts';
import { rootSkip, scratchHost, type ScratchHost } from '../../linux/testing.ts';
import { applyKernelSteps, batchDir } from './kernel-batch.ts';
import { newMemory, type L3Step, type RouterPlan } from './plan.ts';

const NS = 'qrouter-kb';
const table = (rule: string) => `table ip neutron-l3 {\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\t${rule}\n\t}\n}\n`;
const nftStep = (rule: string): L3Step => ({ op: 'nft', script: `add table ip neutron-l3\ndelete table ip neutron-l3\n${table(rule)}`, rendered: table(rule) });

describe('a router\'s kernel steps as one ip batch (real namespaces)', { skip: rootSkip }, () => {
  let h: ScratchHost;
  let stateDir: string;
  before(async () => {
    h = await scratchHost();
    stateDir = await mkdtemp(`${tmpdir()}/muon-kb-`);
  });
  after(async () => {
    await h?.teardown();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  test('namespace, sysctls, nft, veth and routes in one go; a route that will not go in is a problem, the rest is there', async () => {
    const memory = newMemory();
    const plan: RouterPlan = {
      id: 'kb', netns: NS, remove: false, steps: [
        { op: 'netns-add' },
        { op: 'sysctl', values: { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.default.send_redirects': '0' } },
        { op: 'host-ip', cmds: [['link', 'add', 'tapkb', 'mtu', '1400', 'type', 'veth', 'peer', 'name', 'qr-kb', 'mtu', '1400', 'netns', NS], ['link', 'set', 'dev', 'tapkb', 'up']] },
        { op: 'ns-ip', cmds: [['link', 'set', 'lo', 'up'], ['link', 'set', 'dev', 'qr-kb', 'up'], ['addr', 'add', '10.0.0.1/24', 'dev', 'qr-kb']] },
        { op: 'routes', cmds: [
          ['route', 'replace', '10.9.0.0/24', 'via', '10.0.0.2', 'proto', 'static'],
          ['route', 'replace', '10.8.0.0/24', 'via', '192.0.2.1', 'proto', 'static'], // no such nexthop here
          ['route', 'replace', '10.7.0.0/24', 'via', '10.0.0.3', 'proto', 'static'],
        ] },
        nftStep('oifname "qr-kb" snat to 10.0.0.1'),
      ],
    };
    const out = await applyKernelSteps(h.place, plan, plan.steps, { stateDir, memory });
    assert.match(out.routeProblem ?? '', /some routes could not be installed/);
    const ns = h.nested(NS);
    assert.deepEqual((await routes(ns)).map((r) => r.dst).filter((d) => d.startsWith('10.') && d.endsWith('.0/24')).sort(), ['10.0.0.0/24', '10.7.0.0/24', '10.9.0.0/24']);
    assert.equal(await getSysctl(ns, 'net.ipv4.ip_forward'), '1');
    assert.equal(await getSysctl(ns, 'net.ipv4.conf.qr-kb.send_redirects'), '0', 'the veth was made after the sysctls');
    assert.match((await tryExec(['nft', 'list', 'table', 'ip', 'neutron-l3'], { place: ns })).stdout, /snat to 10\.0\.0\.1/);
    assert.equal((await links(h.place, 'tapkb'))[0]?.flags.includes('UP'), true);
    assert.ok(memory.sysctls.has('kb') && memory.nft.has('kb'));
    assert.deepEqual(await readdir(batchDir(stateDir)), [], 'the batch files are removed');
  });

  test('a namespace line that fails fails the router, and names the line', async () => {
    const memory = newMemory();
    const plan: RouterPlan = {
      id: 'kb', netns: NS, remove: false, steps: [
        { op: 'sysctl', values: { 'net.ipv4.ip_forward': '1' } },
        { op: 'ns-ip', cmds: [['addr', 'add', '10.0.1.1/24', 'dev', 'qr-nothere']] },
        nftStep('oifname "qr-kb" snat to 10.0.0.9'),
      ],
    };
    await assert.rejects(applyKernelSteps(h.place, plan, plan.steps, { stateDir, memory }), /Command failed .*ns\.batch:1[\s\S]*failing batch line 3/);
    assert.equal(memory.nft.has('kb'), false);
  });

  test('only the table and the namespace\'s lines (a floating IP): the table first, and a failure still fails', async () => {
    const memory = newMemory();
    const plan: RouterPlan = {
      id: 'kb', netns: NS, remove: false, steps: [
        { op: 'ns-ip', cmds: [['addr', 'add', '10.0.0.5/32', 'dev', 'qr-kb']] },
        nftStep('oifname "qr-kb" snat to 10.0.0.5'),
      ],
    };
    await applyKernelSteps(h.place, plan, plan.steps, { stateDir, memory });
    assert.match((await tryExec(['nft', 'list', 'table', 'ip', 'neutron-l3'], { place: h.nested(NS) })).stdout, /snat to 10\.0\.0\.5/);
    assert.equal(memory.nft.get('kb'), table('oifname "qr-kb" snat to 10.0.0.5'));
    plan.steps[0] = { op: 'ns-ip', cmds: [['addr', 'add', '10.0.1.1/24', 'dev', 'qr-nothere']] };
    await assert.rejects(applyKernelSteps(h.place, plan, plan.steps, { stateDir, memory: newMemory() }), /Command failed .*ns\.batch:1[\s\S]*failing batch line 2/);
    // the DNAT before the address: a table that will not go in leaves the address out, so that
    // nothing but the VM ever answers at a floating IP (the router itself answered pings before)
    plan.steps[0] = { op: 'ns-ip', cmds: [['addr', 'add', '10.0.0.7/32', 'dev', 'qr-kb']] };
    plan.steps[1] = nftStep('oifname "qr-kb" snat to not-an-address');
    await assert.rejects(applyKernelSteps(h.place, plan, plan.steps, { stateDir, memory: newMemory() }), /failing batch line 1/);
    const addrs = (await tryExec(['ip', '-o', 'addr', 'show', 'dev', 'qr-kb'], { place: h.nested(NS) })).stdout;
    assert.doesNotMatch(addrs, /10\.0\.0\.7/);
  });

  test('new taps go into their bridges when those are there; a missing bridge is left to the Linux bridge agent', async () => {
    await tryExec(['ip', 'link', 'add', 'brqkb-there', 'type', 'bridge'], { place: h.place });
    const memory = newMemory();
    const plan: RouterPlan = {
      id: 'kb2', netns: 'qrouter-kb2', remove: false, steps: [
        { op: 'netns-add' },
        { op: 'host-ip', cmds: [
          ['link', 'add', 'tapkb2a', 'type', 'veth', 'peer', 'name', 'qr-kb2a', 'netns', 'qrouter-kb2'], ['link', 'set', 'dev', 'tapkb2a', 'up'],
          ['link', 'add', 'tapkb2b', 'type', 'veth', 'peer', 'name', 'qg-kb2b', 'netns', 'qrouter-kb2'], ['link', 'set', 'dev', 'tapkb2b', 'up'],
        ] },
        { op: 'ns-ip', cmds: [['link', 'set', 'dev', 'qr-kb2a', 'up'], ['addr', 'add', '10.0.2.1/24', 'dev', 'qr-kb2a']] },
        { op: 'plug', cmds: [['link', 'set', 'dev', 'tapkb2a', 'master', 'brqkb-there'], ['link', 'set', 'dev', 'tapkb2b', 'master', 'brqkb-absent']] },
        nftStep('oifname "qg-kb2b" snat to 10.0.2.1'),
      ],
    };
    assert.deepEqual(await applyKernelSteps(h.place, plan, plan.steps, { stateDir, memory }), { plugged: ['tapkb2a'] });
    assert.equal((await links(h.place, 'tapkb2a'))[0]?.master, 'brqkb-there');
    assert.equal((await links(h.place, 'tapkb2b'))[0]?.master, undefined);
    assert.match((await tryExec(['ip', '-o', 'addr', 'show', 'dev', 'qr-kb2a'], { place: h.nested('qrouter-kb2') })).stdout, /10\.0\.2\.1\/24/);
    assert.ok(memory.nft.has('kb2'), 'the router counts as realised');
    // any other failure of a plug line is still the router's
    plan.steps = [{ op: 'plug', cmds: [['link', 'set', 'dev', 'tap-not-here', 'master', 'brqkb-there']] }, nftStep('oifname "qg-kb2b" snat to 10.0.2.2')];
    await assert.rejects(applyKernelSteps(h.place, plan, plan.steps, { stateDir, memory: newMemory() }), /tap-not-here/);
  });
});
