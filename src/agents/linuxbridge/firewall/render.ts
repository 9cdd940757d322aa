// The model as nft text: one script that replaces both tables in one transaction.
import type { HostState } from '../../../feed/host-state.ts';
import { firewallModel, type FirewallModel, type NftChainModel, type NftSetModel, type TableFamily } from './model.ts';
import { TABLE } from './names.ts';

/** The nft script: replaces `table bridge muon-sg` and `table inet muon-sg` in one transaction. */
export function compileFirewall(state: HostState): string {
  return renderFirewall(firewallModel(state));
}

/** The script that replaces every table of the model, whatever they hold now, in one transaction. */
export function renderFirewall(model: FirewallModel): string {
  return model.tables.flatMap((t) => replace(t.family, [
    ...t.sets.flatMap((x) => renderSet(x)),
    ...t.chains.flatMap((c) => renderChain(c)),
  ])).join('\n') + '\n';
}

/** Removes Muon's tables (a no-op when absent), one transaction. */
export function removalScript(): string {
  return ['bridge', 'inet'].flatMap((f) => [`table ${f} ${TABLE}`, `delete table ${f} ${TABLE}`]).join('\n') + '\n';
}

// "add table" is a no-op on an existing table, so the delete never fails and the whole script
// is one transaction: the new table replaces the old with no unfiltered moment
function replace(family: TableFamily, body: string[]): string[] {
  return [`table ${family} ${TABLE}`, `delete table ${family} ${TABLE}`, `table ${family} ${TABLE} {`, ...indent(body), '}'];
}

function renderSet(x: NftSetModel): string[] {
  const elems = x.elements.length ? [`elements = { ${x.elements.join(', ')} }`] : [];
  return [`${x.kind} ${x.name} {`, ...indent([...x.declaration, ...elems]), '}'];
}

function renderChain(c: NftChainModel): string[] {
  return [`chain ${c.name} {`, ...indent([...(c.hook !== null ? [c.hook] : []), ...c.rules]), '}'];
}

const indent = (lines: readonly string[]): string[] => lines.map((l) => `\t${l}`);

