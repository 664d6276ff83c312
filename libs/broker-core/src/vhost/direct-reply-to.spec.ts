import { describe, expect, it } from '@jest/globals';
import { Message } from '../queue/message.js';
import { DIRECT_REPLY_PREFIX, type DirectReplyConsumer, type DirectReplyRelay } from './direct-reply-to.js';
import { PublishOutcome, VirtualHost } from './virtual-host.js';

/** A reply consumer that keeps what it got. */
class Requester implements DirectReplyConsumer {
  readonly replies: Array<{ body: string; routingKey: string }> = [];
  deliverReply(message: Message, routingKey: string): void {
    this.replies.push({ body: message.body.toString(), routingKey });
  }
}

/** A relay of a cluster whose live nodes are `live`; remembers what it was asked to forward. */
class FakeRelay implements DirectReplyRelay {
  readonly forwarded: Array<{ nodeTag: string; vhost: string; routingKey: string }> = [];
  constructor(
    readonly nodeTag: string,
    private readonly live: ReadonlySet<string>,
  ) {}
  forward(nodeTag: string, vhost: string, message: Message): Promise<void> | undefined {
    if (!this.live.has(nodeTag)) return undefined;
    this.forwarded.push({ nodeTag, vhost, routingKey: message.routingKey });
    return Promise.resolve();
  }
}

function reply(routingKey: string, body = 'answer'): Message {
  return Message.withProperties('', routingKey, { correlationId: 'c1' }, Buffer.from(body));
}

describe('direct reply-to table', () => {
  it('hands out tokens without a node part on a single node and routes replies to the channel', () => {
    const vhost = new VirtualHost('/');
    const requester = new Requester();
    const address = vhost.registerReplyConsumer(requester);
    expect(address).toMatch(/^amq\.rabbitmq\.reply-to\.[A-Za-z0-9_-]{22}$/);
    expect(vhost.publish(vhost.topology.getExchange('')!, address, reply(address))).toBe(PublishOutcome.Routed);
    expect(requester.replies).toEqual([{ body: 'answer', routingKey: address }]);
    vhost.unregisterReplyConsumer(address);
    expect(vhost.publish(vhost.topology.getExchange('')!, address, reply(address))).toBe(PublishOutcome.Unroutable);
    // A token that looks like another node's is unroutable without a relay.
    expect(vhost.publish(vhost.topology.getExchange('')!, `${DIRECT_REPLY_PREFIX}warren@b.x`, reply('x'))).toBe(PublishOutcome.Unroutable);
  });

  it("names the node in multi-node tokens and relays replies for live nodes' requesters", async () => {
    const vhost = new VirtualHost('shop');
    const relay = new FakeRelay('warren@a.example.com', new Set(['warren@b.example.com']));
    vhost.replies.relay = relay;
    const requester = new Requester();
    const address = vhost.registerReplyConsumer(requester);
    expect(address).toMatch(/^amq\.rabbitmq\.reply-to\.warren@a\.example\.com\.[A-Za-z0-9_-]{22}$/);
    const defaultExchange = vhost.topology.getExchange('')!;
    // Its own requester: delivered here.
    expect(vhost.publish(defaultExchange, address, reply(address))).toBe(PublishOutcome.Routed);
    expect(requester.replies).toHaveLength(1);
    // Another live node's requester: relayed, and the publish settles with the relay's write.
    const remote = `${DIRECT_REPLY_PREFIX}warren@b.example.com.AAAAAAAAAAAAAAAAAAAAAA`;
    const outcome = vhost.publish(defaultExchange, remote, reply(remote));
    expect(outcome).toBeInstanceOf(Promise);
    await outcome;
    expect(relay.forwarded).toEqual([{ nodeTag: 'warren@b.example.com', vhost: 'shop', routingKey: remote }]);
    // A node that is not live, this node's own vanished requester, a token with no node part: unroutable.
    for (const key of [
      `${DIRECT_REPLY_PREFIX}warren@gone.AAAAAAAAAAAAAAAAAAAAAA`,
      `${DIRECT_REPLY_PREFIX}warren@a.example.com.BBBBBBBBBBBBBBBBBBBBBB`,
      `${DIRECT_REPLY_PREFIX}AAAAAAAAAAAAAAAAAAAAAA`,
      `${DIRECT_REPLY_PREFIX}.AAAAAAAAAAAAAAAAAAAAAA`,
    ])
      expect(vhost.publish(defaultExchange, key, reply(key))).toBe(PublishOutcome.Unroutable);
    expect(relay.forwarded).toHaveLength(1);
  });

  it('delivers a reply relayed from another node to its requester, and drops one whose requester is gone', () => {
    const vhost = new VirtualHost('/');
    vhost.replies.relay = new FakeRelay('warren@a', new Set());
    const requester = new Requester();
    const address = vhost.registerReplyConsumer(requester);
    expect(vhost.replies.deliverRelayed(reply(address, 'relayed'))).toBe(true);
    expect(requester.replies).toEqual([{ body: 'relayed', routingKey: address }]);
    vhost.unregisterReplyConsumer(address);
    expect(vhost.replies.deliverRelayed(reply(address, 'late'))).toBe(false);
    expect(vhost.replies.deliverRelayed(reply('some.queue', 'not a reply'))).toBe(false);
    expect(requester.replies).toHaveLength(1);
  });
});
