// Server side of the agent channel over RabbitMQ (src/transport/agent-channel-protocol.ts): every
// `muon server` of the deployment consumes the one durable queue, so any server answers any agent.
// Requests go to the same transport-independent handlers as the unix socket's
// (./agent-channel-handlers.ts); answers are a result or a NeutronError body. A request is acked
// only once answered: up to PREFETCH run at once (most are watches, long-polls of up to 55 s),
// and those a dying server held are redelivered to another one.
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../services/log.ts';
import type { RabbitTransport } from '../config/transport.ts';
import type { ChannelHandlers } from './agent-channel-handlers.ts';
import { NeutronError } from '../errors/neutron-error.ts';
import { HTTPBadRequest, HTTPInternalServerError } from '../errors/catalog.ts';
import { AmqpLink } from '../transport/amqp-link.ts';
import { AGENT_CHANNEL_QUEUE, encode, type ChannelReply, type ChannelRequest } from '../transport/agent-channel-protocol.ts';

/** concurrent requests per server: one parked watch per agent, and then some */
export const PREFETCH = 2000;

export interface AmqpAgentChannel { link: AmqpLink; close(): Promise<void> }

export function startAmqpAgentChannel(t: RabbitTransport, h: ChannelHandlers, log: Logger): AmqpAgentChannel {
  const link: AmqpLink = new AmqpLink(t, {
    role: 'server', log,
    async setup(ch: Channel) {
      await ch.assertQueue(AGENT_CHANNEL_QUEUE, { durable: true });
      await ch.prefetch(PREFETCH);
      await ch.consume(AGENT_CHANNEL_QUEUE, (msg) => { if (msg) void serve(ch, msg); }, { noAck: false });
    },
    maxBackoffMs: 5000,
  });

  async function serve(ch: Channel, msg: ConsumeMessage): Promise<void> {
    let reply: ChannelReply;
    try {
      reply = { result: await dispatch(h, parse(msg.content)) };
    } catch (e) {
      const err = e instanceof NeutronError ? e : HTTPInternalServerError();
      if (!(e instanceof NeutronError)) log.error('agent channel error', { transport: 'rabbit', error: (e as Error)?.stack ?? String(e) });
      reply = { error: { status: err.status, ...err.toBody() } };
    }
    // the channel this came on is gone (broker restart): the agent's call already failed, and
    // the unacked request went back to the queue or died with the broker
    if (link.channel !== ch) return;
    try {
      const { replyTo, correlationId } = msg.properties;
      if (typeof replyTo === 'string' && replyTo) ch.sendToQueue(replyTo, encode(reply), { correlationId, contentType: 'application/json' });
      ch.ack(msg);
    } catch (e) {
      log.warn('could not answer an agent through RabbitMQ', { error: (e as Error).message });
    }
  }

  return { link, close: () => link.close() };
}

function parse(content: Buffer): ChannelRequest {
  try {
    return JSON.parse(content.toString('utf8')) as ChannelRequest;
  } catch {
    throw HTTPBadRequest('the request is not JSON');
  }
}

async function dispatch(h: ChannelHandlers, req: ChannelRequest): Promise<unknown> {
  switch (req?.method) {
    case 'report': return h.report(req.body);
    case 'watch': {
      if (typeof req.host !== 'string' || !Number.isInteger(req.since) || !Number.isInteger(req.wait_ms)) {
        throw HTTPBadRequest('watch needs host (string), since and wait_ms (integers)');
      }
      return h.watch(req.host, req.since, req.wait_ms, req.digest ?? null, req.parts);
    }
    case 'devices': {
      if (typeof req.host !== 'string') throw HTTPBadRequest('devices needs host (string)');
      return h.devices(req.host, req.body);
    }
    case 'lookup_instance': return h.lookupInstance(req.body);
    default: throw HTTPBadRequest(`unknown agent channel method '${String((req as { method?: unknown })?.method)}'`);
  }
}
