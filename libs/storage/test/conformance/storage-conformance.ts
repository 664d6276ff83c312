/**
 * The storage conformance suite: one body of tests every MessageStore / MetadataStore backend must pass, run per
 * adapter by a `*.spec.ts` next to it (bullmq's adapter-conformance approach). Not a spec file
 * itself. Backend-specific behaviour (LevelDB format checks, locks, corruption) lives in the adapter's own spec.
 * A new backend (PostgreSQL, Redis) gets a factory and calls both functions; the cases must not be forked.
 */
export type {
  HarnessOpenOptions,
  MessageStoreFactory,
  MessageStoreHarness,
  MetadataStoreFactory,
  MetadataStoreHarness,
} from './conformance-harness.js';
export { recoverAll } from './conformance-harness.js';
export { describeMessageStoreConformance } from './message-store-conformance.js';
export { describeMetadataStoreConformance } from './metadata-store-conformance.js';
