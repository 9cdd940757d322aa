// The servers of one deployment tell each other "I wrote something; look at the outbox" through
// RabbitMQ: one fanout exchange, one exclusive auto-delete queue per process bound to it. The
// message carries no payload but its origin: the id of the server (shared by its api_workers,
// which hear each other through their primary, ./revision-peer.ts) so it ignores its own.
// Lost messages (a broker restart) only delay agents to the database fallback check.
import type { Channel } from 'amqplib';
import type { RabbitTransport } from '../config/transport.ts';
import { AmqpLink, type LinkLog } from './amqp-link.ts';
import { oncePerTurn, type RevisionPeer } from './revision-peer.ts';

export const REVISION_EXCHANGE = 'muon.revisions';

export function revisionFanout(t: RabbitTransport, origin: string, log: LinkLog): RevisionPeer {
  let wake: (() => void) | undefined;
  const link = new AmqpLink(t, {
    role: 'server (revisions)', log,
    async setup(ch: Channel) {
      await ch.assertExchange(REVISION_EXCHANGE, 'fanout', { durable: false });
      const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await ch.bindQueue(queue, REVISION_EXCHANGE, '');
      await ch.consume(queue, (msg) => {
        if (msg && msg.properties.appId !== origin) wake?.();
      }, { noAck: true });
      // the broker was away: something may have been written meanwhile
      wake?.();
    },
    maxBackoffMs: 5000,
  });
  return {
    publish: oncePerTurn(() => {
      try { link.channel?.publish(REVISION_EXCHANGE, '', Buffer.alloc(0), { appId: origin }); } catch { /* reconnecting: the fallback check covers it */ }
    }),
    listen(w) { wake = w; },
    close: () => link.close(),
  };
}
