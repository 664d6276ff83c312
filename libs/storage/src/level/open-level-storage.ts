import type { OpenedStorage } from '../opened-storage.js';
import { LevelDatabase, type LevelDatabaseOptions } from './level-database.js';
import { LevelMessageStore, type LevelMessageStoreOptions } from './level-message-store.js';
import { LevelMetadataStore } from './level-metadata-store.js';

/** Options of {@link openLevelStorage}. */
export interface LevelStorageOptions extends LevelDatabaseOptions, LevelMessageStoreOptions {}

/** Both stores of one data directory, over one LevelDB database. */
export interface LevelStorage extends OpenedStorage {
  readonly messages: LevelMessageStore;
  readonly metadata: LevelMetadataStore;
  /** The shared database (health, stats, reopen). */
  readonly database: LevelDatabase;
  /** Waits for accepted writes and closes both stores and the database. */
  close(): Promise<void>;
}

/**
 * Opens (creating if empty) the Warren store in `dir`: one classic-level database shared by the message and
 * metadata stores, so they share one lock, one WAL and one group-commit pipeline. Rejects with StorageError
 * `NOT_A_WARREN_STORE`, `LOCKED` or `CORRUPTED` naming `dir` (`CORRUPTED` also when the write-ahead log lost
 * committed batches: see commit-epoch.ts). Lost or extra records that leave the log intact are reported by
 * `messages.verifyIntegrity()` instead.
 */
export async function openLevelStorage(dir: string, options: LevelStorageOptions = {}): Promise<LevelStorage> {
  const database = new LevelDatabase(dir, options);
  const messages = new LevelMessageStore(database, options);
  const metadata = new LevelMetadataStore(database);
  await messages.open();
  try {
    await metadata.open();
  } catch (error) {
    await messages.close();
    throw error;
  }
  return {
    messages,
    metadata,
    database,
    async close() {
      await metadata.close();
      await messages.close();
    },
  };
}
