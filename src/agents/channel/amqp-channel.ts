// Agent side of the agent channel over RabbitMQ (src/transport/agent-channel-protocol.ts): each
// call is a request on the servers' queue, answered through direct reply-to and matched by its
// correlation id. Calls that cannot complete (no connection, connection lost, no answer in time,
// no server consuming) fail with a ChannelError saying why; AgentLoop retries them, and since the
// feed is level-triggered the next watch after a reconnect resyncs: nothing is lost.
import { randomUUID } from 'node:crypto';
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import type { AgentChannel, AgentStateReport, DeviceReport, InstanceQuery, ReportOutcome } from '../../feed/channel.ts';
import type { HostState, HostStatePart, InstanceLookup } from '../../feed/host-state.ts';
import type { RabbitTransport } from '../../config/transport.ts';
import { AmqpLink, type LinkLog } from '../../transport/amqp-link.ts';
import { brokerAddress } from '../../transport/amqp-errors.ts';
import { AGENT_CHANNEL_QUEUE, REPLY_TO, encode, type ChannelReply, type ChannelRequest } from '../../transport/agent-channel-protocol.ts';
import { ChannelError } from './http-channel.ts';

interface Pending { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }

/** a watch's answer may take its whole wait; this is the margin on top (as the HTTP channel) */
const WATCH_MARGIN_MS = 30_000;

export function amqpChannel(t: RabbitTransport, log: LinkLog): AgentChannel & { link: AmqpLink } {
  const pending = new Map<string, Pending>();
  const failAll = (err: Error) => {
    for (const [id, p] of pending) { clearTimeout(p.timer); pending.delete(id); p.reject(err); }
  };
  const onReply = (msg: ConsumeMessage | null) => {
    if (!msg) return; // consumer cancelled: the channel is going; onDown fails the calls
    const p = pending.get(msg.properties.correlationId as string);
    if (!p) return; // an answer after its call timed out
    pending.delete(msg.properties.correlationId as string);
    clearTimeout(p.timer);
    let reply: ChannelReply;
    try { reply = JSON.parse(msg.content.toString('utf8')) as ChannelReply; } catch {
      p.reject(new ChannelError(500, 'the agent channel answered with something that is not JSON')); return;
    }
    if ('error' in reply) {
      const ne = reply.error.NeutronError;
      p.reject(new ChannelError(reply.error.status, ne ? `${ne.type}: ${ne.message}` : `error ${reply.error.status} from the agent channel`));
    } else p.resolve(reply.result);
  };
  // mandatory publishes come back when no queue takes them: no server ever declared it here
  const onReturn = (msg: Message) => {
    const id = msg.properties.correlationId as string;
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    p.reject(new ChannelError(503, `no Muon server serves the agent channel on RabbitMQ at ${where()} (queue ${AGENT_CHANNEL_QUEUE} does not exist): start \`muon server\` with the same transport_url / [oslo_messaging_rabbit] settings as this agent`));
  };
  const link = new AmqpLink(t, {
    role: 'agent', log,
    async setup(ch: Channel) {
      ch.on('return', onReturn);
      await ch.consume(REPLY_TO, onReply, { noAck: true });
    },
    onDown: (err) => failAll(new ChannelError(0, `${err.message}; the call will be retried`)),
    maxBackoffMs: 5000,
  });
  const where = () => `${link.broker ? brokerAddress(link.broker) : t.brokers.map(brokerAddress).join(', ')} (vhost ${t.vhost})`;

  const call = async (req: ChannelRequest, timeoutMs: number): Promise<unknown> => {
    let ch: Channel;
    try {
      ch = await link.ready(Math.min(timeoutMs, 10_000));
    } catch (e) {
      throw new ChannelError(0, (e as Error).message);
    }
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new ChannelError(0, `no answer to ${req.method} from a Muon server through RabbitMQ at ${where()} in ${timeoutMs} ms: is \`muon server\` running with the same transport_url / [oslo_messaging_rabbit] settings (it consumes queue ${AGENT_CHANNEL_QUEUE})?`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      try {
        ch.publish('', AGENT_CHANNEL_QUEUE, encode(req), {
          correlationId: id, replyTo: REPLY_TO, contentType: 'application/json', mandatory: true, expiration: String(timeoutMs),
        });
      } catch (e) {
        clearTimeout(timer);
        pending.delete(id);
        reject(new ChannelError(0, `cannot send ${req.method} to RabbitMQ at ${where()}: ${(e as Error).message}`));
      }
    });
  };

  return {
    link,
    async report(state: AgentStateReport) {
      return await call({ method: 'report', body: { agent_state: state } }, t.callTimeoutMs) as { id: string; outcome: ReportOutcome };
    },
    async watch(host: string, since: number, waitMs: number, digest?: string, parts?: readonly HostStatePart[]) {
      return await call({ method: 'watch', host, since, wait_ms: waitMs, digest: digest ?? null, ...(parts ? { parts } : {}) }, waitMs + WATCH_MARGIN_MS) as HostState | null;
    },
    async devices(host: string, report: DeviceReport) {
      return (await call({ method: 'devices', host, body: report }, t.callTimeoutMs) as { changed: string[] }).changed;
    },
    async lookupInstance(query: InstanceQuery) {
      return await call({ method: 'lookup_instance', body: query }, t.callTimeoutMs) as InstanceLookup | null;
    },
    close() {
      failAll(new ChannelError(0, 'the agent channel was closed'));
      void link.close();
    },
  };
}
