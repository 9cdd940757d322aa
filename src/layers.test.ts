// Layers point down (DESIGN.md, principle 7): http → services → db; agents → linux.
// Every import in src/ is checked against the layer map below; a violation is printed
// as `file → import`. Tests are exempt: nothing imports them, so they cannot make a
// cycle, and a test may drive its layer through a higher one (a channel client against
// the real server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const SRC = dirname(new URL(import.meta.url).pathname);

/** Each layer (a directory of src/) and the layers it may import. A layer may always
 *  import its own files. */
const LAYERS: Record<string, readonly string[]> = {
  errors: [],
  config: [],
  linux: [],
  // request-target decoding, body reading, parser-rejected requests: shared by api and the embedded identity
  http: [],
  domain: ['errors', 'config'],
  transport: ['config'],
  db: ['domain', 'errors', 'config'],
  // Token validation, the embedded identity and the Keystone clients (the services' Nova
  // session); the API gets its authenticate hook from the wiring in cli/.
  identity: ['http', 'domain', 'errors', 'config'],
  // The desired-state feed: host-state.ts and channel.ts are the channel's contract
  // (plain data the agents import), snapshot.ts builds it from the database.
  feed: ['db', 'domain', 'errors', 'config'],
  // pure checks over facts (findings); the facts are gathered by linux/, services/ and cli/
  doctor: ['domain', 'linux', 'errors', 'config'],
  // a flow evaluated over a model snapshot (pure; the snapshot is read by services/trace.ts)
  trace: ['domain', 'errors'],
  services: ['trace', 'doctor', 'identity', 'feed', 'db', 'domain', 'errors', 'config'],
  api: ['services', 'trace', 'doctor', 'identity', 'feed', 'transport', 'db', 'http', 'domain', 'errors', 'config'],
  // agents run doctor's pure checks on their own host and report the findings upward
  agents: ['doctor', 'feed', 'transport', 'linux', 'domain', 'errors', 'config'],
  lab: ['trace', 'doctor', 'agents', 'linux', 'domain', 'errors', 'config'],
  // the topology page's browser code (served by api/page.ts); it imports nothing from src/
  web: [],
  cli: ['lab', 'api', 'agents', 'services', 'trace', 'doctor', 'identity', 'feed', 'transport', 'db', 'http', 'domain', 'linux', 'errors', 'config'],
};

/** Imports that point up and need a redesign rather than a move: `file → import`, why. */
const KNOWN: Record<string, string> = {};

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

const layerOf = (file: string): string => relative(SRC, file).split('/')[0];

function violations(): string[] {
  const out: string[] = [];
  for (const file of tsFiles(SRC)) {
    if (file.endsWith('.test.ts') || !relative(SRC, file).includes('/')) continue;
    const from = layerOf(file);
    const allowed = LAYERS[from];
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), fileName);
      const to = relative(SRC, target).startsWith('..') ? relative(SRC, target) : layerOf(target);
      if (to === from || allowed?.includes(to)) continue;
      out.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
    }
  }
  return out;
}

test('every directory of src/ is a layer in the map', () => {
  const dirs = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.deepEqual(dirs.filter((d) => !(d in LAYERS)), []);
});

test('the layer map has no cycle, so "down" means something', () => {
  const seen = new Set<string>(), onPath = new Set<string>();
  const visit = (l: string, path: string[]): void => {
    assert.ok(!onPath.has(l), `cycle: ${[...path, l].join(' → ')}`);
    if (seen.has(l)) return;
    onPath.add(l);
    for (const d of LAYERS[l]) visit(d, [...path, l]);
    onPath.delete(l);
    seen.add(l);
  };
  for (const l of Object.keys(LAYERS)) visit(l, []);
});

test('every import in src/ points down the layers', () => {
  const v = violations().filter((line) => !(line in KNOWN));
  assert.equal(v.length, 0, `imports pointing up or across:\n  ${v.join('\n  ')}`);
});

test('every known exception is still one (a fixed one leaves the list)', () => {
  const v = new Set(violations());
  assert.deepEqual(Object.keys(KNOWN).filter((line) => !v.has(line)), []);
});
