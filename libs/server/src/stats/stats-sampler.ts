import {
  MESSAGE_STAT_NAMES,
  MessageCounters,
  SampleRing,
  writeCounters,
  type BrokerCore,
  type Queue,
  type VirtualHost,
} from '@app/broker-core';
import type { Exchange } from '@app/routing';
import type { AmqpConnection } from '../connection/connection.js';
import type { Channel } from '../connection/channel.js';

/** Fields of a channel or connection sample: the counters, in `MESSAGE_STAT_NAMES` order. */
export const COUNTER_FIELDS = MESSAGE_STAT_NAMES.length;
/** Field indexes of the lengths that follow the counters in queue, vhost and overview samples. */
export const MESSAGES_FIELD = COUNTER_FIELDS;
export const MESSAGES_READY_FIELD = COUNTER_FIELDS + 1;
export const MESSAGES_UNACKED_FIELD = COUNTER_FIELDS + 2;
/** Fields of a queue, vhost or overview sample: counters, then messages, ready, unacknowledged. */
export const COUNTER_AND_LENGTH_FIELDS = COUNTER_FIELDS + 3;
/** Fields of an exchange sample: `publish_in`, `publish_out`. */
export const EXCHANGE_FIELDS = 2;

/** How long histories reach back: per object (queue, exchange, channel, connection), and for vhosts and the overview. */
const OBJECT_HISTORY_MS = 2 * 60_000;
const GLOBAL_HISTORY_MS = 10 * 60_000;

/** What the sampler reads: WarrenBroker satisfies it. */
export interface StatsHost {
  readonly core: BrokerCore;
  allConnections(): IterableIterator<AmqpConnection>;
}

/**
 * Samples every object's message counters and queue lengths every `intervalMs` into short histories
 * (`SampleRing`s), which the management API turns into RabbitMQ's rates and `samples`. Runs on its own timer,
 * never on the message path; histories of deleted queues, exchanges and closed channels go with their objects
 * (weak maps). Counters of closed channels live on in their connection and, once it closes, in {@link retired}
 * totals per vhost, so vhost and overview counts only grow.
 */
