import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arpingTool, garpArgv } from './arping.ts';

test('gratuitous ARP argv; some arping exists (iputils or busybox)', async () => {
  assert.deepEqual(garpArgv(['busybox', 'arping'], 'qg-1', '192.0.2.5'), ['busybox', 'arping', '-U', '-c', '3', '-I', 'qg-1', '192.0.2.5']);
  const tool = await arpingTool();
  assert.ok(tool === undefined || tool[0] === 'arping' || tool.join(' ') === 'busybox arping');
});
