// Percentiles and run aggregation, computed directly from samples so the bench needs no HDR histogram package.

/**
 * Nearest-rank percentile of an ascending-sorted Float64Array (q in [0, 1]).
 * Exact rather than HDR-bucketed: 50k samples sort in a few ms, so there is no precision to give up.
 */
export function percentile(sorted, q) {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** The latency summary the reference reports, from unsorted samples (sorted in place). */
export function latencySummary(samples) {
  samples.sort(); // TypedArray sort is numeric, unlike Array.prototype.sort
  return {
    count: samples.length,
    p50: percentile(samples, 0.5),
    p90: percentile(samples, 0.9),
    p99: percentile(samples, 0.99),
    p999: percentile(samples, 0.999),
    max: samples.length ? samples[samples.length - 1] : undefined,
  };
}

/** { median, min, max } of the defined numbers in values, or undefined if there are none. */
export function spread(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1] };
}
