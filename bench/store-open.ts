// Warren-only benchmark: how long the LevelDB message store takes to open with a deep queue, the start-up scan
// before (every message key: scanLevelStore) and now (index records and counters: loadLevelStore), interleaved.
//   node --import ./test/support/register-ts.mjs bench/store-open.ts --messages 300000 --size 1024 --rounds 3
// Writes --messages persistent records of --size random (incompressible) bytes with index records into one queue
// through LevelMessageStore (batches of 1,000), closes it, then times each scan --rounds times on the same data.
// The data directory is removed at the end.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageRecordOf } from '../libs/storage/src/message-record.js';
import { LevelDatabase } from '../libs/storage/src/level/level-database.js';
import { LevelMessageStore } from '../libs/storage/src/level/level-message-store.js';
import { loadLevelStore } from '../libs/storage/src/level/level-store-load.js';
import { scanLevelStore } from '../libs/storage/src/level/level-store-scan.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1]! : fallback;
};
const total = Number(option('messages', '300000'));
const size = Number(option('size', '1024'));
const rounds = Number(option('rounds', '3'));
const dir = mkdtempSync(join(tmpdir(), 'warren-store-open-'));
try {
  const store = new LevelMessageStore(new LevelDatabase(dir));
  await store.open();
  const index = messageRecordOf(Buffer.alloc(40, 7));
  for (let seq = 1; seq <= total; seq += 1_000) {
    const count = Math.min(1_000, total - seq + 1);
    await store.enqueue(
      Array.from({ length: count }, (_, i) => ({ queueId: 'deep', seq: seq + i, data: messageRecordOf(randomBytes(size)), index })),
    );
  }
  await store.close();
  for (let round = 1; round <= rounds; round++) {
    for (const [name, scan] of [
      ['message keys (before)', scanLevelStore],
      ['index records (now)', loadLevelStore],
    ] as const) {
      const database = new LevelDatabase(dir);
      await database.acquire();
      const start = performance.now();
      const result = await scan(database.db);
      const ms = performance.now() - start;
      await database.release();
      const count = result.queues.get('deep')?.live.size;
      console.log(`round ${round}: ${name}: ${ms.toFixed(0)} ms, ${count} messages, ok ${result.report.ok}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
