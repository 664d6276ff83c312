import { spawnSourceProcess } from '../support/source-process.js';

describe('PostgreSQL driver loading', () => {
  it('is not loaded by a LevelDB broker, only when a PostgreSQL store is opened (so the check can fail)', async () => {
    const child = spawnSourceProcess('test/postgres/fixtures/driver-loading.ts', {});
    const line = await child.waitForLine(/^(\{.*\})$/m, 'the probe result', 60_000);
    expect(await child.exited).toBe(0);
    const result = JSON.parse(line) as { afterLevel: boolean; afterPostgres: boolean; error: string };
    expect(result).toEqual({ afterLevel: false, afterPostgres: true, error: expect.stringMatching(/cannot open the PostgreSQL store/) });
  });
});
