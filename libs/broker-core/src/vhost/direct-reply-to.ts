import { randomBytes } from 'node:crypto';
import type { Message } from '../queue/message.js';

/** The pseudo-queue name clients consume from for direct reply-to. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';
/** What the broker turns `reply_to = amq.rabbitmq.reply-to` into, before the channel's token. */
export const DIRECT_REPLY_PREFIX = 'amq.rabbitmq.reply-to.';

/** Receives direct reply-to messages for one channel (implemented by the channel layer). */
export interface DirectReplyConsumer {
  deliverReply(message: Message, routingKey: string): void;
}

/**
 * Hands responses for requesters on other nodes to those nodes (multi-node mode, docs/SCALE-OUT.md "Direct
 * reply-to across nodes"). Implemented by the server's cluster layer; the core only knows that a token may name a
 * node.
 */
export interface DirectReplyRelay {
  /** This node's part of the reply-to tokens it hands out (no `.` after it is part of it: tokens end `.<random>`). */
  readonly nodeTag: string;
  /**
   * Sends a response to the node `nodeTag` names. Returns undefined when no live node has that tag (the publish is
   * then unroutable: `basic.return` 312 for a mandatory one), else the write, which settles the publisher's confirm;
   * must not throw and must not leave the promise's rejection unhandled.
   */
  forward(nodeTag: string, vhost: string, message: Message): Promise<void> | undefined;
}

/**
 * The direct reply-to consumers of one vhost, by token (RabbitMQ "Direct Reply-to"). A token is 16 random bytes
 * (base64url, so without `.`); in multi-node mode it is `<node tag>.<random>`, so that a node handed a response
 * for another node's requester knows where to send it, as RabbitMQ encodes the channel's node in its tokens.
 *
 * Invariants: runs on the event loop only, never awaits.
 */
export class DirectReplyTable {
  private readonly consumers = new Map<string, DirectReplyConsumer>();
  /** Set in multi-node mode, before any consumer registers. */
  relay: DirectReplyRelay | undefined;

  constructor(private readonly vhost: string) {}

  /** Registers a channel's reply consumer; returns the reply-to address to put in its requests. */
  register(consumer: DirectReplyConsumer): string {
    const random = randomBytes(16).toString('base64url');
    const token = this.relay === undefined ? random : `${this.relay.nodeTag}.${random}`;
    this.consumers.set(token, consumer);
    return DIRECT_REPLY_PREFIX + token;
  }

  /** Removes a reply consumer (cancel, channel close). */
  unregister(address: string): void {
    this.consumers.delete(address.slice(DIRECT_REPLY_PREFIX.length));
  }

  /**
   * Delivers a response published to the default exchange with `routingKey` (`amq.rabbitmq.reply-to.<token>`):
   * to this node's consumer at once, or through the relay to the node the token names. Returns false when it is
   * unroutable (no such consumer here, no such live node), or the relay's write.
   */
  route(routingKey: string, message: Message): boolean | Promise<void> {
    if (this.deliverHere(routingKey, message)) return true;
    const token = routingKey.slice(DIRECT_REPLY_PREFIX.length);
    const relay = this.relay;
    if (relay === undefined) return false;
    // The random part is base64url (no `.`), so the last `.` ends the node tag, which may hold dots itself.
    const dot = token.lastIndexOf('.');
    if (dot <= 0) return false;
    const nodeTag = token.slice(0, dot);
    // This node's own token with no consumer: the requester is gone (RabbitMQ drops it, returns a mandatory one).
    if (nodeTag === relay.nodeTag) return false;
    return relay.forward(nodeTag, this.vhost, message) ?? false;
  }

  /** A response another node relayed here: delivered to its consumer, or dropped when it is gone (false). */
  deliverRelayed(message: Message): boolean {
    return message.routingKey.startsWith(DIRECT_REPLY_PREFIX) && this.deliverHere(message.routingKey, message);
  }

  /** Delivers to this node's consumer of the token in `routingKey`; false when there is none. */
  private deliverHere(routingKey: string, message: Message): boolean {
    const consumer = this.consumers.get(routingKey.slice(DIRECT_REPLY_PREFIX.length));
    if (consumer === undefined) return false;
    consumer.deliverReply(message, routingKey);
    return true;
  }
}
