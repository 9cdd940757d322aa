// The fuzz test: schema-aware and random requests against the API and the
// embedded identity's /v3, seeded. No answer may be a 5xx or a dropped
// connection, and every 4xx carries its server's error body.
//   MUON_FUZZ_SEED=<n>       the seed (default: fixed, so `npm test` is repeatable)
//   MUON_FUZZ_REQUESTS=<n>   how many requests (default 2000, a few seconds; the issue's run: 10000+)
//   MUON_FUZZ_DB=mysql|postgres   run against a fresh MariaDB/PostgreSQL database (default: SQLite in memory)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startApi, type Api } from '../../test/support/api.ts';
import { startEmbeddedIdentity, type RunningIdentity } from '../identity/embedded/server.ts';
import { apiCustomRoutes, apiResources } from './server.ts';
import { runFuzz, summarize } from '../../test/support/fuzz/run.ts';
import type { Pools } from '../../test/support/fuzz/requests.ts';
import { freshDatabase, type TestDatabase, type TestDbKind } from '../../test/support/test-db.ts';

const SEED = Number(process.env.MUON_FUZZ_SEED ?? 20261202);
const REQUESTS = Number(process.env.MUON_FUZZ_REQUESTS ?? 2000);
const MAX_BODY = 64 * 1024;

const ML2 = `
[ml2]
type_drivers = flat,vlan,vxlan
tenant_network_types = vxlan
[ml2_type_flat]
flat_networks = public
[ml2_type_vlan]
network_vlan_ranges = physnet1:100:101
[ml2_type_vxlan]
vni_ranges = 1:1000
`;

describe('fuzz: no 5xx, no dropped connection, every 4xx a proper error body', () => {
  let api: Api;
  let idp: RunningIdentity;
  let dir: string;
  let db: TestDatabase | undefined;
  const pools: Pools = new Map();

  before(async () => {
    const kind = process.env.MUON_FUZZ_DB as TestDbKind | undefined;
    if (kind && kind !== 'sqlite') db = await freshDatabase(kind, 'fuzz');
    api = await startApi(ML2, db?.url, { maxBodyBytes: MAX_BODY });
    dir = mkdtempSync(join(tmpdir(), 'muon-fuzz-'));
    idp = await startEmbeddedIdentity({ stateDir: dir, host: '127.0.0.1', port: 0, networkUrl: api.url, initialPasswords: { admin: 'a', demo: 'd' } });
    await seed(api, pools);
    const tok = await fetch(`${idp.url}/auth/tokens`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'a' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } }),
    });
    assert.equal(tok.status, 201);
    pools.set('$token', [tok.headers.get('x-subject-token')!]);
  });
  after(async () => {
    await idp?.close();
    await api?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${REQUESTS} requests, seed ${SEED}${process.env.MUON_FUZZ_DB ? `, ${process.env.MUON_FUZZ_DB}` : ''}`, async (t) => {
    const report = await runFuzz({
      targets: { apiPort: (api.server.address() as AddressInfo).port, identityPort: (idp.server.address() as AddressInfo).port },
      schema: { resources: apiResources, customPaths: Object.keys(apiCustomRoutes) }, pools, seed: SEED, requests: REQUESTS, maxBody: MAX_BODY,
    });
    const text = summarize(report);
    for (const line of text.split('\n')) t.diagnostic(line);
    if (process.env.MUON_FUZZ_PRINT) console.log(text);
    assert.equal(report.requests, REQUESTS);
    assert.equal(report.failures.length, 0, text);
  });
});

/** Live objects of every kind, so requests reach real handlers and not only 404s. */
async function seed(api: Api, pools: Pools): Promise<void> {
  const projects = ['fuzz-a', 'fuzz-b'];
  pools.set('$projects', projects);
  const as = api.as(projects[0], 'admin,member,reader');
  const made = async (path: string, body: unknown): Promise<any> => {
    const r = await as('POST', `/v2.0/${path}`, body);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    const obj = Object.values(r.body as object)[0] as { id: string };
    pools.set(path, [...(pools.get(path) ?? []), obj.id]);
    return obj;
  };
  const pub = await made('networks', { network: { name: 'public', 'router:external': true, shared: true, 'provider:network_type': 'flat', 'provider:physical_network': 'public' } });
  await made('subnets', { subnet: { network_id: pub.id, cidr: '172.24.4.0/24', ip_version: 4 } });
  const priv = await made('networks', { network: { name: 'private' } });
  const sub = await made('subnets', { subnet: { network_id: priv.id, cidr: '10.9.0.0/24', ip_version: 4 } });
  const port = await made('ports', { port: { network_id: priv.id } });
  const router = await made('routers', { router: { name: 'r', external_gateway_info: { network_id: pub.id } } });
  const r = await as('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: sub.id });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await made('floatingips', { floatingip: { floating_network_id: pub.id, port_id: port.id } });
  await made('security-groups', { security_group: { name: 'sg' } });
  await made('address-groups', { address_group: { name: 'ag', addresses: ['192.0.2.0/24'] } });
  const scope = await made('address-scopes', { address_scope: { name: 'as', ip_version: 4 } });
  await made('subnetpools', { subnetpool: { name: 'sp', prefixes: ['10.200.0.0/16'], default_prefixlen: 24, address_scope_id: scope.id } });
  await made('rbac-policies', { rbac_policy: { object_type: 'network', object_id: priv.id, action: 'access_as_shared', target_tenant: projects[1] } });
}
