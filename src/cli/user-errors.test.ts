// A user's mistake on the command line is one line (what is wrong, what to do) and exit 2,
// never a stack trace. Runs the real `muon` against a lab root where no lab runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const isRoot = process.getuid?.() === 0;

describe('muon: user errors', () => {
  const dir = mkdtempSync(`${tmpdir()}/muon-cli-`);
  after(() => rmSync(dir, { recursive: true, force: true }));
  // a lab root of our own: a lab running on this machine (/run/muon-lab) is never looked at
  const where = ['--lab-root', `${dir}/lab`, '--state-path', `${dir}/state`];

  function muon(...argv: string[]): { code: number | null; stderr: string } {
    const r = spawnSync(process.execPath, [MAIN, ...argv], { encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, stderr: r.stderr };
  }

  function assertOneLine(r: { code: number | null; stderr: string }, expected: string | RegExp): void {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.split('\n').filter((l) => l !== '').length, 1, `one line, no stack trace:\n${r.stderr}`);
    if (typeof expected === 'string') assert.equal(r.stderr, `error: ${expected}\n`);
    else assert.match(r.stderr, expected);
  }

  test('muon vm boot with no lab running says so and how to start one', { skip: !isRoot && 'muon vm needs root' }, () => {
    assertOneLine(muon('vm', 'boot', 'vm1', '--network', 'private', '--host', 'compute', ...where),
      `no lab is running under ${dir}/lab: start it with \`muon up --lab-root ${dir}/lab\``);
  });

  test('muon vm boot on an unknown host names the hosts', { skip: !isRoot && 'muon vm needs root' }, () => {
    assertOneLine(muon('vm', 'boot', 'vm1', '--network', 'private', '--host', 'nohost', ...where),
      "unknown host 'nohost'; VMs run on: controller, compute");
  });

  test('muon vm delete and exec with no lab running', { skip: !isRoot && 'muon vm needs root' }, () => {
    assertOneLine(muon('vm', 'delete', 'vm1', ...where), /^error: no lab is running under /);
    assertOneLine(muon('vm', 'exec', ...where, 'vm1', '--', 'true'), /^error: no lab is running under /);
  });

  test('an unknown option is one line with a suggestion', () => {
    assertOneLine(muon('vm', 'boot', 'vm1', '--netwrk', 'private', ...where), isRoot
      ? 'unknown option --netwrk; did you mean --network?'
      : 'muon vm needs root (it creates namespaces in the lab)');
    assertOneLine(muon('server', '--config-fil', 'x.conf'), 'unknown option --config-fil; did you mean --config-file?');
  });
});
