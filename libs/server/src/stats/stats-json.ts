import {
  MAX_SAMPLES_PER_RANGE,
  MESSAGE_STAT_NAMES,
  statDetails,
  writeCounters,
  type MessageCounters,
  type MessageStatName,
  type SampleRange,
  type SampleRing,
} from '@app/broker-core';
import type { Queue } from '@app/broker-core';
import type { Exchange } from '@app/routing';
import { ManagementError } from '../management/management-error.js';
import type { RequestData } from '../management/management-request.js';
import type { AmqpConnection } from '../connection/connection.js';
import type { Channel } from '../connection/channel.js';
import { MESSAGES_FIELD, MESSAGES_READY_FIELD, MESSAGES_UNACKED_FIELD, type StatsSampler } from './stats-sampler.js';

// RabbitMQ's `message_stats` and `*_details` JSON from the sampler's histories. Management requests only: allocation
// is fine here.

/** The sample windows a request asked for (`lengths_age`/`lengths_incr`, `msg_rates_age`/`msg_rates_incr`). */
export interface StatsRanges {
  lengths?: SampleRange;
  msgRates?: SampleRange;
  /** `disable_stats=true`: leave the statistics out (RabbitMQ's cheaper lists). */
  disabled?: boolean;
}

/** The query parameters the admin API passes through, in seconds as RabbitMQ takes them. */
export const STATS_QUERY_KEYS = ['lengths_age', 'lengths_incr', 'msg_rates_age', 'msg_rates_incr'] as const;

function secondsField(data: RequestData, key: string): number | undefined {
  const raw = data[key];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 86_400) {
    throw ManagementError.badRequest(`${key} must be a whole number of seconds from 1 to 86400`);
  }
  return value;
}

function rangeOf(data: RequestData, prefix: 'lengths' | 'msg_rates'): SampleRange | undefined {
  const age = secondsField(data, `${prefix}_age`);
  const incr = secondsField(data, `${prefix}_incr`);
  if (age === undefined && incr === undefined) return undefined;
  // RabbitMQ's management UI defaults: the last minute, every 5 seconds.
  const ageSeconds = age ?? 60;
  const incrSeconds = incr ?? 5;
  if (ageSeconds / incrSeconds + 1 > MAX_SAMPLES_PER_RANGE) {
    throw ManagementError.badRequest(`${prefix}_age / ${prefix}_incr asks for more than ${MAX_SAMPLES_PER_RANGE} samples`);
  }
  return { ageMs: ageSeconds * 1000, incrMs: incrSeconds * 1000 };
}

/** The windows of a request's query parameters; a bad value is a 400 naming it. */
export function statsRangesOf(data: RequestData): StatsRanges {
  const disabled = data.disable_stats === true || data.disable_stats === 'true';
  return { lengths: rangeOf(data, 'lengths'), msgRates: rangeOf(data, 'msg_rates'), disabled };
}

/** The `message_stats` fields RabbitMQ reports per kind of object. */
export const QUEUE_STAT_NAMES: readonly MessageStatName[] = [
  'publish',
  'deliver',
  'deliver_no_ack',
  'ack',
  'redeliver',
  'get',
  'get_no_ack',
  'get_empty',
  'deliver_get',
];
export const CHANNEL_STAT_NAMES: readonly MessageStatName[] = MESSAGE_STAT_NAMES;

const FIELD_OF = new Map<string, number>(MESSAGE_STAT_NAMES.map((name, index) => [name, index]));

/** `message_stats` of counters: each count (now) and its `_details` from the history. */
export function messageStatsJson(
  counters: MessageCounters,
  names: readonly MessageStatName[],
  ring: SampleRing | undefined,
  range: SampleRange | undefined,
  now: number,
): Record<string, unknown> {
  const values = new Array<number>(MESSAGE_STAT_NAMES.length);
  writeCounters(counters, values, 0);
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const field = FIELD_OF.get(name)!;
    out[name] = values[field];
    out[`${name}_details`] = statDetails(ring, field, range, now);
  }
  return out;
}

