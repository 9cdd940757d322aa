// One test per class of input the fuzz test found answered with a 500 or a
// dropped connection (issue 11): each now gets a Neutron-style 4xx.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startApi, type Api } from '../../test/support/api.ts';
import { rawRequest, type RawRequest } from '../../test/support/fuzz/raw-http.ts';
import { startEmbeddedIdentity, type RunningIdentity } from '../identity/embedded/server.ts';

const MAX_BODY = 64 * 1024;

describe('hostile input gets a Neutron error, never a 500 or a dropped connection', () => {
  let api: Api;
  let port: number;
  before(async () => {
    api = await startApi('', undefined, { maxBodyBytes: MAX_BODY });
    port = (api.server.address() as AddressInfo).port;
  });
  after(async () => { await api?.close(); });

  async function raw(r: RawRequest): Promise<{ status: number; type: string; message: string }> {
    const res = await rawRequest(port, r);
    assert.equal(res.kind, 'answer', `no answer: ${JSON.stringify(res)}`);
    if (res.kind !== 'answer') throw new Error('unreachable');
    const e = JSON.parse(res.body).NeutronError;
    assert.equal(typeof e?.message, 'string', res.body);
    assert.equal(e.detail, '');
    return { status: res.status, type: e.type, message: e.message };
  }

  it('malformed percent-escapes in the path are names that do not exist', async () => {
    assert.deepEqual(await raw({ method: 'GET', target: '/v2.0/networks/%E0%A4%A' }),
      { status: 404, type: 'NetworkNotFound', message: 'Network \ufffd%A could not be found.' });
    assert.equal((await raw({ method: 'GET', target: '/v2.0/%zz' })).status, 404);
  });

  it('names of JavaScript built-ins are data: path segments, query parameters, body attributes', async () => {
    for (const p of ['/v2.0/constructor', '/v2.0/__proto__', '/v2.0/toString/x']) {
      assert.deepEqual(await raw({ method: 'GET', target: p }), { status: 404, type: 'HTTPNotFound', message: 'The resource could not be found.' });
    }
    const net = (await api.req('POST', '/v2.0/networks', { network: { name: 'n' } })).body.network;
    assert.equal((await raw({ method: 'GET', target: `/v2.0/networks/${net.id}/toString` })).status, 404);
    const router = (await api.req('POST', '/v2.0/routers', { router: { name: 'r' } })).body.router;
    assert.equal((await raw({ method: 'PUT', target: `/v2.0/routers/${router.id}/__proto__`, body: '{}' })).status, 404);
    assert.equal((await raw({ method: 'PUT', target: `/v2.0/routers/${router.id}/constructor`, body: '{}' })).status, 404);
    for (const q of ['constructor=1', '__proto__=1', 'toString=1', 'sort_key=constructor&sort_dir=asc']) {
      const r = await raw({ method: 'GET', target: `/v2.0/networks?${q}` });
      assert.equal(r.status, 400, q);
      assert.match(r.message, /constructor|__proto__|toString/);
    }
    assert.equal((await raw({ method: 'GET', target: '/v2.0/floatingip_pools?constructor=1' })).status, 400);
    for (const body of ['{"network": {"constructor": 1}}', '{"network": {"__proto__": {"name": "x"}}}', '{"network": {"toString": "x"}}']) {
      const r = await raw({ method: 'POST', target: '/v2.0/networks', headers: { 'Content-Type': 'application/json' }, body });
      assert.equal(r.status, 400, body);
      assert.match(r.message, /^Unrecognized attribute\(s\) '(constructor|__proto__|toString)'$/);
    }
    const sg = (await api.req('POST', '/v2.0/security-groups', { security_group: { name: 's' } })).body.security_group;
    const r = await api.req('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'constructor' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.NeutronError.type, 'SecurityGroupRuleInvalidProtocol');
  });

  it('empty path segments are ignored: //v2.0//networks// is the networks collection', async () => {
    const res = await rawRequest(port, { method: 'GET', target: '//v2.0//networks//' });
    assert.equal(res.kind === 'answer' && res.status, 200);
    assert.ok(res.kind === 'answer' && Array.isArray(JSON.parse(res.body).networks));
  });

  it('integers beyond 2^63 in limit and integer filters do not reach the database', async () => {
    const l = await api.req('GET', '/v2.0/networks?limit=123456789012345678901234567890');
    assert.equal(l.status, 200);
    assert.ok(Array.isArray(l.body.networks_links));
    const f = await api.req('GET', '/v2.0/networks?revision_number=18446744073709551616');
    assert.equal(f.status, 400);
    assert.match(f.body.NeutronError.message, /is out of range/);
    const m = await api.req('POST', '/v2.0/networks', '{"network": {"mtu": 18446744073709551616}}');
    assert.equal(m.status, 400);
  });

  it('NUL characters (which PostgreSQL cannot hold) are refused in paths, queries and bodies', async () => {
    assert.deepEqual(await raw({ method: 'GET', target: '/v2.0/security-groups/%00' }), { status: 404, type: 'HTTPNotFound', message: 'The resource could not be found.' });
    assert.equal((await raw({ method: 'GET', target: '/v2.0/networks?name=a%00' })).status, 400);
    const r = await api.req('POST', '/v2.0/networks', '{"network": {"name": "a\\u0000b"}}');
    assert.equal(r.status, 400);
    assert.match(r.body.NeutronError.message, /NUL/);
  });

  it('found by the 50,000-request run: an RBAC object_type named __proto__, dns_nameservers given as a dict', async () => {
    const net = (await api.req('POST', '/v2.0/networks', { network: { name: 'rb' } })).body.network;
    const r = await api.req('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: '__proto__', object_id: net.id, action: 'access_as_shared', target_tenant: 'x' } });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.NeutronError.message, "Invalid input for operation: '__proto__' is not a valid RBAC object type.");
    const sub = (await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.77.0.0/24', ip_version: 4 } })).body.subnet;
    // Neutron iterates a dict's keys: {} is no nameserver, {"8.8.8.8": 1} is 8.8.8.8.
    const empty = await api.req('PUT', `/v2.0/subnets/${sub.id}`, { subnet: { dns_nameservers: {} } });
    assert.equal(empty.status, 200, JSON.stringify(empty.body));
    assert.deepEqual(empty.body.subnet.dns_nameservers, []);
    const one = await api.req('PUT', `/v2.0/subnets/${sub.id}`, { subnet: { dns_nameservers: { '8.8.8.8': 1 } } });
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.deepEqual(one.body.subnet.dns_nameservers, ['8.8.8.8']);
  });

  it('a value with its own toString key is quoted in the message, not converted (String() threw: a 500)', async () => {
    const r = await api.req('POST', '/v2.0/address-groups', '{"address_group": {"addresses": {"toString": null}}}');
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.NeutronError.message, "Invalid input for addresses. Reason: '{'toString': None}' is not a list.");
    const n = await api.req('POST', '/v2.0/networks', '{"network": {"segments": [{"valueOf": 1, "toString": 2}]}}');
    assert.equal(n.status, 400, JSON.stringify(n.body));
  });

  it('JSON nested thousands deep is refused before anything walks it', async () => {
    for (const body of ['{"network": {"name": ' + '['.repeat(5000) + ']'.repeat(5000) + '}}', '['.repeat(60000)]) {
      const r = await raw({ method: 'POST', target: '/v2.0/networks', headers: { 'Content-Type': 'application/json' }, body });
      assert.deepEqual(r, { status: 400, type: 'HTTPBadRequest', message: 'Body contains invalid data: JSON nested more than 100 levels deep' });
    }
  });

  it('ids of the wrong type are a 400, unknown ones a 404 (security group rules)', async () => {
    const sg = (await api.req('POST', '/v2.0/security-groups', { security_group: { name: 'g' } })).body.security_group;
    for (const field of ['security_group_id', 'remote_group_id']) {
      for (const v of [[sg.id], { id: sg.id }, 7]) {
        const r = await api.req('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', [field]: v } });
        assert.equal(r.status, 400, `${field}=${JSON.stringify(v)}: ${JSON.stringify(r.body)}`);
        assert.match(r.body.NeutronError.message, new RegExp(`^Invalid input for ${field}\\. Reason: '.*' is not a valid UUID\\.$`));
      }
      const r = await api.req('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', [field]: '' } });
      assert.equal(r.status, 404, JSON.stringify(r.body));
      assert.equal(r.body.NeutronError.message, 'Security group  does not exist');
    }
  });

  it('an empty segments list is a tenant network, as ML2 takes it', async () => {
    const r = await api.req('POST', '/v2.0/networks', { network: { name: 'segs', segments: [] } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });

  it('CONNECT and requests the HTTP parser rejects are answered with a NeutronError', async () => {
    assert.deepEqual(await raw({ method: 'CONNECT', target: '/v2.0/networks' }),
      { status: 405, type: 'HTTPMethodNotAllowed', message: 'The server could not comply with the request since it is either malformed or otherwise incorrect.' });
    assert.deepEqual(await raw({ method: 'GET', target: '/v2.0/networks', headers: { 'X-Project-Id': 'a\u0001b' } }),
      { status: 400, type: 'HTTPBadRequest', message: 'Malformed request: invalid character in a header' });
    assert.equal((await raw({ raw: 'GET /v2.0/networks HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', method: '', target: '' })).status, 400);
  });

  it('a body over the limit gets its 413 before the connection closes', async () => {
    const r = await raw({ method: 'POST', target: '/v2.0/networks', headers: { 'Content-Type': 'application/json' }, body: `{"network": {"name": "${'x'.repeat(MAX_BODY * 4)}"}}` });
    assert.deepEqual(r, { status: 413, type: 'HTTPRequestEntityTooLarge', message: `Request is too large: the body may not exceed ${MAX_BODY} bytes.` });
    // fetch, which streams the body while reading the answer, sees it too (not a reset).
    const f = await fetch(`${api.url}/v2.0/networks`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: 'x'.repeat(1024 * 1024) });
    assert.equal(f.status, 413);
    assert.equal(((await f.json()) as any).NeutronError.type, 'HTTPRequestEntityTooLarge');
    // and the server is still fine
    assert.equal((await api.req('GET', '/v2.0/networks')).status, 200);
  });
});

