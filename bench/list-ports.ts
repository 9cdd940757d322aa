// Times GET /v2.0/ports with N ports on an SQLite file database, in-process
// server and client (profile with: node --cpu-prof bench/list-ports.ts).
import { startApi } from '../test/support/api.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const n = Number(process.argv[2] ?? 2200);
const dir = mkdtempSync(join(tmpdir(), 'muon-bench-'));
const api = await startApi('', `sqlite:///${join(dir, 'b.sqlite')}`);
try {
  const nets = 100;
  for (let i = 0; i < nets; i++) {
    const net = (await api.req('POST', '/v2.0/networks', { network: { name: `n${i}` } })).body.network;
    await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: `10.${100 + (i >> 8)}.${i & 255}.0/24` } });
    const per = Math.ceil(n / nets);
    const r = await api.req('POST', '/v2.0/ports', { ports: Array.from({ length: per }, (_, j) => ({ network_id: net.id, name: `p${i}-${j}` })) });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  }
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const res = await fetch(`${api.url}/v2.0/ports`);
    const text = await res.text();
    times.push(performance.now() - t0);
    bytes = text.length;
  }
  times.sort((a, b) => a - b);
  console.log(`list ${n} ports: p50 ${times[15].toFixed(1)} ms, min ${times[0].toFixed(1)} ms, ${bytes} bytes`);
} finally {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
}
