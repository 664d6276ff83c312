import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { spawnBrokerProcess as spawnBroker } from '../support/broker-process.js';

describe('broker process', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'warren-process-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('closes clients with 320 CONNECTION_FORCED on %s and exits 0', async (signal) => {
    const broker = spawnBroker({ WARREN_DATA_DIR: dataDir });
    try {
      const connection = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${await broker.port()}`);
      connection.on('error', () => undefined);
      const closed = new Promise<unknown>((resolve) => connection.on('close', resolve));
      broker.child.kill(signal);
      expect(String(await closed)).toMatch(/CONNECTION_FORCED/);
      expect(await broker.exited).toBe(0);
    } finally {
      broker.child.kill('SIGKILL');
    }
  });

  it.each([
    ['WARREN_AMQP_PORT', 'not-a-port'],
    ['WARREN_LOG_LEVEL', 'chatty'],
    ['WARREN_AMQP_PORT', ''],
    ['WARREN_AMQP_PORT', '0x50'],
    ['WARREN_MANAGEMENT_PORT', '65536'],
  ])('refuses to start with a bad %s and names it', async (name, value) => {
    const broker = spawnBroker({ WARREN_DATA_DIR: dataDir, [name]: value });
    expect(await broker.exited).toBe(2);
    expect(broker.output()).toContain(name);
    expect(broker.output()).not.toMatch(/\n\s+at /);
  });
});
