// Benchmark (root): time from `muon vm boot` to the first successful ping, over N VMs (default
// 20) booted one after another on the lab's `private` network, alternating between compute
// and controller; each new VM pings a VM on the other host. Prints p50/p95 and the split
// (port create, plug, port ACTIVE, DHCP lease, first ping). Neutron's linuxbridge agent finds
// a new tap by polling every 2 s (polling_interval), so its plug→ACTIVE alone averages ~1 s.
//   node bench/vm-boot.ts [N] [--timeline]
// --timeline also prints, per VM, what the agents logged during its boot (each reconcile as
// [start→end] in ms from the boot's start, with its phases): where the time between plug and
// ACTIVE goes.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { LabRuntime, sweepStaleLabRuntimes } from '../src/lab/runtime.ts';
import { bootVm, execInVm } from '../src/lab/vm.ts';
import { freePort } from '../test/support/muon-server.ts';

const args = process.argv.slice(2);
const timeline = args.includes('--timeline');
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 20);
const PREFIX = 'muon-lab-bench-';
await sweepStaleLabRuntimes('/run', PREFIX);
const state = await mkdtemp(`${tmpdir()}/muon-bench-`);
// a port of its own for the stand-in Nova: another lab on the machine may hold the default 8774
const rt = new LabRuntime({ root: `/run/${PREFIX}${process.pid}`, statePath: state, apiPort: await freePort(), identityPort: await freePort(), novaPort: await freePort() });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (x: number) => `${Math.round(x)} ms`;
try {
  const up = await rt.up();
  console.log(`muon up: ${up.ms} ms`);
  await (await rt.api()).req('GET', '/v2.0/networks'); // token once, as Nova keeps its session
  const anchors = {
    compute: (await bootVm(rt, { name: 'anchor-c', network: 'private', host: 'compute' })).vm.ip_address!,
    controller: (await bootVm(rt, { name: 'anchor-n', network: 'private', host: 'controller' })).vm.ip_address!,
  };
  const total: number[] = [];
  const parts: Record<string, number[]> = { port_ms: [], plug_ms: [], active_ms: [], lease_ms: [], ping_ms: [] };
  const boots: { name: string; host: string; at: number; marks: Record<string, number> }[] = [];
  for (let i = 0; i < n; i++) {
    const host = i % 2 === 0 ? 'compute' : 'controller';
    const peer = host === 'compute' ? anchors.controller : anchors.compute;
    const at = Date.now();
    const t0 = performance.now();
    const r = await bootVm(rt, { name: `b${i}`, network: 'private', host });
    const tp = performance.now();
    for (let k = 0; ; k++) {
      const p = await execInVm(rt, `b${i}`, ['ping', '-c', '1', '-W', '1', '-n', peer]);
      if (p.code === 0) break;
      if (k > 20) throw new Error(`b${i} cannot ping ${peer}`);
    }
    const t1 = performance.now();
    total.push(t1 - t0);
    for (const k of ['port_ms', 'plug_ms', 'active_ms', 'lease_ms'] as const) parts[k].push(r.timings[k]);
    parts.ping_ms.push(t1 - tp);
    const m = r.timings;
    boots.push({ name: `b${i}`, host, at, marks: { port: m.port_ms, plug: m.port_ms + m.plug_ms, active: m.port_ms + m.plug_ms + m.active_ms, lease: m.total_ms, ping: Math.round(t1 - t0) } });
  }
  console.log(`boot → first ping over ${n} VMs: p50 ${fmt(pct(total, 50))}, p95 ${fmt(pct(total, 95))}, min ${fmt(Math.min(...total))}, max ${fmt(Math.max(...total))}`);
  console.log(`split (p50): ${Object.entries(parts).map(([k, v]) => `${k.replace('_ms', '')} ${fmt(pct(v, 50))}`).join(', ')}`);
  if (timeline) await printTimeline(boots);
} finally {
  // MUON_BENCH_KEEP=1 leaves the lab up to look inside (muon down --lab-root … --state-path … removes it)
  if (!process.env.MUON_BENCH_KEEP) {
    await rt.down();
    await rm(state, { recursive: true, force: true });
  } else console.log(`lab left at ${rt.root}, state ${state}`);
}

/** Each boot's marks, then the agents' 'reconciled' lines that overlap it, relative to its start. */
async function printTimeline(list: { name: string; host: string; at: number; marks: Record<string, number> }[]): Promise<void> {
  const sources = rt.hosts.flatMap((h) => h.agents.map((kind) => ({ who: `${kind}@${h.host}`, file: rt.agentLog(h.host, kind) })));
  const lines = (await Promise.all(sources.map(async (s) => (await readFile(s.file, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => {
    try { return { who: s.who, ...(JSON.parse(l) as { time: string; msg: string; ms?: number; revision?: number } & Record<string, unknown>) }; } catch { return undefined; }
  })))).flat().filter((l) => l?.msg === 'reconciled');
  for (const b of list) {
    const end = b.at + b.marks.ping;
    console.log(`${b.name}@${b.host}: ${Object.entries(b.marks).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')}`);
    for (const l of lines) {
      const stop = Date.parse(l!.time);
      const begin = stop - (l!.ms ?? 0);
      if (stop < b.at || begin > end) continue;
      const { who, time: _t, msg: _m, level: _l, ms: _ms, revision, ...rest } = l! as Record<string, unknown> & { who: string; revision?: number };
      console.log(`   ${who} r${revision} [${begin - b.at}→${stop - b.at}] ${Object.entries(rest).map(([k, v]) => `${k.replace(/_ms$/, '')}=${v}`).join(' ')}`);
    }
  }
}
