import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { ClassicLevel } from 'classic-level';
import { StorageError } from '@app/storage';
import { spawnBrokerProcess, type BrokerProcess } from '../support/broker-process.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { storageHealth } from '../support/storage-health.js';
import { waitFor } from '../support/wait-for.js';

const QUEUE = 'corruption';

/** A body naming its message, padded so a test can choose how much WAL the messages fill. */
const body = (i: number, size: number): Buffer => Buffer.from(`corruption-body-${String(i).padStart(4, '0')}|`.padEnd(size, '.'));

/** The newest LevelDB write-ahead log of `dir`: the broker's writes since its last start are all in it. */
function newestLog(dir: string): string {
  const names = readdirSync(dir);
  // Small data: nothing was compacted into a table yet, so damaging the log damages committed batches.
  expect(names.filter((name) => name.endsWith('.ldb'))).toEqual([]);
  const logs = names.filter((name) => name.endsWith('.log')).sort();
  expect(logs.length).toBeGreaterThan(0);
  return join(dir, logs[logs.length - 1]!);
}

/**
 * Start-up integrity: a store damaged behind the broker's back, by a lost
 * record, a truncated WAL or a flipped byte, and a data directory that is not a store at all, must each be a clear
 * start-up error naming the directory; never a crash with a stack trace, never a broker serving fewer messages
 * silently (a lost record that start-up does not see is reported by the check run once serving).
 */