export class StatsSampler {
  private readonly queues = new WeakMap<Queue, SampleRing>();
  private readonly exchanges = new WeakMap<Exchange<Queue>, SampleRing>();
  private readonly channels = new WeakMap<Channel, SampleRing>();
  private readonly connections = new WeakMap<AmqpConnection, SampleRing>();
  private readonly vhosts = new Map<string, SampleRing>();
  private readonly overview: SampleRing;
  /** Counters of closed connections, by vhost name. */
  private readonly retiredByVhost = new Map<string, MessageCounters>();
  /** Counters of every closed connection (kept when its vhost is deleted: Prometheus counters never go down). */
  private readonly retired = new MessageCounters();
  /** Client connections accepted, and closed (management connections not counted). */
  private connectionsOpenedCount = 0;
  private connectionsClosedCount = 0;
  /** Channels opened on connections that have closed since. */
  private retiredChannelsOpened = 0;
  private readonly objectCapacity: number;
  private readonly globalCapacity: number;
  private readonly scratch = new Float64Array(COUNTER_AND_LENGTH_FIELDS);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly host: StatsHost,
    readonly intervalMs: number,
  ) {
    this.objectCapacity = historyCapacity(OBJECT_HISTORY_MS, intervalMs);
    this.globalCapacity = historyCapacity(GLOBAL_HISTORY_MS, intervalMs);
    this.overview = new SampleRing(COUNTER_AND_LENGTH_FIELDS, this.globalCapacity);
  }

  /** Starts sampling (a first sample now, so rates appear one interval later). Unref'd: never keeps the process up. */
  start(): void {
    if (this.timer) return;
    this.sample(Date.now());
    this.timer = setInterval(() => this.sample(Date.now()), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer (broker shutdown). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A client connection was accepted. */
  connectionOpened(connection: AmqpConnection): void {
    if (!connection.isManagement) this.connectionsOpenedCount++;
  }

  /** A connection closed (its channels already released into `closedChannelStats`): keeps its counts in the totals. */
  connectionClosed(connection: AmqpConnection): void {
    if (connection.isManagement) return;
    this.connectionsClosedCount++;
    this.retiredChannelsOpened += connection.channelsOpened;
    const vhost = connection.vhost?.name;
    if (vhost === undefined) return;
    const counters = connection.closedChannelStats;
    this.retired.add(counters);
    let byVhost = this.retiredByVhost.get(vhost);
    if (!byVhost) this.retiredByVhost.set(vhost, (byVhost = new MessageCounters()));
    byVhost.add(counters);
  }

  /** Connection and channel churn since start (RabbitMQ's `*_opened_total` / `*_closed_total`). */
  churn(): { connectionsOpened: number; connectionsClosed: number; channelsOpened: number; channelsClosed: number } {
    let channelsOpened = this.retiredChannelsOpened;
    let openChannels = 0;
    for (const connection of this.host.allConnections()) {
      if (connection.isManagement) continue;
      channelsOpened += connection.channelsOpened;
      if (connection.state !== 'closed') for (const _ of connection.allChannels()) openChannels++;
    }
    return {
      connectionsOpened: this.connectionsOpenedCount,
      connectionsClosed: this.connectionsClosedCount,
      channelsOpened,
      channelsClosed: channelsOpened - openChannels,
    };
  }

  queueHistory(queue: Queue): SampleRing | undefined {
    return this.queues.get(queue);
  }

  exchangeHistory(exchange: Exchange<Queue>): SampleRing | undefined {
    return this.exchanges.get(exchange);
  }

  channelHistory(channel: Channel): SampleRing | undefined {
    return this.channels.get(channel);
  }

  connectionHistory(connection: AmqpConnection): SampleRing | undefined {
    return this.connections.get(connection);
  }

  vhostHistory(vhost: string): SampleRing | undefined {
    return this.vhosts.get(vhost);
  }

  overviewHistory(): SampleRing {
    return this.overview;
  }

  /** A connection's counters now: its closed channels' plus its open channels'. */
  connectionCounters(connection: AmqpConnection): MessageCounters {
    const total = new MessageCounters();
    total.add(connection.closedChannelStats);
    for (const channel of connection.allChannels()) total.add(channel.stats);
    return total;
  }

  /** Counters now, by vhost name (closed connections included), and over all vhosts. */
  countersByVhost(): { byVhost: Map<string, MessageCounters>; total: MessageCounters } {
    const byVhost = new Map<string, MessageCounters>();
    const total = new MessageCounters();
    total.add(this.retired);
    for (const vhost of this.host.core.allVhosts()) {
      const counters = new MessageCounters();
      const retired = this.retiredByVhost.get(vhost.name);
      if (retired) counters.add(retired);
      byVhost.set(vhost.name, counters);
    }
    for (const connection of this.host.allConnections()) {
      if (connection.state === 'closed' || !connection.vhost || connection.isManagement) continue;
      const counters = byVhost.get(connection.vhost.name);
      const live = this.connectionCounters(connection);
      counters?.add(live);
      total.add(live);
    }
    return { byVhost, total };
  }

  /** Takes one sample of everything (the timer's tick; tests call it to avoid waiting). */
  sample(now: number): void {
    const sample = this.scratch;
    const { byVhost, total } = this.countersByVhost();
    let messages = 0;
    let ready = 0;
    let unacked = 0;
    const liveVhosts = new Set<string>();
    for (const vhost of this.host.core.allVhosts()) {
      liveVhosts.add(vhost.name);
      const lengths = this.sampleVhostObjects(vhost, now);
      messages += lengths[0];
      ready += lengths[1];
      unacked += lengths[2];
      writeCounters(byVhost.get(vhost.name) ?? new MessageCounters(), sample, 0);
      sample[MESSAGES_FIELD] = lengths[0];
      sample[MESSAGES_READY_FIELD] = lengths[1];
      sample[MESSAGES_UNACKED_FIELD] = lengths[2];
      let ring = this.vhosts.get(vhost.name);
      if (!ring) this.vhosts.set(vhost.name, (ring = new SampleRing(COUNTER_AND_LENGTH_FIELDS, this.globalCapacity)));
      ring.push(now, sample);
    }
    for (const name of this.vhosts.keys()) if (!liveVhosts.has(name)) this.vhosts.delete(name);
    for (const name of this.retiredByVhost.keys()) if (!liveVhosts.has(name)) this.retiredByVhost.delete(name);
    writeCounters(total, sample, 0);
    sample[MESSAGES_FIELD] = messages;
    sample[MESSAGES_READY_FIELD] = ready;
    sample[MESSAGES_UNACKED_FIELD] = unacked;
    this.overview.push(now, sample);
    this.sampleConnections(now);
  }

  /** Samples a vhost's queues and exchanges; returns its total messages, ready and unacknowledged. */
  private sampleVhostObjects(vhost: VirtualHost, now: number): [number, number, number] {
    const sample = this.scratch;
    let messages = 0;
    let ready = 0;
    let unacked = 0;
    for (const queue of vhost.allQueues()) {
      const queueReady = queue.messageCount;
      const queueUnacked = queue.unackedCount;
      ready += queueReady;
      unacked += queueUnacked;
      messages += queueReady + queueUnacked;
      let ring = this.queues.get(queue);
      // A queue that never had a message costs no history until it has one.
      if (!ring) {
        if (queue.stats.publish === 0 && queueReady === 0 && queueUnacked === 0) continue;
        this.queues.set(queue, (ring = new SampleRing(COUNTER_AND_LENGTH_FIELDS, this.objectCapacity)));
      }
      writeCounters(queue.stats, sample, 0);
      sample[MESSAGES_FIELD] = queueReady + queueUnacked;
      sample[MESSAGES_READY_FIELD] = queueReady;
      sample[MESSAGES_UNACKED_FIELD] = queueUnacked;
      ring.push(now, sample);
    }
    for (const exchange of vhost.topology.exchanges()) {
      let ring = this.exchanges.get(exchange);
      if (!ring) {
        if (exchange.publishIn === 0) continue;
        this.exchanges.set(exchange, (ring = new SampleRing(EXCHANGE_FIELDS, this.objectCapacity)));
      }
      sample[0] = exchange.publishIn;
      sample[1] = exchange.publishOut;
      ring.push(now, sample);
    }
    return [messages, ready, unacked];
  }

  private sampleConnections(now: number): void {
    const sample = this.scratch;
    for (const connection of this.host.allConnections()) {
      if (connection.state === 'closed' || !connection.vhost || connection.isManagement) continue;
      for (const channel of connection.allChannels()) {
        let ring = this.channels.get(channel);
        if (!ring) this.channels.set(channel, (ring = new SampleRing(COUNTER_FIELDS, this.objectCapacity)));
        writeCounters(channel.stats, sample, 0);
        ring.push(now, sample);
      }
      let ring = this.connections.get(connection);
      if (!ring) this.connections.set(connection, (ring = new SampleRing(COUNTER_FIELDS, this.objectCapacity)));
      writeCounters(this.connectionCounters(connection), sample, 0);
      ring.push(now, sample);
    }
  }
}

/** Samples covering `historyMs` at one per `intervalMs`, plus the one at the start; at least 2, at most 1000. */
function historyCapacity(historyMs: number, intervalMs: number): number {
  return Math.min(1000, Math.max(2, Math.ceil(historyMs / intervalMs) + 1));
}
