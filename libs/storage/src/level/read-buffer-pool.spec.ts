import { describe, expect, it } from '@jest/globals';
import { ReadBufferPool } from './read-buffer-pool.js';

describe('ReadBufferPool', () => {
  it('allocates up to its limit, then makes readers wait for a buffer given back, first come first served', async () => {
    const pool = new ReadBufferPool(16, 2);
    const a = pool.take() as Buffer;
    const b = pool.take() as Buffer;
    expect([a.length, b.length, pool.size]).toEqual([16, 16, 2]);
    const served: string[] = [];
    const first = Promise.resolve(pool.take()).then((buffer) => (served.push('first'), buffer));
    const second = Promise.resolve(pool.take()).then((buffer) => (served.push('second'), buffer));
    pool.give(b);
    expect(await first).toBe(b);
    pool.give(a);
    expect(await second).toBe(a);
    expect(served).toEqual(['first', 'second']);
    expect(pool.size).toBe(2);
  });

  it('reuses a free buffer before allocating another', () => {
    const pool = new ReadBufferPool(8, 4);
    const a = pool.take() as Buffer;
    pool.give(a);
    expect(pool.take()).toBe(a);
    expect(pool.size).toBe(1);
  });
});
