import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  deviceName, type AddressPair, type HostState, type PortState, type SecurityGroupRuleState, type SecurityGroupState,
} from '../../../feed/host-state.ts';
import { exec } from '../../../linux/exec.ts';
import { apply, listTable, type NftObject } from '../../../linux/nft.ts';
import { rootSkip, scratchHost, type ScratchHost } from '../../../linux/testing.ts';
import { updateFirewall } from './apply.ts';
import { firewallModel, type FirewallModel } from './model.ts';
import { TABLE } from './names.ts';
import { compileFirewall, renderFirewall } from './render.ts';
import { planFirewallUpdate } from './update.ts';
import { CLIENT, egressAll, NET, portId, rule, vmPort, WEB } from './fixtures.ts';

// ------------------------------------------------------------------------------- fixtures

const NETS = [NET, '5e7a0000-0000-4000-8000-000000000002'];
const tap = (n: number): string => deviceName('tap', portId(n));

function hostState(ports: PortState[], groups: SecurityGroupState[], remote: HostState['remote_groups'] = {}): HostState {
  return {
    host: 'compute', revision: 1, l2pop: [], dhcp: [], routers: [],
    networks: NETS.map((id) => ({ id, network_type: 'flat', physical_network: 'physnet1', segmentation_id: null, mtu: 1500, admin_state_up: true })),
    ports, security_groups: groups, remote_groups: remote, address_groups: {},
  };
}

const webGroup = (extra: SecurityGroupRuleState[] = []): SecurityGroupState => ({ id: WEB, stateful: true, rules: [...egressAll(), ...extra] });
const clientGroup = (): SecurityGroupState => ({ id: CLIENT, stateful: true, rules: [...egressAll(), rule('ingress', { protocol: 'icmp' })] });

const SSH_FROM_CLIENT = rule('ingress', { protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_group_id: CLIENT });

/** vm1 in WEB (SSH from CLIENT), vm2 and vm3 in CLIENT (ICMP from anywhere). */
function baseState(): HostState {
  return hostState([vmPort(1, { security_groups: [WEB] }), vmPort(2), vmPort(3)], [webGroup([SSH_FROM_CLIENT]), clientGroup()],
    { [CLIENT]: { IPv4: ['10.9.0.2', '10.9.0.3'], IPv6: [] } });
}

const lines = (script: string | null): string[] => {
  assert.notEqual(script, null);
  return script!.split('\n').filter((l) => l !== '');
};

// ------------------------------------------------------------------------------- pure

describe('firewall model', () => {
  test('renders exactly what compileFirewall writes', () => {
    const s = baseState();
    assert.equal(renderFirewall(firewallModel(s)), compileFirewall(s));
    const m = firewallModel(s);
    assert.deepEqual(m.tables.map((t) => `${t.family} ${t.name}`), ['bridge muon-sg', 'inet muon-sg']);
    assert.deepEqual([...m.marks], [[portId(1), 1], [portId(2), 2], [portId(3), 3]]);
    const inet = m.tables[1];
    assert.deepEqual(inet.sets.find((x) => x.name === `rg4-${CLIENT}`),
      { kind: 'set', name: `rg4-${CLIENT}`, declaration: ['type ipv4_addr', 'flags interval'], elements: ['10.9.0.2/31'] });
    assert.deepEqual(inet.chains.find((c) => c.name === 'forward')?.hook, 'type filter hook forward priority filter; policy accept;');
    assert.deepEqual(inet.chains.find((c) => c.name === `to-${tap(1)}`),
      { name: `to-${tap(1)}`, hook: null, rules: [`jump sg-in-${WEB}`, `counter drop comment "ingress-drop ${portId(1)}"`] });
  });

  test('marks: sorted without a previous model; kept with one, a new port taking the lowest free mark', () => {
    const a = firewallModel(baseState());
    const s = baseState();
    s.ports = [vmPort(0), ...s.ports.filter((p) => p.id !== portId(2))];
    assert.deepEqual([...firewallModel(s).marks], [[portId(0), 1], [portId(1), 2], [portId(3), 3]]);
    assert.deepEqual([...firewallModel(s, a).marks], [[portId(0), 2], [portId(1), 1], [portId(3), 3]]);
    s.ports.push(vmPort(4));
    const b = firewallModel(s, a);
    assert.deepEqual([...b.marks].sort(), [[portId(0), 2], [portId(1), 1], [portId(3), 3], [portId(4), 4]]);
    assert.match(renderFirewall(b), /"tap00000000-00" : 0x00000002/);
  });
});

