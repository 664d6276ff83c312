// CPU time per message of one process running an in-memory test broker and an amqplib client: N transient messages
// published to one queue and consumed (noAck, then acked with prefetch 100), at most 5,000 unconsumed. CPU time
// (process.cpuUsage) is far less sensitive than throughput to other processes on a shared machine, so it is what to
// compare between two commits, run alternately (docs/BENCHMARKS.md, "Message rates: hot-path cost").
//   node --import ./test/support/register-ts.mjs bench/cpu-per-message.ts [messages=200000]
import { startTestBroker } from '@app/testing';
import amqplib from 'amqplib';

const total = Number(process.argv[2] ?? 200000);
const broker = await startTestBroker();
const connection = await amqplib.connect(broker.url);
const result: string[] = [];
for (const noAck of [true, false]) {
  const channel = await connection.createChannel();
  const queue = `cpu.${noAck}`;
  await channel.assertQueue(queue, { durable: false });
  await channel.prefetch(noAck ? 0 : 100);
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      if (!noAck) channel.ack(message);
      if (++received === total) done();
    },
    { noAck },
  );
  const body = Buffer.alloc(128);
  const cpu = process.cpuUsage();
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    // Keep at most 5000 unconsumed, in turns of 200 publishes.
    if (sent - received > 5000) {
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    for (let i = 0; i < 200 && sent < total; i++, sent++) channel.sendToQueue(queue, body);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await finished;
  const used = process.cpuUsage(cpu);
  result.push(
    `${noAck ? 'noack' : 'ack'} ${((used.user + used.system) / total).toFixed(2)} us/msg cpu, ${(total / ((performance.now() - started) / 1000) / 1000).toFixed(1)}k msg/s`,
  );
  await channel.close();
}
console.log(result.join('  |  '));
await connection.close();
await broker.close();
