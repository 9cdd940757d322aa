// Loads --config-file files the way oslo.config does (later files override
// earlier ones, option by option), then validates: unknown names are warnings with
// a suggestion, bad values are a ConfigError naming file, line, section and option.
import { readFileSync } from 'node:fs';
import { buildConfig, type Values } from './build.ts';
import { ConfigError, locationPrefix, type ConfigLocation } from './config-error.ts';
import { checkAgent, checkMl2, type Role } from './cross-checks.ts';
import { closest } from './did-you-mean.ts';
import { parseIni, type IniFile } from './ini.ts';
import { SECTIONS, sectionsDefining } from './options.ts';
import { ValueProblem, parseValue } from './parse-value.ts';
import type { MuonConfig } from './types.ts';

export type RawConfig = Record<string, Record<string, string>>;
export interface ConfigSource { file: string; text: string }
export interface LoadOptions {
  /** Lowest layer, under every file: INI text (e.g. embeddedDefaults()) or section -> option -> value. */
  defaults?: string | RawConfig;
  /**
   * Which consistency checks to run: 'server' (ML2), 'agent' (linux bridge / VXLAN), or
   * unset: each set runs only when one of its sections was read.
   */
  role?: Role;
}
export interface LoadedConfig { config: MuonConfig; warnings: string[] }

const DEFAULTS_NAME = '<defaults>';

export function loadConfig(files: string[], opts: LoadOptions = {}): LoadedConfig {
  return loadConfigSources(files.map(readSource), opts);
}

/** The config `muon server` runs with when no --config-file is given: one host, SQLite, the built-in identity. */
export function embeddedDefaults(): string {
  return [
    '[DEFAULT]',
    'bind_host = 127.0.0.1',
    // Built-in identity: the stock clients work after `source state/admin-openrc.sh`.
    'auth_strategy = keystone',
    'core_plugin = ml2',
    'service_plugins = router',
    '[ml2]',
    'type_drivers = flat,vlan,vxlan',
    'tenant_network_types = vxlan',
    'mechanism_drivers = linuxbridge,l2population',
    'extension_drivers = port_security',
    '[ml2_type_flat]',
    'flat_networks = public',
    '[ml2_type_vxlan]',
    'vni_ranges = 1:1000',
    '[muon]',
    'identity = embedded',
    '',
  ].join('\n');
}

