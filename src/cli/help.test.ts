// `muon --help` and docs/configuration.md say how the server authenticates by default; these
// tests hold them to what the configuration really gives, with config files and without.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.ts';
import type { MuonConfig } from '../config/types.ts';
import { loadCliConfig } from './load-config.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const DOC = fileURLToPath(new URL('../../docs/configuration.md', import.meta.url));

/** What `muon server` runs with: no file (the embedded defaults), or files (an empty one here). */
function defaults(): { bare: MuonConfig; withFiles: MuonConfig } {
  const dir = mkdtempSync(`${tmpdir()}/muon-help-`);
  try {
    writeFileSync(`${dir}/empty.conf`, '');
    return { bare: loadCliConfig([]), withFiles: loadConfig([`${dir}/empty.conf`], { role: 'server' }).config };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How the help words each way of authenticating. */
function auth(c: MuonConfig): string {
  if (c.authStrategy === 'noauth') return 'no authentication';
  if (c.values.muon?.identity === 'embedded') return `tokens required, from the built-in identity on :${c.values.muon.identity_port}`;
  return 'tokens from the Keystone of [keystone_authtoken]';
}

test('muon --help states the server\'s default authentication, address and database', () => {
  const r = spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  const help = r.stdout.replace(/\s+/g, ' ');
  const { bare, withFiles } = defaults();
  assert.match(bare.databaseConnection, /^sqlite:\/\/\/\.\/state\//);
  assert.ok(help.includes(`Without config files: on ${bare.bindHost}:${bare.bindPort}, SQLite in ./state, ${auth(bare)}`), help);
  assert.ok(help.includes(`With config files: as they say; by default ${auth(withFiles)}`), help);
});

test('docs/configuration.md gives the same defaults for auth_strategy and [muon] identity', () => {
  const doc = readFileSync(DOC, 'utf8');
  const { bare, withFiles } = defaults();
  const cell = (a: string, b: string) => (a === b ? a : `${a} (${b} without config files)`);
  assert.ok(doc.includes(`| DEFAULT | auth_strategy | ${cell(withFiles.authStrategy, bare.authStrategy)} |`));
  assert.ok(doc.includes(`| muon | identity | ${cell(String(withFiles.values.muon?.identity), String(bare.values.muon?.identity))} |`));
});
