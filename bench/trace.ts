// What a trace costs as a deployment grows: an in-process server on SQLite (or MariaDB/PostgreSQL,
// private throwaway servers), the seed's networks and router, N ports on the private network (all
// in the default group, whose rule names the group itself: its members are read per trace), then
// R traces of each kind over HTTP. Prints per kind the latency (p50, p95, max) and, for one trace,
// the snapshot's read time against the evaluation's.
//
//   node bench/trace.ts [--db sqlite|mysql|postgres] [--ports N] [--runs R]
import { parseArgs } from 'node:util';
import { startApi } from '../test/support/api.ts';
import { freshDatabase, type TestDbKind } from '../test/support/test-db.ts';
import { traceModel } from '../src/services/trace.ts';
import { evaluateTrace } from '../src/trace/evaluate.ts';
import type { TraceRequest } from '../src/trace/model.ts';

const { values } = parseArgs({ options: { db: { type: 'string', default: 'sqlite' }, ports: { type: 'string', default: '5000' }, runs: { type: 'string', default: '50' } } });
const kind = (values.db === 'mariadb' ? 'mysql' : values.db === 'pg' ? 'postgres' : values.db) as TestDbKind;
const nPorts = Number(values.ports);
const runs = Number(values.runs);

const db = await freshDatabase(kind, 'benchtrace');
const api = await startApi('[ml2_type_flat]\nflat_networks = public\n[quotas]\nquota_port = -1\n', db.url);
try {
  const post = async (path: string, body: unknown) => {
    const r = await api.req('POST', path, body);
    if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const pub = (await post('/v2.0/networks', { network: { name: 'public', 'provider:network_type': 'flat', 'provider:physical_network': 'public', 'router:external': true } })).network.id;
  await post('/v2.0/subnets', { subnet: { ip_version: 4, network_id: pub, cidr: '192.168.81.0/24', gateway_ip: '192.168.81.254', enable_dhcp: false } });
  const prv = (await post('/v2.0/networks', { network: { name: 'private' } })).network.id;
  const sub = (await post('/v2.0/subnets', { subnet: { ip_version: 4, network_id: prv, cidr: '172.16.0.0/16' } })).subnet.id;
  const router = (await post('/v2.0/routers', { router: { name: 'router', external_gateway_info: { network_id: pub } } })).router.id;
  await api.req('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: sub });
  const t0 = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < nPorts; i += 1000) {
    const n = Math.min(1000, nPorts - i);
    const r = await post('/v2.0/ports', { ports: Array.from({ length: n }, (_, k) => ({ network_id: prv, name: `p${i + k}`, device_owner: 'compute:nova', 'binding:host_id': 'compute' })) });
    ids.push(...(r.ports as { id: string }[]).map((p) => p.id));
  }
  const fip = (await post('/v2.0/floatingips', { floatingip: { floating_network_id: pub, port_id: ids[1] } })).floatingip.floating_ip_address;
  console.log(`${kind}: ${nPorts} ports created in ${Math.round(performance.now() - t0)} ms`);

  const kinds: Record<string, TraceRequest> = {
    'port → port (same network)': { source: { port_id: ids[0] }, destination: { port_id: ids[1] }, protocol: 'icmp' },
    'port → outside (SNAT)': { source: { port_id: ids[0] }, destination: { ip_address: '203.0.113.1' }, protocol: 'tcp', destination_port: 443 },
    'outside → floating IP': { source: { ip_address: '203.0.113.1' }, destination: { ip_address: fip }, protocol: 'tcp', destination_port: 22 },
  };
  const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
  for (const [name, req] of Object.entries(kinds)) {
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const r = await api.req('POST', '/v2.0/muon/trace', { trace: req });
      if (r.status !== 200) throw new Error(`${name}: ${r.status} ${JSON.stringify(r.body)}`);
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    const ta = performance.now();
    const model = await traceModel(api.deps, req);
    const tb = performance.now();
    evaluateTrace(model, req);
    const tc = performance.now();
    console.log(`  ${name.padEnd(28)} p50 ${pct(ms, 50).toFixed(1)} ms  p95 ${pct(ms, 95).toFixed(1)} ms  max ${ms.at(-1)!.toFixed(1)} ms  (${runs} runs; snapshot ${(tb - ta).toFixed(1)} ms with ${model.ports.length} ports and ${Object.values(model.remote_group_members).reduce((n, m) => n + m.length, 0)} group members, evaluation ${(tc - tb).toFixed(2)} ms)`);
  }
} finally {
  await api.close();
  await db.drop();
}
