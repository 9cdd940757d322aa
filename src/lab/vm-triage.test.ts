// What `muon vm boot` reads to explain a failure: an agent's last warning in its JSON log, and
// dnsmasq's refusal in its log (its fatal stderr line after its last start, else the agent's
// report of it). Files only: the lab's layout under a scratch root, nothing started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { LabRuntime } from './runtime.ts';
import { dnsmasqRefusal, lastProblem } from './vm-triage.ts';

const NET = '3750a116-3d04-4fe4-ae25-3952bc6857d9';
const line = (level: string, msg: string, extra: Record<string, unknown> = {}) => JSON.stringify({ time: '2026-12-03T01:11:59.634Z', level, msg, ...extra });

test('an agent\'s last problem: the last warning or error, multi-line messages on one line; optionally about one thing', async () => {
  const dir = await mkdtemp(`${tmpdir()}/muon-triage-`);
  try {
    const f = `${dir}/agent.log`;
    await writeFile(f, [
      line('warning', `DHCP for network ${NET} failed: dnsmasq (pid 1) exited at start:\ndnsmasq: bad option at line 1 of /x.conf\n(log: /y)`),
      line('error', 'reconcile failed; retrying', { error: 'ip: RTNETLINK answers: File exists' }),
      line('info', 'reconciled'),
      '{"time": "partial',
    ].join('\n'));
    assert.equal(await lastProblem(f), 'reconcile failed; retrying (ip: RTNETLINK answers: File exists)');
    assert.equal(await lastProblem(f, NET), `DHCP for network ${NET} failed: dnsmasq (pid 1) exited at start: / dnsmasq: bad option at line 1 of /x.conf / (log: /y)`);
    assert.equal(await lastProblem(`${dir}/none.log`), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('dnsmasq\'s refusal: its fatal line after its last start; none once it started again', async () => {
  const root = await mkdtemp(`${tmpdir()}/muon-triage-`);
  try {
    const rt = new LabRuntime({ root, statePath: `${root}/server` });
    const dir = `${rt.lab.stateDir('controller')}/dhcp/${NET}`;
    await mkdir(dir, { recursive: true });
    const started = 'Dec  3 00:47:59 dnsmasq[29479]: started, version 2.90 cachesize 150';
    await writeFile(`${dir}/log`, `${started}\n\ndnsmasq: bad option at line 1 of /tmp/bad.conf\n`);
    assert.equal(await dnsmasqRefusal(rt, 'controller', NET), 'dnsmasq: bad option at line 1 of /tmp/bad.conf');
    await writeFile(`${dir}/log`, `${started}\ndnsmasq: failed to create listening socket for port 53: Address in use\nDec  3 00:48:01 dnsmasq[29480]: FAILED to start up\n`);
    assert.equal(await dnsmasqRefusal(rt, 'controller', NET), 'dnsmasq: failed to create listening socket for port 53: Address in use');
    await writeFile(`${dir}/log`, `dnsmasq: bad option at line 1 of /tmp/bad.conf\n${started}\n`);
    assert.equal(await dnsmasqRefusal(rt, 'controller', NET), undefined, 'started again since');
    // no log of its own (the directory went): the DHCP agent's report
    await rm(`${dir}/log`);
    await writeFile(rt.agentLog('controller', 'dhcp'), line('warning', `DHCP for network ${NET} failed: dnsmasq (pid 7) exited at start:\ndnsmasq: bad option at line 1 of /tmp/bad.conf`));
    assert.match((await dnsmasqRefusal(rt, 'controller', NET))!, /^DHCP for network .* exited at start: \/ dnsmasq: bad option at line 1/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
