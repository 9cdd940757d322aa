// Shared by subcommands: --config-file files over Muon's embedded defaults
// (which make `muon server` with no files a working single-host setup).
import { embeddedDefaults, loadConfig } from '../config/load.ts';
import type { MuonConfig } from '../config/types.ts';

/** role 'sections': run only the checks of the sections the files have (a DHCP agent has no [vxlan] to check). */
export function loadCliConfig(files: string[], role: 'server' | 'agent' | 'sections' = 'server'): MuonConfig {
  const { config, warnings } = loadConfig(files, { defaults: files.length ? undefined : embeddedDefaults(), role: role === 'sections' ? undefined : role });
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  return config;
}
