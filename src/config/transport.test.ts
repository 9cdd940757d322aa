import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, loadConfigSources } from './load.ts';
import { ConfigError } from './config-error.ts';
import { parseTransportUrl, redact, selectTransport, type RabbitTransport } from './transport.ts';

const select = (...texts: string[]) => selectTransport(loadConfigSources(texts.map((text, i) => ({ file: `f${i}.conf`, text }))).config);
const fb = { username: 'guest', password: 'guest', vhost: '/' };

test('no messaging options: the unix socket', () => {
  const t = select('[DEFAULT]\nstate_path = /srv/muon\n');
  assert.deepEqual(t, { kind: 'unix', socket: '/srv/muon/agent.sock' });
});

test('rpc_backend = rabbit alone (its default) does not select RabbitMQ: no host was given', () => {
  assert.equal(select('[DEFAULT]\nrpc_backend = rabbit\n').kind, 'unix');
});

test('the seed (Liberty): rpc_backend = rabbit + [oslo_messaging_rabbit] rabbit_host/userid/password', () => {
  const t = select('[DEFAULT]\nrpc_backend = rabbit\n[oslo_messaging_rabbit]\nrabbit_host = controller\nrabbit_userid = openstack\nrabbit_password = opst\n') as RabbitTransport;
  assert.equal(t.kind, 'rabbit');
  assert.deepEqual(t.brokers, [{ host: 'controller', port: 5672, username: 'openstack', password: 'opst' }]);
  assert.equal(t.vhost, '/');
  assert.equal(t.heartbeatSeconds, 60);
  assert.equal(t.callTimeoutMs, 60_000);
  assert.match(t.source, /rabbit_host/);
});

test('Liberty rabbit_hosts (a cluster) wins over rabbit_host; port defaults to rabbit_port; vhost and heartbeat', () => {
  const t = select('[oslo_messaging_rabbit]\nrabbit_host = ignored\nrabbit_port = 5673\nrabbit_hosts = h1:5672, h2\nrabbit_virtual_host = /os\nheartbeat_timeout_threshold = 10\n') as RabbitTransport;
  assert.deepEqual(t.brokers.map((b) => `${b.host}:${b.port}`), ['h1:5672', 'h2:5673']);
  assert.equal(t.vhost, '/os');
  assert.equal(t.heartbeatSeconds, 10);
});

test('rpc_backend other than rabbit with rabbit hosts: an error naming the option', () => {
  assert.throws(() => select('[DEFAULT]\nrpc_backend = zmq\n[oslo_messaging_rabbit]\nrabbit_host = c\n'), (e: unknown) => e instanceof ConfigError && e.option === 'rpc_backend' && /rpc_backend = zmq/.test(e.message));
});

test('transport_url (newer spelling) wins over everything, across files', () => {
  const t = select('[oslo_messaging_rabbit]\nrabbit_host = old\n', '[DEFAULT]\ntransport_url = rabbit://openstack:opst@controller:5672/\n') as RabbitTransport;
  assert.deepEqual(t.brokers, [{ host: 'controller', port: 5672, username: 'openstack', password: 'opst' }]);
  assert.equal(t.vhost, '/');
  assert.equal(t.source, '[DEFAULT] transport_url');
});

test('a cluster URL with a vhost; credentials per host, missing ones from rabbit_userid/rabbit_password', () => {
  const r = parseTransportUrl('rabbit://u:p@h1:5672,u2:p2@h2:5673,h3/openstack', { username: 'dflt', password: 'dpw', vhost: '/' });
  assert.deepEqual(r.brokers, [
    { host: 'h1', port: 5672, username: 'u', password: 'p' },
    { host: 'h2', port: 5673, username: 'u2', password: 'p2' },
    { host: 'h3', port: 5672, username: 'dflt', password: 'dpw' },
  ]);
  assert.equal(r.vhost, 'openstack');
});

test('user, password and vhost are percent-decoded as oslo.messaging does', () => {
  const r = parseTransportUrl('rabbit://open%40stack:p%3Aw%2Fd%25@[fd00::1]:5671/%2F', fb);
  assert.deepEqual(r.brokers, [{ host: 'fd00::1', port: 5671, username: 'open@stack', password: 'p:w/d%' }]);
  assert.equal(r.vhost, '/');
  // a literal @ in the password: the last @ separates the host (urlparse does the same)
  assert.equal(parseTransportUrl('rabbit://u:a@b@h/', fb).brokers[0].password, 'a@b');
  assert.equal(parseTransportUrl('rabbit://u:p@h', fb).vhost, '/', 'no path: rabbit_virtual_host');
});

test('bad URLs: ConfigErrors that name [DEFAULT] transport_url and say what to write', () => {
  const bad = (url: string, re: RegExp) => assert.throws(() => parseTransportUrl(url, fb), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.option, 'transport_url');
    assert.match(e.message, /^\[DEFAULT\] transport_url: /);
    assert.match(e.message, re);
    assert.doesNotMatch(e.message, /secret/, 'passwords never appear in errors');
    return true;
  });
  bad('http://u:secret@h:5672/', /scheme 'http' is not supported.*rabbit:\/\//);
  bad('amqp://u:secret@h:5672/', /AMQP 1\.0/);
  bad('controller:5672', /not a URL/);
  bad('rabbit:///', /no broker host/);
  bad('rabbit://u:secret@h1,,h2/', /empty host #2/);
  bad('rabbit://u:secret@h:99999/', /port '99999'.*1 and 65535/);
  bad('rabbit://u:secret@h:abc/', /not host:port/);
  bad('rabbit://u:bad%zz@h/', /percent-escape/);
});

test('redact hides every password of a cluster URL', () => {
  assert.equal(redact('rabbit://u:p1@h1:5672,v:p2@h2:5672/x'), 'rabbit://u:***@h1:5672,v:***@h2:5672/x');
});

test("the seed's own neutron.conf selects RabbitMQ at controller as openstack/opst", () => {
  const t = selectTransport(loadConfig([new URL('./fixtures/seed/neutron.conf', import.meta.url).pathname]).config) as RabbitTransport;
  assert.equal(t.kind, 'rabbit');
  assert.deepEqual(t.brokers, [{ host: 'controller', port: 5672, username: 'openstack', password: 'opst' }]);
  assert.equal(t.vhost, '/');
});

test('TLS asked for (ssl, rabbit_use_ssl, ?ssl=1) is refused rather than sent in clear', () => {
  for (const text of ['[oslo_messaging_rabbit]\nssl = true\nrabbit_host = c\n', '[oslo_messaging_rabbit]\nrabbit_use_ssl = True\n[DEFAULT]\ntransport_url = rabbit://u:p@c/\n']) {
    assert.throws(() => select(text), (e: unknown) => e instanceof ConfigError && /does not do TLS yet/.test(e.message) && e.section === 'oslo_messaging_rabbit');
  }
  assert.throws(() => parseTransportUrl('rabbit://u:p@c:5671/?ssl=1', fb), /transport_url: \?ssl: .*TLS/);
  assert.equal(select('[oslo_messaging_rabbit]\nssl = true\n').kind, 'unix', 'no broker configured: nothing to refuse');
});
