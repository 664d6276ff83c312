// bench/multi-node.mjs --failover: three shared-queue nodes; per round a consumer on the victim node holds `held`
// unacked messages (its prefetch), the victim is killed with SIGKILL, and the time until all of them reach a
// consumer on node C (redelivered) is measured. Round 1's victim is node B; later rounds start a fresh node each
// (`bench@x<round>`), since a killed node's name is taken until its lease runs out.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import amqplib from 'amqplib';
import { declareQueues, postgresNodeEnv, startPostgresNodes, startWarrenNode, waitForQueue } from './warren-nodes.mjs';

const QUEUE = 'bench.failover';

/** Polls `condition` every 10 ms until true or `timeoutMs` passed (then throws, saying `what`). */
async function until(condition, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`failover: ${what} did not happen within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(10);
  }
}

async function connect(url) {
  const connection = await amqplib.connect(url, { noDelay: true });
  connection.on('error', () => undefined); // the victim's connections die with it
  return connection;
}

/**
 * Runs `rounds` kill -9 rounds with `WARREN_NODE_LEASE_MS=leaseMs` on `schema`, reporting each through `onRound`.
 * Resolves with `{ rounds: [{ round, victim, firstMs, lastMs }], confirmed, consumed }`; throws if a held message
 * is lost, comes back twice or without `redelivered`.
 */
export async function runFailoverRounds({ cleanup, entry, dataDir, postgresUrl, schema, leaseMs, rounds, held, onRound }) {
  const nodes = await startPostgresNodes({ cleanup, entry, dataDir, postgresUrl, schema, count: 3, leaseMs });
  const [a, b, c] = nodes;
  const connections = [];
  const open = async (url) => {
    const connection = await connect(url);
    connections.push(connection);
    return connection;
  };
  try {
    await declareQueues(a.url, [QUEUE]);
    await Promise.all([waitForQueue(b.url, QUEUE), waitForQueue(c.url, QUEUE)]);
    const publisher = await (await open(a.url)).createConfirmChannel();
    const onC = await (await open(c.url)).createChannel();
    await onC.prefetch(Math.max(1000, held));
    const results = [];
    let confirmed = 0;
    let consumed = 0;
    for (let round = 1; round <= rounds; round++) {
      const victim =
        round === 1
          ? b
          : await startWarrenNode({
              cleanup,
              entry,
              dataDir,
              name: `bench@x${round}`,
              env: postgresNodeEnv({ postgresUrl, schema, name: `bench@x${round}`, leaseMs }),
            });
      await waitForQueue(victim.url, QUEUE);
      const onVictim = await (await open(victim.url)).createChannel();
      onVictim.on('error', () => undefined);
      await onVictim.prefetch(held);
      const heldIds = new Set();
      await onVictim.consume(QUEUE, (message) => message && heldIds.add(message.properties.messageId));
      const ids = Array.from({ length: held }, (_, i) => `r${round}-${i}`);
      for (const id of ids) publisher.sendToQueue(QUEUE, Buffer.from(id), { persistent: true, messageId: id });
      await publisher.waitForConfirms();
      confirmed += ids.length;
      await until(() => heldIds.size === held, 30_000, `${held} deliveries held on ${victim.name}`);

      // C consumes before the kill, so its consumer's set-up is not in the measured time.
      const arrivals = [];
      const { consumerTag } = await onC.consume(QUEUE, (message) => {
        if (message === null) return;
        arrivals.push({ id: message.properties.messageId, redelivered: message.fields.redelivered, atMs: performance.now() });
        onC.ack(message);
      });
      const killedAtMs = performance.now();
      await victim.kill();
      await until(() => arrivals.length >= held, leaseMs * 3 + 30_000, `the redelivery of round ${round} on C`);
      await onC.cancel(consumerTag);
      await victim.stop(); // gone already: only forgets it
      consumed += arrivals.length;
      const arrived = new Set(arrivals.map((arrival) => arrival.id));
      if (arrivals.length !== held || arrived.size !== held || ids.some((id) => !arrived.has(id)))
        throw new Error(`failover: round ${round}: C got ${arrivals.length} deliveries (${arrived.size} distinct) for ${held} held`);
      if (arrivals.some((arrival) => !arrival.redelivered)) throw new Error(`failover: round ${round}: a delivery without redelivered`);
      const result = {
        round,
        victim: victim.name,
        firstMs: arrivals[0].atMs - killedAtMs,
        lastMs: arrivals[arrivals.length - 1].atMs - killedAtMs,
      };
      results.push(result);
      onRound(result);
    }
    return { rounds: results, confirmed, consumed };
  } finally {
    for (const connection of connections.reverse())
      await Promise.resolve()
        .then(() => connection.close())
        .catch(() => undefined);
    for (const node of nodes.reverse()) await node.stop();
  }
}
