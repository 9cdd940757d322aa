// The fuzz test's requests. Schema-aware ones start from each resource's own
// attribute map (src/api/resources/*) and mutate types, values and nesting;
// random ones are garbage paths, methods, headers and bodies. Everything is
// drawn from one seeded Rng, so a seed names a run exactly.
import type { ResourceDef } from '../../../src/api/resource.ts';
import type { AttrSpec } from '../../../src/api/attributes.ts';
import type { RawRequest } from './raw-http.ts';
import {
  BIG_INTEGERS, BUILTIN_NAMES, NASTY_STRINGS, bigMarker, deepMarker, randomObject, randomString, randomValue, setOwn, toJsonText, type Rng,
} from './values.ts';

/** Ids of live objects by collection path (networks, security-groups, ...), filled from 201 answers. */
export type Pools = Map<string, string[]>;

export interface FuzzRequest extends RawRequest {
  /** Which server: the Networking API or the embedded identity. */
  target: string;
  server: 'api' | 'identity';
  /** What produced it (summaries group by this). */
  kind: string;
}

export interface Schema {
  resources: ResourceDef<any>[];
  customPaths: string[];
}

const pathOf = (d: ResourceDef<any>) => d.path ?? d.plural;
/** Percent-escaped (lone surrogates made well-formed first: encodeURIComponent throws on them). */
const esc = (s: string) => encodeURIComponent(s.toWellFormed());

const ROUTER_ACTIONS = ['add_router_interface', 'remove_router_interface', 'add_extraroutes', 'remove_extraroutes'];
const OTHER_SUBS: Record<string, string[]> = {
  networks: ['dhcp-agents', 'tags'], routers: ['l3-agents', 'tags', ...ROUTER_ACTIONS], floatingips: ['port_forwardings', 'tags'],
  'address-groups': ['add_addresses', 'remove_addresses'], agents: ['l3-routers', 'dhcp-networks'],
};

export function generate(rng: Rng, schema: Schema, pools: Pools, maxBody: number): FuzzRequest {
  return rng.weighted<() => FuzzRequest>([
    [22, () => createRequest(rng, schema, pools)],
    [12, () => updateRequest(rng, schema, pools)],
    [14, () => listRequest(rng, schema, pools)],
    [7, () => memberRequest(rng, schema, pools)],
    [9, () => actionRequest(rng, schema, pools)],
    [6, () => tagRequest(rng, schema, pools)],
    [6, () => customRequest(rng, schema, pools)],
    [14, () => garbageRequest(rng, schema, pools, maxBody)],
    [10, () => identityRequest(rng, pools)],
  ])();
}

function headers(rng: Rng, pools: Pools, json = true): Record<string, string> {
  const h: Record<string, string> = {};
  if (json) h['Content-Type'] = 'application/json';
  const projects = pools.get('$projects') ?? ['fuzz-project'];
  if (rng.chance(0.9)) h['X-Project-Id'] = rng.chance(0.9) ? rng.pick(projects) : randomString(rng).replace(/[\r\n\0]/g, '');
  h['X-Roles'] = rng.weighted([[5, 'admin,member,reader'], [4, 'member,reader'], [1, 'reader'], [1, randomString(rng).replace(/[\r\n\0]/g, '')]]);
  if (rng.chance(0.05)) h['If-Match'] = rng.pick(['revision_number=1', 'revision_number=x', 'revision_number=99999999999999999999999', '*', 'a,b', '']);
  if (rng.chance(0.03)) h.Accept = rng.pick(['application/xml', 'text/html', '*/*', '', 'application/json;q=0']);
  return h;
}

function idFor(rng: Rng, pools: Pools, path: string): string {
  const ids = pools.get(path) ?? [];
  return rng.weighted<() => string>([
    [ids.length ? 6 : 0, () => rng.pick(ids)],
    [1, () => rng.uuid()],
    [1, () => esc(randomString(rng))],
    [1, () => rng.pick(BUILTIN_NAMES)],
  ])();
}

