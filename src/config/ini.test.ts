import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from './config-error.ts';
import { parseIni } from './ini.ts';

const pairs = (text: string) => parseIni(text, 'f.conf').entries.map((e) => [e.section, e.key, e.value, e.line]);

test('sections, = and : separators, comments, empty values', () => {
  const text = '# top comment\n[DEFAULT]\nbind_port = 9696\n; another\nexternal_network_bridge =\n[ml2]\ntype_drivers: flat,vxlan\nconnection=mysql://a:b@h/db\n';
  assert.deepEqual(pairs(text), [
    ['DEFAULT', 'bind_port', '9696', 3],
    ['DEFAULT', 'external_network_bridge', '', 5],
    ['ml2', 'type_drivers', 'flat,vxlan', 7],
    ['ml2', 'connection', 'mysql://a:b@h/db', 8],
  ]);
});

test('the first of = and : separates key from value', () => {
  assert.deepEqual(pairs('[linux_bridge]\nphysical_interface_mappings = public:eno1\nx: a=b\n'), [
    ['linux_bridge', 'physical_interface_mappings', 'public:eno1', 2],
    ['linux_bridge', 'x', 'a=b', 3],
  ]);
});

test('continuation lines join with newlines; a blank line ends the value', () => {
  const text = '[ml2]\ntype_drivers = flat,\n    vlan,\n\tvxlan\n\nmechanism_drivers =\n  linuxbridge\n';
  assert.deepEqual(pairs(text), [
    ['ml2', 'type_drivers', 'flat,\nvlan,\nvxlan', 2],
    ['ml2', 'mechanism_drivers', 'linuxbridge', 6],
  ]);
});

test('inline comments stay in the value (as oslo); matching quotes are stripped', () => {
  assert.deepEqual(pairs('[DEFAULT]\ndebug = True # why\nname = "a b"\nother = \'x\n'), [
    ['DEFAULT', 'debug', 'True # why', 2],
    ['DEFAULT', 'name', 'a b', 3],
    ['DEFAULT', 'other', "'x", 4],
  ]);
});

test('DEFAULT is case-insensitive, other sections are case-sensitive', () => {
  const ini = parseIni('[default]\na = 1\n[ML2]\nb = 2\n', 'f');
  assert.deepEqual(ini.sections.map((s) => s.name), ['DEFAULT', 'ML2']);
});

test('CRLF line endings and a BOM', () => {
  assert.deepEqual(pairs('\uFEFF[DEFAULT]\r\ndebug = true\r\n'), [['DEFAULT', 'debug', 'true', 2]]);
});

test('parse errors name file and line', () => {
  const cases: [string, RegExp][] = [
    ['debug = true\n', /^f\.conf:1: option 'debug' appears before any \[section\]/],
    ['[DEFAULT]\n\n  indented\n', /^f\.conf:3: unexpected indented line/],
    ['[DEFAULT\n', /^f\.conf:1: section header '\[DEFAULT' has no closing/],
    ['[]\n', /^f\.conf:1: empty section name/],
    ['[DEFAULT]\njust words\n', /^f\.conf:2: expected 'option = value'/],
    ['[DEFAULT]\n= value\n', /^f\.conf:2: missing option name/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parseIni(text, 'f.conf'), (e: unknown) => e instanceof ConfigError && re.test(e.message) && e.file === 'f.conf', text);
  }
});
