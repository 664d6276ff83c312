import type { Method } from '@app/codec';
import { PublishConfirms } from './publish-confirms.js';

/** What the channel sent, as `ack 3` / `ack 5 multiple` / `nack 4`. */
type Sent = string;

/** A channel and connection rolled into one: records confirms, and flushes when the test says the socket would. */
class FakeChannel {
  readonly sent: Sent[] = [];
  flushRequests = 0;
  readonly confirms = new PublishConfirms(this, () => this.flushRequests++);

  send(method: Method): void {
    if (method.name !== 'basic.ack' && method.name !== 'basic.nack') throw new Error(`unexpected ${method.name}`);
    const verb = method.name === 'basic.ack' ? 'ack' : 'nack';
    this.sent.push(`${verb} ${method.deliveryTag}${method.multiple ? ' multiple' : ''}`);
  }

  /** Publishes `count` messages; returns their tags. */
  publish(count: number): number[] {
    return Array.from({ length: count }, () => this.confirms.nextPublish());
  }

  /** Settles, then flushes as the connection does just before its socket write. */
  settleAndFlush(decisions: Array<[tag: number, isAck: boolean]>): Sent[] {
    for (const [tag, isAck] of decisions) this.confirms.settle(tag, isAck);
    this.confirms.flush();
    return this.sent.splice(0);
  }
}

describe('PublishConfirms', () => {
  it('numbers publishes from 1', () => {
    const channel = new FakeChannel();
    expect(channel.publish(3)).toEqual([1, 2, 3]);
    expect(channel.confirms.currentTag).toBe(3);
  });

  it.each([
    { case: 'one ack', publishes: 1, decisions: [[1, true]], sent: ['ack 1'] },
    {
      case: 'a run of acks coalesces into one multiple ack',
      publishes: 3,
      decisions: [
        [1, true],
        [2, true],
        [3, true],
      ],
      sent: ['ack 3 multiple'],
    },
    {
      case: 'a nack splits the run',
      publishes: 4,
      decisions: [
        [1, true],
        [2, true],
        [3, false],
        [4, true],
      ],
      sent: ['ack 2 multiple', 'nack 3', 'ack 4'],
    },
    {
      case: 'nacks are never coalesced',
      publishes: 2,
      decisions: [
        [1, false],
        [2, false],
      ],
      sent: ['nack 1', 'nack 2'],
    },
    {
      case: 'later writes settling first wait for the earliest',
      publishes: 3,
      decisions: [
        [3, true],
        [2, true],
        [1, true],
      ],
      sent: ['ack 3 multiple'],
    },
    {
      case: 'out-of-order nack still goes out in order',
      publishes: 3,
      decisions: [
        [3, false],
        [2, true],
        [1, true],
      ],
      sent: ['ack 2 multiple', 'nack 3'],
    },
    {
      case: 'nothing is sent while the earliest is undecided',
      publishes: 3,
      decisions: [
        [2, true],
        [3, true],
      ],
      sent: [],
    },
    {
      case: 'only the decided head goes out',
      publishes: 3,
      decisions: [
        [1, true],
        [3, true],
      ],
      sent: ['ack 1'],
    },
  ] as Array<{ case: string; publishes: number; decisions: Array<[number, boolean]>; sent: Sent[] }>)(
    '$case',
    ({ publishes, decisions, sent }) => {
      const channel = new FakeChannel();
      channel.publish(publishes);
      expect(channel.settleAndFlush(decisions)).toEqual(sent);
    },
  );

  it('sends the rest once a slow earlier write (a persistent message waiting for its fsync) settles', () => {
    const channel = new FakeChannel();
    channel.publish(4);
    expect(
      channel.settleAndFlush([
        [2, true],
        [3, true],
        [4, false],
      ]),
    ).toEqual([]);

    expect(channel.settleAndFlush([[1, true]])).toEqual(['ack 3 multiple', 'nack 4']);
    expect(channel.settleAndFlush([])).toEqual([]);
  });

  it('acks every publish exactly once across flushes, in publish order', () => {
    const channel = new FakeChannel();
    const tags = channel.publish(50);
    const sent: Sent[] = [];
    // Settle in a scrambled but deterministic order, flushing after every settle.
    const order = tags.map((tag) => tag).sort((a, b) => ((a * 37) % 50) - ((b * 37) % 50));
    for (const tag of order) sent.push(...channel.settleAndFlush([[tag, tag % 7 !== 0]]));

    const confirmed: number[] = [];
    let last = 0;
    for (const line of sent) {
      const [verb, tagText, multiple] = line.split(' ');
      const tag = Number(tagText);
      expect(tag).toBeGreaterThan(last);
      const from = multiple ? last + 1 : tag;
      for (let t = from; t <= tag; t++) {
        confirmed.push(t);
        expect(verb).toBe(t % 7 === 0 ? 'nack' : 'ack');
      }
      last = tag;
    }
    expect(confirmed).toEqual(tags);
  });

  it('asks for a flush only when the head of the window is decided', () => {
    const channel = new FakeChannel();
    channel.publish(2);
    channel.confirms.settle(2, true);
    expect(channel.flushRequests).toBe(0);
    channel.confirms.settle(1, true);
    expect(channel.flushRequests).toBe(1);
  });

  it('ignores settles of unknown or already confirmed tags', () => {
    const channel = new FakeChannel();
    channel.publish(1);
    expect(channel.settleAndFlush([[1, true]])).toEqual(['ack 1']);
    expect(
      channel.settleAndFlush([
        [1, false],
        [7, true],
        [0, true],
      ]),
    ).toEqual([]);
  });

  it('sends nothing more once discarded (channel closed)', () => {
    const channel = new FakeChannel();
    channel.publish(2);
    channel.confirms.discard();
    expect(
      channel.settleAndFlush([
        [1, true],
        [2, true],
      ]),
    ).toEqual([]);
  });
});