/** An exchange's `message_stats`: `publish_in` and `publish_out`. */
export function exchangeStatsJson(
  exchange: Exchange<Queue>,
  ring: SampleRing | undefined,
  range: SampleRange | undefined,
  now: number,
): Record<string, unknown> {
  return {
    publish_in: exchange.publishIn,
    publish_in_details: statDetails(ring, 0, range, now),
    publish_out: exchange.publishOut,
    publish_out_details: statDetails(ring, 1, range, now),
  };
}

/** `messages_details`, `messages_ready_details`, `messages_unacknowledged_details` of a queue, vhost or overview. */
export function lengthDetailsJson(ring: SampleRing | undefined, range: SampleRange | undefined, now: number): Record<string, unknown> {
  return {
    messages_details: statDetails(ring, MESSAGES_FIELD, range, now),
    messages_ready_details: statDetails(ring, MESSAGES_READY_FIELD, range, now),
    messages_unacknowledged_details: statDetails(ring, MESSAGES_UNACKED_FIELD, range, now),
  };
}

/** What a queue adds to its `/api/queues` JSON: `message_stats` and the lengths' `_details`. */
export function queueStatsJson(sampler: StatsSampler, queue: Queue, ranges: StatsRanges, now: number): Record<string, unknown> {
  if (ranges.disabled) return {};
  const ring = sampler.queueHistory(queue);
  return {
    message_stats: messageStatsJson(queue.stats, QUEUE_STAT_NAMES, ring, ranges.msgRates, now),
    ...lengthDetailsJson(ring, ranges.lengths, now),
  };
}

/** What a channel adds to its `/api/channels` JSON. */
export function channelStatsJson(sampler: StatsSampler, channel: Channel, ranges: StatsRanges, now: number): Record<string, unknown> {
  if (ranges.disabled) return {};
  return { message_stats: messageStatsJson(channel.stats, CHANNEL_STAT_NAMES, sampler.channelHistory(channel), ranges.msgRates, now) };
}

/** What a connection adds to its `/api/connections` JSON (the counts of its channels, open and closed). */
export function connectionStatsJson(
  sampler: StatsSampler,
  connection: AmqpConnection,
  ranges: StatsRanges,
  now: number,
): Record<string, unknown> {
  if (ranges.disabled) return {};
  const counters = sampler.connectionCounters(connection);
  return { message_stats: messageStatsJson(counters, CHANNEL_STAT_NAMES, sampler.connectionHistory(connection), ranges.msgRates, now) };
}

/** What a vhost adds to its `/api/vhosts` JSON, given its counters now. */
export function vhostStatsJson(
  sampler: StatsSampler,
  vhost: string,
  counters: MessageCounters,
  ranges: StatsRanges,
  now: number,
): Record<string, unknown> {
  if (ranges.disabled) return {};
  const ring = sampler.vhostHistory(vhost);
  return {
    message_stats: messageStatsJson(counters, CHANNEL_STAT_NAMES, ring, ranges.msgRates, now),
    ...lengthDetailsJson(ring, ranges.lengths, now),
  };
}

/**
 * The overview's `message_stats` and the `_details` of its `queue_totals`, given the counters now and their
 * history (the whole broker's, or the sum of the caller's vhosts').
 */
export function overviewStatsJson(
  ring: SampleRing,
  counters: MessageCounters,
  ranges: StatsRanges,
  now: number,
): { message_stats: Record<string, unknown>; queueTotalsDetails: Record<string, unknown> } {
  if (ranges.disabled) return { message_stats: {}, queueTotalsDetails: {} };
  return {
    message_stats: messageStatsJson(counters, CHANNEL_STAT_NAMES, ring, ranges.msgRates, now),
    queueTotalsDetails: lengthDetailsJson(ring, ranges.lengths, now),
  };
}
