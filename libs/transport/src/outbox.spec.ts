import { Outbox } from './outbox.js';

const item = (seq: number) => ({ seq });

describe('Outbox', () => {
  it('keeps publish order across requeues of unconfirmed messages', () => {
    const outbox = new Outbox<{ seq: number }>(10);
    outbox.add(item(5));
    outbox.add(item(6));
    // Confirms fail in tag order when the channel closes: 2, 3, 4 come back ahead of 5 and 6.
    outbox.requeue(item(2));
    outbox.requeue(item(4));
    outbox.requeue(item(3));
    expect(outbox.drain().map((i) => i.seq)).toEqual([2, 3, 4, 5, 6]);
    expect(outbox.length).toBe(0);
  });

  it('reports full at capacity, but still takes back requeued messages', () => {
    const outbox = new Outbox<{ seq: number }>(2);
    outbox.add(item(1));
    expect(outbox.isFull).toBe(false);
    outbox.add(item(2));
    expect(outbox.isFull).toBe(true);
    outbox.requeue(item(0));
    expect(outbox.length).toBe(3);
    expect(outbox.take()?.seq).toBe(0);
  });

  it('removes a given message', () => {
    const outbox = new Outbox<{ seq: number }>(5);
    const a = item(1);
    const b = item(2);
    outbox.add(a);
    outbox.add(b);
    outbox.remove(a);
    outbox.remove(item(9));
    expect(outbox.drain()).toEqual([b]);
  });

  it('has no room at capacity 0', () => {
    expect(new Outbox(0).isFull).toBe(true);
  });
});
