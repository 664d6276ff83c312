// Ports only: what the broker core codes against. The backends are separate entry points so that loading the
// core (or a memory-only broker) never loads the classic-level native module: `@app/storage/level` and
// `@app/storage/memory`.
export type {
  EnqueueEntry,
  IntegrityCheckOptions,
  IntegrityMismatch,
  IntegrityReport,
  MessageStore,
  QuarantinedMessage,
  QueueStorageInfo,
  ReadIndexOptions,
  StorageCapabilities,
  StoredIndexEntry,
  StoredMessage,
} from './message-store.js';
export {
  MESSAGE_RECORD_FORMAT_CRC32,
  MESSAGE_RECORD_HEADER_BYTES,
  allocateMessageRecord,
  checkMessageRecord,
  isMessageRecord,
  messageRecordOf,
  messageRecordPayload,
  sealMessageRecord,
} from './message-record.js';
export { METADATA_KINDS, isMetadataKind } from './metadata-store.js';
export type { MetadataKind, MetadataOp, MetadataRecord, MetadataStore } from './metadata-store.js';
export { StorageError, storageErrorFrom } from './storage-error.js';
export type { StorageErrorCode } from './storage-error.js';
export type { StorageFaultListener, StorageHealth } from './storage-health.js';
export type { OpenedStorage } from './opened-storage.js';
export type {
  ClusterChange,
  ClusterChangeKind,
  ClusterExclusiveQueue,
  ClusterNode,
  ClusterOp,
  ClusterStore,
  OrphanMessage,
} from './cluster-store.js';
export type {
  ActiveConsumer,
  ClaimedMessage,
  ExpiredMessage,
  ExpirySweep,
  SharedQueueCount,
  SharedQueueDropHandler,
  SharedQueueEntry,
  SharedQueueLimits,
  SharedQueueStore,
} from './shared-queue-store.js';
export type { AbandonedQueue, ConsumersRemoved, ExpiryCheck, SharedQueueUsageStore } from './shared-queue-usage-store.js';
export type { NodeMail, NodeMailbox } from './node-mailbox.js';
export { NamespacedMessageStore } from './namespaced-message-store.js';
export type { DueDelayedClaim, DueDelayedMessage, SharedDelayedStore } from './shared-delayed-store.js';
