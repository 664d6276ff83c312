import { BROKER_ACTOR, BrokerCore, Message, MessageCounters, PublishOutcome } from '@app/broker-core';
import type { AmqpConnection } from '../connection/connection.js';
import { COUNTER_FIELDS, MESSAGES_FIELD, MESSAGES_READY_FIELD, StatsSampler } from './stats-sampler.js';
import { queueStatsJson, statsRangesOf } from './stats-json.js';

// The sampler over a real core (queues, exchanges, publishes through the vhost), sampled by hand at chosen times.
describe('StatsSampler', () => {
  let core: BrokerCore;
  let sampler: StatsSampler;

  beforeEach(() => {
    core = new BrokerCore();
    sampler = new StatsSampler({ core, allConnections: () => [].values() }, 1000);
  });

  afterEach(() => {
    sampler.stop();
    core.dispose();
  });

  function declare(name: string): void {
    core
      .getVhost('/')!
      .execute(
        { kind: 'queue.declare', queue: name, options: { durable: false, exclusive: false, autoDelete: false, arguments: {} } },
        BROKER_ACTOR,
      );
  }

  function publish(queue: string): void {
    const vhost = core.getVhost('/')!;
    const outcome = vhost.publish(vhost.topology.getExchange('')!, queue, Message.withProperties('', queue, {}, Buffer.from('x')));
    expect(outcome).toBe(PublishOutcome.Routed);
  }

  it('keeps no history for a queue that never had a message, and samples one once it has', () => {
    declare('idle');
    declare('busy');
    publish('busy');
    publish('busy');
    sampler.sample(1000);
    const vhost = core.getVhost('/')!;
    expect(sampler.queueHistory(vhost.getQueue('idle')!)).toBeUndefined();
    const ring = sampler.queueHistory(vhost.getQueue('busy')!)!;
    expect(ring.length).toBe(1);
    expect(ring.value(0, 0)).toBe(2); // publish
    expect(ring.value(0, MESSAGES_FIELD)).toBe(2);
    expect(ring.value(0, MESSAGES_READY_FIELD)).toBe(2);
  });

  it('turns two samples into rates per second, and a range into samples', () => {
    declare('q');
    sampler.sample(1000);
    for (let i = 0; i < 10; i++) publish('q');
    sampler.sample(2000);
    for (let i = 0; i < 30; i++) publish('q');
    sampler.sample(4000);
    const queue = core.getVhost('/')!.getQueue('q')!;
    const json = queueStatsJson(sampler, queue, statsRangesOf({ lengths_age: '4', lengths_incr: '1' }), 4500) as any;
    expect(json.message_stats.publish).toBe(40);
    expect(json.message_stats.publish_details).toEqual({ rate: 15 });
    expect(json.messages_details.rate).toBe(15);
    expect(json.messages_details.samples).toEqual([
      { sample: 40, timestamp: 4000 },
      { sample: 10, timestamp: 3000 },
      { sample: 10, timestamp: 2000 },
    ]);
    expect(json.messages_details.avg_rate).toBe(15);
  });

  it('samples exchanges once they have had a publish, and the vhost and overview every time', () => {
    declare('q');
    publish('q');
    sampler.sample(1000);
    const vhost = core.getVhost('/')!;
    const ring = sampler.exchangeHistory(vhost.topology.getExchange('')!);
    // The channel layer counts publish_in/out; a publish straight through the vhost does not.
    expect(ring).toBeUndefined();
    vhost.topology.getExchange('amq.fanout')!.publishIn = 3;
    sampler.sample(2000);
    expect(sampler.exchangeHistory(vhost.topology.getExchange('amq.fanout')!)!.value(0, 0)).toBe(3);
    expect(sampler.vhostHistory('/')!.length).toBe(2);
    expect(sampler.overviewHistory().value(0, MESSAGES_FIELD)).toBe(1);
  });

  it('keeps a closed connection’s counts in its vhost’s and the overall totals, and drops them with the vhost', async () => {
    const closed = new MessageCounters();
    closed.publish = 7;
    closed.ack = 5;
    await core.createVhost('other');
    sampler.connectionClosed({ vhost: core.getVhost('other')!, closedChannelStats: closed } as unknown as AmqpConnection);
    let { byVhost, total } = sampler.countersByVhost();
    expect(byVhost.get('other')).toMatchObject({ publish: 7, ack: 5 });
    expect(byVhost.get('/')).toMatchObject({ publish: 0 });
    expect(total).toMatchObject({ publish: 7, ack: 5 });
    sampler.sample(1000);
    expect(sampler.vhostHistory('other')!.value(0, 0)).toBe(7);
    await core.deleteVhost('other');
    sampler.sample(2000);
    ({ byVhost, total } = sampler.countersByVhost());
    expect(byVhost.has('other')).toBe(false);
    expect(sampler.vhostHistory('other')).toBeUndefined();
    // Prometheus counters never go down: the overall total keeps it.
    expect(total.publish).toBe(7);
    expect(sampler.overviewHistory().value(0, 0)).toBe(7);
    expect(COUNTER_FIELDS).toBe(12);
  });

  it('samples on an unref’d timer from start() until stop()', async () => {
    declare('q');
    publish('q');
    const fast = new StatsSampler({ core, allConnections: () => [].values() }, 10);
    fast.start();
    try {
      const started = Date.now();
      while (fast.overviewHistory().length < 3 && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(fast.overviewHistory().length).toBeGreaterThanOrEqual(3);
    } finally {
      fast.stop();
    }
    const length = fast.overviewHistory().length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fast.overviewHistory().length).toBe(length);
  });
});