/** A value of the kind the attribute expects, guessed from its name and default: the starting point for mutations. */
function plausible(rng: Rng, name: string, spec: AttrSpec, pools: Pools): unknown {
  const any = (path: string) => (pools.get(path)?.length ? rng.pick(pools.get(path)!) : rng.uuid());
  switch (name) {
    case 'network_id': case 'floating_network_id': return any('networks');
    case 'subnet_id': return any('subnets');
    case 'port_id': case 'internal_port_id': case 'device_id': return any('ports');
    case 'security_group_id': case 'remote_group_id': return any('security-groups');
    case 'remote_address_group_id': return any('address-groups');
    case 'subnetpool_id': return any('subnetpools');
    case 'address_scope_id': return any('address-scopes');
    case 'router_id': return any('routers');
    case 'object_id': return any(rng.pick(['networks', 'security-groups', 'address-scopes', 'subnetpools']));
    case 'security_groups': return [any('security-groups')];
    case 'fixed_ips': case 'external_fixed_ips': return [{ subnet_id: any('subnets'), ...(rng.chance(0.5) ? { ip_address: `10.${rng.int(3)}.0.${rng.int(300)}` } : {}) }];
    case 'external_gateway_info': return { network_id: any('networks'), ...(rng.chance(0.3) ? { enable_snat: rng.chance(0.5) } : {}) };
    case 'cidr': case 'remote_ip_prefix': return rng.pick(['10.9.0.0/24', '10.0.0.0/8', '2001:db8::/64', '0.0.0.0/0', '192.168.1.0/33']);
    case 'prefixes': case 'addresses': return [rng.pick(['10.20.0.0/16', '192.0.2.1/32', '2001:db8::/48'])];
    case 'ip_version': return rng.pick([4, 6, 5, '4']);
    case 'allocation_pools': return [{ start: '10.9.0.10', end: `10.9.0.${rng.int(300)}` }];
    case 'host_routes': case 'routes': return [{ destination: '10.50.0.0/24', nexthop: '10.9.0.1' }];
    case 'dns_nameservers': return ['8.8.8.8'];
    case 'allowed_address_pairs': return [{ ip_address: '10.9.0.99', ...(rng.chance(0.5) ? { mac_address: 'fa:16:3e:11:22:33' } : {}) }];
    case 'protocol': return rng.pick(['tcp', 'udp', 'icmp', 6, null, '256']);
    case 'port_range_min': case 'port_range_max': case 'internal_port': case 'external_port': return rng.pick([22, 80, 0, 65535, 65536, '443']);
    case 'direction': return rng.pick(['ingress', 'egress']);
    case 'ethertype': return rng.pick(['IPv4', 'IPv6']);
    case 'provider:network_type': return rng.pick(['vxlan', 'flat', 'vlan', 'local', 'gre']);
    case 'provider:physical_network': return rng.pick(['public', 'physnet1', null]);
    case 'provider:segmentation_id': return rng.pick([1, 100, 4094, 16777215, null]);
    case 'action': return rng.pick(['access_as_shared', 'access_as_external']);
    case 'object_type': return rng.pick(['network', 'qos_policy', 'security_group', 'address_scope', 'subnetpool']);
    case 'target_tenant': case 'target_project': return rng.pick(['*', 'other-project']);
    case 'mac_address': return 'fa:16:3e:' + [0, 0, 0].map(() => rng.hex(2)).join(':');
    case 'internal_ip_address': case 'floating_ip_address': case 'gateway_ip': case 'ip_address': return rng.pick(['10.9.0.5', '172.24.4.9', null]);
    case 'binding:profile': return {};
    case 'tags': return ['a', 'b'];
  }
  const d = typeof spec.default === 'function' ? undefined : spec.default;
  if (typeof d === 'boolean' || spec.convert?.name === 'toBoolean') return rng.chance(0.5);
  if (typeof d === 'number') return rng.pick([d, 1, 1500, 9000]);
  if (Array.isArray(d)) return [];
  if (typeof d === 'string') return d === '' ? `fz-${rng.hex(6)}` : d;
  if (name.endsWith('_id')) return rng.uuid();
  return randomValue(rng);
}

