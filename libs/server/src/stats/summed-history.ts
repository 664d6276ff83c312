import { SampleRing } from '@app/broker-core';

/**
 * The field-by-field sum of several histories, on the timestamps of `timeline` (the overview's history, which the
 * sampler pushes in the same tick as every vhost's). A part missing a sample of the timeline (a vhost created
 * since, or none at all) counts 0 there. Management requests only: it allocates a ring per call.
 */
export function sumHistories(timeline: SampleRing, parts: ReadonlyArray<SampleRing | undefined>): SampleRing {
  const summed = new SampleRing(timeline.fields, Math.max(2, timeline.length));
  const sample = new Float64Array(timeline.fields);
  for (let back = timeline.length - 1; back >= 0; back--) {
    const timestamp = timeline.timestamp(back);
    sample.fill(0);
    for (const part of parts) {
      if (!part || part.fields !== timeline.fields) continue;
      const partBack = part.indexAtOrBefore(timestamp);
      if (partBack < 0 || part.timestamp(partBack) !== timestamp) continue;
      for (let field = 0; field < sample.length; field++) sample[field] += part.value(partBack, field);
    }
    summed.push(timestamp, sample);
  }
  return summed;
}
