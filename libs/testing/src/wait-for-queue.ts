import type { Queue, VirtualHost } from '@app/broker-core';
import { pollUntil, type PollOptions } from './poll-until.js';

/**
 * What to wait for on a queue; every condition given must hold at once. With none, waits for the queue to exist.
 */
export interface QueueConditions extends PollOptions {
  /** Exactly this many ready messages (delivered-but-unacked ones are not ready). */
  messages?: number;
  /** Exactly this many consumers. */
  consumers?: number;
  /** Exactly this many deliveries waiting for an ack. */
  unacked?: number;
  /** Nothing ready and nothing unacked: every message was consumed and settled. */
  empty?: true;
}

/** A queue's counters at one moment. */
export interface QueueSnapshot {
  name: string;
  /** Ready messages. */
  messages: number;
  /** Deliveries not yet acked. */
  unacked: number;
  consumers: number;
}

/** The counters of a core queue. */
export function snapshotQueue(queue: Queue): QueueSnapshot {
  return { name: queue.name, messages: queue.messageCount, unacked: queue.unackedCount, consumers: queue.consumerCount };
}

/**
 * Polls the core (no AMQP round trips) until queue `name` exists and meets `conditions`; resolves with its
 * counters then. Rejects after `timeoutMs` with a message naming the queue, what was awaited and what it has.
 */
export function waitForQueue(vhost: VirtualHost, name: string, conditions: QueueConditions = {}): Promise<QueueSnapshot> {
  return pollUntil(
    () => {
      const queue = vhost.getQueue(name);
      return queue !== undefined && meets(queue, conditions) ? snapshotQueue(queue) : undefined;
    },
    (timeoutMs) => {
      const queue = vhost.getQueue(name);
      const state = queue === undefined ? 'it does not exist' : `it has ${describeCounts(snapshotQueue(queue))}`;
      return `testing: timed out after ${timeoutMs} ms waiting for queue '${name}' in vhost '${vhost.name}' ${describeConditions(conditions)}; ${state}`;
    },
    conditions,
  );
}

function meets(queue: Queue, { messages, consumers, unacked, empty }: QueueConditions): boolean {
  if (messages !== undefined && queue.messageCount !== messages) return false;
  if (consumers !== undefined && queue.consumerCount !== consumers) return false;
  if (unacked !== undefined && queue.unackedCount !== unacked) return false;
  if (empty && (queue.messageCount !== 0 || queue.unackedCount !== 0)) return false;
  return true;
}

function describeConditions({ messages, consumers, unacked, empty }: QueueConditions): string {
  const counts: string[] = [];
  if (messages !== undefined) counts.push(plural(messages, 'ready message'));
  if (unacked !== undefined) counts.push(`${unacked} unacked`);
  if (consumers !== undefined) counts.push(plural(consumers, 'consumer'));
  const clauses: string[] = [];
  if (empty) clauses.push('be empty (0 ready, 0 unacked)');
  if (counts.length > 0) clauses.push(`have ${counts.join(' and ')}`);
  return clauses.length === 0 ? 'to exist' : `to ${clauses.join(' and ')}`;
}

function describeCounts({ messages, unacked, consumers }: QueueSnapshot): string {
  return `${plural(messages, 'ready message')}, ${unacked} unacked, ${plural(consumers, 'consumer')}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
