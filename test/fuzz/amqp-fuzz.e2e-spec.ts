import amqplib from 'amqplib';
import { ReplyCode } from '@app/codec';
import type { AmqpConnection } from '@app/server';
import { startTestBroker, waitFor, type TestBroker } from '@app/testing';
import { CLIENT_STREAMS } from './support/client-streams.js';
import { forcedGc, settleHeap } from '../support/forced-gc.js';
import { runInput, type FuzzOutcome } from './support/fuzz-runner.js';
import { mutatedInput, Random } from './support/stream-mutator.js';

// Mutation fuzzing of the AMQP listener (hardening "Must show"; docs/fuzzing.md has the longer run): real client
// byte streams, mutated by a seeded generator, each sent on its own loopback connection to an in-process broker.
// Every input must end in connection.close with a reply code, a close of the socket, or an open idle connection;
// nothing may hang, and afterwards the broker holds no connection and no more heap than before.
const INPUTS = Number(process.env.FUZZ_INPUTS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_2026);
const CONCURRENCY = 12;
const HANDSHAKE_TIMEOUT_MS = 1000;
/** Longest an input may take: the handshake timeout, the close timeout and generous slack for a busy machine. */
const WINDOW_MS = HANDSHAKE_TIMEOUT_MS + 500 + 5000;
/** Heap the broker may keep after the run (caches warmed by the first inputs, the logger, jest's own allocations). */
const HEAP_GROWTH_BOUND = 12 * 1024 * 1024;
/** How long every broker-side connection may take to be collected once the table is empty. */
const COLLECTION_TIMEOUT_MS = 120_000;

const REPLY_CODES = new Set<number>(Object.values(ReplyCode).filter((value): value is number => typeof value === 'number'));

describe(`AMQP mutation fuzz (${INPUTS} inputs, seed ${SEED})`, () => {
  let broker: TestBroker;

  beforeAll(async () => {
    broker = await startTestBroker({ config: { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS } });
  });

  afterAll(async () => {
    await broker?.close();
  });

  it(
    'ends every input in a close code, a close or an open connection, and keeps no connection or heap',
    async () => {
      const random = new Random(SEED);
      const inputs = Array.from({ length: INPUTS }, () => mutatedInput(CLIENT_STREAMS, random));
      // A finalization registry, not WeakRefs: a WeakRef keeps its target alive until the end of the job that made it.
      let tracked = 0;
      let collected = 0;
      const registry = new FinalizationRegistry<undefined>(() => collected++);
      const isTracked = new WeakSet<AmqpConnection>();
      const seen = (connection: AmqpConnection) => {
        if (isTracked.has(connection)) return;
        isTracked.add(connection);
        registry.register(connection, undefined);
        tracked++;
      };
      const outcomes: FuzzOutcome[] = new Array(INPUTS);
      const warmUp = Math.min(30, INPUTS);
      let next = 0;
      const worker = async (limit: number) => {
        while (next < limit) {
          const index = next++;
          outcomes[index] = await runInput(broker, inputs[index]!, new Random(SEED ^ index), WINDOW_MS, seen);
        }
      };
      // A warm-up first, so the heap baseline includes what any run allocates once (codec tables, loggers, caches).
      await Promise.all(Array.from({ length: CONCURRENCY }, () => worker(warmUp)));
      await waitFor(() => broker.broker.allConnections().next().done, { what: 'no connection left after the warm-up' });
      await broker.reset();
      const baseline = await settleHeap();
      await Promise.all(Array.from({ length: CONCURRENCY }, () => worker(INPUTS)));

      if (process.env.FUZZ_REPORT) {
        const tally: Record<string, number> = {};
        for (const outcome of outcomes) {
          const key = outcome.kind === 'close-code' ? `close ${outcome.code}` : outcome.kind;
          tally[key] = (tally[key] ?? 0) + 1;
        }
        process.stdout.write(
          `${JSON.stringify({ inputs: INPUTS, seed: SEED, tally, hangs: outcomes.filter((outcome) => outcome.kind === 'hang').length })}\n`,
        );
      }
      const hangs = outcomes.flatMap((outcome, index) => (outcome.kind === 'hang' ? [{ index, state: outcome.state }] : []));
      expect(hangs).toEqual([]);
      const codes = outcomes.flatMap((outcome) => (outcome.kind === 'close-code' ? [outcome.code] : []));
      expect(codes.filter((code) => !REPLY_CODES.has(code))).toEqual([]);
      // The mutations reach past the protocol header: several reply codes, sockets closed and connections left open.
      expect(new Set(codes).size).toBeGreaterThanOrEqual(3);
      expect(outcomes.some((outcome) => outcome.kind === 'open')).toBe(true);
      expect(outcomes.some((outcome) => outcome.kind === 'closed')).toBe(true);

      // Nothing is held: no connection in the broker's table, every connection object collectable, a flat heap.
      await waitFor(() => broker.broker.allConnections().next().done, { what: 'no connection left in the broker' });
      await broker.reset();
      const after = await settleHeap();
      expect(tracked).toBeGreaterThan(INPUTS / 2);
      // Every broker-side connection object was collected: nothing (timer, map, listener) still references one.
      // Within a bound as generous as connection-leak's: one still holding a login hash in flight goes when it ends,
      // late on a busy machine (the hashing thread runs at a lower priority); a leaked one never does.
      await waitFor(() => collected === tracked || (forcedGc()(), undefined), {
        what: `${tracked - collected} connections collected`,
        timeoutMs: COLLECTION_TIMEOUT_MS,
        intervalMs: 50,
      });
      if (process.env.FUZZ_REPORT) process.stdout.write(`${JSON.stringify({ tracked, collected, heapGrowthBytes: after - baseline })}\n`);
      expect(after - baseline).toBeLessThan(HEAP_GROWTH_BOUND);

      // And the broker still serves a real client.
      const connection = await amqplib.connect(broker.url);
      const channel = await connection.createChannel();
      await channel.assertQueue('after-fuzz', { exclusive: true });
      channel.sendToQueue('after-fuzz', Buffer.from('still here'));
      const message = await waitFor(() => channel.get('after-fuzz', { noAck: true }).then((got) => got || undefined));
      expect(message.content.toString()).toBe('still here');
      await connection.close();
    },
    Math.max(60_000, INPUTS * 100) + COLLECTION_TIMEOUT_MS,
  );
});
