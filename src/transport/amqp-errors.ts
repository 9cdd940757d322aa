// What a failed RabbitMQ connection means for the operator, in words: amqplib reports a refused
// login, a vhost without permissions or an unreachable broker as protocol text; these say which
// option to fix and how. Pure.
import type { BrokerHost, RabbitTransport } from '../config/transport.ts';

export type BrokerProblem = 'login' | 'vhost' | 'unreachable' | 'other';

export interface ExplainedError { problem: BrokerProblem; message: string }

export function brokerAddress(b: BrokerHost): string {
  return `${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`;
}

/** Which option holds the password, user or hosts, as the operator wrote the configuration. */
function optionFor(t: RabbitTransport, what: 'password' | 'host'): string {
  if (t.source.includes('transport_url')) return what === 'password' ? 'the password in [DEFAULT] transport_url (percent-encoded: @ as %40, : as %3A)' : '[DEFAULT] transport_url';
  return what === 'password' ? '[oslo_messaging_rabbit] rabbit_password' : t.source;
}

export function explainBrokerError(err: unknown, broker: BrokerHost, t: RabbitTransport): ExplainedError {
  const e = err as NodeJS.ErrnoException;
  const text = String(e?.message ?? err);
  const at = `RabbitMQ at ${brokerAddress(broker)}`;
  const resource = /access to (queue|exchange) '([^']*)' in vhost '([^']*)' refused/.exec(text);
  if (resource) {
    return {
      problem: 'vhost',
      message: `${at} refused user '${broker.username}' access to ${resource[1]} '${resource[2]}' in virtual host '${resource[3]}' (ACCESS_REFUSED): grant it with rabbitmqctl set_permissions -p ${resource[3]} ${broker.username} ".*" ".*" ".*"`,
    };
  }
  if (/ACCESS[_-]REFUSED/.test(text)) {
    return {
      problem: 'login',
      message: `${at} refused the login of user '${broker.username}' (ACCESS_REFUSED): check ${optionFor(t, 'password')}; on the broker: rabbitmqctl authenticate_user ${broker.username} <password> (rabbitmqctl change_password ${broker.username} <password> to set it)`,
    };
  }
  // RabbitMQ closes the connection at connection.open when the user may not use the vhost or it
  // does not exist (NOT_ALLOWED); amqplib reports the first as "Expected ConnectionOpenOk; got
  // <ConnectionClose …>" without the broker's text, so both are named
  if (/NOT[_-]ALLOWED/.test(text) || /Expected ConnectionOpenOk; got <ConnectionClose/.test(text)) {
    const missing = /not found/i.test(text);
    const fix = `rabbitmqctl set_permissions -p ${t.vhost} ${broker.username} ".*" ".*" ".*"`;
    const vhostOption = t.source.includes('transport_url') ? '[DEFAULT] transport_url (the path after the host; "/" is written %2F)' : '[oslo_messaging_rabbit] rabbit_virtual_host';
    return {
      problem: 'vhost',
      message: missing
        ? `${at} has no virtual host '${t.vhost}' (NOT_ALLOWED): create it with rabbitmqctl add_vhost ${t.vhost} and ${fix}, or fix the vhost in ${vhostOption}`
        : `${at} refused user '${broker.username}' access to virtual host '${t.vhost}' (NOT_ALLOWED): grant it with ${fix} (if rabbitmqctl list_vhosts does not show '${t.vhost}', create it first with rabbitmqctl add_vhost ${t.vhost}, or fix the vhost in ${vhostOption})`,
    };
  }
  const code = e?.code ?? (/ETIMEDOUT/.test(text) ? 'ETIMEDOUT' : undefined);
  if (code && ['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'].includes(String(code))) {
    const why = code === 'ECONNREFUSED' ? 'nothing listens there'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `the name '${broker.host}' does not resolve`
      : code === 'ECONNRESET' ? 'the connection was reset' : 'no answer';
    return {
      problem: 'unreachable',
      message: `cannot reach ${at} (${code}: ${why}): is rabbitmq-server running there and listening on ${brokerAddress(broker)} (rabbitmq-diagnostics listeners), is the port open? Check ${optionFor(t, 'host')}`,
    };
  }
  return { problem: 'other', message: `${at}: ${text}` };
}
