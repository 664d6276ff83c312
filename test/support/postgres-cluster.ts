// The throwaway PostgreSQL cluster of the storage conformance suite, shared with the broker-level tests.
export {
  postgresBinDir,
  startPostgresCluster,
  type PostgresCluster,
  type PostgresClusterOptions,
} from '../../libs/storage/test/support/postgres-cluster.js';
