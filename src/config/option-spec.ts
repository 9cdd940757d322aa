// How an option is described in the registry: its type, default, help, and the
// extra knowledge Muon has about it (deprecation, supported names, value checks).

export type OptionValue = string | number | boolean | string[] | Record<string, string> | null;

/** Named values (drivers, plugins): which Muon implements, which it knows but refuses. */
export interface Choices {
  /** What one value is called in messages: "type driver", "service plugin". */
  noun: string;
  supported: readonly string[];
  /** Other accepted spellings (e.g. full Python class paths) → the supported name they mean. */
  aliases?: Readonly<Record<string, string>>;
  /** Names Neutron knows but Muon does not implement → why. */
  unsupported?: Readonly<Record<string, string>>;
  /**
   * 'warn' for options whose value Muon does not act on: an unknown name is
   * reported with a suggestion and kept as written, never fatal. Default 'error'.
   */
  onUnknown?: 'error' | 'warn';
  /** Appended to 'warn' messages: what Muon does instead. */
  note?: string;
}

export type OptionType =
  | { kind: 'string'; choices?: Choices }
  | { kind: 'int'; min?: number; max?: number; words?: Readonly<Record<string, number>> }
  | { kind: 'float'; min?: number; max?: number }
  | { kind: 'bool' }
  | { kind: 'ip' }
  | { kind: 'list'; choices?: Choices }
  | { kind: 'dict' }
  | { kind: 'enum'; values: readonly string[] };

export interface OptionSpec {
  type: OptionType;
  default: OptionValue;
  help: string;
  /** Set when oslo/Neutron deprecated the option: what to do instead (a warning when it is used). */
  deprecated?: string;
  /** Deprecated name of another option in the same section: its value is used when that one is unset. */
  replacedBy?: string;
  /** Semantic check of the parsed value: returns what is wrong, or null. */
  check?: (value: OptionValue) => string | null;
  /** A value that is valid but that Muon treats differently from Neutron: returns the warning, or null. */
  warnIf?: (value: OptionValue) => string | null;
}

export interface SectionSpec {
  help: string;
  options: Record<string, OptionSpec>;
  /** Sections Neutron has but Muon does not read: any option is accepted and kept in `raw`. */
  opaque?: boolean;
}

type Extra = Partial<Omit<OptionSpec, 'type' | 'default' | 'help'>>;

export const str = (def: string | null, help: string, extra: Extra = {}): OptionSpec =>
  ({ type: { kind: 'string' }, default: def, help, ...extra });
export const choice = (def: string | null, choices: Choices, help: string, extra: Extra = {}): OptionSpec =>
  ({ type: { kind: 'string', choices }, default: def, help, ...extra });
export const int = (def: number | null, help: string, range: { min?: number; max?: number; words?: Record<string, number> } = {}, extra: Extra = {}): OptionSpec =>
  ({ type: { kind: 'int', ...range }, default: def, help, ...extra });
export const float = (def: number | null, help: string, range: { min?: number; max?: number } = {}, extra: Extra = {}): OptionSpec =>
  ({ type: { kind: 'float', ...range }, default: def, help, ...extra });
export const bool = (def: boolean, help: string, extra: Extra = {}): OptionSpec =>
  ({ type: { kind: 'bool' }, default: def, help, ...extra });
export const ip = (def: string | null, help: string, extra: Extra = {}): OptionSpec =>
  ({ type: { kind: 'ip' }, default: def, help, ...extra });
export const list = (def: string[], help: string, extra: Extra & { choices?: Choices } = {}): OptionSpec => {
  const { choices, ...rest } = extra;
  return { type: choices ? { kind: 'list', choices } : { kind: 'list' }, default: def, help, ...rest };
};
export const dict = (def: Record<string, string>, help: string, extra: Extra = {}): OptionSpec =>
  ({ type: { kind: 'dict' }, default: def, help, ...extra });
export const oneOf = (def: string | null, values: readonly string[], help: string, extra: Extra = {}): OptionSpec =>
  ({ type: { kind: 'enum', values }, default: def, help, ...extra });
export const port = (def: number | null, help: string, extra: Extra = {}): OptionSpec =>
  int(def, help, { min: 1, max: 65535 }, extra);
