import type { MessageStore } from '@app/storage';
import { Message } from '../queue/message.js';
import { decodeQueueIndex } from '../queue/queue-index-record.js';
import type { Queue } from '../queue/queue.js';

/**
 * Restores one durable queue's stored messages at start-up, in seq order; resolves with how many. From the counters
 * alone where the queue can (one tail segment, loaded batch by batch ahead of consumers), else from index records:
 * the bodies stay on disk until the pager reads them ahead of a consumer. Called once per queue, before clients
 * connect (VirtualHost.restore).
 */
export async function restoreQueueMessages(queue: Queue, messages: MessageStore): Promise<number> {
  let restored = 0;
  const info = await messages.queueInfo(queue.storageId);
  const isTail = info !== undefined && queue.restoreTail(info.messageCount, info.nextSeq - 1);
  if (isTail) restored += info.messageCount;
  for await (const stored of isTail ? [] : messages.recoverIndex(queue.storageId)) {
    const facts = stored.index && decodeQueueIndex(stored.index);
    if (facts !== undefined) queue.restorePaged(stored.seq, facts, stored.mayHaveBeenDelivered);
    else if (stored.data !== undefined) queue.restore(Message.fromStorage(stored.data), stored.seq, stored.mayHaveBeenDelivered);
    else {
      // An index record of an unknown version (written by a newer broker): its body is the truth.
      const [message] = await messages.read(queue.storageId, [stored.seq]);
      if (message === undefined) continue;
      queue.restore(Message.fromStorage(message.data), stored.seq, stored.mayHaveBeenDelivered);
    }
    restored++;
  }
  if (info) queue.nextSequence = info.nextSeq;
  // The head window only (a bounded read per queue): consumers start at once, and a damaged head message is
  // quarantined (and logged) before serving, as a full recovery would have.
  await queue.headLoaded();
  return restored;
}
