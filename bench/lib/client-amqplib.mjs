// amqplib behind the harness's small client interface (see clients.mjs for the contract).
import amqplib from 'amqplib';

/** Opens one amqplib connection with TCP_NODELAY, as the performance reference measured. */
export async function connectAmqplib(url, onFailure) {
  // Nagle would add up to 40 ms to the latency scenario; RabbitMQ figures were taken with it off.
  const connection = await amqplib.connect(url, { noDelay: true });
  let isClosing = false;
  const fail = (err) => {
    if (!isClosing) onFailure(err ?? new Error('bench: connection closed unexpectedly'));
  };
  connection.on('error', fail);
  connection.on('close', (err) => fail(err));
  connection.on('blocked', (reason) => fail(new Error(`bench: broker blocked the connection: ${reason}`)));
  return {
    async channel({ isConfirm = false } = {}) {
      const ch = isConfirm ? await connection.createConfirmChannel() : await connection.createChannel();
      ch.on('error', fail);
      return wrapChannel(ch, () => isClosing);
    },
    async close() {
      isClosing = true;
      await connection.close();
    },
  };
}

function wrapChannel(ch, isClosing) {
  // A closed channel would leave waitForDrain() pending forever; resolve drain waiters on close instead.
  let closed = false;
  const closeWaiters = new Set();
  ch.on('close', () => {
    closed = true;
    for (const resolve of closeWaiters) resolve();
    closeWaiters.clear();
  });
  return {
    assertQueue: (name, { isDurable = false } = {}) => ch.assertQueue(name, { durable: isDurable, autoDelete: false, exclusive: false }),
    async checkQueue(name) {
      const ok = await ch.checkQueue(name);
      return { messageCount: ok.messageCount, consumerCount: ok.consumerCount };
    },
    deleteQueue: (name) => ch.deleteQueue(name),
    assertExchange: (name, type) => ch.assertExchange(name, type, { durable: false, autoDelete: false }),
    deleteExchange: (name) => ch.deleteExchange(name),
    bindQueue: (queue, exchange, routingKey) => ch.bindQueue(queue, exchange, routingKey),
    prefetch: (count) => ch.prefetch(count),
    /** Consumes; when !isNoAck each delivery is acked individually right after onBody returns. */
    async consume(queue, { isNoAck }, onBody) {
      await ch.consume(
        queue,
        (msg) => {
          if (msg === null) return; // server-side cancel; the stall detector reports the missing messages
          onBody(msg.content);
          if (!isNoAck) ch.ack(msg);
        },
        { noAck: isNoAck },
      );
    },
    /** Returns false when the write buffer is over its high-water mark: await waitForDrain() before more. */
    publish: (exchange, routingKey, body, isPersistent) =>
      ch.publish(exchange, routingKey, body, isPersistent ? { persistent: true } : undefined),
    /** Confirm channels only: onConfirm(err) runs on basic.ack (err null) or basic.nack / channel close. */
    publishConfirmed: (exchange, routingKey, body, isPersistent, onConfirm) =>
      ch.publish(exchange, routingKey, body, isPersistent ? { persistent: true } : undefined, onConfirm),
    waitForDrain() {
      if (closed) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          closeWaiters.delete(done);
          ch.off('drain', done);
          resolve();
        };
        closeWaiters.add(done);
        ch.once('drain', done);
      });
    },
    async close() {
      if (!closed && !isClosing()) await ch.close();
    },
  };
}