describe('planFirewallUpdate', () => {
  test('nothing changed: an empty script', () => {
    const a = firewallModel(baseState());
    assert.equal(planFirewallUpdate(a, firewallModel(baseState(), a)), '');
  });

  test('a new port: its elements and chains only, chains declared before the elements that jump to them', () => {
    const a = firewallModel(baseState());
    const s = baseState();
    s.ports.unshift(vmPort(0)); // sorts first, yet takes mark 4: no other port changes
    s.remote_groups[CLIENT].IPv4.push('10.9.0.0'); // and becomes a member of CLIENT
    const script = lines(planFirewallUpdate(a, firewallModel(s, a)));
    const key = `"${tap(0)}" . fa:16:3e:00:00:00`;
    assert.deepEqual(script, [
      `add chain bridge muon-sg out-${tap(0)}`,
      `add chain inet muon-sg from-${tap(0)}`,
      `add chain inet muon-sg to-${tap(0)}`,
      `add element bridge muon-sg port-mac { ${key} }`,
      `add element bridge muon-sg port-arp { ${key} . fa:16:3e:00:00:00 . 0.0.0.0, ${key} . fa:16:3e:00:00:00 . 10.9.0.0 }`,
      `add element bridge muon-sg port-ip4 { ${key} . 10.9.0.0 }`,
      `add element bridge muon-sg port-ip6 { ${key} . ::, ${key} . fd00:9::, ${key} . fe80::f816:3eff:fe00:0 }`,
      `add element bridge muon-sg port-in-id { "${tap(0)}" : 0x00000004 }`,
      `add element bridge muon-sg port-out-id { "${tap(0)}" : jump out-${tap(0)} }`,
      `add element inet muon-sg rg4-${CLIENT} { 10.9.0.0 }`,
      `add element inet muon-sg port-from { 0x00000004 : jump from-${tap(0)} }`,
      `add element inet muon-sg port-to { 0x00040000 : jump to-${tap(0)} }`,
      `add rule bridge muon-sg out-${tap(0)} meta mark set meta mark or 0x00040000`,
      `add rule inet muon-sg from-${tap(0)} jump sg-eg-${CLIENT}`,
      `add rule inet muon-sg from-${tap(0)} counter drop comment "egress-drop ${portId(0)}"`,
      `add rule inet muon-sg to-${tap(0)} jump sg-in-${CLIENT}`,
      `add rule inet muon-sg to-${tap(0)} counter drop comment "ingress-drop ${portId(0)}"`,
    ]);
  });

  test('a port gone: its elements deleted, then its chains flushed and deleted', () => {
    const a = firewallModel(baseState());
    const s = baseState();
    s.ports = s.ports.filter((p) => p.id !== portId(2));
    const script = lines(planFirewallUpdate(a, firewallModel(s, a)));
    const firstChainDelete = script.findIndex((l) => l.startsWith('delete chain') || l.startsWith('flush chain'));
    assert.ok(firstChainDelete > 0);
    assert.ok(script.slice(0, firstChainDelete).every((l) => l.startsWith('delete element ')), script.join('\n'));
    assert.ok(script.includes(`delete element inet muon-sg port-from { 0x00000002 }`));
    assert.ok(script.includes(`delete element bridge muon-sg port-out-id { "${tap(2)}" }`));
    assert.deepEqual(script.slice(firstChainDelete), [
      `flush chain bridge muon-sg out-${tap(2)}`,
      `flush chain inet muon-sg from-${tap(2)}`,
      `flush chain inet muon-sg to-${tap(2)}`,
      `delete chain bridge muon-sg out-${tap(2)}`,
      `delete chain inet muon-sg from-${tap(2)}`,
      `delete chain inet muon-sg to-${tap(2)}`,
    ]);
  });

  test('a port gone and another taking its mark: map elements whose value changed are deleted, then added', () => {
    const a = firewallModel(baseState());
    const s = baseState();
    s.ports = [...s.ports.filter((p) => p.id !== portId(2)), vmPort(4)];
    const b = firewallModel(s, a);
    assert.equal(b.marks.get(portId(4)), 2);
    const script = lines(planFirewallUpdate(a, b));
    const del = script.indexOf('delete element inet muon-sg port-from { 0x00000002 }');
    const add = script.indexOf(`add element inet muon-sg port-from { 0x00000002 : jump from-${tap(4)} }`);
    assert.ok(del >= 0 && add > del, script.join('\n'));
  });

  test('a rule added to a group: that group\'s chain rebuilt, nothing else', () => {
    const a = firewallModel(baseState());
    const s = baseState();
    s.security_groups[0] = webGroup([SSH_FROM_CLIENT, rule('ingress', { protocol: 'tcp', port_range_min: 80, port_range_max: 80 })]);
    assert.deepEqual(lines(planFirewallUpdate(a, firewallModel(s, a))), [
      `flush chain inet muon-sg sg-in-${WEB}`,
      `add rule inet muon-sg sg-in-${WEB} meta nfproto ipv4 ip saddr @rg4-${CLIENT} meta l4proto 6 th dport 22 counter accept`,
      `add rule inet muon-sg sg-in-${WEB} meta nfproto ipv4 meta l4proto 6 th dport 80 counter accept`,
    ]);
  });

  test('a remote group member added: set elements only (merged ranges replaced)', () => {
    const web = webGroup([rule('ingress', { remote_group_id: CLIENT })]);
    const s1 = hostState(baseState().ports, [web, clientGroup()], { [CLIENT]: { IPv4: ['10.9.0.2', '10.9.0.3'], IPv6: [] } });
    const s2 = hostState(baseState().ports, [web, clientGroup()], { [CLIENT]: { IPv4: ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.8'], IPv6: [] } });
    const a = firewallModel(s1);
    assert.deepEqual(lines(planFirewallUpdate(a, firewallModel(s2, a))), [
      `delete element inet muon-sg rg4-${CLIENT} { 10.9.0.2/31 }`,
      `add element inet muon-sg rg4-${CLIENT} { 10.9.0.2-10.9.0.4, 10.9.0.8 }`,
    ]);
  });

  test('a new remote group set is declared (with its elements) before the rule that uses it; one no longer used is deleted after', () => {
    const a = firewallModel(baseState());
    const s = baseState();
    s.security_groups[0] = webGroup([SSH_FROM_CLIENT, rule('ingress', { ethertype: 'IPv6', remote_group_id: CLIENT })]);
    s.remote_groups[CLIENT].IPv6 = ['fd00:9::2'];
    const b = firewallModel(s, a);
    const script = lines(planFirewallUpdate(a, b));
    assert.equal(script[0], `add set inet muon-sg rg6-${CLIENT} { type ipv6_addr; flags interval; elements = { fd00:9::2 }; }`);
    assert.ok(script.indexOf(`add rule inet muon-sg sg-in-${WEB} meta nfproto ipv6 ip6 saddr @rg6-${CLIENT} counter accept`) > 0);
    // and back: the rule goes with its chain's rebuild, then the set
    const back = lines(planFirewallUpdate(b, firewallModel(baseState(), b)));
    assert.deepEqual(back, [
      `flush chain inet muon-sg sg-in-${WEB}`,
      `add rule inet muon-sg sg-in-${WEB} meta nfproto ipv4 ip saddr @rg4-${CLIENT} meta l4proto 6 th dport 22 counter accept`,
      `delete set inet muon-sg rg6-${CLIENT}`,
    ]);
  });

  test('a group no longer used: its chains deleted after the port chains that jumped to them are rebuilt, its sets after its rules', () => {
    const a = firewallModel(baseState());
    const s = baseState();
    s.ports[0] = vmPort(1, { security_groups: [CLIENT] });
    const script = lines(planFirewallUpdate(a, firewallModel(s, a)));
    const rebuilt = script.indexOf(`flush chain inet muon-sg from-${tap(1)}`);
    const deleted = script.indexOf(`delete chain inet muon-sg sg-eg-${WEB}`);
    assert.ok(rebuilt >= 0 && deleted > rebuilt, script.join('\n'));
    assert.deepEqual(script.slice(-5), [
      `flush chain inet muon-sg sg-in-${WEB}`,
      `flush chain inet muon-sg sg-eg-${WEB}`,
      `delete set inet muon-sg rg4-${CLIENT}`,
      `delete chain inet muon-sg sg-in-${WEB}`,
      `delete chain inet muon-sg sg-eg-${WEB}`,
    ]);
  });

  test('a changed declaration (set type or flags, a hook, a table) cannot be updated: null', () => {
    const a = firewallModel(baseState());
    const clone = (): FirewallModel => structuredClone(a);
    let b = clone();
    b.tables[0].sets[0].declaration.push('flags interval');
    assert.equal(planFirewallUpdate(a, b), null);
    b = clone();
    b.tables[1].sets[0].kind = 'map';
    assert.equal(planFirewallUpdate(a, b), null);
    b = clone();
    b.tables[0].chains[0].hook = 'type filter hook prerouting priority -200; policy accept;';
    assert.equal(planFirewallUpdate(a, b), null);
    b = clone();
    b.tables[0].chains[1].hook = 'type filter hook prerouting priority -200; policy accept;';
    assert.equal(planFirewallUpdate(a, b), null, 'a regular chain becoming a base chain');
    b = clone();
    b.tables.pop();
    assert.equal(planFirewallUpdate(a, b), null);
    b = clone();
    b.tables[1].name = 'other';
    assert.equal(planFirewallUpdate(a, b), null);
    // a new base chain can be declared
    b = clone();
    b.tables[1].chains.push({ name: 'extra', hook: 'type filter hook output priority filter; policy accept;', rules: ['accept'] });
    assert.deepEqual(lines(planFirewallUpdate(a, b)), [
      'add chain inet muon-sg extra { type filter hook output priority filter; policy accept; }',
      'add rule inet muon-sg extra accept',
    ]);
  });
});

// ------------------------------------------------------------------------------- random states

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GROUPS = Array.from({ length: 6 }, (_, i) => `a${i}000000-0000-4000-8000-00000000000${i}`);
const ADDRESS_GROUPS = ['ag-1', 'ag-2'];

interface World {
  ports: Map<number, PortState>;
  groups: Map<string, SecurityGroupState>;
  members: Record<string, { IPv4: string[]; IPv6: string[] }>;
  addressGroups: Record<string, string[]>;
}

/** Random changes of a host, one at a time: what the feed sends as ports, rules and groups come and go. */
class Changes {
  readonly world: World = { ports: new Map(), groups: new Map(), members: {}, addressGroups: {} };
  private readonly r: () => number;
  constructor(seed: number) {
    this.r = prng(seed);
    for (const g of GROUPS.slice(0, 3)) this.world.groups.set(g, { id: g, stateful: true, rules: [rule('egress'), this.newRule()] });
    for (const g of GROUPS) this.world.members[g] = { IPv4: [], IPv6: [] };
    for (const a of ADDRESS_GROUPS) this.world.addressGroups[a] = ['10.50.0.0/16'];
    for (let i = 0; i < 4; i++) this.addPort();
  }

  private int(n: number): number { return Math.floor(this.r() * n); }
  private pick<T>(list: readonly T[]): T { return list[this.int(list.length)]; }
  private chance(p: number): boolean { return this.r() < p; }

  private newRule(): SecurityGroupRuleState {
    const direction = this.chance(0.6) ? 'ingress' : 'egress';
    const v6 = this.chance(0.25);
    const ethertype = v6 ? 'IPv6' : 'IPv4';
    const port = 20 + this.int(60);
    switch (this.int(7)) {
      case 0: return rule(direction, { ethertype, protocol: 'tcp', port_range_min: port, port_range_max: port });
      case 1: return rule(direction, { ethertype, protocol: 'udp', port_range_min: port, port_range_max: port + this.int(100) });
      case 2: return rule(direction, { ethertype, protocol: 'icmp', port_range_min: this.chance(0.5) ? 8 : null, port_range_max: null });
      case 3: return rule(direction, { ethertype, protocol: this.pick(['tcp', null]), remote_group_id: this.pick(GROUPS) });
      case 4: return rule(direction, { ethertype: 'IPv4', remote_address_group_id: this.pick(ADDRESS_GROUPS) });
      case 5: return rule(direction, { ethertype, remote_ip_prefix: v6 ? `fd00:${this.int(9)}::/64` : `10.${this.int(9)}.0.0/16` });
      default: return rule(direction, { ethertype, protocol: this.pick(['gre', '132', 'tcp']) });
    }
  }

  private randomGroups(): string[] {
    const defined = [...this.world.groups.keys()];
    const out = new Set<string>();
    for (let i = 0, n = 1 + this.int(2); i < n && defined.length; i++) out.add(this.pick(defined));
    return [...out];
  }

  private randomPairs(): AddressPair[] {
    const pool: AddressPair[] = [
      { ip_address: '10.9.0.99', mac_address: '' },
      { ip_address: '10.20.0.0/24', mac_address: 'fa:16:3e:aa:bb:01' },
      { ip_address: 'fd00:9::99', mac_address: 'fa:16:3e:aa:bb:01' },
      { ip_address: '10.9.0.100/30', mac_address: '' },
      { ip_address: 'fd00:20::/64', mac_address: 'fa:16:3e:aa:bb:02' },
    ];
    return pool.filter(() => this.chance(0.3));
  }

  private addPort(): boolean {
    const free = Array.from({ length: 10 }, (_, n) => n).filter((n) => !this.world.ports.has(n));
    if (!free.length) return false;
    const n = this.pick(free);
    this.world.ports.set(n, vmPort(n, {
      network_id: this.pick(NETS), security_groups: this.randomGroups(), allowed_address_pairs: this.chance(0.3) ? this.randomPairs() : [],
    }));
    return true;
  }

  private somePort(): PortState | undefined {
    const ports = [...this.world.ports.values()];
    return ports.length ? this.pick(ports) : undefined;
  }

  private someGroup(): SecurityGroupState | undefined {
    const groups = [...this.world.groups.values()];
    return groups.length ? this.pick(groups) : undefined;
  }

  /** One random change; its name. */
  change(): string {
    const w = this.world;
    for (;;) {
      const kind = this.int(15);
      const p = this.somePort();
      const g = this.someGroup();
      switch (kind) {
        case 0: if (this.addPort()) return 'port added'; break;
        case 1: if (p) { w.ports.delete(Number(p.id[0])); return 'port removed'; } break;
        case 2: if (p) { p.security_groups = this.randomGroups(); return 'port groups changed'; } break;
        case 3: if (p) { p.port_security_enabled = !p.port_security_enabled; return 'port security toggled'; } break;
        case 4: if (p) { p.allowed_address_pairs = this.randomPairs(); return 'allowed address pairs changed'; } break;
        case 5: if (g) { g.rules.push(this.newRule()); return 'rule added'; } break;
        case 6: if (g && g.rules.length) { g.rules.splice(this.int(g.rules.length), 1); return 'rule removed'; } break;
        case 7: case 8: {
          const m = w.members[this.pick(GROUPS)];
          const v6 = this.chance(0.3);
          const list = v6 ? m.IPv6 : m.IPv4;
          const addr = v6 ? `fd00:9::${this.int(12)}` : `10.9.0.${this.int(12)}`;
          if (list.includes(addr)) list.splice(list.indexOf(addr), 1);
          else list.push(addr);
          return 'remote group membership changed';
        }
        case 9: {
          w.addressGroups[this.pick(ADDRESS_GROUPS)] = ['10.50.0.0/16', '10.51.0.0/16', '10.60.1.0/24', '192.168.7.7'].filter(() => this.chance(0.5));
          return 'address group changed';
        }
        case 10: if (g) { g.stateful = !g.stateful; return 'group statefulness toggled'; } break;
        case 11: {
          const missing = GROUPS.filter((id) => !w.groups.has(id));
          if (!missing.length) break;
          const id = this.pick(missing);
          w.groups.set(id, { id, stateful: this.chance(0.8), rules: [rule('egress'), this.newRule(), this.newRule()] });
          if (p) p.security_groups = [...p.security_groups, id];
          return 'group added';
        }
        case 12: if (g && w.groups.size > 1) {
          w.groups.delete(g.id);
          for (const port of w.ports.values()) port.security_groups = port.security_groups.filter((id) => id !== g.id);
          return 'group removed';
        } break;
        case 13: if (p) {
          p.device_owner = p.device_owner === 'compute:nova' ? 'network:dhcp' : 'compute:nova';
          return 'device owner changed';
        } break;
        default: if (p) { p.network_id = p.network_id === NETS[0] ? NETS[1] : NETS[0]; return 'port network changed'; } break;
      }
    }
  }

  state(): HostState {
    const w = this.world;
    const s = hostState(structuredClone([...w.ports.values()]), structuredClone([...w.groups.values()]), structuredClone(w.members));
    s.address_groups = structuredClone(w.addressGroups);
    s.networks = s.networks.filter((n) => s.ports.some((p) => p.network_id === n.id));
    return s;
  }
}

test('random changes always yield an update (never a declaration change) that is smaller than the tables', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const c = new Changes(seed);
    let applied = firewallModel(c.state());
    for (let step = 0; step < 40; step++) {
      const what = c.change();
      const next = firewallModel(c.state(), applied);
      const script = planFirewallUpdate(applied, next);
      assert.notEqual(script, null, `seed ${seed} step ${step}: ${what}`);
      assert.doesNotMatch(script!, /^(delete )?table /m);
      applied = next;
    }
  }
});

// ------------------------------------------------------------------------------- in the kernel

/**
 * Both tables as a comparable value: no handles, counters zeroed, set elements sorted, chains
 * and sets by name (an update declares new ones after the old, a replace in model order).
 */
async function snapshot(h: ScratchHost): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const family of ['bridge', 'inet'] as const) {
    const objects = (await listTable(h.place, family, TABLE)) ?? [];
    const sets: Record<string, unknown> = {};
    const chains: Record<string, { chain: unknown; rules: unknown[] }> = {};
    for (const o of objects) {
      const [type, body] = Object.entries(o as NftObject)[0];
      const { handle: _handle, ...rest } = body;
      if (type === 'set' || type === 'map') {
        const elem = rest.elem as unknown[] | undefined;
        if (elem) rest.elem = elem.map((e) => JSON.stringify(e)).sort();
        sets[`${type} ${rest.name as string}`] = rest;
      } else if (type === 'chain') {
        chains[rest.name as string] = { chain: rest, rules: chains[rest.name as string]?.rules ?? [] };
      } else if (type === 'rule') {
        const c = (chains[rest.chain as string] ??= { chain: undefined, rules: [] });
        c.rules.push(JSON.stringify(rest).replace(/"counter":\{"packets":\d+,"bytes":\d+\}/g, '"counter":{}'));
      } else if (type !== 'table') {
        throw new Error(`unexpected nft object ${type}`);
      }
    }
    const sorted = <T>(r: Record<string, T>): [string, T][] => Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    out[family] = { sets: sorted(sets), chains: sorted(chains) };
  }
  return out;
}