/** A wrong or hostile variant of `v`: another type, an out-of-range value, deep nesting, built-in names. */
function mutate(rng: Rng, v: unknown): unknown {
  return rng.weighted<() => unknown>([
    [3, () => randomValue(rng)],
    [2, () => rng.pick(['', [], {}, [v], { id: v }, 1, true, null])],
    [1, () => bigMarker(rng.pick(BIG_INTEGERS))],
    [1, () => deepMarker(rng.pick([5000, 100000]), rng.pick(['[', '{'] as const))],
    [1, () => rng.pick(BUILTIN_NAMES)],
    [1, () => (typeof v === 'string' ? v + rng.pick(NASTY_STRINGS) : Array.isArray(v) ? [...v, randomValue(rng)] : randomObject(rng))],
  ])();
}

/** An item for POST (or PUT): plausible values for some attributes, a few mutated, sometimes unknown keys. */
function item(rng: Rng, def: ResourceDef<any>, pools: Pools, forUpdate: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(def.attributes)) {
    const allowed = forUpdate ? spec.allowPut : spec.allowPost;
    const p = allowed ? (spec.required && !forUpdate ? 0.95 : 0.35) : 0.03;
    if (!rng.chance(p)) continue;
    const v = plausible(rng, name, spec, pools);
    setOwn(o, name, rng.chance(0.25) ? mutate(rng, v) : v);
  }
  if (rng.chance(0.15)) setOwn(o, rng.pick(BUILTIN_NAMES), randomValue(rng));
  if (rng.chance(0.05)) setOwn(o, randomString(rng), randomValue(rng));
  return o;
}

function envelope(rng: Rng, def: ResourceDef<any>, pools: Pools, forUpdate: boolean): string {
  const wrap = (x: unknown): unknown => rng.weighted<() => unknown>([
    [20, () => ({ [def.singular]: x })],
    [forUpdate ? 0 : 3, () => ({ [def.plural]: [x, item(rng, def, pools, forUpdate)] })],
    [1, () => x],
    [1, () => ({ [def.singular]: [x] })],
    [1, () => ({ [def.plural]: x })],
    [1, () => randomValue(rng)],
  ])();
  return toJsonText(wrap(item(rng, def, pools, forUpdate)));
}

function createRequest(rng: Rng, s: Schema, pools: Pools): FuzzRequest {
  const def = rng.pick(s.resources);
  return { server: 'api', kind: `create ${pathOf(def)}`, method: 'POST', target: `/v2.0/${pathOf(def)}`, headers: headers(rng, pools), body: envelope(rng, def, pools, false) };
}

function updateRequest(rng: Rng, s: Schema, pools: Pools): FuzzRequest {
  const def = rng.pick(s.resources);
  return { server: 'api', kind: `update ${pathOf(def)}`, method: 'PUT', target: `/v2.0/${pathOf(def)}/${idFor(rng, pools, pathOf(def))}`, headers: headers(rng, pools), body: envelope(rng, def, pools, true) };
}

function queryValue(rng: Rng, pools: Pools): string {
  return rng.weighted<() => string>([
    [3, () => randomString(rng)],
    [2, () => rng.pick(BIG_INTEGERS)],
    [1, () => idFor(rng, pools, rng.pick([...pools.keys()]))],
    [1, () => rng.pick(['true', 'false', '1', '0', '-1', '2'])],
  ])();
}

