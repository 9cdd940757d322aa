// Times GET /v2.0/ports with N ports (default 2,200, bench.py's list step) on SQLite,
// MariaDB or PostgreSQL, in-process server, with two clients: Node's fetch and Python's
// http.client on a kept-alive connection (what bench.py times: request + reading the body,
// no JSON parsing). Also times the keys query the cached list runs, alone.
// Profile with: node --cpu-prof bench/list-ports.ts [N] [sqlite|mysql|postgres]
import { spawn } from 'node:child_process';
import { startApi } from '../test/support/api.ts';
import { freshDatabase, type TestDbKind } from '../test/support/test-db.ts';
import { connect } from '../src/db/connect.ts';
import { listPortKeys } from '../src/db/repos/ports.ts';
import type { ListQuery } from '../src/db/list-query.ts';

const n = Number(process.argv[2] ?? 2200);
const kind = (process.argv[3] ?? 'sqlite') as TestDbKind;
const reps = 30;
const db = await freshDatabase(kind, 'list_ports');
const api = await startApi('[quotas]\nquota_port = -1\nquota_network = -1\nquota_subnet = -1\n', db.url);
const p50 = (t: number[]) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)].toFixed(1);
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
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const res = await fetch(`${api.url}/v2.0/ports`);
    const text = await res.text();
    times.push(performance.now() - t0);
    bytes = text.length;
  }
  const conn = connect(db.url);
  const keys: number[] = [];
  const lq: ListQuery = { filters: new Map(), special: new Map(), tags: { all: [], any: [], notAll: [], notAny: [] }, sorts: [], limit: null, marker: null, pageReverse: false, fields: null };
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await listPortKeys(conn.db, lq, { fixedIps: null, securityGroups: null }, undefined, null);
    keys.push(performance.now() - t0);
  }
  await conn.close();
  const py = spawn('python3', ['-c', `
import http.client, time, sys
c = http.client.HTTPConnection('127.0.0.1', ${new URL(api.url).port})
ts = []
for i in range(${reps}):
    t0 = time.perf_counter(); c.request('GET', '/v2.0/ports', headers={'Accept': 'application/json', 'X-Auth-Token': 'x'}); r = c.getresponse(); b = r.read(); ts.append((time.perf_counter() - t0) * 1000)
ts.sort(); print('%.1f' % ts[len(ts) // 2])
`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let pyOut = '';
  py.stdout.on('data', (c: Buffer) => { pyOut += c; });
  await new Promise((r) => py.once('exit', r));
  console.log(`list ${n} ports on ${kind}: p50 fetch ${p50(times)} ms, python http.client ${pyOut.trim()} ms, keys query alone ${p50(keys)} ms; ${bytes} bytes`);
} finally {
  await api.close();
  await db.drop();
}
