import { encodeHeaderFrame } from '@app/codec';
import { checkMessageRecord } from '@app/storage';
import { Message } from './message.js';

describe('Message storage form', () => {
  it('round-trips exchange, routing key, properties and body', () => {
    const header = encodeHeaderFrame(0, 60, 5, { deliveryMode: 2, headers: { a: 'b' }, contentType: 'text/plain' });
    // Property bytes start after frame header (7) + class (2) + weight (2) + body size (8).
    const rawProperties = header.subarray(19, header.length - 1);
    const message = new Message('ex\u00e9', 'a.b.c', rawProperties, undefined, Buffer.from('hello'), true);
    const restored = Message.fromStorage(message.storageData);
    expect(restored.exchange).toBe('ex\u00e9');
    expect(restored.routingKey).toBe('a.b.c');
    expect(restored.body.toString()).toBe('hello');
    expect(restored.properties).toEqual({ deliveryMode: 2, headers: { a: 'b' }, contentType: 'text/plain' });
    expect(restored.isPersistent).toBe(true);
    expect(message.storageData).toBe(message.storageData);
  });

  it('is a checksummed record, computed once; a flipped body byte fails the check', () => {
    const message = new Message('', 'q', Buffer.from([0, 0]), undefined, Buffer.from('payload'), true);
    const record = message.storageData;
    expect(checkMessageRecord(record)).toBeUndefined();
    const damaged = Buffer.from(record);
    damaged[damaged.length - 2]! ^= 0x04;
    expect(checkMessageRecord(damaged)).toMatch(/checksum mismatch/);
  });
});
