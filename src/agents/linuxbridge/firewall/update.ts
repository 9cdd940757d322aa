// The incremental update: the nft script that turns the applied model into the next one.
import type { FirewallModel, NftTableModel } from './model.ts';

/**
 * The nft script (one transaction) that turns the applied firewall `prev` into `next`, or null
 * when that takes more than element and rule changes (a table, a set's type or flags, a base
 * chain's hook): then the tables are replaced whole. '' when nothing changes. In order:
 *   1. new sets and maps (with their elements) and new chains (empty), so anything may refer to them
 *   2. elements gone or whose value changed are deleted, then the new ones added (a map
 *      element whose verdict changed: delete + add; merged address ranges likewise)
 *   3. each new chain, and each chain whose rules changed, filled: `flush chain` + `add rule`s
 *   4. chains no longer needed are flushed, then sets and maps no longer needed deleted, then
 *      those chains: by then no rule, jump or vmap element refers to either.
 * Rebuilt chains' counters start from zero; the other counters, and conntrack, are untouched.
 */
export function planFirewallUpdate(prev: FirewallModel, next: FirewallModel): string | null {
  const tableKey = (t: NftTableModel): string => `${t.family} ${t.name}`;
  if (prev.tables.length !== next.tables.length) return null;
  const prevTables = new Map(prev.tables.map((t) => [tableKey(t), t]));
  const declare: string[] = [];
  const deleteElements: string[] = [];
  const addElements: string[] = [];
  const fill: string[] = [];
  const flushGone: string[] = [];
  const deleteSets: string[] = [];
  const deleteChains: string[] = [];
  for (const n of next.tables) {
    const p = prevTables.get(tableKey(n));
    if (!p) return null;
    const t = tableKey(n);
    const prevSets = new Map(p.sets.map((x) => [x.name, x]));
    const nextSets = new Set<string>();
    for (const x of n.sets) {
      nextSets.add(x.name);
      const o = prevSets.get(x.name);
      if (!o) {
        const elems = x.elements.length ? [`elements = { ${x.elements.join(', ')} }`] : [];
        declare.push(`add ${x.kind} ${t} ${x.name} { ${[...x.declaration, ...elems].join('; ')}; }`);
        continue;
      }
      if (o.kind !== x.kind || !sameList(o.declaration, x.declaration)) return null;
      const { gone, added } = x.kind === 'map' ? diffMap(o.elements, x.elements) : diffSet(o.elements, x.elements);
      if (gone.length) deleteElements.push(`delete element ${t} ${x.name} { ${gone.join(', ')} }`);
      if (added.length) addElements.push(`add element ${t} ${x.name} { ${added.join(', ')} }`);
    }
    for (const o of p.sets) if (!nextSets.has(o.name)) deleteSets.push(`delete ${o.kind} ${t} ${o.name}`);
    const prevChains = new Map(p.chains.map((c) => [c.name, c]));
    const nextChains = new Set<string>();
    for (const c of n.chains) {
      nextChains.add(c.name);
      const o = prevChains.get(c.name);
      if (!o) {
        declare.push(`add chain ${t} ${c.name}${c.hook !== null ? ` { ${c.hook} }` : ''}`);
        fill.push(...c.rules.map((r) => `add rule ${t} ${c.name} ${r}`));
        continue;
      }
      if (o.hook !== c.hook) return null;
      if (sameList(o.rules, c.rules)) continue;
      fill.push(`flush chain ${t} ${c.name}`, ...c.rules.map((r) => `add rule ${t} ${c.name} ${r}`));
    }
    for (const o of p.chains) {
      if (nextChains.has(o.name)) continue;
      flushGone.push(`flush chain ${t} ${o.name}`);
      deleteChains.push(`delete chain ${t} ${o.name}`);
    }
  }
  const lines = [...declare, ...deleteElements, ...addElements, ...fill, ...flushGone, ...deleteSets, ...deleteChains];
  return lines.length ? lines.join('\n') + '\n' : '';
}

function diffSet(prev: readonly string[], next: readonly string[]): { gone: string[]; added: string[] } {
  const before = new Set(prev);
  const after = new Set(next);
  return { gone: prev.filter((e) => !after.has(e)), added: next.filter((e) => !before.has(e)) };
}

/** Map elements by key: a key gone, or whose value changed, is deleted (by its key); then the new ones added. */
function diffMap(prev: readonly string[], next: readonly string[]): { gone: string[]; added: string[] } {
  const before = new Map(prev.map((e) => [mapKey(e), e]));
  const after = new Map(next.map((e) => [mapKey(e), e]));
  return {
    gone: [...before].filter(([k, e]) => after.get(k) !== e).map(([k]) => k),
    added: [...after].filter(([k, e]) => before.get(k) !== e).map(([, e]) => e),
  };
}

const mapKey = (element: string): string => {
  const i = element.indexOf(' : ');
  if (i < 0) throw new Error(`map element without a value: ${element}`);
  return element.slice(0, i);
};

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
