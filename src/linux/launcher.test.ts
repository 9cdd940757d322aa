// The launcher (./launcher.pl driven by ./launcher.ts), through exec.ts as every caller uses it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { exec, toolEnv, tryExec } from './exec.ts';
import { launcher } from './launcher.ts';

const run = promisify(execFile);
const here = new URL('.', import.meta.url).pathname;

describe('process launcher', () => {
  it('gives each command its own stdout, stderr and exit code, many at once', async () => {
    const rs = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      tryExec(['sh', '-c', 'echo "out $1"; echo "err $1" >&2; exit $(($1 % 3))', 'sh', String(i)])));
    rs.forEach((r, i) => {
      assert.equal(r.stdout, `out ${i}\n`);
      assert.equal(r.stderr, `err ${i}\n`);
      assert.equal(r.code, i % 3);
      assert.equal(r.signal, null);
    });
    assert.ok(launcher(toolEnv)?.alive, 'these ran through the launcher');
  });

  it('passes arguments as they are, never through a shell', async () => {
    const odd = ['a b', '$(id)', '"q"', "'", ';', '*', '\\', 'é ü', ''];
    const r = await exec(['printf', '%s\\n', ...odd]);
    assert.equal(r.stdout, odd.map((a) => `${a}\n`).join(''));
  });

  it('writes a large input to the command and reads a large output back whole', async () => {
    const input = Array.from({ length: 60_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`).join('\n') + '\n';
    const r = await exec(['cat'], { input });
    assert.equal(r.stdout.length, input.length);
    assert.equal(r.stdout, input);
  });

  it('a command that does not read its input still ends normally', async () => {
    const r = await exec(['true'], { input: 'y'.repeat(1_000_000) });
    assert.equal(r.code, 0);
  });

  it('kills a command that outlives its timeout, and says so', async () => {
    const t0 = performance.now();
    const r = await tryExec(['sleep', '30'], { timeoutMs: 200 });
    assert.ok(performance.now() - t0 < 5000);
    assert.equal(r.timedOut, true);
    assert.equal(r.code, null);
    assert.equal(r.signal, 'SIGKILL');
  });

  it('a command that cannot start rejects, naming it and why', async () => {
    await assert.rejects(exec(['/no/such/muon-tool', 'x']), /cannot run \/no\/such\/muon-tool x: No such file or directory/);
    const dir = await mkdtemp(`${tmpdir()}/muon-launcher-`);
    try {
      await writeFile(`${dir}/data`, 'not a program\n', { mode: 0o644 });
      await assert.rejects(exec([`${dir}/data`]), /cannot run .*\/data: Permission denied/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs in the given directory with the given environment', async () => {
    const dir = await mkdtemp(`${tmpdir()}/muon-launcher-`);
    try {
      const r = await exec(['sh', '-c', 'pwd; echo "$MUON_X"'], { cwd: dir, env: toolEnv({ MUON_X: 'y z' }) });
      assert.equal(r.stdout, `${dir}\ny z\n`);
      await assert.rejects(exec(['true'], { cwd: `${dir}/absent` }), /cannot run true: chdir/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a launcher killed under a running command fails that command, and the next one starts a new launcher', async () => {
    const l = launcher(toolEnv)!;
    const pending = tryExec(['sleep', '5']);
    await new Promise((r) => setTimeout(r, 100));
    process.kill(l.pid!, 'SIGKILL');
    await assert.rejects(pending, /process launcher .* ended/);
    const r = await exec(['echo', 'again']);
    assert.equal(r.stdout, 'again\n');
    assert.notEqual(launcher(toolEnv)!.pid, l.pid);
  });

  it('an idle launcher does not keep a process alive; a command in flight does', async () => {
    const script = `import { exec } from '${here}exec.ts';
      const r = await exec(['sh', '-c', 'sleep 0.3; echo done']);
      process.stdout.write(r.stdout);`;
    const t0 = performance.now();
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 });
    assert.equal(stdout, 'done\n');
    assert.ok(performance.now() - t0 < 8000);
  });

  it('MUON_LAUNCHER=off starts commands from Node itself, with the same results', async () => {
    const script = `import { exec, tryExec } from '${here}exec.ts';
      const a = await exec(['sh', '-c', 'echo "$0"', 'x y']);
      const b = await tryExec(['sh', '-c', 'exit 3']);
      process.stdout.write(JSON.stringify([a.stdout, b.code]));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, MUON_LAUNCHER: 'off' } });
    assert.deepEqual(JSON.parse(stdout), ['x y\n', 3]);
  });
});
