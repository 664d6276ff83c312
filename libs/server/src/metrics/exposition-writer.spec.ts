import { CHUNK_BYTES, ChunkPool } from './chunk-pool.js';
import { ExpositionWriter, labelBytes, textBytes } from './exposition-writer.js';
import { writeSeriesFamilies, type SeriesFamily } from './series-metric.js';

const decode = (writer: ExpositionWriter): string => Buffer.concat(writer.finish().chunks).toString('utf8');

describe('ExpositionWriter', () => {
  it('writes integers in place and every other number as the text format reads it', () => {
    const values = [0, 7, 9, 10, 99, 100, 123456789, 2147483647, 2147483648, 2 ** 53, -1, -10, -2147483647, -2147483648, -2147483649];
    const others = [1.5, -0.25, 1e21, 1e-7, NaN, Infinity, -Infinity, -0];
    const writer = new ExpositionWriter();
    for (const value of [...values, ...others]) {
      writer.number(value);
      writer.byte(0x0a);
    }
    expect(decode(writer).split('\n').slice(0, -1)).toEqual([
      ...values.map(String),
      ...['1.5', '-0.25', '1e+21', '1e-7', 'NaN', '+Inf', '-Inf', '0'],
    ]);
  });

  it('escapes backslash, double quote and line feed in label values, and keeps UTF-8', () => {
    const labels = labelBytes(['vhost', 'a\\b', 'queue', 'say "hi"\nthen ünïcødé 🐇']);
    expect(Buffer.from(labels).toString('utf8')).toBe('{vhost="a\\\\b",queue="say \\"hi\\"\\nthen ünïcødé 🐇"} ');
  });

  it('spills across chunks without losing or reordering bytes, and counts them', () => {
    // Enough lines for several 256 KiB chunks, with multi-byte text so that chunk ends fall anywhere.
    const writer = new ExpositionWriter();
    let expected = '';
    const name = textBytes('rabbitmq_queue_messages_ready');
    for (let i = 0; i < 40_000; i++) {
      const queue = `queue.${i}.${'é'.repeat(i % 7)}`;
      // Every other line as one series() call, the rest piece by piece.
      if (i % 2 === 0) writer.series(name, labelBytes(['vhost', '/', 'queue', queue]), i * 37);
      else {
        writer.bytes(name);
        writer.bytes(labelBytes(['vhost', '/', 'queue', queue]));
        writer.number(i * 37);
        writer.byte(0x0a);
      }
      if (i % 1000 === 0) writer.text(`# ${'ü'.repeat(i % 13)}\n`);
      expected += `rabbitmq_queue_messages_ready{vhost="/",queue="${queue}"} ${i * 37}\n`;
      if (i % 1000 === 0) expected += `# ${'ü'.repeat(i % 13)}\n`;
    }
    const { chunks, byteLength } = writer.finish();
    expect(chunks.length).toBeGreaterThan(4);
    expect(byteLength).toBe(Buffer.byteLength(expected));
    expect(Buffer.concat(chunks).toString('utf8')).toBe(expected);
  });

  it('takes text longer than a chunk', () => {
    const writer = new ExpositionWriter();
    const long = 'x'.repeat(300 * 1024) + 'ü';
    writer.byte(0x23);
    writer.text(long);
    expect(decode(writer)).toBe('#' + long);
  });
});

describe('ExpositionWriter with a ChunkPool', () => {
  const write = (pool: ChunkPool, lines: number, seed: number): { text: string; pooled: readonly Buffer[] } => {
    const writer = new ExpositionWriter(pool);
    for (let i = 0; i < lines; i++) writer.text(`line ${seed} ${i}\n`);
    const { chunks, pooled } = writer.finish();
    return { text: Buffer.concat(chunks).toString('latin1'), pooled };
  };
  const expected = (lines: number, seed: number): string => Array.from({ length: lines }, (_, i) => `line ${seed} ${i}\n`).join('');

  it('reuses the chunks given back, and the text written into them is the new one', () => {
    const pool = new ChunkPool(8);
    const first = write(pool, 60_000, 1);
    expect(first.text).toBe(expected(60_000, 1));
    expect(first.pooled.length).toBeGreaterThan(2);
    pool.give(first.pooled);
    expect(pool.spareCount).toBe(first.pooled.length);
    const second = write(pool, 50_000, 2);
    expect(second.text).toBe(expected(50_000, 2));
    expect(second.pooled.every((chunk) => first.pooled.includes(chunk))).toBe(true);
    expect(pool.spareCount).toBe(first.pooled.length - second.pooled.length);
  });

  it('keeps at most its maximum of spare chunks, and only whole chunks', () => {
    const pool = new ChunkPool(2);
    pool.give([Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)]);
    expect(pool.spareCount).toBe(2);
    const other = new ChunkPool(4);
    other.give([Buffer.allocUnsafe(100), Buffer.allocUnsafe(CHUNK_BYTES * 2).subarray(CHUNK_BYTES)]);
    expect(other.spareCount).toBe(0);
  });
});

describe('writeSeriesFamilies', () => {
  it('writes HELP, TYPE and one line per series, labelled or not, a blank line after each family', async () => {
    const families: SeriesFamily[] = [
      {
        name: 'rabbitmq_queue_messages',
        help: 'Sum of ready and unacknowledged messages - total queue depth',
        type: 'gauge',
        collect(sample) {
          sample(labelBytes(['vhost', '/', 'queue', 'a']), 3);
          sample(labelBytes(['vhost', '/', 'queue', 'b']), 0);
        },
      },
      { name: 'rabbitmq_channel_get_total', help: 'Gets', type: 'counter', collect: (sample) => sample(undefined, 12) },
    ];
    const writer = new ExpositionWriter();
    await writeSeriesFamilies(writer, families);
    expect(decode(writer)).toBe(
      '# HELP rabbitmq_queue_messages Sum of ready and unacknowledged messages - total queue depth\n' +
        '# TYPE rabbitmq_queue_messages gauge\n' +
        'rabbitmq_queue_messages{vhost="/",queue="a"} 3\n' +
        'rabbitmq_queue_messages{vhost="/",queue="b"} 0\n' +
        '\n' +
        '# HELP rabbitmq_channel_get_total Gets\n' +
        '# TYPE rabbitmq_channel_get_total counter\n' +
        'rabbitmq_channel_get_total 12\n' +
        '\n',
    );
  });
});
