import type { BrokerConfig } from '@app/server';
import type { OpenedStorage } from '@app/storage';
import { openLevelStorage } from '@app/storage/level';
import { openPostgresStorage } from '@app/storage/postgres';

/**
 * Opens the durable store `config.storage` names (`WARREN_STORE`): LevelDB under `dataDir`, or PostgreSQL at
 * `WARREN_POSTGRES_URL`. The PostgreSQL backend loads its driver (`pg`) only when it opens a store, so a LevelDB
 * broker never loads it.
 */
export async function openDurableStorage(config: BrokerConfig, dataDir: string): Promise<OpenedStorage> {
  if (config.storage !== 'postgres') {
    return openLevelStorage(dataDir, {
      writeBufferSize: config.levelWriteBufferSize,
      maxFileSize: config.levelMaxFileSize,
      maxOpenFiles: config.levelMaxOpenFiles,
    });
  }
  if (config.postgresUrl === undefined) throw new Error('broker: WARREN_STORE=postgres needs WARREN_POSTGRES_URL');
  if (config.multiNode) {
    // Several nodes share the schema: each registers under its name instead of locking it (docs/SCALE-OUT.md).
    return openPostgresStorage({
      connectionString: config.postgresUrl,
      schema: config.postgresSchema,
      nodeName: config.nodeName,
      nodeLeaseMs: config.nodeLeaseMs,
      sharedQueues: config.sharedQueues,
    });
  }
  // One node per schema: an exclusive lock (docs/ARCHITECTURE.md, "Storage").
  return openPostgresStorage({ connectionString: config.postgresUrl, schema: config.postgresSchema, exclusive: true });
}
