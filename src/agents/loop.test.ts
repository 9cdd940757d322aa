// The agent loop's own logic, with an in-memory channel: what it reports, and when.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentChannel, DeviceReport } from '../feed/channel.ts';
import type { HostState } from '../feed/host-state.ts';
import { AgentLoop, type ReconcileOutcome } from './loop.ts';

const quiet = { info() {}, warn() {}, error() {} };

function state(revision: number): HostState {
  return { host: 'h', revision, networks: [], ports: [], security_groups: [], remote_groups: {}, address_groups: {}, l2pop: [], dhcp: [], routers: [], digest: `d${revision}` };
}

/** A channel whose feed hands out the given snapshots, one per watch call. */
function memoryChannel(snapshots: HostState[]) {
  const sent: DeviceReport[] = [];
  let i = 0;
  let release: (() => void) | undefined;
  const ch: AgentChannel = {
    report: async () => ({ id: 'a', outcome: 'new' }),
    watch: async () => {
      if (i < snapshots.length) return snapshots[i++];
      await new Promise<void>((r) => { release = r; });
      return null;
    },
    devices: async (_h, r) => { sent.push(r); return []; },
    lookupInstance: async () => null,
    close: () => release?.(),
  };
  return { ch, sent };
}

test('an empty report is remembered, so the same non-empty report after it is sent again', async () => {
  const { ch, sent } = memoryChannel([state(1), state(2), state(3)]);
  const outcomes: ReconcileOutcome[] = [{ report: { up: ['p'] } }, { report: { up: [] } }, { report: { up: ['p'] } }];
  let n = 0;
  const loop = new AgentLoop(ch, {
    host: 'h', identity: { agent_type: 'Linux bridge agent', binary: 'b' }, configurations: () => ({}),
    reconcile: async () => outcomes[Math.min(n++, outcomes.length - 1)],
  }, { reportIntervalMs: 60_000, log: quiet });
  await loop.start();
  for (let k = 0; k < 100 && n < 3; k++) await new Promise((r) => setTimeout(r, 5));
  await loop.idle();
  loop.stop();
  assert.equal(n, 3);
  assert.deepEqual(sent, [{ up: ['p'] }, { up: ['p'] }]);
});

test('a failed reconcile is retried, and the same report is not sent twice', async () => {
  const { ch, sent } = memoryChannel([state(1)]);
  let n = 0;
  const loop = new AgentLoop(ch, {
    host: 'h', identity: { agent_type: 'DHCP agent', binary: 'b' }, configurations: () => ({}),
    reconcile: async () => {
      n++;
      if (n === 1) throw new Error('dnsmasq did not start');
      return { report: { dhcp_ready: ['p'] } };
    },
  }, { reportIntervalMs: 60_000, log: quiet });
  await loop.start();
  for (let k = 0; k < 200 && n < 2; k++) await new Promise((r) => setTimeout(r, 10));
  await loop.idle();
  loop.kick();
  await loop.idle();
  loop.stop();
  assert.ok(n >= 3, `reconciled ${n} times`);
  assert.deepEqual(sent, [{ dhcp_ready: ['p'] }]);
  assert.equal(loop.realised, 1);
});
