// Benchmark: what an agent's own host check costs (src/agents/host-check*.ts). It runs before
// the agent registers, on mapped-link events and every 60 s: gathering the facts (tools on
// PATH, `dnsmasq --version`, the kernel probes in a throwaway netns as root, sysctls, `ip`)
// and the pure checks over them. Prints p50/p95 of each over N rounds (default 10).
//   node bench/host-check.ts [N]
import { loadConfigSources } from '../src/config/load.ts';
import { gatherHostFacts } from '../src/linux/host-facts.ts';
import { selfCheck } from '../src/agents/host-check.ts';

const n = Number(process.argv[2] ?? 10);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const config = loadConfigSources([{ file: 'linuxbridge_agent.ini', text: '[DEFAULT]\nhost = bench\n[linux_bridge]\nphysical_interface_mappings = public:eth0\n[vxlan]\nenable_vxlan = True\nlocal_ip = 192.0.2.1\n' }]).config;
const gather: number[] = [];
const check: number[] = [];
let found = 0;
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  const facts = await gatherHostFacts();
  const t1 = performance.now();
  found = selfCheck({ kind: 'linuxbridge', config, facts }).length;
  gather.push(t1 - t0);
  check.push(performance.now() - t1);
}
const ms = (x: number) => `${x.toFixed(1)} ms`;
console.log(`host check, ${n} rounds (${process.getuid?.() === 0 ? 'root: kernel probed' : 'not root: no kernel probes'}; ${found} problems with the bench's own mapping):`);
console.log(`  gather facts: p50 ${ms(pct(gather, 50))}, p95 ${ms(pct(gather, 95))}`);
console.log(`  checks (pure): p50 ${ms(pct(check, 50))}, p95 ${ms(pct(check, 95))}`);