describe('the embedded identity: malformed paths and bodies get Keystone errors', () => {
  let idp: RunningIdentity;
  let dir: string;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'muon-hostile-'));
    idp = await startEmbeddedIdentity({ stateDir: dir, host: '127.0.0.1', port: 0, networkUrl: 'http://127.0.0.1:9696', initialPasswords: { admin: 'a', demo: 'd' } });
    port = (idp.server.address() as AddressInfo).port;
  });
  after(async () => { await idp?.close(); rmSync(dir, { recursive: true, force: true }); });

  const keystone = async (r: RawRequest) => {
    const res = await rawRequest(port, r);
    assert.equal(res.kind, 'answer', JSON.stringify(res));
    if (res.kind !== 'answer') throw new Error('unreachable');
    const e = JSON.parse(res.body).error;
    assert.equal(e.code, res.status, res.body);
    return res.status;
  };

  it('a malformed percent-escape is a 404, not a 500', async () => {
    assert.equal(await keystone({ method: 'GET', target: '/v3/projects/%E0%A4%A', headers: { 'X-Auth-Token': 'x' } }), 401);
    assert.equal(await keystone({ method: 'GET', target: '/%E0%A4%A' }), 404);
  });

  it('deep JSON is a 400, CONNECT a 405', async () => {
    assert.equal(await keystone({ method: 'POST', target: '/v3/auth/tokens', headers: { 'Content-Type': 'application/json' }, body: '['.repeat(50000) }), 400);
    assert.equal(await keystone({ method: 'CONNECT', target: '/v3' }), 405);
  });
});