describe('damaged data directory at start-up', () => {
  let root: string;
  let dataDir: string;
  let server: TestBroker | undefined;
  let child: BrokerProcess | undefined;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'warren-corruption-'));
    dataDir = join(root, 'data');
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    if (child !== undefined && child.child.exitCode === null && child.child.signalCode === null) {
      child.child.kill('SIGKILL');
      await child.exited;
    }
    child = undefined;
    rmSync(root, { recursive: true, force: true });
  });

  /** Runs a broker on `dataDir`, publishes `count` persistent messages (one confirm, so one batch, each), stops. */
  async function fill(count: number, size: number): Promise<void> {
    server = await startBroker({ storage: 'level', dataDir });
    const connection = await amqplib.connect(server.url);
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(QUEUE, { durable: true });
    for (let i = 0; i < count; i++) {
      channel.sendToQueue(QUEUE, body(i, size), { persistent: true, messageId: `m${i}` });
      await channel.waitForConfirms();
    }
    await connection.close();
    await server.close();
    server = undefined;
  }

  /** Starts a broker on `dir`, expecting a refusal; returns the error (closing the broker if it did start). */
  async function startFailure(dir: string): Promise<StorageError> {
    const outcome = await startBroker({ storage: 'level', dataDir: dir }).then(
      (started) => started,
      (error: unknown) => error,
    );
    if (!(outcome instanceof Error)) {
      server = outcome as TestBroker;
      throw new Error(`the broker started on ${dir}, with ${server.broker.recoveredMessages} messages recovered`);
    }
    expect(outcome).toBeInstanceOf(StorageError);
    expect(outcome.message).toContain(dir);
    return outcome as StorageError;
  }

  // Start-up does not read every message key (docs/RELIABILITY.md): a record lost while its index record and
  // the counters survived is found by the full check the broker runs once serving, and when its body is read.
  it('serves the rest of a store that lost a message record behind its back, never that message, and reports the loss', async () => {
    await fill(10, 64);
    const db = new ClassicLevel<string, Buffer>(dataDir, { valueEncoding: 'buffer' });
    await db.open();
    try {
      // Message records are `q!<escaped queue id>!m!<seq>` (level-keys.ts); other keys under `q!` are counters and index.
      const messages = (await db.keys({ gte: 'q!', lt: 'q"' }).all()).filter((key) => key.includes('!m!'));
      expect(messages).toHaveLength(10);
      await db.del(messages[4]!);
    } finally {
      await db.close();
    }
    server = await startBroker({ storage: 'level', dataDir });
    await server.broker.integrityCheck;
    expect(await storageHealth(server)).toMatchObject({
      response: { status: 'failed', reason: expect.stringMatching(/damaged: .*expected 10 messages, found 9/) },
    });
    const connection = await amqplib.connect(server.url);
    const channel = await connection.createChannel();
    const received: string[] = [];
    await channel.consume(QUEUE, (message) => message && received.push(message.content.toString()));
    await waitFor(() => received.length >= 9, { what: 'the intact messages' });
    // Anything else queued would have been delivered by now, right behind the others.
    await channel.checkQueue(QUEUE);
    await connection.close();
    expect(received).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9].map((i) => body(i, 64).toString()));
  });

  it('refuses a store whose write-ahead log was truncated in the middle', async () => {
    await fill(30, 64);
    const log = newestLog(dataDir);
    truncateSync(log, Math.floor(statSync(log).size / 2));
    const error = await startFailure(dataDir);
    expect(error).toMatchObject({ code: 'CORRUPTED', path: dataDir });
    expect(error.message).toMatch(/is damaged/);
    expect(error.message).toMatch(/committed writes are missing/);
  });

  // LevelDB drops the rest of the 32 KiB WAL block holding a record whose checksum fails, then replays the
  // following blocks. The flip lands inside a chosen message's body, so which records go is deterministic.
  it.each([
    {
      what: 'in a one-block WAL (everything after it is lost: the commit epoch sees it)',
      count: 10,
      size: 64,
      detail: /committed writes are missing/,
    },
    {
      // Small bodies, kept in LevelDB itself (larger ones go to the body log, leaving only pointers in the WAL).
      what: 'early in a multi-block WAL (later batches replay: the counters see it)',
      count: 200,
      size: 150,
      detail: /expected 200 messages, found \d+/,
    },
  ])('refuses a store with one byte flipped $what', async ({ count, size, detail }) => {
    await fill(count, size);
    const log = newestLog(dataDir);
    const wal = readFileSync(log);
    const at = wal.indexOf('corruption-body-0003|');
    expect(at).toBeGreaterThan(0);
    wal[at + 8]! ^= 0x20;
    writeFileSync(log, wal);
    const error = await startFailure(dataDir);
    expect(error).toMatchObject({ code: 'CORRUPTED', path: dataDir });
    expect(error.message).toMatch(/is damaged/);
    expect(error.message).toMatch(detail);
  });

  it('refuses a foreign directory without touching it', async () => {
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'holiday-photos.txt'), 'not a message store');
    const error = await startFailure(dataDir);
    expect(error).toMatchObject({ code: 'NOT_A_WARREN_STORE', path: dataDir });
    expect(error.message).toMatch(/not a LevelDB file/);
    expect(readdirSync(dataDir)).toEqual(['holiday-photos.txt']);
  });

  it('refuses a file given as the data directory', async () => {
    writeFileSync(dataDir, 'a file, not a directory');
    const error = await startFailure(dataDir);
    expect(error).toMatchObject({ code: 'NOT_A_WARREN_STORE', path: dataDir });
    expect(error.message).toMatch(/is not a directory/);
  });

  it('makes the broker process exit non-zero naming the directory, without a stack trace', async () => {
    await fill(30, 64);
    const log = newestLog(dataDir);
    truncateSync(log, Math.floor(statSync(log).size / 2));
    child = spawnBrokerProcess({ WARREN_DATA_DIR: dataDir });
    const broker = child;
    const outcome = await waitFor(
      () => (broker.child.exitCode !== null ? 'exited' : /listening on/.test(broker.output()) ? 'listening' : undefined),
      { timeoutMs: 30_000, what: 'the broker process to exit' },
    );
    expect(outcome).toBe('exited');
    const code = await broker.exited;
    // Output is read after exit: both pipes are drained by then.
    await waitFor(() => broker.output().includes(dataDir), { what: 'the error on stderr' });
    const output = broker.output();
    expect(code).not.toBe(0);
    expect(output).toContain(dataDir);
    expect(output).toMatch(/is damaged/);
    expect(output).not.toContain('\n    at ');
  });
});
