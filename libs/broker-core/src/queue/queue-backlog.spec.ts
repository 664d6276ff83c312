import { Message } from './message.js';
import { parseQueueArguments } from './queue-arguments.js';
import { QueueBacklog } from './queue-backlog.js';
import { QueueBodies, type QueueBodiesHost } from './queue-bodies.js';
import { newQueueEntry } from './queue-entry.js';

/** A queue without a store: bodies stay in memory, so the backlog's own bookkeeping is all there is to see. */
const host: QueueBodiesHost = { name: 'q', storageId: '%2F/q', isDeleted: false, dispatch: () => undefined };

function backlogOf(args: Record<string, number> = {}): QueueBacklog {
  const bodies = new QueueBodies(host, { messages: 1_000, bytes: 1 << 20 }, () => undefined);
  return new QueueBacklog(parseQueueArguments('q', '/', args), bodies);
}

function entry(seq: number, body = 'x'.repeat(10)) {
  return newQueueEntry(Message.withProperties('', 'q', {}, Buffer.from(body)), seq, false, 0, 0);
}

const seqsOf = (backlog: QueueBacklog): number[] => [...backlog.list].map((e) => e.seq);

describe('QueueBacklog', () => {
  it('counts the bytes of what enters and leaves', () => {
    const backlog = backlogOf();
    backlog.enter(entry(1, 'abc'));
    backlog.enter(entry(2, 'defgh'));
    expect(backlog.bytes).toBe(8);
    expect(backlog.shift()!.seq).toBe(1);
    expect(backlog.bytes).toBe(5);
    expect(backlog.shift()!.seq).toBe(2);
    expect(backlog.shift()).toBeUndefined();
    expect(backlog.bytes).toBe(0);
  });

  // Two 10-byte messages are ready in each case.
  it.each([
    [{ 'x-max-length': 2 }, 0, 0, false],
    [{ 'x-max-length': 2 }, 1, 0, true],
    [{ 'x-max-length-bytes': 25 }, 0, 5, false],
    [{ 'x-max-length-bytes': 25 }, 0, 6, true],
    [{}, 1_000, 1_000_000, false],
  ])('isOver with %j, %i more messages and %i more bytes: %s', (args, extraCount, extraBytes, expected) => {
    const backlog = backlogOf(args);
    backlog.enter(entry(1));
    backlog.enter(entry(2));
    expect(backlog.isOver(extraCount, extraBytes)).toBe(expected);
  });

  it('puts requeued entries back at their seq positions and counts them again', () => {
    const backlog = backlogOf();
    const first = entry(1);
    backlog.enter(first);
    backlog.enter(entry(2));
    backlog.enter(entry(3));
    backlog.shift();
    backlog.putBack(first);
    expect(seqsOf(backlog)).toEqual([1, 2, 3]);
    expect(backlog.bytes).toBe(30);
  });

  it('inserts a claimed entry at its seq position, appending when it is the newest', () => {
    const backlog = backlogOf();
    backlog.insertClaimed(entry(5));
    backlog.insertClaimed(entry(9));
    backlog.insertClaimed(entry(7));
    expect(seqsOf(backlog)).toEqual([5, 7, 9]);
  });

  it('removes an entry wherever it is, once', () => {
    const backlog = backlogOf();
    const middle = entry(2);
    [entry(1), middle, entry(3)].forEach((e) => backlog.enter(e));
    expect(backlog.remove(middle)).toBe(true);
    expect(backlog.remove(middle)).toBe(false);
    expect(seqsOf(backlog)).toEqual([1, 3]);
    expect(backlog.bytes).toBe(20);
  });

  it('hands out seqs past every restored one', () => {
    const backlog = backlogOf();
    backlog.advanceSeq(41);
    backlog.advanceSeq(7);
    expect(backlog.nextSeq).toBe(42);
  });
});
