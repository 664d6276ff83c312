import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelDatabase, type LevelDatabaseOptions } from './level-database.js';

// LevelDB memory-maps the table files it opens, and what it reads of them stays in the process's RSS until the file
// is closed (docs/RELIABILITY.md, "Queues bigger than memory"): the open-file limit bounds that part.
const MIB = 1024 * 1024;
const TABLE_COUNT = 100;
const VALUE = Buffer.alloc(64 * 1024, 7);

/** Table files of `dir` this process has memory-mapped now. */
function mappedTables(dir: string): number {
  const tables = new Set<string>();
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const path = line.slice(line.indexOf('/'));
    if (path.startsWith(dir) && /\.(ldb|sst)$/.test(path)) tables.add(path);
  }
  return tables.size;
}

/** Writes ~TABLE_COUNT MiB in ascending keys (1 MiB tables, moved down as they are), reads it all back. */
async function fillAndRead(options: LevelDatabaseOptions): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-mapped-tables-'));
  const database = new LevelDatabase(dir, { writeBufferSize: MIB, maxFileSize: MIB, ...options });
  await database.acquire();
  try {
    const perTable = MIB / VALUE.length;
    for (let table = 0; table < TABLE_COUNT; table++) {
      const ops = Array.from({ length: perTable }, (_, i) => ({
        type: 'put' as const,
        key: `k!${String(table * perTable + i).padStart(8, '0')}`,
        value: VALUE,
      }));
      await database.db.batch(ops);
    }
    let read = 0;
    for await (const value of database.db.values({ gte: 'k!', lt: 'k"' })) read += value.length;
    expect(read).toBe(TABLE_COUNT * MIB);
    return mappedTables(dir);
  } finally {
    await database.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('LevelDatabase open table files', () => {
  it('keeps at most 64 table files mapped by default, however many it reads', async () => {
    const mapped = await fillAndRead({});
    expect(mapped).toBeGreaterThan(0);
    expect(mapped).toBeLessThanOrEqual(64);
  }, 120_000);

  it('maps every table it reads with a larger limit (what the default prevents)', async () => {
    expect(await fillAndRead({ maxOpenFiles: 1000 })).toBeGreaterThan(64);
  }, 120_000);
});
