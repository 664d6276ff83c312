/**
 * Storage parameters of the shared-queue tables (migrations 5 and 6). Every message is an insert, a claim (an
 * update) and a delete, so the tables turn over fast: vacuum and analyze after a few thousand changed rows, not after
 * a fifth of the table, or dead index entries pile up under the claims and the planner's estimates go stale
 * (docs/BENCHMARKS.md, "Several nodes on one PostgreSQL").
 */
export const SHARED_TABLE_AUTOVACUUM =
  'autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000, autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 5000';
