// Benchmark (root), the whole system in the lab (API → feed → L3 and Linux bridge agents →
// kernel): (1) floating IP associate → the first packet from upstream gets through, and
// (2) router create + interface + gateway → a VM's first packet through SNAT, each over N
// repetitions (default 20). Prints p50/p95. The moment a packet gets through is the first
// reply of one ping sending every 10 ms, started before the change (until 2026-12-03: one
// probe process with a 100 ms wait after another, which added ~0.1 s of granularity and a
// process start per probe). Neutron's L3 agent works through an RPC queue and a full router
// sync for each change.
//   node bench/l3-lab.ts [N]   (MUON_BENCH_TRACE=1: milestones per router; MUON_BENCH_KEEP=1: leave the lab up)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { LabRuntime, sweepStaleLabRuntimes } from '../src/lab/runtime.ts';
import { bootVm } from '../src/lab/vm.ts';
import { firstEchoReply } from '../src/linux/reach.ts';
import { SEED_INTERNET } from '../src/lab/topology.ts';
import { freePort } from '../test/support/muon-server.ts';

const n = Number(process.argv[2] ?? 20);
/** MUON_BENCH_TRACE=1: print each router repetition's milestones (to read beside the agents' logs) */
const trace = !!process.env.MUON_BENCH_TRACE;
const PREFIX = 'muon-lab-bench3-';
await sweepStaleLabRuntimes('/run', PREFIX);
const state = await mkdtemp(`${tmpdir()}/muon-bench3-`);
const rt = new LabRuntime({ root: `/run/${PREFIX}${process.pid}`, statePath: state, apiPort: await freePort(), identityPort: await freePort(), novaPort: await freePort() });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (x: number) => `${Math.round(x)} ms`;
const report = (what: string, xs: number[]) =>
  console.log(`${what} over ${xs.length}: p50 ${fmt(pct(xs, 50))}, p95 ${fmt(pct(xs, 95))}, min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))}`);

/** Probe until it answers (used for "no longer answers"; the timed waits use one ping sending every 10 ms, firstEchoReply). */
async function until(probe: () => Promise<boolean>, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await probe())) if (Date.now() > end) throw new Error('no packet through');
}

try {
  const up = await rt.up();
  console.log(`muon up: ${up.ms} ms`);
  const api = await rt.api();
  await api.req('GET', '/v2.0/networks'); // a token, so projectId is known
  await api.req('PUT', `/v2.0/quotas/${api.projectId}`, { quota: { router: -1, network: -1, subnet: -1, port: -1, floatingip: -1 } });
  const sg = (await api.req('POST', '/v2.0/security-groups', { security_group: { name: 'bench-icmp' } })).security_group.id;
  await api.req('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' } });
  const vm = await bootVm(rt, { name: 'fipvm', network: 'private', host: 'compute', securityGroups: [sg] });
  const fromUpstream = async (ip: string) => (await rt.lab.tryRunOn('upstream', ['ping', '-c', '1', '-W', '0.1', '-n', ip])).code === 0;

  // (1) floating IP associate → first packet from upstream
  const fip = (await api.req('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: up.networks.public } })).floatingip;
  const assoc: number[] = [];
  for (let i = 0; i < n; i++) {
    const reply = firstEchoReply(rt.lab.place('upstream'), fip.floating_ip_address);
    reply.catch(() => {}); // awaited below: a failure meanwhile must not end the process unhandled
    const t0 = performance.now();
    await api.req('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: vm.vm.port_id } });
    assoc.push((await reply) - t0);
    await api.req('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    await until(async () => !(await fromUpstream(fip.floating_ip_address)));
  }
  report('floating IP associate → first packet from upstream', assoc);
  await api.req('DELETE', `/v2.0/floatingips/${fip.id}`);

  // (2) router create + interface + gateway → SNAT works. Each repetition gets a network of its
  // own with a VM booted first (not timed), which pings all along: its first ARP for the
  // gateway goes unanswered, so it learns the router from the router's announcement.
  const routers: number[] = [];
  for (let i = 0; i < n; i++) {
    const net = (await api.req('POST', '/v2.0/networks', { network: { name: `bench-net-${i}` } })).network.id;
    const subnet = (await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: `10.${100 + i}.0.0/24`, ip_version: 4 } })).subnet.id;
    const v = await bootVm(rt, { name: `r${i}`, network: net, host: i % 2 ? 'controller' : 'compute', securityGroups: [sg] });
    const snat = firstEchoReply(rt.lab.place(v.vm.host, v.vm.netns), SEED_INTERNET);
    snat.catch(() => {}); // awaited below, as above
    const t0 = performance.now();
    const marks: string[] = [];
    const mark = (what: string) => { if (trace) marks.push(`${what} +${Math.round(performance.now() - t0)} (${new Date().toISOString()})`); };
    const r = (await api.req('POST', '/v2.0/routers', { router: { name: `bench-${i}` } })).router.id;
    mark('created');
    await api.req('PUT', `/v2.0/routers/${r}/add_router_interface`, { subnet_id: subnet });
    mark('interface');
    await api.req('PUT', `/v2.0/routers/${r}`, { router: { external_gateway_info: { network_id: up.networks.public } } });
    mark('gateway');
    const at = await snat;
    mark('snat');
    routers.push(at - t0);
    if (trace) console.log(`router ${i} ${r}: ${marks.join(', ')}`);
  }
  report('router create + interface + gateway → first packet through SNAT', routers);
} finally {
  // MUON_BENCH_KEEP=1 leaves the lab up to look inside (muon down --lab-root … removes it)
  if (!process.env.MUON_BENCH_KEEP) {
    await rt.down();
    await rm(state, { recursive: true, force: true });
  } else console.log(`lab left at ${rt.root}, state ${state}`);
}
