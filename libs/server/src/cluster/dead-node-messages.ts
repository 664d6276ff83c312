import { Message, type BrokerCore } from '@app/broker-core';
import { MESSAGE_RECORD_HEADER_BYTES, checkMessageRecord, type ClusterStore } from '@app/storage';

/** Messages read (and re-enqueued) per round: one query, then one group commit for the batch. */
const BATCH = 500;
/** Storage ids of delayed exchanges' held messages (delayed-messages.ts). */
const DELAYED_PREFIX = 'delayed:';

/**
 * Takes over the persistent messages a dead node left in its durable queues: each is enqueued on this node's copy
 * of its queue (with `redelivered` set when the dead node may have delivered it), stored under this node's prefix,
 * and only once that is committed deleted from the dead node's part, so a crash in between duplicates messages but
 * never loses one. Messages of queues deleted meanwhile go with them; messages its delayed exchanges held are held
 * again (for every node with shared queues: shared-delayed-messages.ts). Returns the number taken over.
 *
 * Only the node whose reaping expired `node` calls it (the database hands each dead node to one reaper).
 * Messages published through the dead node under its name after it restarted are never touched: the delete is
 * bounded by the seqs read.
 */
export async function adoptMessagesOf(node: string, store: ClusterStore, core: BrokerCore): Promise<number> {
  const storage = core.storage;
  if (storage === undefined) return 0;
  let adopted = 0;
  let after: { queueId: string; seq: number } | undefined;
  for (;;) {
    const batch = await store.messagesOf(node, after, BATCH);
    const upTo = new Map<string, number>();
    const writes: Promise<void>[] = [];
    for (const orphan of batch) {
      after = { queueId: orphan.queueId, seq: orphan.seq };
      upTo.set(orphan.queueId, orphan.seq);
      if (orphan.queueId.startsWith(DELAYED_PREFIX)) {
        // Held by a delayed exchange of the dead node (per node: shared queues off, or an older Warren): held again,
        // for every node with shared queues, else by this node; due when it was, by the dead node's clock (the one
        // it counted with). An exchange deleted meanwhile took its messages with it.
        const slash = orphan.queueId.indexOf('/', DELAYED_PREFIX.length);
        const vhost = core.getVhost(decodeURIComponent(orphan.queueId.slice(DELAYED_PREFIX.length, slash)));
        const exchange = vhost?.topology.getExchange(orphan.queueId.slice(slash + 1));
        if (exchange?.type.isDelayed !== true || orphan.data === undefined || checkMessageRecord(orphan.data) !== undefined) continue;
        const dueAt = orphan.data.readDoubleBE(MESSAGE_RECORD_HEADER_BYTES);
        const message = Message.fromEncoded(orphan.data, MESSAGE_RECORD_HEADER_BYTES + 8);
        const write = vhost!.delayed.schedule(exchange, message.routingKey, message, Math.max(1, dueAt - Date.now()), storage.messages);
        if (write !== undefined) writes.push(write);
        adopted++;
        continue;
      }
      // The queue id is the queue's storage id: its vhost URI-encoded (so without `/`), a slash, its name.
      const slash = orphan.queueId.indexOf('/');
      const queue = core.getVhost(decodeURIComponent(orphan.queueId.slice(0, slash)))?.getQueue(orphan.queueId.slice(slash + 1));
      if (queue === undefined || queue.storage === undefined || orphan.data === undefined) continue;
      if (checkMessageRecord(orphan.data) !== undefined) continue; // damaged: never served, dropped with the rest
      const message = Message.fromStorage(orphan.data);
      if (queue.shared !== undefined) {
        // A shared queue (docs/SCALE-OUT.md): into the shared table, where any node's consumers claim it.
        writes.push(queue.shared.publish(queue, message));
        adopted++;
        continue;
      }
      const entry = queue.push(message);
      if (entry === undefined) continue; // refused by the queue's overflow policy, as a publish would be
      if (orphan.mayHaveBeenDelivered) {
        entry.redelivered = true;
        entry.deliveryCount = Math.max(entry.deliveryCount, 1);
      }
      const write = storage.enqueue([{ queueId: queue.storageId, seq: entry.seq, data: message.storageData, index: message.indexData }]);
      write.then(
        () => queue.stored(entry),
        () => queue.withdraw(entry),
      );
      writes.push(write);
      if (queue.consumerCount > 0) queue.dispatch();
      adopted++;
    }
    // Stored here first; a failed write leaves the dead node's copy in place (rejects: the caller logs it).
    await Promise.all(writes);
    await store.dropMessagesOf(node, upTo);
    if (batch.length < BATCH) return adopted;
  }
}
