// Benchmark (root): time from a RouterState change (a floating IP associated with vm2) to the
// first packet through it (upstream's ping reply from the floating IP), over N repetitions
// (default 20), in a scratch host. A ping runs from upstream every 2 ms before the change; the
// first reply's kernel timestamp (ping -D) ends the measure. Between repetitions the floating
// IP is removed again (its conntrack entries flushed). Prints p50/p95 and the reconcile's own time.
//   node bench/l3-program.ts [N]
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { start } from '../src/linux/exec.ts';
import { terminate } from '../src/linux/proc.ts';
import { FIP, VM2_IP, fip, router } from '../src/agents/l3/fixtures.ts';
import { l3Testbed } from '../src/agents/l3/testbed.ts';
import { newMemory } from '../src/agents/l3/plan.ts';
import { reconcileL3 } from '../src/agents/l3/reconcile.ts';

const n = Number(process.argv[2] ?? 20);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (x: number) => `${x.toFixed(1)} ms`;
const stateDir = await mkdtemp(`${tmpdir()}/muon-l3-bench-`);
const tb = await l3Testbed();
const memory = newMemory();
const opts = { stateDir, agentMode: 'legacy', handleInternalOnlyRouters: true, memory };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
try {
  const t = performance.now();
  const first = await reconcileL3(tb.h.place, { routers: [router()] }, opts);
  if (first.failed.size) throw new Error([...first.failed.values()].map((e) => e.message).join('\n'));
  console.log(`new router (namespace, 2 veths, NAT): ${fmt(performance.now() - t)}`);
  await tb.plug(router());
  const total: number[] = [];
  const rec: number[] = [];
  for (let i = 0; i < n; i++) {
    const log = `${stateDir}/ping-${i}.log`;
    const pid = await start(['ping', '-D', '-n', '-i', '0.002', '-W', '1', FIP], { place: tb.h.nested('upstream'), logFile: log });
    await sleep(50);
    const t0 = performance.timeOrigin + performance.now(); // wall clock, like ping -D
    const p0 = performance.now();
    const r = await reconcileL3(tb.h.place, { routers: [router({ floating_ips: [fip('fip-b', FIP, VM2_IP)] })] }, opts);
    rec.push(performance.now() - p0);
    if (r.failed.size) throw new Error([...r.failed.values()].map((e) => e.message).join('\n'));
    let ts: number | undefined;
    for (let k = 0; k < 500 && ts === undefined; k++) {
      const m = /^\[(\d+\.\d+)\] \d+ bytes from/m.exec(await readFile(log, 'utf8').catch(() => ''));
      if (m) ts = Number(m[1]) * 1000; else await sleep(2);
    }
    await terminate([pid]);
    if (ts === undefined) throw new Error(`repetition ${i}: no reply from ${FIP}`);
    total.push(ts - t0);
    await reconcileL3(tb.h.place, { routers: [router()] }, opts);
  }
  console.log(`floating IP added → first packet through, over ${n}: p50 ${fmt(pct(total, 50))}, p95 ${fmt(pct(total, 95))}, min ${fmt(Math.min(...total))}, max ${fmt(Math.max(...total))}`);
  console.log(`of which the reconcile (observe, plan, ip/nft apply): p50 ${fmt(pct(rec, 50))}, p95 ${fmt(pct(rec, 95))}`);
} finally {
  await tb.h.teardown();
  await rm(stateDir, { recursive: true, force: true });
}
