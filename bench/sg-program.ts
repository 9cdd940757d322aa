// Times the linuxbridge firewall: compile a HostState whose security groups hold N rules
// (argv[2], default 10000) for P ports (argv[3], default N / 50), then apply it in a scratch
// namespace (needs root): the first apply into an empty ruleset, then re-applies replacing it,
// then incremental updates (planFirewallUpdate) of one small change each: a new port joining
// two existing groups, one rule added to one group, one remote-group member added (each undone
// incrementally before the next run). Prints times (best / median of 5) and tears the namespace down.
//   node bench/sg-program.ts [rules] [ports]
import { firewallModel, type FirewallModel } from '../src/agents/linuxbridge/firewall/model.ts';
import { compileFirewall } from '../src/agents/linuxbridge/firewall/render.ts';
import { planFirewallUpdate } from '../src/agents/linuxbridge/firewall/update.ts';
import { deviceName, type HostState, type SecurityGroupRuleState, type SecurityGroupState } from '../src/feed/host-state.ts';
import { apply } from '../src/linux/nft.ts';
import { scratchHost } from '../src/linux/testing.ts';

const RULES_PER_GROUP = 100;
const GROUPS_PER_PORT = 2;
const RUNS = 5;

const ruleCount = Number(process.argv[2] ?? 10_000);
const portCount = Number(process.argv[3] ?? Math.max(1, Math.round(ruleCount / 50)));

// the index first: device names keep the first 11 characters of a port id
const uuid = (kind: number, i: number): string =>
  `${i.toString(16).padStart(8, '0')}-000${kind}-4000-8000-000000000000`;
const ip4 = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** A mix like real groups: TCP/UDP ports and ranges, ICMP types, prefixes, remote groups, egress. */
function rule(g: number, j: number, groupIds: readonly string[]): SecurityGroupRuleState {
  const base: SecurityGroupRuleState = {
    id: uuid(3, g * RULES_PER_GROUP + j), direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp',
    port_range_min: 1000 + j, port_range_max: 1000 + j, remote_ip_prefix: null, remote_group_id: null, remote_address_group_id: null,
  };
  switch (j % 10) {
    case 0: return { ...base, direction: 'egress', protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: `192.168.${g & 255}.${j}/32` };
    case 1: return { ...base, protocol: 'icmp', port_range_min: j % 20, port_range_max: null };
    case 2: return { ...base, protocol: 'udp', port_range_max: 2000 + j, remote_ip_prefix: `172.${16 + (j % 16)}.${g & 255}.0/24` };
    case 3: case 4: return { ...base, remote_group_id: groupIds[(g + j) % groupIds.length] };
    case 5: return { ...base, ethertype: 'IPv6', protocol: 'tcp', remote_ip_prefix: `fd00:${g.toString(16)}::/64` };
    default: return { ...base, remote_ip_prefix: `${ip4(g * RULES_PER_GROUP + j)}/32` };
  }
}