function listRequest(rng: Rng, s: Schema, pools: Pools): FuzzRequest {
  const def = rng.chance(0.9) ? rng.pick(s.resources) : undefined;
  const path = def ? pathOf(def) : rng.pick(s.customPaths);
  const names = def ? Object.keys(def.attributes) : ['id', 'name'];
  const q: string[] = [];
  const enc = (x: string) => (rng.chance(0.9) ? esc(x) : x.replace(/[\s#]/g, '%20'));
  for (let i = rng.int(5); i > 0; i--) {
    const key = rng.weighted<() => string>([
      [5, () => rng.pick(names)],
      [3, () => rng.pick(['limit', 'marker', 'page_reverse', 'sort_key', 'sort_dir', 'fields'])],
      [2, () => rng.pick(BUILTIN_NAMES)],
      [1, () => rng.pick(['tags', 'tags-any', 'not-tags', 'not-tags-any', 'fixed_ips', 'ip_address_substr', 'device_owner'])],
      [1, () => randomString(rng)],
    ])();
    const value = key === 'sort_key' ? rng.pick(names) : key === 'sort_dir' ? rng.pick(['asc', 'desc', 'up']) : queryValue(rng, pools);
    q.push(`${enc(key)}=${enc(value)}`);
  }
  if (rng.chance(0.2)) q.push(`limit=${rng.pick([...BIG_INTEGERS, '1', '0', '-1', '1.5'])}`);
  return { server: 'api', kind: `list ${path}`, method: 'GET', target: `/v2.0/${path}${q.length ? '?' + q.join('&') : ''}`, headers: headers(rng, pools, false) };
}

function memberRequest(rng: Rng, s: Schema, pools: Pools): FuzzRequest {
  const def = rng.pick(s.resources);
  const method = rng.weighted([[5, 'GET'], [3, 'DELETE'], [1, 'POST'], [1, 'PATCH'], [1, 'HEAD']]);
  const fields = rng.chance(0.2) ? `?fields=${esc(rng.pick([...Object.keys(def.attributes), ...BUILTIN_NAMES]))}` : '';
  return { server: 'api', kind: `${method} ${pathOf(def)}/{id}`, method, target: `/v2.0/${pathOf(def)}/${idFor(rng, pools, pathOf(def))}${fields}`, headers: headers(rng, pools, false) };
}

/** Member actions and sub-resources: routers' interfaces and extra routes, address groups' addresses, agents' bindings. */
function actionRequest(rng: Rng, s: Schema, pools: Pools): FuzzRequest {
  const parent = rng.pick(Object.keys(OTHER_SUBS));
  const sub = rng.chance(0.85) ? rng.pick(OTHER_SUBS[parent]) : rng.pick([...BUILTIN_NAMES, 'add_router_interfac', '']);
  const any = (p: string) => (pools.get(p)?.length ? rng.pick(pools.get(p)!) : rng.uuid());
  let body: unknown = rng.weighted<() => unknown>([
    [3, () => (rng.chance(0.5) ? { subnet_id: any('subnets') } : { port_id: any('ports') })],
    [2, () => ({ router: { routes: [{ destination: '10.60.0.0/24', nexthop: '10.9.0.7' }] } })],
    [2, () => ({ address_group: { addresses: ['192.0.2.7/32'] } })],
    [2, () => ({ port_forwarding: { internal_port_id: any('ports'), internal_ip_address: '10.9.0.5', internal_port: 22, external_port: 2022, protocol: 'tcp' } })],
    [1, () => ({ router_id: any('routers') })],
    [1, () => ({ network_id: any('networks') })],
    [2, () => randomObject(rng)],
  ])();
  if (rng.chance(0.4) && body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    const k = rng.pick(Object.keys(o).length ? Object.keys(o) : ['subnet_id']);
    setOwn(o, k, mutate(rng, o[k]));
  }
  const method = rng.weighted([[5, 'PUT'], [3, 'POST'], [2, 'GET'], [2, 'DELETE'], [1, 'PATCH']]);
  const tail = rng.chance(0.3) ? `/${idFor(rng, pools, rng.pick(['ports', 'routers', 'networks']))}` : '';
  return {
    server: 'api', kind: `${method} ${parent}/{id}/${sub}`, method, target: `/v2.0/${parent}/${idFor(rng, pools, parent)}/${sub}${tail}`,
    headers: headers(rng, pools), body: method === 'GET' || method === 'DELETE' ? undefined : toJsonText(body),
  };
}

function tagRequest(rng: Rng, s: Schema, pools: Pools): FuzzRequest {
  const def = rng.pick(s.resources);
  const method = rng.pick(['GET', 'PUT', 'DELETE', 'POST']);
  const tag = rng.chance(0.5) ? `/${esc(rng.chance(0.5) ? `t${rng.int(5)}` : randomString(rng))}` : '';
  const body = method === 'PUT' && !tag ? toJsonText(rng.chance(0.6) ? { tags: [`t${rng.int(5)}`, rng.chance(0.3) ? randomValue(rng) : 'x'] } : randomValue(rng)) : undefined;
  return { server: 'api', kind: `${method} tags`, method, target: `/v2.0/${pathOf(def)}/${idFor(rng, pools, pathOf(def))}/tags${tag}`, headers: headers(rng, pools), body };
}

function customRequest(rng: Rng, s: Schema, pools: Pools): FuzzRequest {
  const path = rng.pick([...s.customPaths, 'extensions']);
  const rest = rng.weighted<() => string>([
    [3, () => ''],
    [3, () => `/${idFor(rng, pools, rng.pick(['networks', '$projects', 'agents']))}`],
    [2, () => `/${rng.pick(['$projects', 'networks', 'agents']) === 'agents' ? idFor(rng, pools, 'agents') : rng.pick(pools.get('$projects') ?? ['p'])}/${rng.pick(['default', 'details', 'l3-routers', 'dhcp-networks', ...BUILTIN_NAMES])}`],
    [1, () => `/${rng.pick(['router', 'security-group', 'tag', 'network', ...BUILTIN_NAMES])}`],
  ])();
  const method = rng.weighted([[5, 'GET'], [2, 'PUT'], [1, 'DELETE'], [1, 'POST']]);
  const body = method === 'PUT' || method === 'POST'
    ? toJsonText(rng.chance(0.6) ? { quota: { [rng.pick(['network', 'port', 'subnet', 'router', 'floatingip', 'security_group', ...BUILTIN_NAMES])]: rng.chance(0.7) ? rng.pick([10, -1, 0, 2 ** 40, '5']) : randomValue(rng) } } : randomValue(rng))
    : undefined;
  return { server: 'api', kind: `${method} ${path}`, method, target: `/v2.0/${path}${rest}`, headers: headers(rng, pools), body };
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'FOO', 'get', 'M-SEARCH', 'PROPFIND', 'LOCK'];

function garbagePath(rng: Rng, s: Schema): string {
  const seg = () => rng.weighted<() => string>([
    [3, () => rng.pick([...s.resources.map(pathOf), ...s.customPaths, 'v2.0', 'extensions', 'tags'])],
    [3, () => rng.pick(BUILTIN_NAMES)],
    [2, () => rng.pick(['%E0%A4%A', '%', '%zz', '%00', '%2F', '%2e%2e', '..', '.', '.json', '%C0%AF', '%FF%FE'])],
    [2, () => esc(randomString(rng))],
    [1, () => ''],
    [1, () => rng.uuid()],
  ])();
  const start = rng.weighted<() => string>([[5, () => '/v2.0'], [1, () => '//v2.0/'], [1, () => ''], [1, () => '/v2.0.json'], [1, () => '/healthcheck']])();
  let p = start;
  for (let i = rng.int(5); i > 0; i--) p += '/' + seg();
  if (rng.chance(0.2)) p += '/'.repeat(1 + rng.int(3));
  if (rng.chance(0.2)) p += `?${esc(rng.pick(BUILTIN_NAMES))}=${rng.chance(0.5) ? '1' : '%E0%A4%A'}`;
  return p || '/';
}

function garbageRequest(rng: Rng, s: Schema, pools: Pools, maxBody: number): FuzzRequest {
  const target = rng.chance(0.05) ? rng.pick(['*', 'http://example.com/v2.0/networks', 'v2.0/networks', '/v2.0/networks#x']) : garbagePath(rng, s);
  const method = rng.pick(METHODS);
  const h = headers(rng, pools, rng.chance(0.7));
  if (rng.chance(0.1)) h['Content-Type'] = rng.pick(['text/plain', 'application/xml', 'application/json; charset=latin1', 'multipart/form-data']);
  const body = rng.weighted<() => Buffer | string | undefined>([
    [4, () => undefined],
    [3, () => toJsonText(randomValue(rng))],
    [2, () => rng.pick(['{', '{"network":', 'null', '[]', '""', '{"a":1}{', '\u0000', '{"network": {"name": "\\ud800"}}', 'nan', '1e999'])],
    [1, () => Buffer.from(Array.from({ length: rng.int(64) }, () => rng.int(256)))],
    [1, () => toJsonText({ network: deepMarker(rng.pick([5000, 50000]), rng.pick(['[', '{'] as const)) })],
    [0.3, () => '{"network": {"name": "' + 'x'.repeat(maxBody + 1 + rng.int(maxBody)) + '"}}'],
  ])();
  return { server: 'api', kind: 'garbage', method, target, headers: h, body };
}

/** The embedded identity's /v3: tokens, reads, project changes; malformed paths and bodies too. */
function identityRequest(rng: Rng, pools: Pools): FuzzRequest {
  const token = pools.get('$token')?.[0] ?? 'none';
  const seg = () => rng.weighted<() => string>([
    [4, () => rng.pick(['auth', 'tokens', 'projects', 'users', 'domains', 'roles', 'role_assignments', 'catalog', 'system', 'default'])],
    [2, () => rng.pick(BUILTIN_NAMES)],
    [1, () => rng.pick(['%E0%A4%A', '%', '', '%00'])],
    [1, () => esc(randomString(rng))],
  ])();
  let target = rng.chance(0.9) ? '/v3' : rng.pick(['', '//v3/', '/v2.0', '/%E0%A4%A']);
  for (let i = rng.int(4); i > 0; i--) target += '/' + seg();
  if (rng.chance(0.2)) target += `?${rng.pick([...BUILTIN_NAMES, 'name', 'nocatalog', 'user.id'])}=${esc(randomString(rng))}`;
  const method = rng.weighted([[5, 'GET'], [3, 'POST'], [1, 'DELETE'], [1, 'HEAD'], [1, 'PUT'], [1, 'CONNECT']]);
  const h: Record<string, string> = { 'Content-Type': 'application/json' };
  if (rng.chance(0.7)) h['X-Auth-Token'] = rng.chance(0.8) ? token : randomString(rng).replace(/[\r\n\0]/g, '');
  if (rng.chance(0.3)) h['X-Subject-Token'] = rng.chance(0.5) ? token : randomString(rng).replace(/[\r\n\0]/g, '');
  const auth = { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'wrong' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } };
  const body = method === 'POST' || method === 'PUT' ? toJsonText(rng.weighted<() => unknown>([
    [3, () => mutateDeep(rng, auth)],
    [2, () => ({ project: rng.chance(0.7) ? { name: rng.chance(0.7) ? `fz-${rng.hex(8)}` : randomValue(rng), ...(rng.chance(0.3) ? { domain_id: randomValue(rng) } : {}) } : randomValue(rng) })],
    [1, () => randomValue(rng)],
  ])()) : undefined;
  return { server: 'identity', kind: `identity ${method}`, method, target, headers: h, body };
}

/** A copy of `v` with one randomly chosen leaf or branch replaced by a mutation. */
function mutateDeep(rng: Rng, v: unknown): unknown {
  if (v === null || typeof v !== 'object' || rng.chance(0.2)) return mutate(rng, v);
  if (Array.isArray(v)) return v.map((x) => (rng.chance(0.5) ? mutateDeep(rng, x) : x));
  const o: Record<string, unknown> = {};
  const keys = Object.keys(v);
  const hit = rng.pick(keys);
  for (const k of keys) setOwn(o, k, k === hit ? mutateDeep(rng, (v as Record<string, unknown>)[k]) : (v as Record<string, unknown>)[k]);
  if (rng.chance(0.1)) setOwn(o, rng.pick(BUILTIN_NAMES), randomValue(rng));
  return o;
}
