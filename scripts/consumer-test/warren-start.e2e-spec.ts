// Consumer test (run by scripts/consumer-test.mjs in a temp app that installed the packed tarballs): the installed
// `warren start` serves AMQP, the installed `warren` CLI talks to its admin API, and the two library entry points
// load from plain Node.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { startTestBroker, waitFor } from '@warren-mq/testing';

/** Resolves with the first match of `pattern` in the child's stdout (rejects if it exits first). */
function lineOf(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) resolve(match);
    });
    child.once('exit', (code) => reject(new Error(`warren exited with ${code} before printing ${pattern}:\n${seen}`)));
  });
}

/** Publishes one message to a fresh queue and gets it back. */
async function roundTrip(url: string): Promise<string> {
  const connection = await amqplib.connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    channel.sendToQueue(queue, Buffer.from('hello warren'));
    await channel.waitForConfirms();
    const message = await waitFor(() => channel.get(queue, { noAck: true }));
    return message.content.toString();
  } finally {
    await connection.close();
  }
}

/** Runs the installed `warren` CLI (through npx, as a user would) and resolves with its exit code and output. */
function warren(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['warren', ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Every listener on a free port. */
const PORTS = { WARREN_AMQP_PORT: '0', WARREN_MANAGEMENT_PORT: '0', WARREN_HTTP_PORT: '0', WARREN_METRICS_PORT: '0' };

describe('the installed packages', () => {
  it('`npx warren start` runs the broker and the admin API; amqplib round-trips a message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-start-'));
    const dataDir = join(dir, 'data');
    // Its own process group, so that the SIGTERM below reaches warren (npx does not forward it) and its two apps.
    const child = spawn('npx', ['warren', 'start'], {
      env: { ...process.env, ...PORTS, WARREN_DATA_DIR: dataDir, WARREN_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    try {
      const admin = lineOf(child, /admin API listening on http:\/\/127\.0\.0\.1:(\d+)/);
      const [, port] = await lineOf(child, /broker listening on amqp:\/\/[^\s]+:(\d+)/);
      expect(await roundTrip(`amqp://guest:guest@127.0.0.1:${port}`)).toBe('hello warren');
      const [, httpPort] = await admin;
      const overview = await fetch(`http://127.0.0.1:${httpPort}/api/overview`, {
        headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
      });
      expect(overview.status).toBe(200);
      expect(existsSync(dataDir)).toBe(true);

      // The same `warren` command is the admin API's CLI.
      const url = `http://127.0.0.1:${httpPort}`;
      expect(await warren(['declare', 'queue', 'consumer.cli', '--url', url])).toMatchObject({
        code: 0,
        stdout: 'queue declared: consumer.cli\n',
      });
      expect(await warren(['publish', '--routing-key', 'consumer.cli', 'hi', '--url', url])).toMatchObject({ code: 0 });
      const table = await warren(['list', 'queues', '--url', url]);
      expect(table).toMatchObject({ code: 0, stderr: '' });
      // The last column is the publish rate, sampled every 5 s: 0 or a rate, depending on when the sample fell.
      expect(table.stdout).toMatch(/^\/\s+consumer\.cli\s+true\s+false\s+1\s+1\s+0\s+0\s+[\d.]+$/m);
      const listed = JSON.parse((await warren(['list', 'queues', '--format', 'json', '--url', url])).stdout) as { name: string }[];
      expect(listed.map((queue) => queue.name)).toContain('consumer.cli');
      const refused = await warren(['list', 'queues', '--url', url, '--password', 'wrong']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^warren: GET \/api\/queues: HTTP 401/);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
    // Each `npx warren` run starts npm and node: generous on a busy machine.
  }, 180_000);

  it('imports WarrenServer and WarrenClient from @warren-mq/transport with plain node', () => {
    const script = "import('@warren-mq/transport').then((t) => console.log(typeof t.WarrenServer, typeof t.WarrenClient))";
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('function function');
  });

  it('startTestBroker() gives a broker an amqplib client can use', async () => {
    const broker = await startTestBroker();
    try {
      expect(await roundTrip(broker.url)).toBe('hello warren');
    } finally {
      await broker.close();
    }
  });
});
