// The one error type configuration loading throws: it carries where the problem is
// so a CLI can print it as is and tests can assert on the location.

export interface ConfigLocation {
  file?: string | null;
  line?: number | null;
  section?: string | null;
  option?: string | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly file: string | null;
  readonly line: number | null;
  readonly section: string | null;
  readonly option: string | null;

  constructor(message: string, where: ConfigLocation = {}) {
    super(message);
    this.file = where.file ?? null;
    this.line = where.line ?? null;
    this.section = where.section ?? null;
    this.option = where.option ?? null;
  }
}

/** "file:line [section] option: " — the prefix every value error starts with. */
export function locationPrefix(where: ConfigLocation): string {
  let s = where.file ?? '<defaults>';
  if (where.line != null) s += `:${where.line}`;
  if (where.section != null) s += ` [${where.section}]`;
  if (where.option != null) s += ` ${where.option}`;
  return s + ':';
}
