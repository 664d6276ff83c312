import type { Method } from '@app/codec';

/** Where held frames go back, in wire order: the connection's own frame entry points (their checks run again). */
export interface FrameReplay {
  onMethod(channelId: number, method: Method): void;
  onHeader(channelId: number, classId: number, bodySize: number, properties: Buffer): void;
  onBody(channelId: number, payload: Buffer): void;
  /** The bytes held by the connection's channels changed by `delta` (it stops reading the socket past a bound). */
  heldBytesChanged(delta: number): void;
}

/** What a held method counts for in the connection's bound (its decoded object, not its wire size). */
const METHOD_COST_BYTES = 256;

type HeldFrame =
  | { kind: 'method'; method: Method; cost: number }
  | { kind: 'header'; classId: number; bodySize: number; properties: Buffer; cost: number }
  | { kind: 'body'; payload: Buffer; cost: number };

/**
 * Keeps one channel's methods strictly in order when one of them needs an asynchronous step before it can act (a
 * shared queue's `queue.delete`, judged across nodes; a `basic.get` that must claim or load its message first), as
 * RabbitMQ's channel process handles one method at a time: while the step is pending, every later frame of the
 * channel (methods, content, `channel.close`) is held here; once the step's action has run, they are handed back
 * to the connection in order, and a held method that starts another step stops the replay there. Replies stay in
 * order because nothing after the step acts before it.
 *
 * Bounded: the connection counts the held bytes and stops reading its socket past its limit (FrameReplay), so a
 * client pipelining behind a pending step is held up by TCP, not by memory. The hot path pays one flag check
 * ({@link isWaiting}).
 */
export class MethodSequencer {
  /** A step is pending: every frame of the channel must be held. */
  isWaiting = false;
  private frames: Array<HeldFrame | undefined> = [];
  private head = 0;

  constructor(
    private readonly channelId: number,
    private readonly replay: FrameReplay,
  ) {}

  /** Frames held now. */
  get heldCount(): number {
    return this.frames.length - this.head;
  }

  /** Holds a method received while a step is pending. */
  holdMethod(method: Method): void {
    this.push({ kind: 'method', method, cost: METHOD_COST_BYTES });
  }

  /** Holds a content header; copied, so the socket chunk it is a view of is not kept alive. */
  holdHeader(classId: number, bodySize: number, properties: Buffer): void {
    this.push({ kind: 'header', classId, bodySize, properties: Buffer.from(properties), cost: properties.length + 32 });
  }

  /** Holds a content body frame (copied, as headers). */
  holdBody(payload: Buffer): void {
    this.push({ kind: 'body', payload: Buffer.from(payload), cost: payload.length + 32 });
  }

  /**
   * Runs `act` with the step's value (or `failed` with its error, or with what `act` threw) once `step` settles,
   * then replays the frames held meanwhile; `failed` must not throw. The action runs whatever became of the channel meanwhile (a delete the client asked for still
   * applies after a close, as RabbitMQ's does); it checks the channel's state before replying.
   */
  after<T>(step: Promise<T>, act: (value: T) => void, failed: (error: unknown) => void): void {
    this.isWaiting = true;
    step.then(
      (value) => {
        // Cleared first: the action may start a further step of its own, which the replay then waits for.
        this.isWaiting = false;
        try {
          act(value);
        } catch (error) {
          // Never an unhandled rejection (it would end the process): the failure path answers for the action too.
          failed(error);
        }
        this.resume();
      },
      (error: unknown) => {
        this.isWaiting = false;
        failed(error);
        this.resume();
      },
    );
  }

  private push(frame: HeldFrame): void {
    this.frames.push(frame);
    this.replay.heldBytesChanged(frame.cost);
  }

  /** Hands the held frames back in order until one of them starts another step. */
  private resume(): void {
    const replay = this.replay;
    const id = this.channelId;
    while (this.head < this.frames.length && !this.isWaiting) {
      const frame = this.frames[this.head]!;
      // A head index rather than shift(): a long backlog is drained in linear time.
      this.frames[this.head++] = undefined;
      replay.heldBytesChanged(-frame.cost);
      if (frame.kind === 'method') replay.onMethod(id, frame.method);
      else if (frame.kind === 'header') replay.onHeader(id, frame.classId, frame.bodySize, frame.properties);
      else replay.onBody(id, frame.payload);
    }
    if (this.head === this.frames.length) {
      this.frames = [];
      this.head = 0;
    }
  }
}
