// @cloudamqp/amqp-client behind the harness's small client interface (see clients.mjs for the contract).
import { AMQPClient } from '@cloudamqp/amqp-client';

const noop = () => {};

/** Opens one @cloudamqp/amqp-client connection and turns on TCP_NODELAY, which the client leaves off. */
export async function connectCloudamqp(url, onFailure) {
  const client = new AMQPClient(url);
  let isClosing = false;
  const fail = (err) => {
    if (!isClosing) onFailure(err instanceof Error ? err : new Error(`bench: ${err ?? 'connection lost'}`));
  };
  client.onerror = fail;
  client.ondisconnect = fail;
  await client.connect();
  // Without this every publish (one socket.write each in this client) waits on Nagle + delayed ack.
  client.socket.setNoDelay(true);
  const socket = client.socket;
  return {
    async channel({ isConfirm = false } = {}) {
      const ch = await client.channel();
      ch.onerror = (reason) => fail(new Error(`bench: channel closed: ${reason}`));
      if (isConfirm) await ch.confirmSelect();
      return wrapChannel(ch, socket, fail);
    },
    async close() {
      isClosing = true;
      await client.close();
    },
  };
}

function wrapChannel(ch, socket, fail) {
  const onPublishError = (err) => fail(err);
  return {
    assertQueue: (name, { isDurable = false } = {}) => ch.queueDeclare(name, { durable: isDurable, autoDelete: false, exclusive: false }),
    async checkQueue(name) {
      const ok = await ch.queueDeclare(name, { passive: true });
      return { messageCount: ok.messageCount, consumerCount: ok.consumerCount };
    },
    deleteQueue: (name) => ch.queueDelete(name),
    assertExchange: (name, type) => ch.exchangeDeclare(name, type, { durable: false, autoDelete: false }),
    deleteExchange: (name) => ch.exchangeDelete(name),
    bindQueue: (queue, exchange, routingKey) => ch.queueBind(queue, exchange, routingKey),
    prefetch: (count) => ch.basicQos(count),
    async consume(queue, { isNoAck }, onBody) {
      // basicConsume defaults to noAck: true in this client, so always pass it explicitly.
      await ch.basicConsume(queue, { noAck: isNoAck }, (msg) => {
        onBody(msg.body);
        if (!isNoAck) ch.basicAck(msg.deliveryTag).catch(noop);
      });
    },
    // The client copies the body synchronously and writes straight to the socket, so backpressure is
    // the socket's own: once writableNeedDrain is set the caller must wait for 'drain'.
    publish(exchange, routingKey, body, isPersistent) {
      ch.basicPublish(exchange, routingKey, body, isPersistent ? { deliveryMode: 2 } : {}).catch(onPublishError);
      return !socket.writableNeedDrain;
    },
    publishConfirmed(exchange, routingKey, body, isPersistent, onConfirm) {
      ch.basicPublish(exchange, routingKey, body, isPersistent ? { deliveryMode: 2 } : {}).then(
        () => onConfirm(null),
        (err) => onConfirm(err ?? new Error('bench: nacked')),
      );
      return !socket.writableNeedDrain;
    },
    waitForDrain() {
      if (!socket.writableNeedDrain || socket.destroyed) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.once('drain', done);
        socket.once('close', done);
      });
    },
    async close() {
      if (!ch.closed) await ch.close();
    },
  };
}