export function benchState(rules: number, ports: number): HostState {
  const groupCount = Math.max(1, Math.ceil(rules / RULES_PER_GROUP));
  const groupIds = Array.from({ length: groupCount }, (_, g) => uuid(2, g));
  const groups: SecurityGroupState[] = groupIds.map((id, g) => ({
    id, stateful: true,
    rules: Array.from({ length: Math.min(RULES_PER_GROUP, rules - g * RULES_PER_GROUP) }, (_, j) => rule(g, j, groupIds)),
  }));
  const net = uuid(1, 0);
  const portStates = Array.from({ length: ports }, (_, i) => {
    const id = uuid(4, i);
    return {
      id, network_id: net, mac_address: `fa:16:3e:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      fixed_ips: [{ subnet_id: 's', ip_address: ip4(0x100000 + i) }], admin_state_up: true, device_owner: 'compute:nova',
      port_security_enabled: true, allowed_address_pairs: [], device: deviceName('tap', id),
      security_groups: Array.from({ length: Math.min(GROUPS_PER_PORT, groupCount) }, (_, k) => groupIds[(i + k) % groupCount]),
    };
  });
  // every port is a member of its groups
  const remote_groups: HostState['remote_groups'] = {};
  for (const id of groupIds) remote_groups[id] = { IPv4: [], IPv6: [] };
  for (const p of portStates) for (const g of p.security_groups) remote_groups[g].IPv4.push(p.fixed_ips[0].ip_address);
  return {
    host: 'bench', revision: 1, l2pop: [], dhcp: [], routers: [], address_groups: {},
    networks: [{ id: net, network_type: 'vxlan', physical_network: null, segmentation_id: 10, mtu: 1450, admin_state_up: true }],
    ports: portStates, security_groups: groups, remote_groups,
  };
}

/** One small change of `base` each: a port joining two groups, a rule added, a remote-group member added. */
function smallChanges(base: HostState): [string, HostState][] {
  const change = (f: (s: HostState) => void): HostState => {
    const s = structuredClone(base);
    f(s);
    return s;
  };
  const groups = base.security_groups.map((g) => g.id);
  return [
    ['a new port joining 2 groups', change((s) => {
      // an id sorting amid the others: it takes the lowest free mark all the same
      const id = '0000007f-1004-4000-8000-000000000000';
      const ip = '10.31.0.1';
      const sgs = groups.slice(0, Math.min(GROUPS_PER_PORT, groups.length));
      s.ports.push({ ...s.ports[0], id, mac_address: 'fa:16:3e:7f:10:04', fixed_ips: [{ subnet_id: 's', ip_address: ip }],
        device: deviceName('tap', id), security_groups: sgs });
      for (const g of sgs) s.remote_groups[g].IPv4.push(ip);
    })],
    ['a rule added to a group', change((s) => {
      s.security_groups[0].rules.push({ ...s.security_groups[0].rules[0], id: uuid(5, 0), direction: 'ingress', protocol: 'tcp',
        port_range_min: 9999, port_range_max: 9999, remote_ip_prefix: '10.200.0.1/32', remote_group_id: null });
    })],
    ['a remote-group member added', change((s) => { s.remote_groups[groups[groups.length > 5 ? 5 : 0]].IPv4.push('10.200.1.1'); })],
  ];
}

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `best ${s[0].toFixed(1)} ms, median ${s[Math.floor(s.length / 2)].toFixed(1)} ms`;
}

async function timed(f: () => unknown): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

const state = benchState(ruleCount, portCount);
let script = '';
const compileMs: number[] = [];
for (let i = 0; i < RUNS; i++) compileMs.push(await timed(() => { script = compileFirewall(state); }));
// rule lines: two tabs deep inside a chain (set and map bodies are skipped)
let inChain = false;
let nftRules = 0;
for (const line of script.split('\n')) {
  if (/^\t(chain) /.test(line)) inChain = true;
  else if (/^\t\S/.test(line)) inChain = false;
  else if (inChain && /^\t\t/.test(line) && !line.includes(' hook ')) nftRules++;
}
console.log(`${ruleCount} SG rules, ${state.security_groups.length} groups, ${portCount} ports: script ${script.length} bytes, ${nftRules} nft rules`);
console.log(`compile: ${stats(compileMs)}`);

const h = await scratchHost();
try {
  const first = await timed(() => apply(h.place, script, { timeoutMs: 120_000 }));
  const reapply: number[] = [];
  for (let i = 0; i < RUNS; i++) reapply.push(await timed(() => apply(h.place, script, { timeoutMs: 120_000 })));
  console.log(`apply: first ${first.toFixed(1)} ms; re-apply (replace) ${stats(reapply)}`);
  // what is applied now: the model of `script` (firewallModel without a previous model numbers the ports as compileFirewall)
  const base = firewallModel(state);
  for (const [name, next] of smallChanges(state)) {
    const planMs: number[] = [];
    const applyMs: number[] = [];
    const undoMs: number[] = [];
    let up = '';
    for (let i = 0; i < RUNS; i++) {
      let model: FirewallModel | undefined;
      planMs.push(await timed(() => { model = firewallModel(next, base); up = planFirewallUpdate(base, model) ?? ''; }));
      const down = planFirewallUpdate(model!, firewallModel(state, model)) ?? '';
      if (!up || !down) throw new Error(`${name}: no incremental update`);
      applyMs.push(await timed(() => apply(h.place, up, { timeoutMs: 120_000 })));
      undoMs.push(await timed(() => apply(h.place, down, { timeoutMs: 120_000 })));
    }
    console.log(`incremental, ${name}: ${up.split('\n').length - 1} commands, ${up.length} bytes; ` +
      `model+plan ${stats(planMs)}; apply ${stats(applyMs)}; undo ${stats(undoMs)}`);
  }
} finally {
  await h.teardown();
}
