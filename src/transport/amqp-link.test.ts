// AmqpLink over a real, private RabbitMQ (test/support/rabbitmq.ts): the frames one turn of the
// event loop publishes leave in a few socket writes, not one each (a server answering 1,000
// watches at once made 2,000 write syscalls), and every message still arrives.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel } from 'amqplib';
import { embeddedDefaults, loadConfigSources } from '../config/load.ts';
import { selectTransport, type RabbitTransport } from '../config/transport.ts';
import { rabbitSkipReason, startRabbit, type RabbitBroker } from '../../test/support/rabbitmq.ts';
import { AmqpLink } from './amqp-link.ts';

const quiet = { info() {}, warn() {}, error() {} };

describe('AmqpLink', { skip: rabbitSkipReason(), timeout: 180_000 }, () => {
  let broker: RabbitBroker;
  let t: RabbitTransport;
  before(async () => {
    broker = await startRabbit();
    await broker.addUser('openstack', 'pw');
    const { config } = loadConfigSources([{ file: '<test>', text: `[DEFAULT]\ntransport_url = ${broker.url('openstack', 'pw')}\n` }], { defaults: embeddedDefaults() });
    t = selectTransport(config) as RabbitTransport;
  });
  after(async () => { await broker?.destroy(); });

  it('sends the messages of one turn in a few socket writes, and every one arrives', async () => {
    const N = 1000;
    const got: number[] = [];
    let done!: () => void;
    const all = new Promise<void>((r) => { done = r; });
    const link = new AmqpLink(t, {
      role: 'test', log: quiet,
      async setup(ch: Channel) {
        await ch.assertQueue('link-test', { exclusive: true });
        await ch.consume('link-test', (m) => { if (m) { got.push(Number(m.content.toString())); if (got.length === N) done(); } }, { noAck: true });
      },
    });
    try {
      const ch = await link.ready(30_000);
      // the socket under amqplib: count what it is asked to write
      const socket = (ch as unknown as { connection: { stream: { _write: (...a: unknown[]) => void; _writev?: (...a: unknown[]) => void } } }).connection.stream;
      let writes = 0;
      const [w, wv] = [socket._write, socket._writev];
      socket._write = function (this: unknown, ...a: unknown[]) { writes++; return w.apply(this, a); };
      if (wv) socket._writev = function (this: unknown, ...a: unknown[]) { writes++; return wv.apply(this, a); };
      for (let i = 0; i < N; i++) ch.sendToQueue('link-test', Buffer.from(String(i)));
      await all;
      assert.deepEqual(got, Array.from({ length: N }, (_, i) => i), 'every message, in order');
      // each message is ~100 bytes of frames; the socket's buffer takes 16 KiB before it asks to wait
      assert.ok(writes < N / 20, `${N} messages took ${writes} socket writes`);
    } finally {
      await link.close();
    }
  });
});
