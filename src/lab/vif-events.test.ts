import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, test } from 'node:test';
import { eventsOffset, waitVifPlugged } from './vif-events.ts';

const line = (name: string, tag: string) => JSON.stringify({ time: new Date().toISOString(), name, server_uuid: 'i-1', tag, status: 'completed', code: 200 }) + '\n';
const settled = (p: Promise<void>, ms: number) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('waiting for network-vif-plugged in the stand-in Nova\'s events', () => {
  test('only a new vif-plugged for this port ends the wait, written whole or in pieces', async () => {
    const dir = await mkdtemp(`${tmpdir()}/muon-vif-`);
    const file = `${dir}/nova-events.jsonl`;
    try {
      await writeFile(file, line('network-vif-plugged', 'port-a')); // before the wait: not this boot's
      const w = waitVifPlugged(file, 'port-a', await eventsOffset(file));
      await appendFile(file, line('network-vif-plugged', 'port-b') + line('network-changed', 'port-a'));
      await writeFile(`${dir}/other.log`, 'x');
      assert.equal(await settled(w.plugged, 300), false, 'another port\'s event, another event, another file');
      const l = line('network-vif-plugged', 'port-a');
      await appendFile(file, l.slice(0, 20));
      assert.equal(await settled(w.plugged, 150), false, 'half a line');
      await appendFile(file, l.slice(20));
      assert.equal(await settled(w.plugged, 3000), true);
      w.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a file that does not exist yet is waited for; one already holding the event ends the wait at once', async () => {
    const dir = await mkdtemp(`${tmpdir()}/muon-vif-`);
    const file = `${dir}/nova-events.jsonl`;
    try {
      assert.equal(await eventsOffset(file), 0);
      const w = waitVifPlugged(file, 'port-a', 0);
      await appendFile(file, line('network-vif-plugged', 'port-a'));
      assert.equal(await settled(w.plugged, 3000), true);
      w.close();
      const again = waitVifPlugged(file, 'port-a', 0);
      assert.equal(await settled(again.plugged, 1000), true, 'written before the watch began');
      again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
