import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { ClassicLevel } from 'classic-level';
import { startTestBroker, type TestBroker } from '@app/testing';
import { storageHealth } from '../support/storage-health.js';
import { waitFor } from '../support/wait-for.js';

const QUEUE = 'table-corruption';
const COUNT = 20;
const DAMAGED = 3;

/**
 * A body naming its message; the padding is varied so the text stays literal in any compressed block. Small ones
 * stay in LevelDB; from 256 bytes on (with the message's other fields) they go to the body log's segment files.
 */
const body = (i: number, repeat: number): string =>
  `table-body-${String(i).padStart(4, '0')}|` + 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(repeat);

/** Flips one byte of the damaged message's body in the one file holding it (`files` lists the candidates). */
function flipIn(files: string[]): void {
  const marker = `table-body-${String(DAMAGED).padStart(4, '0')}|`;
  const holding = files.filter((file) => readFileSync(file).includes(marker));
  expect(holding).toHaveLength(1);
  const content = readFileSync(holding[0]!);
  content[content.indexOf(marker) + 40]! ^= 0x01;
  writeFileSync(holding[0]!, content);
}

/**
 * A byte flipped in a LevelDB table file (`.ldb`) or in a body-log segment file (`bodies/*.body`). LevelDB checks the
 * CRC of its write-ahead log records but does not verify table blocks on read by default, and the body log's files
 * are plain files, so only Warren's per-message checksum catches this: the damaged message must be held back
 * (quarantined) and reported, never delivered with an altered body; the others are served as usual.
 */
describe('a message damaged on disk', () => {
  let root: string;
  let dataDir: string;
  let server: TestBroker | undefined;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'warren-table-'));
    dataDir = join(root, 'data');
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(root, { recursive: true, force: true });
  });

  it.each([
    {
      where: 'in a LevelDB table file',
      repeat: 4,
      async damage(): Promise<void> {
        // Move everything from the write-ahead log into table files (uncompressed, so the bytes are findable).
        const raw = new ClassicLevel<string, Buffer>(dataDir, { valueEncoding: 'buffer', compression: false });
        await raw.open();
        await raw.compactRange('q!', 'q"');
        await raw.close();
        flipIn(
          readdirSync(dataDir)
            .filter((name) => name.endsWith('.ldb'))
            .map((name) => join(dataDir, name)),
        );
      },
    },
    {
      where: 'in a body-log segment file',
      repeat: 8,
      async damage(): Promise<void> {
        const bodies = join(dataDir, 'bodies');
        flipIn(readdirSync(bodies).map((name) => join(bodies, name)));
      },
    },
  ])('$where is quarantined with an error log line and a failing integrity report, never delivered altered', async ({ repeat, damage }) => {
    server = await startTestBroker({ dataDir });
    expect(await storageHealth(server)).toEqual({ id: 'health', response: { status: 'ok' } });
    {
      const connection = await amqplib.connect(server.url);
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue(QUEUE, { durable: true });
      for (let i = 0; i < COUNT; i++) channel.sendToQueue(QUEUE, Buffer.from(body(i, repeat)), { persistent: true });
      await channel.waitForConfirms();
      await connection.close();
    }
    await server.close();
    server = undefined;

    await damage();

    const lines: string[] = [];
    server = await startTestBroker({ dataDir, logLevel: 'error', log: (line) => lines.push(line) });
    const connection = await amqplib.connect(server.url);
    const channel = await connection.createChannel();
    const received: string[] = [];
    await channel.consume(QUEUE, (message) => {
      if (message) received.push(message.content.toString());
    });
    await waitFor(() => received.length >= COUNT - 1, { what: 'the intact messages' });
    // Anything else queued would have been delivered by now, right behind the others.
    await channel.checkQueue(QUEUE);
    await connection.close();

    const published = new Set(Array.from({ length: COUNT }, (_, i) => body(i, repeat)));
    expect(received.filter((text) => !published.has(text))).toEqual([]);
    expect(received).toHaveLength(COUNT - 1);
    expect(received).not.toContain(body(DAMAGED, repeat));

    const seq = DAMAGED + 1; // queue seqs start at 1
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.seq === seq);
    expect(logged).toEqual([expect.objectContaining({ level: 'error', queue: `%2F/${QUEUE}`, seq })]);
    expect(String(logged[0]!.msg)).toMatch(/damaged.*checksum mismatch.*quarantined/);

    const report = await server.broker.core.storage!.messages.verifyIntegrity();
    expect(report).toMatchObject({ ok: false, queues: [], errors: [], quarantined: [{ queueId: `%2F/${QUEUE}`, seq }] });
    // The health check fails while the message is quarantined (`/api/health/checks/storage-integrity` over HTTP).
    expect(await storageHealth(server)).toMatchObject({
      response: { status: 'failed', reason: expect.stringContaining(`quarantined (first: message ${seq} of queue %2F/${QUEUE})`) },
    });
  });
});
