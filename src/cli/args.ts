// Command-line flags as Neutron's tools take them: repeated --config-file, plus
// a few Muon-specific ones. Unknown flags are errors, with a suggestion.
import { closest } from '../config/did-you-mean.ts';
import { UserError } from '../errors/user-error.ts';

export interface ParsedArgs { configFiles: string[]; flags: Map<string, string | true>; positional: string[] }

export class UsageError extends UserError {}

export function parseArgs(argv: string[], known: { value: string[]; bool: string[] }): ParsedArgs {
  const configFiles: string[] = [];
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  const valued = new Set(['config-file', 'config-dir', ...known.value]);
  const bools = new Set(known.bool);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (valued.has(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      if (name === 'config-file') configFiles.push(v); else flags.set(name, v);
    } else if (bools.has(name)) {
      flags.set(name, true);
    } else {
      const hint = closest(name, [...valued, ...bools]);
      throw new UsageError(`unknown option --${name}${hint ? `; did you mean --${hint}?` : ''}`);
    }
  }
  return { configFiles, flags, positional };
}
