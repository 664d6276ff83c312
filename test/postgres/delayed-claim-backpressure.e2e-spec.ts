import { BROKER_ACTOR, BrokerCore, BrokerStorage, Message } from '@app/broker-core';
import { createBrokerLogger } from '@app/server';
import type { DueDelayedClaim, OpenedStorage, SharedDelayedStore } from '@app/storage';
import { openMemoryStorage } from '@app/storage/memory';
import { openPostgresStorage, type PostgresStorage } from '@app/storage/postgres';
import { SharedDelayedMessages } from '../../libs/server/src/cluster/shared-delayed-messages.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';

/** Due messages of one burst: six full claims of 500. */
const BURST = 3000;
/** The most one claim takes (shared-delayed-messages.ts). */
const CLAIM_LIMIT = 500;

/**
 * Backpressure of the claims of due delayed messages (docs/SCALE-OUT.md, "Delayed messages"): a node routes a big
 * due burst batch by batch, claiming the next batch only once the previous one's routing committed, so the burst is
 * never claimed into one node's memory at once. Real parts: a real PostgreSQL store, the real core (its queue in
 * memory), the real claim loop; the test only counts, around the store, what was claimed and not yet settled.
 */
describe('claims of due delayed messages on the shared store', () => {
  let cluster: PostgresCluster;
  let storage: PostgresStorage;
  let memory: OpenedStorage;
  let core: BrokerCore;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    const url = await cluster.createDatabase('warren_delayed_backpressure');
    storage = await openPostgresStorage({ connectionString: url, nodeName: 'warren@a', nodeLeaseMs: 60_000, sharedQueues: true });
    await storage.cluster!.register({});
    memory = await openMemoryStorage();
    core = new BrokerCore();
    await core.recover(new BrokerStorage(memory.messages, memory.metadata), '(memory)');
  }, 180_000);

  afterAll(async () => {
    core?.dispose();
    await memory?.close();
    await storage?.close().catch(() => undefined);
    await cluster?.stop();
  }, 180_000);

  it(`routes a burst of ${BURST} due messages one claim at a time, each after the previous one's commit`, async () => {
    const vhost = core.getVhost('/')!;
    const options = { durable: true, autoDelete: false, internal: false, arguments: { 'x-delayed-type': 'direct' } };
    await vhost.execute({ kind: 'exchange.declare', exchange: 'later', options: { type: 'x-delayed-message', ...options } }, BROKER_ACTOR)
      .written;
    const queueOptions = { durable: false, exclusive: false, autoDelete: false, arguments: {} };
    vhost.execute({ kind: 'queue.declare', queue: 'later', options: queueOptions }, BROKER_ACTOR);
    vhost.execute({ kind: 'queue.bind', queue: 'later', exchange: 'later', routingKey: 'k', arguments: {} }, BROKER_ACTOR);
    const exchangeId = vhost.delayed.storeId('later');
    await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        storage.delayed!.hold(exchangeId, Message.withProperties('later', 'k', { deliveryMode: 2 }, Buffer.from(`m${i}`)).storageData, 0),
      ),
    );

    // Claimed and not yet settled (deleted in the shared queues' commit that carries the routing).
    let unsettled = 0;
    const unsettledAtClaims: number[] = [];
    const claimSizes: number[] = [];
    const store = storage.delayed!;
    const counted: SharedDelayedStore = {
      hold: (id, data, delayMs) => store.hold(id, data, delayMs),
      claimDue: async (ids, limit): Promise<DueDelayedClaim> => {
        unsettledAtClaims.push(unsettled);
        const claim = await store.claimDue(ids, limit);
        claimSizes.push(claim.due.length);
        return claim;
      },
      settle: (ids) => store.settle(ids),
      release: (ids) => store.release(ids),
      dropExchange: (id) => store.dropExchange(id),
      dropStranded: (ids, graceMs) => store.dropStranded(ids, graceMs),
      releaseOrphans: () => store.releaseOrphans(),
      listen: (onHeld, onLost) => store.listen(onHeld, onLost),
      close: () => store.close(),
    };
    const delayed = new SharedDelayedMessages(counted, core, createBrokerLogger('silent'), 60_000, (ids) => {
      unsettled += ids.length;
      return storage.sharedQueues!.settleDelayed(ids).finally(() => {
        unsettled -= ids.length;
      });
    });
    try {
      await delayed.claim();
    } finally {
      delayed.stop();
    }

    expect(vhost.getQueue('later')!.messageCount).toBe(BURST);
    expect(unsettled).toBe(0);
    const { rows } = await storage.database.query<{ n: string }>(`SELECT count(*) AS n FROM ${storage.database.tables.delayedMessages}`);
    expect(Number(rows[0]!.n)).toBe(0);
    // Full claims, then the one that found nothing left; never a claim while an earlier one was unsettled.
    expect(claimSizes).toEqual([...Array.from({ length: BURST / CLAIM_LIMIT }, () => CLAIM_LIMIT), 0]);
    expect(unsettledAtClaims.every((count) => count === 0)).toBe(true);
  }, 120_000);
});
