import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainBrokerError } from './amqp-errors.ts';
import type { RabbitTransport } from '../config/transport.ts';

const broker = { host: 'controller', port: 5672, username: 'openstack', password: 'opst' };
const url: RabbitTransport = { kind: 'rabbit', brokers: [broker], vhost: '/', heartbeatSeconds: 60, callTimeoutMs: 60_000, source: '[DEFAULT] transport_url' };
const liberty: RabbitTransport = { ...url, vhost: 'os', source: '[oslo_messaging_rabbit] rabbit_host / rabbit_port' };
const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

test('a refused login names the user, the broker and the option holding the password', () => {
  const e = err('Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN."');
  assert.ok(explainBrokerError(e, broker, url).message.startsWith("RabbitMQ at controller:5672 refused the login of user 'openstack' (ACCESS_REFUSED): "));
  assert.match(explainBrokerError(e, broker, url).message, /check the password in \[DEFAULT\] transport_url/);
  assert.match(explainBrokerError(e, broker, liberty).message, /check \[oslo_messaging_rabbit\] rabbit_password/);
});

test('a vhost refused at connection.open, and a resource refused later, say how to grant permissions', () => {
  const open = explainBrokerError(err('Expected ConnectionOpenOk; got <ConnectionClose channel:0>'), broker, liberty);
  assert.equal(open.problem, 'vhost');
  assert.match(open.message, /refused user 'openstack' access to virtual host 'os' \(NOT_ALLOWED\): grant it with rabbitmqctl set_permissions -p os openstack "\.\*" "\.\*" "\.\*"/);
  assert.match(open.message, /rabbit_virtual_host/);
  const q = explainBrokerError(err("Operation failed: QueueDeclare; 403 (ACCESS-REFUSED) with message \"ACCESS_REFUSED - access to queue 'muon.agent-channel' in vhost 'os' refused for user 'openstack'\""), broker, liberty);
  assert.match(q.message, /access to queue 'muon\.agent-channel' in virtual host 'os' \(ACCESS_REFUSED\): grant it with rabbitmqctl set_permissions -p os openstack/);
});

test('an unreachable broker names host:port, the cause and the option', () => {
  assert.match(explainBrokerError(err('connect ECONNREFUSED 10.0.0.1:5672', 'ECONNREFUSED'), broker, url).message,
    /^cannot reach RabbitMQ at controller:5672 \(ECONNREFUSED: nothing listens there\).*Check \[DEFAULT\] transport_url$/);
  assert.match(explainBrokerError(err('connect ETIMEDOUT'), broker, liberty).message, /\(ETIMEDOUT: no answer\).*Check \[oslo_messaging_rabbit\] rabbit_host/);
  assert.match(explainBrokerError(err('getaddrinfo ENOTFOUND controller', 'ENOTFOUND'), broker, url).message, /the name 'controller' does not resolve/);
});

test('anything else keeps amqplib\'s words, prefixed with the broker', () => {
  assert.deepEqual(explainBrokerError(err('Frame size 9 exceeds maxFrameSize 1'), broker, url), { problem: 'other', message: 'RabbitMQ at controller:5672: Frame size 9 exceeds maxFrameSize 1' });
});
