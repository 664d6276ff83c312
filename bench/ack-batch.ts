// Warren-only benchmark: the main-thread cost of deleting acked messages from LevelDB, abstract-level's public
// `db.batch(array)` (before) against classic-level's own `_batch` (now: libs/storage/src/level/direct-batch.ts),
// interleaved round by round.
//   node --import ./test/support/register-ts.mjs bench/ack-batch.ts --messages 200000 --size 1024 --ack 1000 --rounds 3
// Each round and variant: a fresh store, --messages persistent records of --size random bytes with index records in
// one queue (not measured), then every message removed in acks of --ack seqs, each awaited (one group commit each:
// two deletes per message plus the queue's counters). Reported per 1,000 acked messages: the synchronous time of the
// batch call (what the event loop is blocked for: the per-operation preparation plus the native call building the
// LevelDB write batch) and the event loop's active time over the whole removal (eventLoopUtilization), and the
// removal rate. The data directories are removed at the end.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { messageRecordOf } from '../libs/storage/src/message-record.js';
import { writeBatch } from '../libs/storage/src/level/direct-batch.js';
import { LevelDatabase, type LevelBatchFn } from '../libs/storage/src/level/level-database.js';
import { LevelMessageStore } from '../libs/storage/src/level/level-message-store.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1]! : fallback;
};
const total = Number(option('messages', '200000'));
const size = Number(option('size', '1024'));
const ack = Number(option('ack', '1000'));
const rounds = Number(option('rounds', '3'));
const root = option('data-root', tmpdir());

const variants: Array<[string, LevelBatchFn]> = [
  ['db.batch (before)', (db, ops, options) => db.batch(ops, options)],
  ['direct _batch (now)', writeBatch],
];

async function run(name: string, batch: LevelBatchFn): Promise<string> {
  const dir = mkdtempSync(join(root, 'warren-ack-batch-'));
  let syncMs = 0;
  const timed: LevelBatchFn = (db, ops, options) => {
    const start = performance.now();
    const pending = batch(db, ops, options);
    syncMs += performance.now() - start;
    return pending;
  };
  const store = new LevelMessageStore(new LevelDatabase(dir, { batchFn: timed }), { compactAfterRemovals: Number.MAX_SAFE_INTEGER });
  try {
    await store.open();
    const index = Buffer.alloc(40, 7);
    for (let seq = 0; seq < total; seq += 1_000) {
      const count = Math.min(1_000, total - seq);
      await store.enqueue(
        Array.from({ length: count }, (_, i) => ({ queueId: 'deep', seq: seq + i, data: messageRecordOf(randomBytes(size)), index })),
      );
    }
    syncMs = 0;
    const elu = performance.eventLoopUtilization();
    const start = performance.now();
    for (let seq = 0; seq < total; seq += ack) {
      const count = Math.min(ack, total - seq);
      await store.remove(
        'deep',
        Array.from({ length: count }, (_, i) => seq + i),
      );
    }
    const wallMs = performance.now() - start;
    const used = performance.eventLoopUtilization(elu);
    const per1000 = (ms: number): string => ((ms * 1000) / total).toFixed(2);
    return (
      `${name.padEnd(20)} batch call ${per1000(syncMs)} ms, event loop active ${per1000(used.active)} ms per 1,000 acks; ` +
      `${Math.round((total / wallMs) * 1000)} acks/s`
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `${total} × ${size} B, acks of ${ack}, ${rounds} round(s), load average ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (let round = 1; round <= rounds; round++) {
  for (const [name, batch] of variants) console.log(`round ${round}: ${await run(name, batch)}`);
}
