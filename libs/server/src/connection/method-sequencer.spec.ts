import type { Method } from '@app/codec';
import { basicPublish } from './testing/methods.js';
import { MethodSequencer, type FrameReplay } from './method-sequencer.js';

const get = (queue: string): Method => ({ name: 'basic.get', classId: 60, methodId: 70, ticket: 0, queue, noAck: true });

/** A promise settled by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets settled promises' callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A connection that records what it is handed back, and whose handling of a method may start another step. */
class RecordingConnection implements FrameReplay {
  readonly seen: string[] = [];
  heldBytes = 0;
  onReplayedMethod?: (method: Method) => void;

  onMethod(channelId: number, method: Method): void {
    this.seen.push(`${channelId}:${method.name}:${(method as { routingKey?: string; queue?: string }).routingKey ?? ''}`);
    this.onReplayedMethod?.(method);
  }

  onHeader(channelId: number, _classId: number, bodySize: number, properties: Buffer): void {
    this.seen.push(`${channelId}:header:${bodySize}:${properties.length}`);
  }

  onBody(channelId: number, payload: Buffer): void {
    this.seen.push(`${channelId}:body:${payload.toString()}`);
  }

  heldBytesChanged(delta: number): void {
    this.heldBytes += delta;
  }
}

describe('MethodSequencer', () => {
  it('holds every frame while a step is pending, acts, then hands them back in wire order', async () => {
    const connection = new RecordingConnection();
    const sequencer = new MethodSequencer(3, connection);
    const step = deferred<number>();
    const acted: string[] = [];
    sequencer.after(
      step.promise,
      (value) => acted.push(`acted ${value} after ${connection.seen.length} replayed`),
      () => acted.push('failed'),
    );
    expect(sequencer.isWaiting).toBe(true);
    const chunk = Buffer.from('xxhello');
    sequencer.holdMethod(basicPublish('a'));
    sequencer.holdHeader(60, 5, chunk.subarray(0, 2));
    sequencer.holdBody(chunk.subarray(2));
    // The view's bytes change after the hold (a reused read buffer): the held copy does not.
    chunk.write('zzzzzzz');
    sequencer.holdMethod(get('q'));
    expect(sequencer.heldCount).toBe(4);
    expect(connection.heldBytes).toBeGreaterThan(0);
    await settle();
    expect(connection.seen).toEqual([]);

    step.resolve(7);
    await settle();
    expect(acted).toEqual(['acted 7 after 0 replayed']);
    expect(connection.seen).toEqual(['3:basic.publish:a', '3:header:5:2', '3:body:hello', '3:basic.get:']);
    expect(sequencer.isWaiting).toBe(false);
    expect(sequencer.heldCount).toBe(0);
    expect(connection.heldBytes).toBe(0);
  });

  it('stops the replay at a held method that starts another step, and resumes after that one', async () => {
    const connection = new RecordingConnection();
    const sequencer = new MethodSequencer(1, connection);
    const first = deferred<void>();
    const second = deferred<void>();
    const acted: string[] = [];
    sequencer.after(
      first.promise,
      () => acted.push('first'),
      () => undefined,
    );
    sequencer.holdMethod(basicPublish('before'));
    sequencer.holdMethod(get('q'));
    sequencer.holdMethod(basicPublish('after'));
    // The replayed get waits again, as the channel does for a get that must load its message.
    connection.onReplayedMethod = (method) => {
      if (method.name === 'basic.get')
        sequencer.after(
          second.promise,
          () => acted.push(`second, ${connection.seen.length} replayed`),
          () => undefined,
        );
    };
    first.resolve();
    await settle();
    expect(connection.seen).toEqual(['1:basic.publish:before', '1:basic.get:']);
    expect(sequencer.isWaiting).toBe(true);
    expect(sequencer.heldCount).toBe(1);
    // Frames arriving now queue behind the one still held.
    sequencer.holdMethod(basicPublish('later'));

    second.resolve();
    await settle();
    expect(acted).toEqual(['first', 'second, 2 replayed']);
    expect(connection.seen).toEqual(['1:basic.publish:before', '1:basic.get:', '1:basic.publish:after', '1:basic.publish:later']);
    expect(connection.heldBytes).toBe(0);
  });

  it('runs the failure path on a rejected step and still replays what it held', async () => {
    const connection = new RecordingConnection();
    const sequencer = new MethodSequencer(2, connection);
    const step = deferred<number>();
    const outcome: string[] = [];
    sequencer.after(
      step.promise,
      () => outcome.push('acted'),
      (error) => outcome.push(`failed: ${(error as Error).message}`),
    );
    sequencer.holdMethod(basicPublish('a'));
    step.reject(new Error('connection terminated'));
    await settle();
    expect(outcome).toEqual(['failed: connection terminated']);
    expect(connection.seen).toEqual(['2:basic.publish:a']);
  });

  it('hands what the action throws to the failure path and still replays', async () => {
    const connection = new RecordingConnection();
    const sequencer = new MethodSequencer(2, connection);
    const step = deferred<void>();
    const outcome: string[] = [];
    sequencer.after(
      step.promise,
      () => {
        throw new Error('bug');
      },
      (error) => outcome.push(`failed: ${(error as Error).message}`),
    );
    sequencer.holdMethod(basicPublish('a'));
    step.resolve();
    await settle();
    expect(outcome).toEqual(['failed: bug']);
    expect(connection.seen).toEqual(['2:basic.publish:a']);
    expect(sequencer.isWaiting).toBe(false);
  });

  it('waits for a further step that the action itself starts before replaying', async () => {
    const connection = new RecordingConnection();
    const sequencer = new MethodSequencer(4, connection);
    const first = deferred<void>();
    const second = deferred<void>();
    sequencer.after(
      first.promise,
      () =>
        sequencer.after(
          second.promise,
          () => undefined,
          () => undefined,
        ),
      () => undefined,
    );
    sequencer.holdMethod(basicPublish('a'));
    first.resolve();
    await settle();
    expect(sequencer.isWaiting).toBe(true);
    expect(connection.seen).toEqual([]);
    second.resolve();
    await settle();
    expect(connection.seen).toEqual(['4:basic.publish:a']);
  });
});
