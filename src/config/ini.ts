// oslo.config's INI dialect (oslo_config/iniparser.py), so files written for
// Neutron parse the same way: `key = value` or `key: value` (whichever separator
// comes first), full-line `#`/`;` comments only (an inline `# ...` is part of the
// value, as in oslo), indented lines continue the previous value (joined with
// '\n'), a blank line ends a multi-line value, one pair of matching quotes around
// a value is stripped. Keys and section names are case-sensitive, except that
// any spelling of DEFAULT means [DEFAULT].
import { ConfigError } from './config-error.ts';

export interface IniEntry { section: string; key: string; value: string; line: number }
export interface IniSection { name: string; line: number }
export interface IniFile { file: string; sections: IniSection[]; entries: IniEntry[] }

export function parseIni(text: string, file: string): IniFile {
  const sections: IniSection[] = [];
  const entries: IniEntry[] = [];
  const fail = (line: number, msg: string): never => {
    throw new ConfigError(`${file}:${line}: ${msg}`, { file, line });
  };

  let section: string | null = null;
  // The assignment being collected; flushed when a non-continuation line starts.
  let pending: { key: string; parts: string[]; line: number } | null = null;
  const flush = () => {
    if (!pending) return;
    if (section === null) fail(pending.line, `option '${pending.key}' appears before any [section] header; put it under [DEFAULT] or the section it belongs to`);
    entries.push({ section: section!, key: pending.key, value: pending.parts.join('\n').trim(), line: pending.line });
    pending = null;
  };

  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  lines.forEach((rawLine, i) => {
    const lineNo = i + 1;
    const line = rawLine.trimEnd();
    if (line === '') { flush(); return; }
    if (line[0] === ' ' || line[0] === '\t') {
      if (pending) { pending.parts.push(line.trimStart()); return; }
      const body = line.trimStart();
      if (body[0] === '#' || body[0] === ';') return; // an indented comment with nothing to continue
      fail(lineNo, `unexpected indented line '${body}': only the lines after an option may be indented (they continue its value)`);
    }
    flush();
    if (line[0] === '#' || line[0] === ';') return;
    if (line[0] === '[') {
      if (!line.endsWith(']')) fail(lineNo, `section header '${line}' has no closing ']'`);
      const name = line.slice(1, -1).trim();
      if (name === '') fail(lineNo, `empty section name '[]'`);
      section = name.toUpperCase() === 'DEFAULT' ? 'DEFAULT' : name;
      sections.push({ name: section, line: lineNo });
      return;
    }
    const colon = line.indexOf(':');
    const equal = line.indexOf('=');
    if (colon < 0 && equal < 0) fail(lineNo, `expected 'option = value', '[section]' or a comment, got '${line}'`);
    const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
    const key = line.slice(0, at).trim();
    if (key === '') fail(lineNo, `missing option name before '${line[at]}' in '${line}'`);
    let value = line.slice(at + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
    pending = { key, parts: [value], line: lineNo };
  });
  flush();
  return { file, sections, entries };
}
