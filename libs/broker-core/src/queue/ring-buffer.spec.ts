import fc from 'fast-check';
import { RingBuffer } from './ring-buffer.js';

describe('RingBuffer', () => {
  it('keeps FIFO order across growth', () => {
    const ring = new RingBuffer<number>(2);
    for (let i = 0; i < 100; i++) ring.push(i);
    expect(ring.length).toBe(100);
    for (let i = 0; i < 100; i++) expect(ring.shift()).toBe(i);
    expect(ring.shift()).toBeUndefined();
  });

  it('behaves like an array under random operations', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), value: fc.integer() }),
      fc.record({ kind: fc.constant('unshift' as const), value: fc.integer() }),
      fc.record({ kind: fc.constant('shift' as const) }),
      fc.record({ kind: fc.constant('pop' as const) }),
      fc.record({ kind: fc.constant('insertAt' as const), index: fc.nat(40), value: fc.integer() }),
      fc.record({ kind: fc.constant('removeAt' as const), index: fc.nat(40) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const ring = new RingBuffer<number>();
        const model: number[] = [];
        for (const o of ops) {
          switch (o.kind) {
            case 'push':
              ring.push(o.value);
              model.push(o.value);
              break;
            case 'unshift':
              ring.unshift(o.value);
              model.unshift(o.value);
              break;
            case 'shift':
              expect(ring.shift()).toBe(model.shift());
              break;
            case 'pop':
              expect(ring.pop()).toBe(model.pop());
              break;
            case 'insertAt': {
              const i = Math.min(o.index, model.length);
              ring.insertAt(i, o.value);
              model.splice(i, 0, o.value);
              break;
            }
            case 'removeAt':
              expect(ring.removeAt(o.index)).toBe(o.index < model.length ? model.splice(o.index, 1)[0] : undefined);
              break;
          }
          expect(ring.length).toBe(model.length);
        }
        expect([...ring]).toEqual(model);
      }),
    );
  });
});
