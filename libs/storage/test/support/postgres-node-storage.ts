import { afterAll, beforeAll } from '@jest/globals';
import { openPostgresStorage, type PostgresStorage, type PostgresStorageOptions } from '../../src/postgres/open-postgres-storage.js';
import { type PostgresCluster, startPostgresCluster } from './postgres-cluster.js';

/** What {@link useNodeStorage} gives a spec file. */
export interface NodeStorageFixture {
  /** The throwaway database's URL (valid once `beforeAll` ran). */
  readonly url: string;
  /** Opens a node's storage on `schema` and registers the node (closed after the file). */
  open(schema: string, nodeName: string): Promise<PostgresStorage>;
}

/**
 * A throwaway PostgreSQL cluster with one database for a spec file of the multi-node stores, and the nodes'
 * storages opened on it (a 60 s lease, so no node expires during a test unless the test makes it), all closed and
 * the cluster stopped after the file.
 */
export function useNodeStorage(database: string, options: Partial<PostgresStorageOptions> = {}): NodeStorageFixture {
  let cluster: PostgresCluster | undefined;
  let url = '';
  const opened: PostgresStorage[] = [];
  beforeAll(async () => {
    cluster = await startPostgresCluster();
    url = await cluster.createDatabase(database);
  }, 180_000);
  afterAll(async () => {
    for (const storage of opened) await storage.close().catch(() => undefined);
    await cluster?.stop();
  }, 180_000);
  return {
    get url() {
      return url;
    },
    async open(schema, nodeName) {
      const storage = await openPostgresStorage({ nodeLeaseMs: 60_000, ...options, connectionString: url, schema, nodeName });
      opened.push(storage);
      await storage.cluster!.register({});
      return storage;
    },
  };
}