describe('incremental updates in the kernel', { skip: rootSkip }, () => {
  // `inc` gets incremental updates, `full` the whole replace of the same model
  let inc: ScratchHost;
  let full: ScratchHost;

  before(async () => {
    inc = await scratchHost();
    full = await scratchHost();
  });

  after(async () => {
    await inc?.teardown();
    await full?.teardown();
  });

  test('leave the tables as a whole replace would, through random changes', async () => {
    let changes = 0;
    for (const seed of [7, 11, 2024]) {
      const c = new Changes(seed);
      let applied = firewallModel(c.state());
      await apply(inc.place, renderFirewall(applied));
      for (let step = 0; step < 25; step++) {
        const what = [c.change(), ...(step % 3 === 0 ? [c.change(), c.change()] : [])];
        const next = firewallModel(c.state(), applied);
        const script = planFirewallUpdate(applied, next);
        assert.notEqual(script, null);
        const where = `seed ${seed} step ${step} (${what.join(', ')})`;
        if (script) {
          changes++;
          try {
            await apply(inc.place, script);
          } catch (e) {
            assert.fail(`${where}: ${(e as Error).message}\n${script}`);
          }
        }
        await apply(full.place, renderFirewall(next));
        assert.deepEqual(await snapshot(inc), await snapshot(full), where);
        applied = next;
      }
    }
    assert.ok(changes > 50, `${changes} updates applied`);
  });

  test('updateFirewall: replace first, then updates, nothing when unchanged, a replace when the update fails', async () => {
    const s = baseState();
    await apply(inc.place, 'table inet muon-sg\ndelete table inet muon-sg\ntable bridge muon-sg\ndelete table bridge muon-sg\n');
    let r = await updateFirewall(inc.place, s);
    assert.equal(r.how, 'replaced');
    assert.equal(r.failed, undefined);
    r = await updateFirewall(inc.place, s, r.model);
    assert.equal(r.how, 'unchanged');
    s.ports.push(vmPort(4));
    r = await updateFirewall(inc.place, s, r.model);
    assert.equal(r.how, 'updated');
    await apply(full.place, renderFirewall(r.model));
    assert.deepEqual(await snapshot(inc), await snapshot(full));
    // someone deletes a table: nft refuses the update, the tables are replaced
    await exec(['nft', 'delete', 'table', 'inet', TABLE], { place: inc.place });
    s.security_groups[0] = webGroup([rule('ingress', { protocol: 'tcp', port_range_min: 80, port_range_max: 80 })]);
    r = await updateFirewall(inc.place, s, r.model);
    assert.equal(r.how, 'replaced');
    assert.match(r.failed ?? '', /Error/);
    await apply(full.place, renderFirewall(r.model));
    assert.deepEqual(await snapshot(inc), await snapshot(full));
  });
});
