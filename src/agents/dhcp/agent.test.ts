import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { capLogs } from './agent.ts';

test('a dnsmasq log past the cap starts over, and an appending writer goes on at its new end', async () => {
  const dir = await mkdtemp(`${tmpdir()}/muon-caplogs-`);
  try {
    const big = `${dir}/big.log`;
    const small = `${dir}/small.log`;
    await writeFile(small, 'x'.repeat(10));
    const writer = await open(big, 'a'); // as dnsmasq opens its --log-facility file (O_APPEND)
    await writer.write('y'.repeat(100));
    assert.deepEqual(await capLogs([big, small, `${dir}/absent.log`], 50), [big]);
    await writer.write('after\n');
    await writer.close();
    assert.equal(await readFile(big, 'utf8'), 'after\n');
    assert.equal((await readFile(small, 'utf8')).length, 10);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
