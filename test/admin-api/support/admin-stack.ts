import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnBrokerProcess, type BrokerProcess } from '../../support/broker-process.js';
import { spawnAdminApiProcess, type AdminApiProcess } from './admin-api-process.js';

/** An HTTP answer: status, headers and the parsed JSON body (undefined when empty). */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** An admin API process and a way to call it. */
export interface AdminApi {
  baseUrl: string;
  /** Calls the admin API as guest (or with `auth`: `user:pass`, or null for none). */
  api<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options?: { auth?: string | null; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  stop(): Promise<void>;
}

/** A broker process plus an admin API process pointed at it, each on a free port. */
export interface AdminStack extends AdminApi {
  /** The broker's client port (guest). */
  amqpUrl: string;
  /** The broker's management listener (guest), where the admin API connects. */
  managementUrl: string;
}

async function kill(process: BrokerProcess | AdminApiProcess | undefined): Promise<void> {
  if (!process || process.child.exitCode !== null || process.child.signalCode !== null) return;
  process.child.kill('SIGTERM');
  const timer = setTimeout(() => process.child.kill('SIGKILL'), 15_000);
  await process.exited;
  clearTimeout(timer);
}

/**
 * Starts an admin API process pointed at a broker's management listener (`managementUrl`, e.g. a test broker's
 * `managementUrl`); `stop()` kills it.
 */
export async function startAdminApi(managementUrl: string): Promise<AdminApi> {
  const admin = spawnAdminApiProcess({ WARREN_BROKER_URL: managementUrl });
  const stop = () => kill(admin);
  try {
    const baseUrl = await admin.baseUrl();
    const guest = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
    return {
      baseUrl,
      async api(method, path, body, options = {}) {
        const headers: Record<string, string> = { ...options.headers };
        const auth =
          options.auth === undefined ? guest : options.auth === null ? undefined : `Basic ${Buffer.from(options.auth).toString('base64')}`;
        if (auth) headers.authorization = auth;
        if (body !== undefined) headers['content-type'] = 'application/json';
        const response = await fetch(baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await response.text();
        return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Starts a fresh broker (own data directory) and an admin API; `stop()` kills both and removes the data. */
export async function startAdminStack(brokerEnv: Record<string, string> = {}): Promise<AdminStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-admin-'));
  let broker: BrokerProcess | undefined;
  let admin: AdminApi | undefined;
  const stop = async () => {
    await admin?.stop();
    await kill(broker);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    broker = spawnBrokerProcess({ WARREN_DATA_DIR: dataDir, ...brokerEnv });
    const port = await broker.port(60_000);
    const amqpUrl = `amqp://guest:guest@127.0.0.1:${port}`;
    const managementUrl = `amqp://guest:guest@127.0.0.1:${await broker.managementPort()}`;
    admin = await startAdminApi(managementUrl);
    return { ...admin, amqpUrl, managementUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
