import type { SampleRing } from './sample-ring.js';

/** A window of samples asked for by `lengths_age`/`lengths_incr` or `msg_rates_age`/`msg_rates_incr` (in ms here). */
export interface SampleRange {
  readonly ageMs: number;
  readonly incrMs: number;
}

/** Most samples one `_details` object may list (`age / incr + 1`): bounds what one request can make the broker build. */
export const MAX_SAMPLES_PER_RANGE = 1000;

/** RabbitMQ's `<field>_details`: the current rate per second, and with a range its samples, average and average rate. */
export interface StatDetails {
  rate: number;
  samples?: Array<{ sample: number; timestamp: number }>;
  avg?: number;
  avg_rate?: number;
}

/**
 * The `_details` of one field of a history. `rate` is the change per second between the two newest samples (0 with
 * fewer than two), as RabbitMQ computes it. With a range, `samples` lists, newest first, the value at each
 * `incr`-aligned instant from now back to `now - age` (the newest sample taken at or before it; instants before the
 * first sample are left out), `avg` is their mean and `avg_rate` the change per second from the oldest to the newest.
 */
export function statDetails(ring: SampleRing | undefined, field: number, range: SampleRange | undefined, now: number): StatDetails {
  const details: StatDetails = { rate: 0 };
  if (!ring || ring.length === 0) {
    if (range) Object.assign(details, { samples: [], avg: 0, avg_rate: 0 });
    return details;
  }
  if (ring.length >= 2) {
    const seconds = (ring.timestamp(0) - ring.timestamp(1)) / 1000;
    if (seconds > 0) details.rate = roundRate((ring.value(0, field) - ring.value(1, field)) / seconds);
  }
  if (!range) return details;
  const samples: Array<{ sample: number; timestamp: number }> = [];
  const newest = Math.floor(now / range.incrMs) * range.incrMs;
  const oldest = now - range.ageMs;
  for (let instant = newest; instant >= oldest && samples.length < MAX_SAMPLES_PER_RANGE; instant -= range.incrMs) {
    const back = ring.indexAtOrBefore(instant);
    if (back < 0) break;
    samples.push({ sample: ring.value(back, field), timestamp: instant });
  }
  let sum = 0;
  for (const { sample } of samples) sum += sample;
  details.samples = samples;
  details.avg = samples.length > 0 ? roundRate(sum / samples.length) : 0;
  const first = samples[0];
  const last = samples[samples.length - 1];
  details.avg_rate = samples.length >= 2 ? roundRate((first.sample - last.sample) / ((first.timestamp - last.timestamp) / 1000)) : 0;
  return details;
}

/** Rates to 0.01 msg/s, without float noise such as 19.999999999. */
function roundRate(value: number): number {
  return Math.round(value * 100) / 100;
}
