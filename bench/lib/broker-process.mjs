// A built Warren broker in a child process on loopback (port 0), for the benchmarks that restart it.
import { spawn } from 'node:child_process';

/**
 * Starts `entry` with its data in `dataDir` (and `env` over the defaults) and resolves once it prints its AMQP port:
 * `{ child, port, startMs }`, `startMs` being the time from spawn to listening. `onSpawn(child)` gets the child at
 * once, so a caller can stop a broker that never gets to listen.
 */
export function startBroker({ entry, dataDir, nodeArgs = [], timeoutMs = 120_000, env = {}, onSpawn = undefined }) {
  const startedAt = process.hrtime.bigint();
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    env: {
      ...process.env,
      WARREN_AMQP_HOST: '127.0.0.1',
      WARREN_AMQP_PORT: '0',
      WARREN_MANAGEMENT_PORT: '0',
      WARREN_METRICS_PORT: '0',
      WARREN_DATA_DIR: dataDir,
      WARREN_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onSpawn?.(child);
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`broker did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on amqp:\/\/[^:]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), startMs: Number(process.hrtime.bigint() - startedAt) / 1e6 });
      }
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
}

/** Stops the broker with SIGTERM and resolves when it has exited. */
export function stopBroker(child) {
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}
