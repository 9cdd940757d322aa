// nftables: read with `nft -j list …`, change with a ruleset text applied by `nft -f -` as
// ONE transaction (all of it or nothing).
import { exec, type Place } from './exec.ts';

/** One element of the `nftables` array of `nft -j` output ({table: …}, {chain: …}, {rule: …}, {set: …}, …). */
export type NftObject = Record<string, Record<string, unknown>>;

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function checkName(n: string, what: string): void {
  if (!NAME.test(n)) throw new Error(`invalid nft ${what} ${JSON.stringify(n)}`);
}

export function parseNftJson(text: string): NftObject[] {
  const t = text.trim();
  if (!t) return [];
  const v = JSON.parse(t) as { nftables?: NftObject[] };
  return (v.nftables ?? []).filter((o) => !('metainfo' in o));
}

/** `nft -j list ruleset [family]` (metainfo dropped). */
export async function listRuleset(place?: Place, family?: NftFamily): Promise<NftObject[]> {
  const r = await exec(['nft', '-j', 'list', 'ruleset', ...(family ? [family] : [])], { place });
  return parseNftJson(r.stdout);
}

/** `nft -j list table FAMILY NAME`; undefined when the table does not exist. */
export async function listTable(place: Place | undefined, family: NftFamily, name: string): Promise<NftObject[] | undefined> {
  checkName(name, 'table name');
  const tables = await listTables(place);
  if (!tables.some((t) => t.family === family && t.name === name)) return undefined;
  const r = await exec(['nft', '-j', 'list', 'table', family, name], { place });
  return parseNftJson(r.stdout);
}

/** The tables present: `nft -j list tables`. */
export async function listTables(place?: Place): Promise<{ family: string; name: string; handle: number }[]> {
  const r = await exec(['nft', '-j', 'list', 'tables'], { place });
  return parseNftJson(r.stdout).filter((o) => 'table' in o).map((o) => o.table as { family: string; name: string; handle: number });
}

/** The plain-text ruleset (`nft list ruleset`), for comparisons and messages. */
export async function rulesetText(place?: Place): Promise<string> {
  return (await exec(['nft', 'list', 'ruleset'], { place })).stdout;
}

/**
 * Apply a ruleset text with ONE `nft -f -` call: nft commits it as a single transaction, so
 * either every command takes effect or none does. The error carries nft's own message
 * (with the failing line and a caret).
 */
export async function apply(place: Place | undefined, ruleset: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  await exec(['nft', '-f', '-'], { place, input: ruleset.endsWith('\n') ? ruleset : `${ruleset}\n`, timeoutMs: opts.timeoutMs });
}

/** argv applying a ruleset file as one transaction, as `apply` does (for a batch that runs it, see ip.ts nsExecLine). */
export function applyFileArgv(path: string): string[] {
  return ['nft', '-f', path];
}

/** Check a ruleset without applying it (`nft -c -f -`). */
export async function check(place: Place | undefined, ruleset: string): Promise<void> {
  await exec(['nft', '-c', '-f', '-'], { place, input: ruleset.endsWith('\n') ? ruleset : `${ruleset}\n` });
}
