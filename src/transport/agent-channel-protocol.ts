// The agent channel's calls as RabbitMQ messages (the same calls as the HTTP transport,
// src/api/agent-channel.ts). Requests go through the default exchange to one durable queue that
// every `muon server` consumes (any server answers any agent: they share only the database and
// the broker); each carries a correlation id and reply_to = amq.rabbitmq.reply-to (RabbitMQ's
// direct reply-to: no reply queue to declare or clean up) and expires with its call's timeout,
// so a request nobody took in time is dropped rather than answered late. Bodies are JSON with
// Neutron's snake_case names.

/** The queue every server consumes. Not on [DEFAULT] control_exchange: Muon's agents speak
 *  only to Muon servers, and the default exchange needs no declaration or binding. */
export const AGENT_CHANNEL_QUEUE = 'muon.agent-channel';
export const REPLY_TO = 'amq.rabbitmq.reply-to';

export type ChannelRequest =
  | { method: 'report'; body: unknown }
  | { method: 'watch'; host: string; since: number; wait_ms: number; digest?: string | null; parts?: readonly string[] }
  | { method: 'devices'; host: string; body: unknown }
  | { method: 'lookup_instance'; body: unknown };

export interface ReplyError { status: number; NeutronError: { type: string; message: string; detail: string } }

/** `result` null is a valid answer (watch: no change; lookup: no such instance). */
export type ChannelReply = { result: unknown } | { error: ReplyError };

export const encode = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');
