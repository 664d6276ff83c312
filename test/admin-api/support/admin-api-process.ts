import { spawnSourceProcess, type SourceProcess } from '../../support/source-process.js';

/** The admin API running in a child process, straight from the TypeScript sources. */
export interface AdminApiProcess extends SourceProcess {
  /** Waits for the listening line and returns the base URL (`http://127.0.0.1:PORT`, `https://` with TLS). */
  baseUrl(timeoutMs?: number): Promise<string>;
}

/** Runs apps/admin-api/src/main.ts in a child process, as `npm run dev:admin-api` does, with extra env. */
export function spawnAdminApiProcess(env: Record<string, string>): AdminApiProcess {
  const process = spawnSourceProcess('apps/admin-api/src/main.ts', { WARREN_HTTP_HOST: '127.0.0.1', WARREN_HTTP_PORT: '0', ...env });
  return {
    ...process,
    baseUrl: (timeoutMs = 60_000) => process.waitForLine(/listening on (https?:\/\/[^\s]+)/, 'the admin API to listen', timeoutMs),
  };
}
