import { TypedFieldValue } from '@app/codec';
import { ManagementError } from './management-error.js';
import { jsonOfProperties, jsonOfTable, propertiesOfJson } from './json-format.js';

describe('management JSON format', () => {
  it('prints field tables as plain JSON, whatever widths the values were encoded with', () => {
    expect(
      jsonOfTable({
        small: new TypedFieldValue('b', 5),
        big: 2n ** 60n,
        bytes: Buffer.from('hi'),
        decimal: new TypedFieldValue('D', { scale: 2, value: 314 }),
        nested: { list: [1, 'a', null] },
      }),
    ).toEqual({ small: 5, big: '1152921504606846976', bytes: 'hi', decimal: 3.14, nested: { list: [1, 'a', null] } });
  });

  it('prints properties snake_case, and empty properties as [] (as RabbitMQ does)', () => {
    expect(jsonOfProperties({})).toEqual([]);
    expect(jsonOfProperties({ contentType: 'text/plain', deliveryMode: 2, headers: { a: 1 } })).toEqual({
      content_type: 'text/plain',
      delivery_mode: 2,
      headers: { a: 1 },
    });
  });

  it('prints a timestamp past 2^53 as a decimal string (JSON has no 64-bit integers)', () => {
    expect(JSON.stringify(jsonOfProperties({ timestamp: 2n ** 62n + 1n }))).toBe('{"timestamp":"4611686018427387905"}');
    expect(jsonOfProperties({ timestamp: 1_700_000_000 })).toEqual({ timestamp: 1_700_000_000 });
  });

  it('reads publish properties from snake_case', () => {
    expect(propertiesOfJson({ delivery_mode: 2, correlation_id: 'c1', headers: { x: 'y' } })).toEqual({
      deliveryMode: 2,
      correlationId: 'c1',
      headers: { x: 'y' },
    });
  });

  it.each([
    [{ delivery_mode: 'two' }, 'delivery_mode'],
    [{ priority: 300 }, 'priority'],
    [{ message_id: 42 }, 'message_id'],
    [{ reply_to: 'x'.repeat(256) }, 'reply_to'],
    [{ headers: [1, 2] }, 'arguments must be an object'],
  ])('refuses %p with a 400 naming the problem', (json, text) => {
    try {
      propertiesOfJson(json as Record<string, unknown>);
      throw new Error('expected a ManagementError');
    } catch (error) {
      expect(error).toBeInstanceOf(ManagementError);
      expect((error as ManagementError).status).toBe(400);
      expect((error as ManagementError).reason).toContain(text);
    }
  });
});