function readSource(file: string): ConfigSource {
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${(e as Error).message})`;
    throw new ConfigError(`config file ${file} ${why}`, { file });
  }
}

function rawToIni(raw: RawConfig): IniFile {
  const entries = Object.entries(raw).flatMap(([section, opts]) =>
    Object.entries(opts).map(([key, value]) => ({ section: section.toUpperCase() === 'DEFAULT' ? 'DEFAULT' : section, key, value, line: 0 })));
  return { file: DEFAULTS_NAME, sections: [...new Set(entries.map((e) => e.section))].map((name) => ({ name, line: 0 })), entries };
}

interface Hit { value: string; file: string; line: number }

/** Like loadConfig, from texts already in memory (tests, embedded defaults). */
export function loadConfigSources(sources: ConfigSource[], opts: LoadOptions = {}): LoadedConfig {
  const layers: IniFile[] = [];
  if (typeof opts.defaults === 'string') layers.push(parseIni(opts.defaults, DEFAULTS_NAME));
  else if (opts.defaults) layers.push(rawToIni(opts.defaults));
  for (const s of sources) layers.push(parseIni(s.text, s.file));

  const warnings: string[] = [];
  const merged = new Map<string, Map<string, Hit>>();
  for (const ini of layers) {
    warnings.push(...nameWarnings(ini));
    for (const e of ini.entries) {
      if (!merged.has(e.section)) merged.set(e.section, new Map());
      merged.get(e.section)!.set(e.key, { value: e.value, file: ini.file, line: e.line });
    }
  }
  const raw: RawConfig = {};
  for (const [section, opts] of merged) raw[section] = Object.fromEntries([...opts].map(([k, h]) => [k, h.value]));

  const locate = (section: string, option: string): ConfigLocation | undefined => {
    const hit = merged.get(section)?.get(option);
    return hit && { file: hit.file, line: hit.line || null, section, option };
  };
  const values = validate(merged, warnings);

  const read = (prefix: string) => [...merged.keys()].some((s) => s.startsWith(prefix));
  const ml2Read = read('ml2');
  if (opts.role === 'server' || (opts.role === undefined && ml2Read)) warnings.push(...checkMl2(values, locate, ml2Read));
  if (opts.role === 'agent' || (opts.role === undefined && (read('vxlan') || read('linux_bridge')))) warnings.push(...checkAgent(values, locate));

  return { config: buildConfig(values, raw), warnings };
}

// Unknown sections and options, deprecated options, an option set twice in one file.
function nameWarnings(ini: IniFile): string[] {
  const out: string[] = [];
  const at = (line: number) => (line ? `${ini.file}:${line}: ` : `${ini.file}: `);
  const reported = new Set<string>();
  for (const s of ini.sections) {
    if (SECTIONS[s.name] || reported.has(s.name)) continue;
    reported.add(s.name);
    const guess = closest(s.name, Object.keys(SECTIONS));
    out.push(`${at(s.line)}unknown section [${s.name}]; ${guess ? `did you mean [${guess}]?` : 'Muon ignores its options'}`);
  }
  const seen = new Map<string, number>();
  for (const e of ini.entries) {
    const section = SECTIONS[e.section];
    const id = `${e.section}\0${e.key}`;
    const first = seen.get(id);
    if (first !== undefined) out.push(`${at(e.line)}[${e.section}] ${e.key} is set again (first at line ${first}); the later value wins`);
    else seen.set(id, e.line);
    if (!section || section.opaque) continue;
    const spec = section.options[e.key];
    if (spec) {
      if (spec.deprecated) out.push(`${at(e.line)}[${e.section}] ${e.key} is deprecated: ${spec.deprecated}`);
      continue;
    }
    out.push(at(e.line) + unknownOption(e.section, e.key));
  }
  return out;
}

function unknownOption(section: string, option: string): string {
  const elsewhere = sectionsDefining(option, section);
  if (elsewhere.length > 0) return `option '${option}' belongs in ${elsewhere.map((s) => `[${s}]`).join(' or ')}, not [${section}]`;
  const here = closest(option, Object.keys(SECTIONS[section].options));
  if (here) return `unknown option [${section}] ${option}; did you mean '${here}'?`;
  const there = closest(option, new Set(Object.values(SECTIONS).flatMap((s) => Object.keys(s.options))));
  if (there) return `unknown option [${section}] ${option}; did you mean '${there}' in ${sectionsDefining(there).map((s) => `[${s}]`).join(' or ')}?`;
  return `unknown option [${section}] ${option}; Muon ignores it`;
}

// Parses every registered option's effective value (or takes its default).
function validate(merged: Map<string, Map<string, Hit>>, warnings: string[]): Values {
  const values: Values = {};
  for (const [section, spec] of Object.entries(SECTIONS)) {
    if (spec.opaque) continue;
    const out: Values[string] = (values[section] = {});
    const hits = merged.get(section);
    for (const [option, opt] of Object.entries(spec.options)) {
      const hit = hits?.get(option);
      if (!hit) { out[option] = opt.default; continue; }
      const loc = { file: hit.file, line: hit.line || null, section, option };
      try {
        const parsed = parseValue(opt, hit.value);
        out[option] = parsed.value;
        for (const w of parsed.warnings) warnings.push(`${locationPrefix(loc)} ${w}`);
      } catch (e) {
        if (!(e instanceof ValueProblem)) throw e;
        const comment = /\s[#;]/.test(hit.value) ? ' (oslo.config does not strip comments after a value: put the comment on its own line)' : '';
        throw new ConfigError(`${locationPrefix(loc)} ${e.message}${comment}`, loc);
      }
    }
    // A deprecated name fills its replacement only when the replacement itself is unset.
    for (const [option, opt] of Object.entries(spec.options)) {
      if (opt.replacedBy && hits?.has(option) && !hits.has(opt.replacedBy)) out[opt.replacedBy] = out[option];
    }
  }
  return values;
}
