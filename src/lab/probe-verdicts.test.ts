// Trace's prediction against the wire: agreement is info, each way of disagreeing an error
// that says what to look at; a trace that could not be evaluated is a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verdict, type CheckOutcome } from './probe-verdicts.ts';
import { evaluateTrace } from '../trace/evaluate.ts';
import { ID, seedModel } from '../trace/fixtures.ts';

const reachable = evaluateTrace(seedModel(), { source: { port_id: ID.vm1 }, destination: { ip_address: '203.0.113.1' }, protocol: 'icmp' });
const blocked = evaluateTrace(seedModel(), { source: { ip_address: '203.0.113.1' }, destination: { port_id: ID.vm1 }, protocol: 'icmp' });
const check = (predicted: CheckOutcome['predicted'], reached: boolean): CheckOutcome => ({
  label: 'probe-1 (172.16.1.10) → 203.0.113.1', protocol: 'icmp', object: { type: 'address', id: '203.0.113.1' }, predicted, observed: { reached, detail: reached ? '3 echo replies of 3' : 'no echo reply in 3 tries' },
});

test('agreement is info, with the blockers and their fixes when blocked', () => {
  const ok = verdict(check(reachable, true));
  assert.deepEqual([ok.severity, ok.code], ['info', 'probe-agrees']);
  assert.match(ok.evidence, /reachable, as trace predicted \(3 echo replies of 3\)/);
  const no = verdict(check(blocked, false));
  assert.deepEqual([no.severity, no.code], ['info', 'probe-agrees']);
  assert.match(no.evidence, /blocked, as trace predicted \(port vm1: no floating IP; security_group default: no ingress rule/);
  assert.match(no.fix, /openstack floating ip create --port/);
});

test('reachable in the model, not on the wire: an error naming what is not realised', () => {
  const m = seedModel();
  m.agents.find((a) => a.id === ID.l3)!.alive = false;
  const t = evaluateTrace(m, { source: { port_id: ID.vm1 }, destination: { ip_address: '203.0.113.1' }, protocol: 'icmp' });
  const f = verdict(check(t, false));
  assert.deepEqual([f.severity, f.code], ['error', 'probe-mismatch']);
  assert.match(f.evidence, /trace predicts reachable, but on the wire: no echo reply in 3 tries; not realised: router_interface \(router router hosted only by dead or disabled L3 agents \(controller\)/);
  const all = verdict(check(reachable, false));
  assert.match(all.evidence, /every hop is reported realised/);
  assert.match(all.fix, /read the logs of the agents on compute, controller/);
});

test('blocked in the model, through on the wire: an error; no trace at all: a warning', () => {
  const f = verdict(check(blocked, true));
  assert.deepEqual([f.severity, f.code], ['error', 'probe-mismatch']);
  assert.match(f.evidence, /trace predicts blocked \(port vm1: no floating IP;.*but on the wire it got through: 3 echo replies of 3/);
  const w = verdict(check({ error: 'POST /v2.0/muon/trace: 400 HTTPBadRequest: x' }, true));
  assert.deepEqual([w.severity, w.code], ['warning', 'probe-trace-failed']);
});
